#include "common.h"
#include "repo.h"
#include "repo_internal.h"
#include "fileio.h"
#include "git.h"
#include "strutil.h"

/*
 * Versions: a walk of the first-parent history of HEAD. Each step
 * compares the prompt's tree entry in a commit with its first parent's;
 * the parent's lookup is carried into the next step, so every tree is
 * read once.
 */

int pops_repo__head(git_commit **out, pops_repo *repo)
{
	git_reference *head = NULL;
	git_object *obj = NULL;
	int error;

	*out = NULL;
	error = git_repository_head(&head, repo->git);
	if (error == GIT_EUNBORNBRANCH || error == GIT_ENOTFOUND) {
		const char *branch = NULL;
		git_reference *sym = NULL;

		if (git_reference_lookup(&sym, repo->git, "HEAD") == 0 &&
		    git_reference_type(sym) == GIT_REFERENCE_SYMBOLIC)
			branch = git_reference_symbolic_target(sym);
		if (branch && pops_starts_with(branch, "refs/heads/"))
			branch += strlen("refs/heads/");
		error = pops_error_set(POPS_ENOTFOUND,
		                       "HEAD has no commits yet (unborn branch '%s'): commit first",
		                       branch ? branch : "?");
		git_reference_free(sym);
		goto done;
	} else if (error < 0) {
		error = pops_git_error(error, "cannot read HEAD");
		goto done;
	}
	if ((error = git_reference_peel(&obj, head, GIT_OBJECT_COMMIT)) < 0) {
		error = pops_git_error(error, "cannot read HEAD");
		goto done;
	}
	*out = (git_commit *)obj;
	obj = NULL;
done:
	git_object_free(obj);
	git_reference_free(head);
	return error;
}

static int oid_cmp_void(const void *a, const void *b)
{
	return git_oid_cmp(a, b);
}

/* .git/shallow lists the commits whose parents the clone does not have */
int pops_repo__load_shallow(pops_repo *repo)
{
	pops_buf path = POPS_BUF_INIT, data = POPS_BUF_INIT;
	const char *p;
	int error = POPS_OK;

	if (repo->shallow_loaded)
		return POPS_OK;
	repo->shallow_loaded = 1;
	if (!git_repository_is_shallow(repo->git))
		return POPS_OK;
	pops_buf_printf(&path, "%sshallow", git_repository_commondir(repo->git));
	error = pops_file_read(&data, path.ptr, 0);
	if (error == POPS_ENOTFOUND) {
		error = POPS_OK;
		goto done;
	} else if (error < 0) {
		goto done;
	}
	for (p = data.ptr; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		git_oid *v;

		if (len >= GIT_OID_HEXSZ) {
			v = realloc(repo->shallow, (repo->nshallow + 1) * sizeof(*v));
			if (!v) {
				error = pops_error_set(POPS_ERROR, "out of memory");
				goto done;
			}
			repo->shallow = v;
			if (git_oid_fromstrn(&v[repo->nshallow], p, GIT_OID_HEXSZ) == 0)
				repo->nshallow++;
		}
		p += len + (nl != NULL);
	}
	qsort(repo->shallow, repo->nshallow, sizeof(git_oid), oid_cmp_void);
done:
	pops_buf_dispose(&data);
	pops_buf_dispose(&path);
	return error;
}

static int is_shallow_boundary(const pops_repo *repo, const git_oid *id)
{
	return repo->nshallow &&
	       bsearch(id, repo->shallow, repo->nshallow, sizeof(git_oid), oid_cmp_void);
}

/*
 * The first parent of `c`, or NULL at the root. *cut is set when the
 * parent exists in the commit but not in this (shallow) clone.
 */
int pops_repo__first_parent(git_commit **out, int *cut, pops_repo *repo, git_commit *c)
{
	int error;

	*out = NULL;
	*cut = 0;
	if (git_commit_parentcount(c) == 0)
		return POPS_OK;
	if (is_shallow_boundary(repo, git_commit_id(c))) {
		*cut = 1;
		return POPS_OK;
	}
	error = git_commit_parent(out, c, 0);
	if (error == GIT_ENOTFOUND && git_repository_is_shallow(repo->git)) {
		*cut = 1;
		return POPS_OK;
	}
	return error < 0 ? pops_git_error(error, "cannot read a parent commit") : POPS_OK;
}

