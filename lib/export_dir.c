/* renameat2 and RENAME_EXCHANGE (glibc 2.28+) */
#define _GNU_SOURCE
#include "common.h"
#include "export.h"
#include "export_int.h"
#include "release.h"
#include "fileio.h"
#include "strutil.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <git2.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Checking and replacing a directory that `pops export` writes.
 *
 * Issue 15: taking any manifest.json for a previous export deleted an
 * application's source tree. So the check proves, file by file, that
 * everything in the directory is what a pops export put there: a file
 * the manifest does not list, a symbolic link, a FIFO, an empty
 * subdirectory, or a listed file whose bytes are no longer the blob the
 * manifest names (someone edited it) all make the directory the user's,
 * and export refuses to touch it.
 */

typedef struct listed {
	const char *path;  /* borrowed from the manifest document */
	git_oid blob;
} listed;

typedef struct check {
	const char *dir;
	listed *v;
	size_t n;
	pops_export__old *out;
} check;

void pops_export__old_dispose(pops_export__old *o)
{
	size_t i;

	if (!o)
		return;
	for (i = 0; i < o->nfiles; i++)
		free(o->files[i]);
	for (i = 0; i < o->ndirs; i++)
		free(o->dirs[i]);
	free(o->files);
	free(o->dirs);
	memset(o, 0, sizeof(*o));
}

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	POPS_CHECK_ALLOC(nv);
	*v = nv;
	POPS_CHECK_ALLOC((nv[*n] = pops_strdup(s)));
	(*n)++;
	return POPS_OK;
}

static int hex_oid(git_oid *out, const cJSON *v)
{
	const char *s = cJSON_GetStringValue(v);
	size_t i;

	if (!s || strlen(s) != GIT_OID_HEXSZ)
		return 0;
	for (i = 0; i < GIT_OID_HEXSZ; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return git_oid_fromstr(out, s) == 0;
}

/* a file a manifest may list: a safe relative name ending in .prompt (or .prompt.yml) */
static int file_ok(const char *f)
{
	return f && pops_release_name_ok(f) && strcmp(f, ".prompt") && strcmp(f, ".prompt.yml") &&
	       (pops_ends_with(f, ".prompt") || pops_ends_with(f, ".prompt.yml"));
}

/*
 * A canary's file in a bundle: "@canary/<file>" (a prompt) or
 * "@canary/<prompt>@partials/<file>" (one of its partials). Prompt
 * names have no '@', so the first '@' after "@canary/" is the marker.
 */
static int canary_file_ok(const char *f, int partial)
{
	const char *rest, *at;
	char *name;
	int ok;

	if (!f || strncmp(f, "@canary/", 8))
		return 0;
	rest = f + 8;
	at = strchr(rest, '@');
	if (!partial)
		return !at && file_ok(rest);
	if (!at || strncmp(at, "@partials/", 10) || !file_ok(at + 10) || strchr(at + 10, '@'))
		return 0;
	if (!(name = pops_strndup(rest, (size_t)(at - rest))))
		return 0;
	ok = pops_release_name_ok(name);
	free(name);
	return ok;
}

static int why(pops_buf *b, const char *s)
{
	if (b) {
		pops_buf_clear(b);
		pops_buf_puts(b, s);
	}
	return 0;
}

/* the files an entry array lists; 0 (with why) when an entry is malformed */
static int entries_ok(const cJSON *arr, int need_file, pops_buf *w)
{
	const cJSON *it;
	git_oid oid;

	if (!cJSON_IsArray(arr))
		return why(w, "no prompts/partials array");
	cJSON_ArrayForEach(it, arr) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(it, "file");

		if (!cJSON_IsObject(it) || !hex_oid(&oid, cJSON_GetObjectItemCaseSensitive(it, "blob")))
			return why(w, "an entry without a blob id");
		if (need_file && !file_ok(cJSON_GetStringValue(f)))
			return why(w, "an entry without a safe file name");
	}
	return 1;
}

/*
 * A prompt entry's "rollout" (schema 3), when it has one: a canary with
 * a blob, in format files its file under @canary/ and each partial's
 * "path" there, in prompt-yml its file; 0 (with why) when malformed.
 */
