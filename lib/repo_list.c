#include "common.h"
#include "repo.h"
#include "repo_int.h"
#include "git.h"
#include "strutil.h"

#include <dirent.h>
#include <sys/stat.h>

/*
 * `prompt list`: every prompt of the work tree and HEAD with its newest
 * version, in ONE walk of the first-parent history that compares only the
 * prompts subtree (skipped when its id did not change), instead of one
 * walk per prompt.
 */

typedef struct track {
	char *path;        /* current path in the walk (changes at renames) */
	size_t idx;        /* into the list */
} track;

typedef struct lister {
	pops_repo *repo;
	pops_prompt_list *list;
	long *count;
	track *tracks;
	size_t ntracks;
	git_commit *c, *parent;
	pops_buf from;
	size_t nsorted;
	size_t *added;     /* list indices of tracked prompts added by this commit */
	size_t nadded;
	int deleted;       /* this commit deleted a prompt file */
} lister;

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const pops_prompt_info *)a)->name, ((const pops_prompt_info *)b)->name);
}

static int track_cmp(const void *a, const void *b)
{
	return strcmp(((const track *)a)->path, ((const track *)b)->path);
}

/* find or add the entry for `name` */
static pops_prompt_info *info_for(pops_prompt_list *list, size_t nsorted, const char *name,
                                  const char *path)
{
	pops_prompt_info *v, key;

	/* the work tree's entries are sorted before HEAD's are added */
	key.name = (char *)name;
	if (nsorted && (v = bsearch(&key, list->v, nsorted, sizeof(key), info_cmp)))
		return v;
	if (!(v = realloc(list->v, (list->n + 1) * sizeof(*v))))
		return NULL;
	list->v = v;
	v += list->n;
	memset(v, 0, sizeof(*v));
	v->name = pops_strdup(name);
	v->path = pops_strdup(path);
	if (!v->name || !v->path) {
		free(v->name);
		free(v->path);
		return NULL;
	}
	list->n++;
	return v;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Note a .prompt file whose name breaks the rule, once per path (the
 * work tree and HEAD usually hold the same one). `rel` is relative to
 * the work tree; `name` the name its path gives (partials keep their '_').
 */
static int note_invalid(pops_prompt_list *list, const char *rel, const char *name)
{
	const char *why = pops_repo_name_problem(name, 0);
	pops_buf msg = POPS_BUF_INIT;
	char **v;
	size_t i, plen = strlen(rel);

	if (!why)
		return POPS_OK;
	for (i = 0; i < list->ninvalid; i++)
		if (!strncmp(list->invalid[i], rel, plen) && list->invalid[i][plen] == ':')
			return POPS_OK;
	pops_buf_printf(&msg, "%s: not a valid prompt name: %s", rel, why);
	if (pops_buf_oom(&msg) || !(v = realloc(list->invalid, (list->ninvalid + 1) * sizeof(*v)))) {
		pops_buf_dispose(&msg);
		return pops_error_oom();
	}
	list->invalid = v;
	v[list->ninvalid++] = pops_buf_detach(&msg);
	return POPS_OK;
}

/* the name a prompts-dir-relative .prompt path would give, checked or not */
static int raw_name(pops_buf *out, const pops_repo *repo, const char *rel)
{
	size_t plen = *repo->prefix ? strlen(repo->prefix) + 1 : 0, len = strlen(rel);

	pops_buf_clear(out);
	if (len > plen + strlen(POPS_PROMPT_EXT))
		pops_buf_put(out, rel + plen, len - plen - strlen(POPS_PROMPT_EXT));
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

/* recursive readdir of the prompts directory */
static int scan_dir(pops_repo *repo, pops_prompt_list *list, pops_buf *rel)
{
	pops_buf abs = POPS_BUF_INIT, name = POPS_BUF_INIT;
	DIR *d = NULL;
	struct dirent *de;
	size_t base = rel->size;
	int error = POPS_OK;

	pops_buf_printf(&abs, "%s%s", repo->workdir, rel->ptr);
	if (!(d = opendir(abs.ptr)))
		goto done; /* no prompts dir yet: nothing to list */
	while ((de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		pops_buf_truncate(rel, base);
		if (rel->size)
			pops_buf_putc(rel, '/');
		pops_buf_puts(rel, de->d_name);
		pops_buf_clear(&abs);
		pops_buf_printf(&abs, "%s%s", repo->workdir, rel->ptr);
		if (pops_buf_oom(rel) || pops_buf_oom(&abs)) {
			error = pops_error_oom();
			goto done;
		}
		if (lstat(abs.ptr, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if ((error = scan_dir(repo, list, rel)) < 0)
				goto done;
		} else if ((S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
		           pops_ends_with(de->d_name, POPS_PROMPT_EXT)) {
			pops_prompt_info *info;

			if (de->d_name[0] == '_' || pops_repo_path_to_name(&name, repo, rel->ptr) < 0) {
				pops_error_clear();
				if ((error = raw_name(&name, repo, rel->ptr)) < 0 ||
				    (error = note_invalid(list, rel->ptr, name.ptr)) < 0)
					goto done;
				continue;
			}
			if (!(info = info_for(list, 0, name.ptr, rel->ptr))) {
				error = pops_error_oom();
				goto done;
			}
			info->in_worktree = 1;
		}
	}
done:
	pops_buf_truncate(rel, base);
	if (d)
		closedir(d);
	pops_buf_dispose(&name);
	pops_buf_dispose(&abs);
	return error;
}

/* the prompts subtree of a commit, or NULL when it has none */
static int prompts_tree(git_tree **out, pops_repo *repo, git_commit *c)
{
	git_tree *root = NULL;
	git_tree_entry *e = NULL;
	int error;

	*out = NULL;
	if ((error = git_commit_tree(&root, c)) < 0)
		return pops_git_error(error, "cannot read a commit's tree");
	if (!*repo->prefix) {
		*out = root;
		return POPS_OK;
	}
	error = git_tree_entry_bypath(&e, root, repo->prefix);
	if (error == GIT_ENOTFOUND || (!error && git_tree_entry_type(e) != GIT_OBJECT_TREE))
		error = 0;
	else if (error < 0)
		error = pops_git_error(error, repo->prefix);
	else if ((error = git_tree_lookup(out, repo->git, git_tree_entry_id(e))) < 0)
		error = pops_git_error(error, repo->prefix);
	git_tree_entry_free(e);
	git_tree_free(root);
	return error;
}

/* a tracked path changed in the commit being looked at */
static int changed(lister *w, const char *path, int added)
{
	track key, *t;
	pops_prompt_info *info;
	int error;

	key.path = (char *)path;
	if (!(t = bsearch(&key, w->tracks, w->ntracks, sizeof(*t), track_cmp)))
		return POPS_OK;
	info = &w->list->v[t->idx];
	if (!w->count[t->idx]++) {
		const git_signature *sig = git_commit_author(w->c);

		info->has_latest = 1;
		git_oid_cpy(&info->latest_commit, git_commit_id(w->c));
		info->latest_time = sig ? sig->when.time : git_commit_time(w->c);
	}
	if (added && w->parent)
		w->added[w->nadded++] = t->idx;
	(void)error;
	return POPS_OK;
}

/*
 * Prompts this commit added may be renames: one rename detection for the
 * commit (only when it also deleted a prompt file), then the tracks of
 * renamed prompts continue with the old path.
 */
static int follow_renames(lister *w)
{
	git_diff *diff = NULL;
	size_t i, j, k, n;
	int error, moved = 0;

	if (!w->nadded || !w->deleted)
		return POPS_OK;
	if ((error = pops_repo__renames(&diff, w->repo, w->c, w->parent)) < 0)
		return error;
	n = git_diff_num_deltas(diff);
	for (i = 0; i < n; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);

		if (d->status != GIT_DELTA_RENAMED)
			continue;
		for (j = 0; j < w->ntracks; j++) {
			if (strcmp(w->tracks[j].path, d->new_file.path))
				continue;
			for (k = 0; k < w->nadded && w->added[k] != w->tracks[j].idx; k++)
				;
			if (k < w->nadded) {
				char *p = pops_strdup(d->old_file.path);

				if (!p) {
					git_diff_free(diff);
					return pops_error_oom();
				}
				free(w->tracks[j].path);
				w->tracks[j].path = p;
				moved = 1;
			}
			break;
		}
	}
	git_diff_free(diff);
	if (moved)
		qsort(w->tracks, w->ntracks, sizeof(*w->tracks), track_cmp);
	return POPS_OK;
}

/* report .prompt blobs of `a` that differ from `b` (NULL = all) */
static int compare(lister *w, git_tree *a, git_tree *b, pops_buf *path)
{
	size_t i, n = git_tree_entrycount(a), base = path->size;
	int error = POPS_OK;

	for (i = 0; i < n && !error; i++) {
		const git_tree_entry *ea = git_tree_entry_byindex(a, i);
		const char *name = git_tree_entry_name(ea);
		const git_tree_entry *eb = b ? git_tree_entry_byname(b, name) : NULL;

		if (eb && !git_oid_cmp(git_tree_entry_id(ea), git_tree_entry_id(eb)) &&
		    git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb))
			continue;
		pops_buf_truncate(path, base);
		if (path->size)
			pops_buf_putc(path, '/');
		pops_buf_puts(path, name);
		if (git_tree_entry_type(ea) == GIT_OBJECT_TREE) {
			git_tree *sa = NULL, *sb = NULL;

			if ((error = git_tree_lookup(&sa, w->repo->git, git_tree_entry_id(ea))) < 0 ||
			    (eb && git_tree_entry_type(eb) == GIT_OBJECT_TREE &&
			     (error = git_tree_lookup(&sb, w->repo->git, git_tree_entry_id(eb))) < 0))
				error = pops_git_error(error, path->ptr);
			else
				error = compare(w, sa, sb, path);
			git_tree_free(sb);
			git_tree_free(sa);
		} else if (git_tree_entry_type(ea) == GIT_OBJECT_BLOB &&
		           pops_ends_with(name, POPS_PROMPT_EXT)) {
			error = changed(w, path->ptr,
			                !eb || git_tree_entry_type(eb) != GIT_OBJECT_BLOB);
		}
	}
	/* a prompt file or directory that the parent has and this commit not */
	for (i = 0; b && !error && !w->deleted && i < git_tree_entrycount(b); i++) {
		const git_tree_entry *eb = git_tree_entry_byindex(b, i);

		if (!git_tree_entry_byname(a, git_tree_entry_name(eb)) &&
		    (git_tree_entry_type(eb) == GIT_OBJECT_TREE ||
		     pops_ends_with(git_tree_entry_name(eb), POPS_PROMPT_EXT)))
			w->deleted = 1;
	}
	pops_buf_truncate(path, base);
	return error;
}

static int head_tree_cb(const char *root, const git_tree_entry *e, void *payload)
{
	lister *w = payload;
	pops_buf rel = POPS_BUF_INIT, name = POPS_BUF_INIT;
	const char *fname = git_tree_entry_name(e);
	pops_prompt_info *info;
	int ret = 0;

	if (git_tree_entry_type(e) != GIT_OBJECT_BLOB || !pops_ends_with(fname, POPS_PROMPT_EXT))
		return 0;
	if (*w->repo->prefix)
		pops_buf_printf(&rel, "%s/", w->repo->prefix);
	pops_buf_printf(&rel, "%s%s", root, fname);
	if (fname[0] != '_' && pops_repo_path_to_name(&name, w->repo, rel.ptr) == 0) {
		if (!(info = info_for(w->list, w->nsorted, name.ptr, rel.ptr)))
			ret = -1;
		else
			info->in_head = 1;
	} else {
		pops_error_clear();
		if (raw_name(&name, w->repo, rel.ptr) < 0 ||
		    note_invalid(w->list, rel.ptr, name.ptr) < 0)
			ret = -1;
	}
	pops_buf_dispose(&name);
	pops_buf_dispose(&rel);
	return ret;
}

/* work tree vs HEAD content, by blob id */
static int mark_modified(pops_repo *repo, git_tree *head_prompts, pops_prompt_info *info)
{
	pops_buf data = POPS_BUF_INIT;
	git_tree_entry *e = NULL;
	git_oid id;
	const char *sub = info->path + strlen(repo->prefix) + (*repo->prefix ? 1 : 0);
	int error = POPS_OK;

	if (!info->in_worktree || !info->in_head) {
		info->modified = 1;
		return POPS_OK;
	}
	if (git_tree_entry_bypath(&e, head_prompts, sub) < 0 ||
	    pops_repo__read_worktree_path(&data, repo, info->path, "prompt") < 0 ||
	    git_odb_hash(&id, data.ptr, data.size, GIT_OBJECT_BLOB) < 0 ||
	    git_oid_cmp(&id, git_tree_entry_id(e)))
		info->modified = 1;
	pops_error_clear();
	git_tree_entry_free(e);
	pops_buf_dispose(&data);
	return error;
}

int pops_repo_list(pops_prompt_list **out, pops_repo *repo)
{
	lister w;
	git_commit *head = NULL;
	git_tree *ta = NULL, *tb = NULL, *head_prompts = NULL;
	pops_buf rel = POPS_BUF_INIT, path = POPS_BUF_INIT;
	size_t i;
	int error, cut;

	*out = NULL;
	memset(&w, 0, sizeof(w));
	w.repo = repo;
	w.from = (pops_buf)POPS_BUF_INIT;
	if (!(w.list = calloc(1, sizeof(*w.list)))) {
		error = pops_error_oom();
		goto done;
	}
	pops_buf_puts(&rel, repo->prefix);
	if ((error = scan_dir(repo, w.list, &rel)) < 0)
		goto done;
	if (w.list->n)
		qsort(w.list->v, w.list->n, sizeof(*w.list->v), info_cmp);
	w.nsorted = w.list->n;
	error = pops_repo__head(&head, repo);
	if (error == POPS_ENOTFOUND) {
		pops_error_clear();
		error = POPS_OK;
	} else if (error < 0) {
		goto done;
	} else {
		if ((error = prompts_tree(&head_prompts, repo, head)) < 0)
			goto done;
		if (head_prompts && git_tree_walk(head_prompts, GIT_TREEWALK_PRE, head_tree_cb, &w) < 0) {
			error = pops_error_oom();
			goto done;
		}
	}
	if (w.list->n)
		qsort(w.list->v, w.list->n, sizeof(*w.list->v), info_cmp);
	if (w.list->ninvalid)
		qsort(w.list->invalid, w.list->ninvalid, sizeof(char *), str_cmp);
	if (!(w.count = calloc(w.list->n + 1, sizeof(*w.count))) ||
	    !(w.added = calloc(w.list->n + 1, sizeof(*w.added))) ||
	    !(w.tracks = calloc(w.list->n + 1, sizeof(*w.tracks)))) {
		error = pops_error_oom();
		goto done;
	}
	for (i = 0; i < w.list->n; i++) {
		if ((error = mark_modified(repo, head_prompts, &w.list->v[i])) < 0)
			goto done;
		if (!w.list->v[i].in_head)
			continue;
		if (!(w.tracks[w.ntracks].path = pops_strdup(w.list->v[i].path))) {
			error = pops_error_oom();
			goto done;
		}
		w.tracks[w.ntracks++].idx = i;
	}
	if (w.ntracks)
		qsort(w.tracks, w.ntracks, sizeof(*w.tracks), track_cmp);
	if (!head || !w.ntracks)
		goto finish;
	if ((error = pops_repo__load_shallow(repo)) < 0)
		goto done;
	w.c = head;
	head = NULL;
	if ((error = prompts_tree(&ta, repo, w.c)) < 0)
		goto done;
	while (w.c) {
		if ((error = pops_repo__first_parent(&w.parent, &cut, repo, w.c)) < 0)
			goto done;
		if (cut)
			w.list->shallow = 1;
		if (w.parent && (error = prompts_tree(&tb, repo, w.parent)) < 0)
			goto done;
		if (ta && (!tb || git_oid_cmp(git_tree_id(ta), git_tree_id(tb)))) {
			pops_buf_clear(&path);
			pops_buf_puts(&path, repo->prefix);
			w.nadded = 0;
			w.deleted = !tb && w.parent; /* the whole prompts dir is new */
			if ((error = compare(&w, ta, tb, &path)) < 0 ||
			    (error = follow_renames(&w)) < 0)
				goto done;
		}
		git_tree_free(ta);
		ta = tb;
		tb = NULL;
		git_commit_free(w.c);
		w.c = w.parent;
		w.parent = NULL;
	}
finish:
	for (i = 0; i < w.list->n; i++)
		if (w.count[i] && !w.list->shallow)
			w.list->v[i].latest = w.count[i];
	*out = w.list;
	w.list = NULL;
done:
	for (i = 0; i < w.ntracks; i++)
		free(w.tracks[i].path);
	free(w.tracks);
	free(w.added);
	free(w.count);
	pops_prompt_list_free(w.list);
	git_commit_free(w.parent);
	git_commit_free(w.c);
	git_tree_free(tb);
	git_tree_free(ta);
	git_tree_free(head_prompts);
	git_commit_free(head);
	pops_buf_dispose(&w.from);
	pops_buf_dispose(&path);
	pops_buf_dispose(&rel);
	return error;
}

void pops_prompt_list_free(pops_prompt_list *list)
{
	size_t i;

	if (!list)
		return;
	for (i = 0; i < list->n; i++) {
		free(list->v[i].name);
		free(list->v[i].path);
	}
	for (i = 0; i < list->ninvalid; i++)
		free(list->invalid[i]);
	free(list->invalid);
	free(list->v);
	free(list);
}
