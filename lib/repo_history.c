#include "common.h"
#include "repo.h"
#include "repo_int.h"
#include "fileio.h"
#include "git.h"
#include "strutil.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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
				error = pops_error_oom();
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
	return pops_buf_oom(from) ? pops_error_oom() : POPS_OK;
}

/* record a version: ids and path only; details come later for the few shown */
static int push_lite(pops_versions *vs, const git_oid *commit, const git_oid *blob,
                     const char *path)
{
	pops_version *v;

	if (!(vs->n & (vs->n - 1)) || vs->n < 8) {
		size_t cap = vs->n < 8 ? 8 : vs->n * 2;

		v = realloc(vs->v, cap * sizeof(*v));
		POPS_CHECK_ALLOC(v);
		vs->v = v;
	}
	v = &vs->v[vs->n];
	memset(v, 0, sizeof(*v));
	git_oid_cpy(&v->commit, commit);
	git_oid_cpy(&v->blob, blob);
	v->path = pops_strdup(path);
	POPS_CHECK_ALLOC(v->path);
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
		return pops_error_oom();
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

/*
 * The walk reads raw objects from the odb instead of parsed git_commit /
 * git_tree objects: per commit only its tree and first parent are needed,
 * and per tree only one entry, so parsing whole objects (signatures,
 * messages, every entry) and caching them was most of the cost on long
 * histories. The entry found in a tree is remembered per depth, so an
 * unchanged prompts directory is not read again.
 */
typedef struct rawwalk {
	git_odb *odb;
	const char *path;
	/* git's commit-graph file, when there is a usable one: tree ids and
	 * first parents without inflating commits (what git log uses too).
	 * Mapped on the first commit the walk reads: a walk answered by the
	 * version cache never touches it. */
	pops_repo *repo;
	int graph_wanted, graph_tried;
	void *graph;
	size_t graph_len;
	const unsigned char *fanout, *oids, *cdat;
	uint32_t ncommits;
	/* memo per path depth: tree id -> the entry found in it */
	git_oid memo_tree[POPS_WALK_MEMO_DEPTH];
	git_oid memo_id[POPS_WALK_MEMO_DEPTH];
	unsigned memo_mode[POPS_WALK_MEMO_DEPTH];
	int memo_state[POPS_WALK_MEMO_DEPTH];   /* 0 unknown, 1 found, 2 absent */
} rawwalk;

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void graph_unload(rawwalk *w)
{
	if (w->graph)
		munmap(w->graph, w->graph_len);
	w->graph = NULL;
	w->graph_len = 0;
}

/*
 * Load objects/info/commit-graph (format version 1, SHA-1, no split chain).
 * Anything unexpected leaves the graph unused: it is only a shortcut.
 */
static void graph_load(rawwalk *w)
{
	pops_buf path = POPS_BUF_INIT;
	const unsigned char *d;
	uint64_t oidf = 0, oidl = 0, cdat = 0, off, next;
	size_t len, i, nchunks;
	struct stat st;
	int fd = -1;

	w->graph_tried = 1;
	if (!w->graph_wanted || getenv("POPS_NO_COMMIT_GRAPH"))
		return;
	pops_buf_printf(&path, "%sobjects/info/commit-graph",
	                git_repository_commondir(w->repo->git));
	if (pops_buf_oom(&path) ||
	    (fd = open(path.ptr, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0 ||
	    !S_ISREG(st.st_mode) || st.st_size < 8 ||
	    (uint64_t)st.st_size > POPS_COMMIT_GRAPH_MAX_BYTES)
		goto fail;
	/* mapped, not read: a walk touches only the pages it needs */
	w->graph = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (w->graph == MAP_FAILED) {
		w->graph = NULL;
		goto fail;
	}
	w->graph_len = (size_t)st.st_size;
	d = w->graph;
	len = w->graph_len;
	if (len < 8 || memcmp(d, "CGPH", 4) || d[4] != 1 || d[5] != 1 || d[7] != 0)
		goto fail;
	nchunks = d[6];
	if (len < 8 + (nchunks + 1) * 12)
		goto fail;
	for (i = 0; i < nchunks; i++) {
		const unsigned char *c = d + 8 + i * 12;

		off = (uint64_t)be32(c + 4) << 32 | be32(c + 8);
		next = (uint64_t)be32(c + 16) << 32 | be32(c + 20);
		if (off > len || next > len || next < off)
			goto fail;
		if (!memcmp(c, "OIDF", 4) && next - off == 256 * 4)
			oidf = off;
		else if (!memcmp(c, "OIDL", 4))
			oidl = off;
		else if (!memcmp(c, "CDAT", 4))
			cdat = off;
	}
	if (!oidf || !oidl || !cdat)
		goto fail;
	w->fanout = d + oidf;
	w->ncommits = be32(w->fanout + 255 * 4);
	if (oidl + (uint64_t)w->ncommits * GIT_OID_RAWSZ > len ||
	    cdat + (uint64_t)w->ncommits * 36 > len)
		goto fail;
	w->oids = d + oidl;
	w->cdat = d + cdat;
	close(fd);
	pops_buf_dispose(&path);
	return;
fail:
	w->fanout = w->oids = w->cdat = NULL;
	w->ncommits = 0;
	graph_unload(w);
	if (fd >= 0)
		close(fd);
	pops_buf_dispose(&path);
	pops_error_clear();
}

/* position of `id` in the graph, or -1 */
static long graph_find(const rawwalk *w, const git_oid *id)
{
	const unsigned char *raw = id->id;
	uint32_t lo = raw[0] ? be32(w->fanout + (raw[0] - 1) * 4) : 0;
	uint32_t hi = be32(w->fanout + raw[0] * 4);

	if (hi > w->ncommits || lo > hi)
		return -1;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int cmp = memcmp(w->oids + (size_t)mid * GIT_OID_RAWSZ, raw, GIT_OID_RAWSZ);

		if (!cmp)
			return (long)mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* tree id and first parent of a commit (has_parent 0 at a root) */
static int raw_commit(rawwalk *w, const git_oid *id, git_oid *tree, git_oid *parent,
                      int *has_parent)
{
	git_odb_object *o = NULL;
	const char *d, *end;
	long pos;
	int error;

	*has_parent = 0;
	if (!w->graph_tried)
		graph_load(w);
	if (w->cdat && (pos = graph_find(w, id)) >= 0) {
		const unsigned char *c = w->cdat + (size_t)pos * 36;
		uint32_t p1 = be32(c + GIT_OID_RAWSZ);

		if (p1 == 0x70000000u || p1 < w->ncommits) {
			git_oid_fromraw(tree, c);
			if (p1 != 0x70000000u) {
				git_oid_fromraw(parent, w->oids + (size_t)p1 * GIT_OID_RAWSZ);
				*has_parent = 1;
			}
			return 0;
		}
	}
	if ((error = git_odb_read(&o, w->odb, id)) < 0)
		return pops_git_error(error, "cannot read a commit");
	d = git_odb_object_data(o);
	end = d + git_odb_object_size(o);
	if (git_odb_object_type(o) != GIT_OBJECT_COMMIT || end - d < 46 ||
	    strncmp(d, "tree ", 5) || git_oid_fromstrn(tree, d + 5, GIT_OID_HEXSZ) < 0) {
		git_odb_object_free(o);
		return pops_error_set(POPS_ERROR, "malformed commit object");
	}
	d += 46;
	if (end - d >= 48 && !strncmp(d, "parent ", 7) &&
	    git_oid_fromstrn(parent, d + 7, GIT_OID_HEXSZ) == 0)
		*has_parent = 1;
	git_odb_object_free(o);
	return 0;
}

/* find `name` (len) in raw tree data */
static int raw_tree_find(const char *d, const char *end, const char *name, size_t len,
                         git_oid *id, unsigned *mode)
{
	while (d < end) {
		const char *sp = memchr(d, ' ', (size_t)(end - d)), *nul;

		if (!sp || !(nul = memchr(sp, '\0', (size_t)(end - sp))) || end - nul < 21)
			return -1;
		if ((size_t)(nul - sp - 1) == len && !memcmp(sp + 1, name, len)) {
			*mode = (unsigned)strtoul(d, NULL, 8);
			git_oid_fromraw(id, (const unsigned char *)nul + 1);
			return 1;
		}
		d = nul + 21;
	}
	return 0;
}

/* entry at w->path in tree `root`: 1 found (id, mode), 0 absent, < 0 error */
static int raw_entry(rawwalk *w, const git_oid *root, git_oid *id, unsigned *mode)
{
	git_oid cur = *root;
	const char *p = w->path;
	int depth = 0, found = 0;

	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		int memo = depth < POPS_WALK_MEMO_DEPTH;

		if (memo && w->memo_state[depth] && !git_oid_cmp(&w->memo_tree[depth], &cur)) {
			found = w->memo_state[depth] == 1;
			*id = w->memo_id[depth];
			*mode = w->memo_mode[depth];
		} else {
			git_odb_object *o = NULL;
			int error = git_odb_read(&o, w->odb, &cur);

			if (error < 0)
				return pops_git_error(error, "cannot read a tree");
			found = git_odb_object_type(o) == GIT_OBJECT_TREE
				? raw_tree_find(git_odb_object_data(o),
				                (const char *)git_odb_object_data(o) + git_odb_object_size(o),
				                p, len, id, mode)
				: 0;
			git_odb_object_free(o);
			if (found < 0)
				return pops_error_set(POPS_ERROR, "malformed tree object");
			if (memo) {
				w->memo_tree[depth] = cur;
				w->memo_id[depth] = *id;
				w->memo_mode[depth] = *mode;
				w->memo_state[depth] = found ? 1 : 2;
			}
		}
		if (!found || !slash)
			return found;
		if (*mode != GIT_FILEMODE_TREE)
			return 0;
		cur = *id;
		p = slash + 1;
		depth++;
	}
}

static void memo_reset(rawwalk *w)
{
	memset(w->memo_state, 0, sizeof(w->memo_state));
}

/* the versions a cache made at HEAD lists, appended to vs: 0 or <0 */
static int push_cached(pops_versions *vs, const vcache *vc)
{
	size_t i;
	int error;

	for (i = 0; i < vc->list.n; i++)
		if ((error = push_lite(vs, &vc->list.v[i].commit, &vc->list.v[i].blob,
		                       vc->list.v[i].path)) < 0)
			return error;
	return 0;
}

/* the file at *path was added by commit cur: when cur renamed it from another path
 * of parent, *path becomes that one (the walk follows it) and its entry in ptree is
 * read; 1 when found there, 0 when not a rename, <0 on error. Rare, so parsed
 * commits are fine. */
static int follow_rename(rawwalk *w, pops_buf *path, const git_oid *cur, const git_oid *parent,
                         const git_oid *ptree, git_oid *pe_id, unsigned *pe_mode)
{
	git_commit *cc = NULL, *pc = NULL;
	pops_buf from = POPS_BUF_INIT;
	int error;

	if ((error = git_commit_lookup(&cc, w->repo->git, cur)) < 0 ||
	    (error = git_commit_lookup(&pc, w->repo->git, parent)) < 0) {
		error = pops_git_error(error, "cannot read a commit");
		goto done;
	}
	if ((error = pops_repo__rename_source(&from, w->repo, cc, pc, path->ptr)) < 0)
		goto done;
	if (from.size) {
		pops_buf_sets(path, from.ptr);
		w->path = path->ptr;
		memo_reset(w);
		error = raw_entry(w, ptree, pe_id, pe_mode);
	}
done:
	pops_buf_dispose(&from);
	git_commit_free(pc);
	git_commit_free(cc);
	return error;
}

/* number the versions (none in a shallow clone), keep the newest max (0: all), and
 * read author and message unless light: 0 or <0 */
static int number_and_trim(pops_versions *vs, pops_repo *repo, size_t max, int light)
{
	size_t i;
	int error;

	for (i = 0; i < vs->n; i++)
		vs->v[i].number = vs->shallow ? 0 : (long)(vs->n - i);
	if (max && max < vs->n) {
		for (i = max; i < vs->n; i++)
			free(vs->v[i].path);
		vs->n = max;
	}
	for (i = 0; !light && i < vs->n; i++)
		if ((error = fill_details(repo, &vs->v[i])) < 0)
			return error;
	return 0;
}

int pops_repo__versions(pops_versions **out, pops_repo *repo, const char *name, size_t max,
                        int light)
{
	pops_versions *vs = NULL;
	vcache vc;
	rawwalk w;
	git_commit *head = NULL;
	git_oid cur, tree, parent, head_id, e_id, pe_id;
	unsigned e_mode = 0, pe_mode = 0;
	pops_buf path = POPS_BUF_INIT, start = POPS_BUF_INIT;
	int error, hit = 0, has_cur = 1, has_parent = 0, e_found = 0, pe_found = 0;

	*out = NULL;
	memset(&vc, 0, sizeof(vc));
	memset(&w, 0, sizeof(w));
	if ((error = pops_repo_check_name(name)) < 0 ||
	    (error = pops_repo_name_to_path(&path, repo, name)) < 0 ||
	    (error = pops_repo__load_shallow(repo)) < 0 ||
	    (error = pops_repo__head(&head, repo)) < 0)
		goto done;
	if ((error = git_repository_odb(&w.odb, repo->git)) < 0) {
		error = pops_git_error(error, "cannot open the object database");
		goto done;
	}
	git_oid_cpy(&head_id, git_commit_id(head));
	cur = head_id;
	pops_buf_sets(&start, path.ptr);
	w.path = path.ptr;
	w.repo = repo;
	if (!repo->nshallow && !git_repository_is_shallow(repo->git)) {
		cache_read(&vc, repo, path.ptr);
		w.graph_wanted = 1;
	}
	if (!(vs = calloc(1, sizeof(*vs)))) {
		error = pops_error_oom();
		goto done;
	}
	/* a cache made at HEAD answers without reading any object */
	if (!(vc.valid && !git_oid_cmp(&cur, &vc.tip)) &&
	    ((error = raw_commit(&w, &cur, &tree, &parent, &has_parent)) < 0 ||
	     (error = e_found = raw_entry(&w, &tree, &e_id, &e_mode)) < 0))
		goto done;
	while (has_cur) {
		int changed, cut = 0;
		git_oid ptree;
		git_oid pparent;
		int p_has_parent = 0;

		if (vc.valid && !git_oid_cmp(&cur, &vc.tip) && !strcmp(path.ptr, start.ptr)) {
			if ((error = push_cached(vs, &vc)) < 0)
				goto done;
			hit = 1;
			break;
		}
		/* the parent, unless the clone is cut here */
		if (has_parent && is_shallow_boundary(repo, &cur)) {
			cut = 1;
			has_parent = 0;
			vs->shallow = 1;
		}
		pe_found = 0;
		if (has_parent) {
			error = raw_commit(&w, &parent, &ptree, &pparent, &p_has_parent);
			if (error == POPS_ENOTFOUND && git_repository_is_shallow(repo->git)) {
				pops_error_clear();
				cut = 1;
				has_parent = 0;
				vs->shallow = 1;
			} else if (error < 0 ||
			           (error = pe_found = raw_entry(&w, &ptree, &pe_id, &pe_mode)) < 0) {
				goto done;
			}
		}
		/* at a shallow boundary we cannot tell whether cur changed the
		 * file: it is listed (its content is real) but never numbered */
		changed = e_found && (!has_parent || !pe_found || cut ||
		                      git_oid_cmp(&e_id, &pe_id) || e_mode != pe_mode);
		if (changed) {
			if ((error = push_lite(vs, &cur, &e_id, path.ptr)) < 0)
				goto done;
			if (has_parent && !pe_found) {
				/* added here: a rename? */
				if ((error = pe_found = follow_rename(&w, &path, &cur, &parent, &ptree,
				                                      &pe_id, &pe_mode)) < 0)
					goto done;
			}
		}
		has_cur = has_parent;
		cur = parent;
		has_parent = p_has_parent;
		parent = pparent;
		e_found = pe_found;
		e_id = pe_id;
		e_mode = pe_mode;
	}
	if (!vs->n) {
		error = pops_error_set(POPS_ENOTFOUND, "prompt '%s' has no committed version "
		                       "(no %s in the history of HEAD)", name, start.ptr);
		goto done;
	}
	if (!vs->shallow && (!hit || git_oid_cmp(&head_id, &vc.tip)))
		cache_write(repo, start.ptr, &head_id, vs);
	if ((error = number_and_trim(vs, repo, max, light)) < 0)
		goto done;
	*out = vs;
	vs = NULL;
done:
	cache_dispose(&vc);
	pops_versions_free(vs);
	git_commit_free(head);
	git_odb_free(w.odb);
	graph_unload(&w);
	pops_buf_dispose(&start);
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