static int rollout_ok(const cJSON *prompt, const char *fmt, pops_buf *w)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(prompt, "rollout");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(r, "canary"), *p;
	int files = strcmp(fmt, "json") != 0, paths = !strcmp(fmt, "files");
	git_oid oid;

	if (!r)
		return 1;
	if (!cJSON_IsObject(c) || !hex_oid(&oid, cJSON_GetObjectItemCaseSensitive(c, "blob")))
		return why(w, "a rollout without a canary blob id");
	if (files && !canary_file_ok(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "file")),
	                             0))
		return why(w, "a canary without a safe file name under @canary/");
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(c, "partials")) {
		if (!hex_oid(&oid, cJSON_GetObjectItemCaseSensitive(p, "blob")))
			return why(w, "a canary partial without a blob id");
		if (paths && !canary_file_ok(cJSON_GetStringValue(
		                                 cJSON_GetObjectItemCaseSensitive(p, "path")), 1))
			return why(w, "a canary partial without a safe path under @canary/");
	}
	return 1;
}

int pops_export__manifest_ok(const cJSON *doc, pops_buf *w)
{
	const cJSON *sv = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
	const char *env = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "env"));
	const char *fmt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "format"));
	const char *gen = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(doc, "generator"));
	git_oid oid;
	int files;

	if (!cJSON_IsObject(doc))
		return why(w, "not a JSON object");
	if (!cJSON_IsNumber(sv) ||
	    (sv->valuedouble != 1 && sv->valuedouble != 2 && sv->valuedouble != 3))
		return why(w, "no schema_version 1, 2 or 3");
	if (!env || !*env)
		return why(w, "no env");
	if (!hex_oid(&oid, cJSON_GetObjectItemCaseSensitive(doc, "ledger_commit")))
		return why(w, "no ledger_commit");
	/*
	 * The marker: schema 2 says who wrote it; schema 1 (pops before
	 * closures) had none, but its format field was pops's own.
	 */
	if (sv->valuedouble >= 2 && (!gen || strcmp(gen, "pops")))
		return why(w, "no \"generator\": \"pops\"");
	if (!fmt || (strcmp(fmt, "files") && strcmp(fmt, "json") && strcmp(fmt, "prompt-yml")))
		return why(w, "no format files, json or prompt-yml");
	files = strcmp(fmt, "json") != 0;
	if (!entries_ok(cJSON_GetObjectItemCaseSensitive(doc, "prompts"), files, w))
		return 0;
	if (sv->valuedouble == 3) {
		const cJSON *p;

		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "prompts"))
			if (!rollout_ok(p, fmt, w))
				return 0;
	}
	if (sv->valuedouble >= 2 &&
	    !entries_ok(cJSON_GetObjectItemCaseSensitive(doc, "partials"), files, w))
		return 0;
	return 1;
}

static int cmp_listed(const void *a, const void *b)
{
	return strcmp(((const listed *)a)->path, ((const listed *)b)->path);
}

/* list the file named by `it`'s member `key` ("file", or a canary partial's "path") */
static int add_one(check *c, const cJSON *it, const char *key)
{
	const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, key));
	listed *nv;

	if (!f)
		return POPS_OK;
	nv = realloc(c->v, (c->n + 1) * sizeof(*nv));
	POPS_CHECK_ALLOC(nv);
	c->v = nv;
	nv[c->n].path = f;
	/* a prompt-yml file is not the released blob: its own id is recorded */
	if (!hex_oid(&nv[c->n].blob, cJSON_GetObjectItemCaseSensitive(it, "file_blob")))
		hex_oid(&nv[c->n].blob, cJSON_GetObjectItemCaseSensitive(it, "blob"));
	c->n++;
	return POPS_OK;
}

/* the files an entry array lists, with a rollout's canary and its partials */
static int add_listed(check *c, const cJSON *arr)
{
	const cJSON *it, *canary, *p;
	int error;

	cJSON_ArrayForEach(it, arr) {
		if ((error = add_one(c, it, "file")) < 0)
			return error;
		canary = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(it, "rollout"), "canary");
		if (!canary)
			continue;
		if ((error = add_one(c, canary, "file")) < 0)
			return error;
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(canary, "partials"))
			if ((error = add_one(c, p, "path")) < 0)
				return error;
	}
	return POPS_OK;
}