/* entry at `path` in `c`'s tree, or NULL */
static int entry_at(git_tree_entry **out, git_commit *c, const char *path)
{
	git_tree *tree = NULL;
	int error;

	*out = NULL;
	if ((error = git_commit_tree(&tree, c)) < 0)
		return pops_git_error(error, "cannot read a commit's tree");
	error = git_tree_entry_bypath(out, tree, path);
	git_tree_free(tree);
	if (error == GIT_ENOTFOUND)
		return POPS_OK;
	return error < 0 ? pops_git_error(error, path) : POPS_OK;
}

/*
 * `path` was added by `c` (relative to `parent`): did git's rename
 * detection see it come from another file? Sets `from` (empty if not).
 */
int pops_repo__renames(git_diff **out, pops_repo *repo, git_commit *c, git_commit *parent)
{
	git_tree *a = NULL, *b = NULL;
	git_diff_options dopts = GIT_DIFF_OPTIONS_INIT;
	git_diff_find_options fopts = GIT_DIFF_FIND_OPTIONS_INIT;
	char *spec = repo->prefix;
	int error;

	*out = NULL;
	if (*repo->prefix) {
		dopts.pathspec.strings = &spec;
		dopts.pathspec.count = 1;
	}
	fopts.flags = GIT_DIFF_FIND_RENAMES;
	if ((error = git_commit_tree(&a, parent)) < 0 || (error = git_commit_tree(&b, c)) < 0 ||
	    (error = git_diff_tree_to_tree(out, repo->git, a, b, &dopts)) < 0 ||
	    (error = git_diff_find_similar(*out, &fopts)) < 0) {
		git_diff_free(*out);
		*out = NULL;
		error = pops_git_error(error, "cannot detect renames");
	}
	git_tree_free(b);
	git_tree_free(a);
	return error;
}

int pops_repo__rename_source(pops_buf *from, pops_repo *repo, git_commit *c,
                             git_commit *parent, const char *path)
{
	git_diff *diff = NULL;
	size_t i, n;
	int error;

	pops_buf_clear(from);
	if ((error = pops_repo__renames(&diff, repo, c, parent)) < 0)
		return error;
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		if (d->status == GIT_DELTA_RENAMED && !strcmp(d->new_file.path, path)) {
			pops_buf_sets(from, d->old_file.path);
			break;
		}
	}
	git_diff_free(diff);
	return pops_buf_oom(from) ? pops_error_set(POPS_ERROR, "out of memory") : POPS_OK;
}

/* record a version: ids and path only; details come later for the few shown */
static int push_lite(pops_versions *vs, const git_oid *commit, const git_oid *blob,
                     const char *path)
{
	pops_version *v;

	if (!(vs->n & (vs->n - 1)) || vs->n < 8) {
		size_t cap = vs->n < 8 ? 8 : vs->n * 2;

		if (!(v = realloc(vs->v, cap * sizeof(*v))))
			return pops_error_set(POPS_ERROR, "out of memory");
		vs->v = v;
	}
	v = &vs->v[vs->n];
	memset(v, 0, sizeof(*v));
	git_oid_cpy(&v->commit, commit);
	git_oid_cpy(&v->blob, blob);
	if (!(v->path = pops_strdup(path)))
		return pops_error_set(POPS_ERROR, "out of memory");
	vs->n++;
	return POPS_OK;
}

static int fill_details(pops_repo *repo, pops_version *v)
{
	git_commit *c = NULL;
	const git_signature *sig;
	const char *msg, *summary;
	int error;

	if ((error = git_commit_lookup(&c, repo->git, &v->commit)) < 0)
		return pops_git_error(error, "cannot read a version's commit");
	sig = git_commit_author(c);
	msg = git_commit_message(c);
	summary = git_commit_summary(c);
	v->author_name = pops_strdup(sig && sig->name ? sig->name : "");
	v->author_email = pops_strdup(sig && sig->email ? sig->email : "");
	v->time = sig ? sig->when.time : git_commit_time(c);
	v->tz_offset = sig ? sig->when.offset : git_commit_time_offset(c);
	v->summary = pops_strdup(summary ? summary : "");
	v->message = pops_strdup(msg ? msg : "");
	git_commit_free(c);
	if (!v->author_name || !v->author_email || !v->summary || !v->message)
		return pops_error_set(POPS_ERROR, "out of memory");
	return POPS_OK;
}

/*
 * Version cache: counting versions walks the whole first-parent history,
 * so the result for a path is kept in $GIT_COMMON_DIR/pops/versions/<id>,
 * keyed by the commit it was computed at. A later walk stops when it
 * reaches that commit and appends the cached list, so after a new commit
 * only the new commits are read. History rewrites simply miss the cache.
 * Never used in shallow clones. The file:
 *   pops-versions 1 <path>
 *   tip <commit>
 *   <commit> <blob> <path>      one per version, newest first
 */
