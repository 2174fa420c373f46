#define _XOPEN_SOURCE 700
#include "common.h"
#include "export.h"
#include "export_int.h"
#include "release.h"
#include "fileio.h"
#include "git.h"
#include "strutil.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

/* only ever the temporary directory this export made and filled itself */
static void rm_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void pops_export_result_dispose(pops_export_result *r)
{
	if (r)
		pops_buf_dispose(&r->kept);
}

static int add_entry(cJSON *arr, const pops_release_entry *e, const char *file,
                     const pops_buf *content)
{
	cJSON *o = cJSON_CreateObject();
	char hex[GIT_OID_HEXSZ + 1];
	int ok;

	if (!o)
		return pops_error_set(POPS_ERROR, "out of memory");
	cJSON_AddItemToArray(arr, o);
#define S(k, v) ((v) ? cJSON_AddStringToObject(o, k, v) != NULL : cJSON_AddNullToObject(o, k) != NULL)
	ok = S("name", e->prompt) &&
	     cJSON_AddNumberToObject(o, "version", (double)e->version) &&
	     S("blob", git_oid_tostr(hex, sizeof(hex), &e->blob)) &&
	     S("source_commit", git_oid_is_zero(&e->source_commit) ? NULL :
	       git_oid_tostr(hex, sizeof(hex), &e->source_commit)) &&
	     S("model", e->model) && S("model_alias", e->model_alias) &&
	     (file ? S("file", file) : S("content", content->ptr));
#undef S
	return ok ? POPS_OK : pops_error_set(POPS_ERROR, "out of memory");
}

int pops_export(pops_export_result *out, git_repository *repo, const char *env,
                const char *dir, pops_export_format format)
{
	pops_release_list l = { NULL, 0 };
	pops_export__old old = { 0 };
	pops_buf tmp = POPS_BUF_INIT, path = POPS_BUF_INIT,
	         content = POPS_BUF_INIT, file = POPS_BUF_INIT, parent = POPS_BUF_INIT;
	cJSON *doc = NULL, *arr;
	char *text = NULL, hex[GIT_OID_HEXSZ + 1], *slash;
	int error, made_tmp = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->kept = (pops_buf)POPS_BUF_INIT;
	if ((error = pops_release_tip(&out->ledger_commit, repo)) < 0) {
		if (error == POPS_ENOTFOUND)
			error = pops_error_set(POPS_ENOTFOUND, "nothing is released to %s", env);
		goto done;
	}
	if ((error = pops_release_list_entries(&l, repo, &out->ledger_commit, env)) < 0)
		goto done;
	if (!l.n) {
		error = pops_error_set(POPS_ENOTFOUND, "nothing is released to %s", env);
		goto done;
	}
	/* before anything is written: whatever is at `dir` must be ours to replace */
	if ((error = pops_export__check_dir(&old, dir)) < 0)
		goto done;
	/* the temporary directory sits beside `dir`, so the final rename stays on one file system */
	pops_buf_puts(&parent, dir);
	while (parent.size > 1 && parent.ptr[parent.size - 1] == '/')
		pops_buf_truncate(&parent, parent.size - 1);
	pops_buf_printf(&tmp, "%s.tmp-XXXXXX", parent.ptr);
	if (pops_buf_oom(&tmp)) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	if ((slash = strrchr(parent.ptr, '/')) && slash != parent.ptr) {
		*slash = '\0';
		if ((error = pops_mkdir_p(parent.ptr, 0777)) < 0)
			goto done;
	}
	if (!mkdtemp(tmp.ptr)) {
		error = pops_error_os(tmp.ptr);
		goto done;
	}
	made_tmp = 1;
	if (!(doc = cJSON_CreateObject()) || !cJSON_AddNumberToObject(doc, "schema_version", 1) ||
	    !cJSON_AddStringToObject(doc, "env", env) ||
	    !cJSON_AddStringToObject(doc, "ledger_commit",
	                             git_oid_tostr(hex, sizeof(hex), &out->ledger_commit)) ||
	    !cJSON_AddStringToObject(doc, "format", format == POPS_EXPORT_JSON ? "json" : "files") ||
	    !(arr = cJSON_AddArrayToObject(doc, "prompts"))) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	for (i = 0; i < l.n; i++) {
		const pops_release_entry *e = l.v[i];

		if ((error = pops_release_read_blob(&content, repo, e)) < 0)
			goto done;
		if (format == POPS_EXPORT_JSON) {
			if (!pops_utf8_valid(content.ptr, content.size, NULL) ||
			    memchr(content.ptr, '\0', content.size)) {
				error = pops_error_set(POPS_EINVALID,
				                       "%s in %s is not UTF-8 text; use --format files", e->prompt, env);
				goto done;
			}
			if ((error = add_entry(arr, e, NULL, &content)) < 0)
				goto done;
			continue;
		}
		pops_buf_clear(&file);
		pops_buf_printf(&file, "%s.prompt", e->prompt);
		pops_buf_clear(&path);
		pops_path_join(&path, tmp.ptr, file.ptr);
		if (pops_buf_oom(&path) || pops_buf_oom(&file)) {
			error = pops_error_set(POPS_ERROR, "out of memory");
			goto done;
		}
		if (strchr(e->prompt, '/')) {
			char *s = strrchr(path.ptr, '/');

			*s = '\0';
			error = pops_mkdir_p(path.ptr, 0777);
			*s = '/';
			if (error < 0)
				goto done;
		}
		if ((error = pops_file_write_atomic(path.ptr, content.ptr, content.size, 0644)) < 0 ||
		    (error = add_entry(arr, e, file.ptr, NULL)) < 0)
			goto done;
	}
	if (!(text = cJSON_Print(doc))) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	pops_buf_clear(&path);
	pops_path_join(&path, tmp.ptr, "manifest.json");
	pops_buf_clear(&content);
	pops_buf_puts(&content, text);
	pops_buf_putc(&content, '\n');
	if ((error = pops_file_write_atomic(path.ptr, content.ptr, content.size, 0644)) < 0)
		goto done;
	if (chmod(tmp.ptr, 0755) < 0) {
		error = pops_error_os(tmp.ptr);
		goto done;
	}
	if ((error = pops_export__replace(&out->kept, tmp.ptr, dir, &old)) < 0)
		goto done;
	made_tmp = 0;
	out->count = l.n;
	error = POPS_OK;
done:
	if (made_tmp)
		rm_tree(tmp.ptr);
	cJSON_free(text);
	cJSON_Delete(doc);
	pops_release_list_dispose(&l);
	pops_buf_dispose(&parent);
	pops_buf_dispose(&file);
	pops_buf_dispose(&content);
	pops_buf_dispose(&path);
	pops_buf_dispose(&tmp);
	pops_export__old_dispose(&old);
	return error;
}