static const listed *find_listed(const check *c, const char *rel)
{
	listed key = { rel, { { 0 } } };

	return c->n ? bsearch(&key, c->v, c->n, sizeof(*c->v), cmp_listed) : NULL;
}

/* 1 when some listed file lies under directory `rel` */
static int holds_listed(const check *c, const char *rel)
{
	size_t i, len = strlen(rel);

	for (i = 0; i < c->n; i++)
		if (!strncmp(c->v[i].path, rel, len) && c->v[i].path[len] == '/')
			return 1;
	return 0;
}

static int refuse_foreign(const check *c, const char *rel, const char *what)
{
	return pops_error_set(POPS_EEXISTS,
	                      "'%s' holds '%s' (%s), which pops export did not write there; "
	                      "nothing was changed: export to a new or empty directory, "
	                      "or move the files away first",
	                      c->dir, rel, what);
}

/* walk `rel` (relative to c->dir; "" for the top) */
static int walk(check *c, const char *rel)
{
	pops_buf path = POPS_BUF_INIT, sub = POPS_BUF_INIT;
	DIR *d = NULL;
	struct dirent *de;
	struct stat st;
	int error = POPS_OK;

	if (*rel)
		pops_path_join(&path, c->dir, rel);
	else
		pops_buf_puts(&path, c->dir);
	if (pops_buf_oom(&path)) {
		error = pops_error_oom();
		goto done;
	}
	if (!(d = opendir(path.ptr))) {
		error = pops_error_os(path.ptr);
		goto done;
	}
	errno = 0;
	while ((de = readdir(d))) {
		const listed *l;
		git_oid oid;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		pops_buf_clear(&sub);
		if (*rel)
			pops_buf_printf(&sub, "%s/", rel);
		pops_buf_puts(&sub, de->d_name);
		pops_buf_clear(&path);
		pops_path_join(&path, c->dir, sub.ptr);
		if (pops_buf_oom(&sub) || pops_buf_oom(&path)) {
			error = pops_error_oom();
			goto done;
		}
		if (lstat(path.ptr, &st) < 0) {
			error = pops_error_os(path.ptr);
			goto done;
		}
		if (S_ISDIR(st.st_mode)) {
			if (!holds_listed(c, sub.ptr)) {
				error = refuse_foreign(c, sub.ptr, "a directory");
				goto done;
			}
			if ((error = walk(c, sub.ptr)) < 0 ||
			    (error = push(&c->out->dirs, &c->out->ndirs, sub.ptr)) < 0)
				goto done;
		} else if (!S_ISREG(st.st_mode)) {
			error = refuse_foreign(c, sub.ptr, S_ISLNK(st.st_mode) ? "a symbolic link" :
			                       "not a regular file");
			goto done;
		} else if (!*rel && !strcmp(de->d_name, "manifest.json")) {
			continue;   /* pushed last by the caller */
		} else if (!(l = find_listed(c, sub.ptr))) {
			error = refuse_foreign(c, sub.ptr, "a file its manifest.json does not list");
			goto done;
		} else {
			if (git_odb_hashfile(&oid, path.ptr, GIT_OBJECT_BLOB) < 0) {
				error = pops_error_set(POPS_ERROR, "cannot read '%s': %s", path.ptr,
				                       git_error_last() ? git_error_last()->message : "error");
				goto done;
			}
			if (!git_oid_equal(&oid, &l->blob)) {
				error = pops_error_set(POPS_EEXISTS,
				                       "'%s' was changed since pops exported it; nothing was "
				                       "changed: move your edits away first, or export to "
				                       "another directory", path.ptr);
				goto done;
			}
			if ((error = push(&c->out->files, &c->out->nfiles, sub.ptr)) < 0)
				goto done;
		}
		errno = 0;
	}
	if (errno) {
		error = pops_error_os(c->dir);
		goto done;
	}
done:
	if (d)
		closedir(d);
	pops_buf_dispose(&sub);
	pops_buf_dispose(&path);
	return error;
}