typedef struct vcache {
	git_oid tip;
	pops_versions list;
	int valid;
} vcache;

static int cache_path(pops_buf *out, pops_repo *repo, const char *path)
{
	git_oid id;
	char hex[GIT_OID_HEXSZ + 1];

	if (git_odb_hash(&id, path, strlen(path), GIT_OBJECT_BLOB) < 0)
		return POPS_ERROR;
	git_oid_tostr(hex, sizeof(hex), &id);
	pops_buf_clear(out);
	pops_buf_printf(out, "%spops/versions/%s", git_repository_commondir(repo->git), hex);
	return pops_buf_oom(out) ? POPS_ERROR : POPS_OK;
}

static void cache_dispose(vcache *vc)
{
	size_t i;

	for (i = 0; i < vc->list.n; i++)
		free(vc->list.v[i].path);
	free(vc->list.v);
	memset(vc, 0, sizeof(*vc));
}

static void cache_read(vcache *vc, pops_repo *repo, const char *path)
{
	pops_buf file = POPS_BUF_INIT, data = POPS_BUF_INIT, head = POPS_BUF_INIT;
	char *p, *nl;

	memset(vc, 0, sizeof(*vc));
	if (getenv("POPS_NO_VERSION_CACHE") || cache_path(&file, repo, path) < 0 ||
	    pops_file_read(&data, file.ptr, POPS_VERSION_CACHE_MAX_BYTES) < 0)
		goto done;
	pops_buf_printf(&head, "pops-versions 1 %s\ntip ", path);
	if (strncmp(data.ptr, head.ptr, head.size) ||
	    git_oid_fromstrn(&vc->tip, data.ptr + head.size, GIT_OID_HEXSZ) < 0)
		goto done;
	p = data.ptr + head.size + GIT_OID_HEXSZ;
	if (*p++ != '\n')
		goto done;
	for (; *p; p = nl + 1) {
		git_oid c, b;

		if (!(nl = strchr(p, '\n')) || (size_t)(nl - p) < 2 * GIT_OID_HEXSZ + 3 ||
		    p[GIT_OID_HEXSZ] != ' ' || p[2 * GIT_OID_HEXSZ + 1] != ' ' ||
		    git_oid_fromstrn(&c, p, GIT_OID_HEXSZ) < 0 ||
		    git_oid_fromstrn(&b, p + GIT_OID_HEXSZ + 1, GIT_OID_HEXSZ) < 0)
			goto bad;
		*nl = '\0';
		if (push_lite(&vc->list, &c, &b, p + 2 * GIT_OID_HEXSZ + 2) < 0)
			goto bad;
	}
	vc->valid = 1;
	goto done;
bad:
	cache_dispose(vc);
done:
	pops_error_clear();
	pops_buf_dispose(&head);
	pops_buf_dispose(&data);
	pops_buf_dispose(&file);
}

/* best effort: a cache that cannot be written is only slower next time */
static void cache_write(pops_repo *repo, const char *path, const git_oid *tip,
                        const pops_versions *vs)
{
	pops_buf file = POPS_BUF_INIT, data = POPS_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1], bhex[GIT_OID_HEXSZ + 1];
	char *slash;
	size_t i;

	if (getenv("POPS_NO_VERSION_CACHE") || cache_path(&file, repo, path) < 0)
		goto done;
	git_oid_tostr(hex, sizeof(hex), tip);
	pops_buf_printf(&data, "pops-versions 1 %s\ntip %s\n", path, hex);
	for (i = 0; i < vs->n; i++) {
		git_oid_tostr(hex, sizeof(hex), &vs->v[i].commit);
		git_oid_tostr(bhex, sizeof(bhex), &vs->v[i].blob);
		pops_buf_printf(&data, "%s %s %s\n", hex, bhex, vs->v[i].path);
	}
	if (pops_buf_oom(&data) || !(slash = strrchr(file.ptr, '/')))
		goto done;
	*slash = '\0';
	if (pops_mkdir_p(file.ptr, 0777) < 0)
		goto done;
	*slash = '/';
	pops_file_write_atomic(file.ptr, data.ptr, data.size, 0666);
done:
	pops_error_clear();
	pops_buf_dispose(&data);
	pops_buf_dispose(&file);
}