int pops_export__check_dir(pops_export__old *out, const char *dir)
{
	check c = { dir, NULL, 0, out };
	pops_buf mpath = POPS_BUF_INIT, data = POPS_BUF_INIT, w = POPS_BUF_INIT;
	cJSON *doc = NULL;
	DIR *d = NULL;
	struct stat st;
	int error = POPS_OK, empty = 1;

	memset(out, 0, sizeof(*out));
	if (lstat(dir, &st) < 0) {
		if (errno == ENOENT)
			goto done;
		error = pops_error_os(dir);
		goto done;
	}
	if (S_ISLNK(st.st_mode)) {
		error = pops_error_set(POPS_EEXISTS, "'%s' is a symbolic link; export to the "
		                       "directory it points to, or to a new directory", dir);
		goto done;
	}
	if (!S_ISDIR(st.st_mode)) {
		error = pops_error_set(POPS_EEXISTS, "'%s' exists and is not a directory", dir);
		goto done;
	}
	out->exists = 1;
	if (!(d = opendir(dir))) {
		error = pops_error_os(dir);
		goto done;
	}
	{
		struct dirent *de;

		while ((de = readdir(d)))
			if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
				empty = 0;
	}
	if (empty)
		goto done;
	pops_path_join(&mpath, dir, "manifest.json");
	if (pops_buf_oom(&mpath)) {
		error = pops_error_oom();
		goto done;
	}
	if (lstat(mpath.ptr, &st) < 0 || !S_ISREG(st.st_mode)) {
		error = pops_error_set(POPS_EEXISTS,
		                       "'%s' is not empty and holds no pops export (no manifest.json); "
		                       "nothing was changed: export to a new or empty directory", dir);
		goto done;
	}
	if ((error = pops_file_read(&data, mpath.ptr, POPS_CONFIG_MAX_BYTES)) < 0) {
		if (error == POPS_EINVALID)
			error = POPS_EEXISTS;
		goto done;
	}
	if (!(doc = cJSON_ParseWithLength(data.ptr, data.size)) ||
	    !pops_export__manifest_ok(doc, &w)) {
		error = pops_error_set(POPS_EEXISTS,
		                       "'%s' was not written by pops export (%s); nothing was changed: "
		                       "export to a new or empty directory",
		                       mpath.ptr, doc ? w.ptr : "not valid JSON");
		goto done;
	}
	if ((error = add_listed(&c, cJSON_GetObjectItemCaseSensitive(doc, "prompts"))) < 0 ||
	    (error = add_listed(&c, cJSON_GetObjectItemCaseSensitive(doc, "partials"))) < 0)
		goto done;
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), cmp_listed);
	if ((error = walk(&c, "")) < 0 ||
	    (error = push(&out->files, &out->nfiles, "manifest.json")) < 0)
		goto done;
done:
	if (error < 0)
		pops_export__old_dispose(out);
	if (d)
		closedir(d);
	cJSON_Delete(doc);
	free(c.v);
	pops_buf_dispose(&w);
	pops_buf_dispose(&data);
	pops_buf_dispose(&mpath);
	return error;
}

/* remove what `old` lists under `at`; 1 when `at` is gone */
static int remove_listed(const char *at, const pops_export__old *old)
{
	pops_buf p = POPS_BUF_INIT;
	size_t i;
	int gone;

	for (i = 0; i < old->nfiles; i++) {
		pops_buf_clear(&p);
		pops_path_join(&p, at, old->files[i]);
		if (!pops_buf_oom(&p))
			unlink(p.ptr);
	}
	for (i = 0; i < old->ndirs; i++) {
		pops_buf_clear(&p);
		pops_path_join(&p, at, old->dirs[i]);
		if (!pops_buf_oom(&p))
			rmdir(p.ptr);
	}
	gone = rmdir(at) == 0;
	pops_buf_dispose(&p);
	return gone;
}

int pops_export__replace(pops_buf *kept, const char *tmp, const char *dir,
                         const pops_export__old *old)
{
	pops_buf aside = POPS_BUF_INIT;
	const char *old_at = tmp;
	int error = POPS_OK;

	pops_buf_clear(kept);
	if (!old->exists || !old->nfiles) {
		/*
		 * Nothing there, or an empty directory: rename replaces an empty
		 * directory and fails on one that filled up since the check, so
		 * nothing can be lost in between.
		 */
		if (rename(tmp, dir) < 0)
			error = pops_error_set(POPS_ERROR, "cannot move the export into '%s': %s",
			                       dir, strerror(errno));
		goto done;
	}
#ifdef RENAME_EXCHANGE
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dir, RENAME_EXCHANGE) == 0)
		goto remove_old;
	if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP) {
		error = pops_error_set(POPS_ERROR, "cannot move the export into '%s': %s",
		                       dir, strerror(errno));
		goto done;
	}
#endif
	/* no atomic exchange here: move the old export aside, the new one in */
	pops_buf_printf(&aside, "%s.old-XXXXXX", tmp);
	if (pops_buf_oom(&aside)) {
		error = pops_error_oom();
		goto done;
	}
	if (!mkdtemp(aside.ptr) || rmdir(aside.ptr) < 0 || rename(dir, aside.ptr) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot move the previous export '%s' aside: %s",
		                       dir, strerror(errno));
		goto done;
	}
	if (rename(tmp, dir) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot move the export into '%s': %s",
		                       dir, strerror(errno));
		if (rename(aside.ptr, dir) < 0)
			pops_error_prefix(POPS_ERROR, "previous export kept in '%s': ", aside.ptr);
		goto done;
	}
	old_at = aside.ptr;
#ifdef RENAME_EXCHANGE
remove_old:
#endif
	if (!remove_listed(old_at, old))
		pops_buf_puts(kept, old_at);
done:
	pops_buf_dispose(&aside);
	return error;
}

/*
 * 1 when the manifest at `root` lists `rel` among its prompt files (a
 * rollout's canary file included), with the directory its partials are
 * in set in `partials`: `root`, or for a canary
 * <root>/@canary/<name>@partials.
 */
static int lists_prompt(pops_buf *partials, const char *root, const char *rel,
                        pops_buf *scratch)
{
	pops_buf data = POPS_BUF_INIT;
	cJSON *doc = NULL;
	const cJSON *it;
	struct stat st;
	int found = 0;

	pops_buf_clear(scratch);
	pops_path_join(scratch, root, "manifest.json");
	if (pops_buf_oom(scratch) || lstat(scratch->ptr, &st) < 0 || !S_ISREG(st.st_mode) ||
	    pops_file_read(&data, scratch->ptr, POPS_CONFIG_MAX_BYTES) < 0)
		goto done;
	if (!(doc = cJSON_ParseWithLength(data.ptr, data.size)) ||
	    !pops_export__manifest_ok(doc, NULL))
		goto done;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "prompts")) {
		const char *f = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "file"));
		const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(it, "name"));
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(it, "rollout"), "canary");
		const char *cf = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(c, "file"));

		pops_buf_clear(partials);
		if (f && !strcmp(f, rel)) {
			pops_buf_puts(partials, root);
			found = 1;
		} else if (cf && !strcmp(cf, rel) && name && pops_release_name_ok(name)) {
			pops_buf_printf(partials, "%s/@canary/%s@partials", root, name);
			found = 1;
		}
		if (found)
			break;
	}
	if (found && pops_buf_oom(partials))
		found = pops_error_oom();
done:
	if (found >= 0)
		pops_error_clear();
	cJSON_Delete(doc);
	pops_buf_dispose(&data);
	return found;
}

int pops_export_bundle_root(pops_buf *out, const char *file)
{
	pops_buf root = POPS_BUF_INIT, scratch = POPS_BUF_INIT, partials = POPS_BUF_INIT;
	char *abs = realpath(file, NULL);
	size_t i;
	int found = 0;

	if (!abs)
		return 0;
	/* each directory above the file, nearest first, the file named relative to it */
	for (i = strlen(abs); !found && i > 1; i--) {
		if (abs[i - 1] != '/' || i - 1 == 0)
			continue;
		pops_buf_set(&root, abs, i - 1);
		if (pops_buf_oom(&root)) {
			found = pops_error_oom();
			break;
		}
		found = lists_prompt(&partials, root.ptr, abs + i, &scratch);
	}
	if (found > 0 && pops_buf_set(out, partials.ptr, partials.size) < 0)
		found = pops_error_oom();
	free(abs);
	pops_buf_dispose(&partials);
	pops_buf_dispose(&scratch);
	pops_buf_dispose(&root);
	return found;
}