int pops_repo__versions(pops_versions **out, pops_repo *repo, const char *name, size_t max,
                        int light)
{
	pops_versions *vs = NULL;
	vcache vc;
	git_commit *c = NULL, *parent = NULL;
	git_tree_entry *e = NULL, *pe = NULL;
	git_oid head_id;
	pops_buf path = POPS_BUF_INIT, from = POPS_BUF_INIT, start = POPS_BUF_INIT;
	size_t i;
	int error, cut, hit = 0;

	*out = NULL;
	memset(&vc, 0, sizeof(vc));
	if ((error = pops_repo_check_name(name)) < 0 ||
	    (error = pops_repo_name_to_path(&path, repo, name)) < 0 ||
	    (error = pops_repo__load_shallow(repo)) < 0 ||
	    (error = pops_repo__head(&c, repo)) < 0)
		goto done;
	git_oid_cpy(&head_id, git_commit_id(c));
	pops_buf_sets(&start, path.ptr);
	if (!repo->nshallow && !git_repository_is_shallow(repo->git))
		cache_read(&vc, repo, path.ptr);
	if (!(vs = calloc(1, sizeof(*vs)))) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	if ((error = entry_at(&e, c, path.ptr)) < 0)
		goto done;
	while (c) {
		int changed;

		if (vc.valid && !git_oid_cmp(git_commit_id(c), &vc.tip) &&
		    !strcmp(path.ptr, start.ptr)) {
			for (i = 0; i < vc.list.n; i++)
				if ((error = push_lite(vs, &vc.list.v[i].commit, &vc.list.v[i].blob,
				                       vc.list.v[i].path)) < 0)
					goto done;
			hit = 1;
			break;
		}
		if ((error = pops_repo__first_parent(&parent, &cut, repo, c)) < 0)
			goto done;
		if (cut)
			vs->shallow = 1;
		if (parent && (error = entry_at(&pe, parent, path.ptr)) < 0)
			goto done;
		/* at a shallow boundary we cannot tell whether c changed the file:
		 * it is listed (its content is real) but never numbered */
		changed = e && (!parent || !pe || cut ||
		                git_oid_cmp(git_tree_entry_id(e), git_tree_entry_id(pe)) ||
		                git_tree_entry_filemode(e) != git_tree_entry_filemode(pe));
		if (changed) {
			if ((error = push_lite(vs, git_commit_id(c), git_tree_entry_id(e),
			                       path.ptr)) < 0)
				goto done;
			if (parent && !pe) {
				if ((error = pops_repo__rename_source(&from, repo, c, parent,
				                                      path.ptr)) < 0)
					goto done;
				if (from.size) {
					pops_buf_sets(&path, from.ptr);
					git_tree_entry_free(pe);
					pe = NULL;
					if ((error = entry_at(&pe, parent, path.ptr)) < 0)
						goto done;
				}
			}
		}
		git_tree_entry_free(e);
		e = pe;
		pe = NULL;
		git_commit_free(c);
		c = parent;
		parent = NULL;
	}
	if (!vs->n) {
		error = pops_error_set(POPS_ENOTFOUND, "prompt '%s' has no committed version "
		                       "(no %s in the history of HEAD)", name, start.ptr);
		goto done;
	}
	if (!vs->shallow && (!hit || git_oid_cmp(&head_id, &vc.tip)))
		cache_write(repo, start.ptr, &head_id, vs);
	for (i = 0; i < vs->n; i++)
		vs->v[i].number = vs->shallow ? 0 : (long)(vs->n - i);
	/* keep the newest `max`, with author and message unless `light` */
	if (max && max < vs->n) {
		for (i = max; i < vs->n; i++)
			free(vs->v[i].path);
		vs->n = max;
	}
	for (i = 0; !light && i < vs->n; i++)
		if ((error = fill_details(repo, &vs->v[i])) < 0)
			goto done;
	*out = vs;
	vs = NULL;
done:
	cache_dispose(&vc);
	pops_versions_free(vs);
	git_tree_entry_free(pe);
	git_tree_entry_free(e);
	git_commit_free(parent);
	git_commit_free(c);
	pops_buf_dispose(&start);
	pops_buf_dispose(&from);
	pops_buf_dispose(&path);
	return error;
}

int pops_repo_versions(pops_versions **out, pops_repo *repo, const char *name, size_t max)
{
	return pops_repo__versions(out, repo, name, max, 0);
}

void pops_versions_free(pops_versions *vs)
{
	size_t i;

	if (!vs)
		return;
	for (i = 0; i < vs->n; i++) {
		free(vs->v[i].path);
		free(vs->v[i].author_name);
		free(vs->v[i].author_email);
		free(vs->v[i].summary);
		free(vs->v[i].message);
	}
	free(vs->v);
	free(vs);
}
