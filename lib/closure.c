/*
 * Release closures: what a released prompt is made of (lib/closure.h).
 *
 * The partial set comes from compiling the prompt: the template compiler
 * loads every partial it reaches once (lib/template.h), so recording the
 * loader's calls gives exactly the partials a render can use, with the
 * blob of the bytes it was given.
 */
#include "common.h"
#include "closure.h"
#include "closure_int.h"
#include "eval_prompt.h"
#include "eval_run_int.h"
#include "git.h"
#include "repo.h"
#include "strutil.h"

#include <limits.h>
#include <stdlib.h>

void pops_closure_dispose(pops_closure *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->npartials; i++) {
		free(c->partials[i].name);
		free(c->partials[i].file);
	}
	free(c->partials);
	free(c->model_alias);
	free(c->provider);
	free(c->provider_type);
	free(c->model_id);
	cJSON_Delete(c->model_config);
	cJSON_Delete(c->tools);
	memset(c, 0, sizeof(*c));
}

int pops_closure__dup_or_null(char **out, const char *s)
{
	*out = NULL;
	if (s && !(*out = pops_strdup(s)))
		return pops_error_oom();
	return POPS_OK;
}

int pops_closure_copy(pops_closure *dst, const pops_closure *src)
{
	pops_closure c = POPS_CLOSURE_INIT;
	size_t i;
	int error;

	pops_closure_dispose(dst);
	git_oid_cpy(&c.blob, &src->blob);
	if (src->npartials && !(c.partials = calloc(src->npartials, sizeof(*c.partials)))) {
		error = pops_error_oom();
		goto done;
	}
	for (i = 0; i < src->npartials; i++) {
		c.npartials++;
		git_oid_cpy(&c.partials[i].blob, &src->partials[i].blob);
		c.partials[i].version = src->partials[i].version;
		if ((error = pops_closure__dup_or_null(&c.partials[i].name, src->partials[i].name)) < 0 ||
		    (error = pops_closure__dup_or_null(&c.partials[i].file, src->partials[i].file)) < 0)
			goto done;
	}
	if ((error = pops_closure__dup_or_null(&c.model_alias, src->model_alias)) < 0 ||
	    (error = pops_closure__dup_or_null(&c.provider, src->provider)) < 0 ||
	    (error = pops_closure__dup_or_null(&c.provider_type, src->provider_type)) < 0 ||
	    (error = pops_closure__dup_or_null(&c.model_id, src->model_id)) < 0)
		goto done;
	if ((src->model_config && !(c.model_config = cJSON_Duplicate(src->model_config, 1))) ||
	    (src->tools && !(c.tools = cJSON_Duplicate(src->tools, 1)))) {
		error = pops_error_oom();
		goto done;
	}
	*dst = c;
	memset(&c, 0, sizeof(c));
	error = POPS_OK;
done:
	pops_closure_dispose(&c);
	return error;
}

int pops_closure_model_config(cJSON **out, const pops_config *cfg, const char *alias,
                              const cJSON *prompt_config)
{
	const pops_model_cfg *mc = alias && cfg ? pops_config_model(cfg, alias) : NULL;
	const cJSON *it;
	cJSON *c;

	*out = NULL;
	c = mc && cJSON_IsObject(mc->config) ? cJSON_Duplicate(mc->config, 1) : cJSON_CreateObject();
	POPS_CHECK_ALLOC(c);
	if (cJSON_IsObject(prompt_config)) {
		cJSON_ArrayForEach(it, prompt_config) {
			cJSON *d = cJSON_Duplicate(it, 1);

			cJSON_DeleteItemFromObjectCaseSensitive(c, it->string);
			if (!d || !cJSON_AddItemToObject(c, it->string, d)) {
				cJSON_Delete(d);
				cJSON_Delete(c);
				return pops_error_oom();
			}
		}
	}
	*out = c;
	return POPS_OK;
}

static int partial_cmp(const void *a, const void *b)
{
	return strcmp(((const pops_closure_partial *)a)->name,
	              ((const pops_closure_partial *)b)->name);
}

int pops_closure_partial_file(pops_buf *out, const char *name)
{
	const char *slash = strrchr(name, '/');

	pops_buf_clear(out);
	if (slash)
		pops_buf_put(out, name, (size_t)(slash - name) + 1);
	pops_buf_printf(out, "_%s.prompt", slash ? slash + 1 : name);
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

/* the newest version of partial `p` whose blob is p->blob (0: none, or shallow) */
static long partial_version(pops_repo *r, const pops_closure_partial *p)
{
	pops_buf name = POPS_BUF_INIT;
	pops_versions *vs = NULL;
	long number = 0;
	size_t i;

	/* versions are counted by file: "team/_style" is the file team/_style.prompt */
	pops_buf_put(&name, p->file, strlen(p->file) - strlen(".prompt"));
	if (!pops_buf_oom(&name) && pops_repo_versions(&vs, r, name.ptr, 0) == 0 && !vs->shallow) {
		for (i = 0; i < vs->n; i++) {
			if (git_oid_equal(&vs->v[i].blob, &p->blob)) {
				number = vs->v[i].number;
				break;
			}
		}
	}
	pops_error_clear();
	pops_versions_free(vs);
	pops_buf_dispose(&name);
	return number;
}

static int fill_partials(pops_closure *c, pops_repo *r, const cJSON *partials)
{
	pops_buf file = POPS_BUF_INIT;
	const cJSON *it;
	size_t n = (size_t)cJSON_GetArraySize(partials), i = 0;
	int error = POPS_OK;

	if (!n)
		return POPS_OK;
	c->partials = calloc(n, sizeof(*c->partials));
	POPS_CHECK_ALLOC(c->partials);
	cJSON_ArrayForEach(it, partials) {
		pops_closure_partial *p = &c->partials[i];

		if (!cJSON_IsString(it) || git_oid_fromstr(&p->blob, it->valuestring) < 0) {
			error = pops_error_set(POPS_ERROR, "partial '%s' has no blob id", it->string);
			goto done;
		}
		c->npartials = ++i;
		if ((error = pops_closure_partial_file(&file, it->string)) < 0)
			goto done;
		if (!(p->name = pops_strdup(it->string)) || !(p->file = pops_buf_detach(&file))) {
			error = pops_error_oom();
			goto done;
		}
		p->version = partial_version(r, p);
	}
	qsort(c->partials, c->npartials, sizeof(*c->partials), partial_cmp);
done:
	pops_buf_dispose(&file);
	return error;
}

static int fill_model(pops_closure *c, const pops_config *cfg, const char *alias,
                      const cJSON *prompt_config)
{
	const pops_provider_cfg *prov = NULL;
	const char *id = NULL;
	int error;

	if ((error = pops_closure_model_config(&c->model_config, cfg, alias, prompt_config)) < 0)
		return error;
	if (!alias)
		return POPS_OK;
	if (pops_eval__model(cfg, alias, &prov, &id) < 0) {
		/* an unknown alias has no provider: record what the file says; lint and
		 * eval report the alias */
		const char *slash = strchr(alias, '/');

		pops_error_clear();
		return pops_closure__dup_or_null(&c->model_id, slash ? slash + 1 : alias);
	}
	if (pops_config_model(cfg, alias) && (error = pops_closure__dup_or_null(&c->model_alias, alias)) < 0)
		return error;
	if ((error = pops_closure__dup_or_null(&c->model_id, id)) < 0 ||
	    (error = pops_closure__dup_or_null(&c->provider, prov->name)) < 0 ||
	    (error = pops_closure__dup_or_null(&c->provider_type, prov->type)) < 0)
		return error;
	return POPS_OK;
}

/* ---- tools (lib/tools.h), read from the same source as the prompt ---- */

struct tree_src {
	git_repository *repo;
	git_tree *tree;
	const char *prefix;   /* the project's directory in the repository ("" or "sub/") */
};

static int tree_read(void *payload, const char *path, pops_buf *out)
{
	struct tree_src *t = payload;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	pops_buf full = POPS_BUF_INIT;
	int error;

	pops_buf_printf(&full, "%s%s", t->prefix, path);
	if (pops_buf_oom(&full))
		return pops_error_oom();
	if (git_tree_entry_bypath(&te, t->tree, full.ptr) < 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		git_error_clear();
		error = POPS_ENOTFOUND;
	} else if ((error = git_blob_lookup(&blob, t->repo, git_tree_entry_id(te))) < 0) {
		error = pops_git_error(error, "cannot read a tool definition");
	} else {
		pops_buf_set(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
		error = pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
	}
	git_blob_free(blob);
	git_tree_entry_free(te);
	pops_buf_dispose(&full);
	return error;
}

/* the project's directory inside the work tree, "" or "sub/"; NULL when it is outside */
static char *project_prefix(git_repository *repo, const pops_config *cfg)
{
	const char *wd = git_repository_workdir(repo);
	char *rc = cfg && cfg->root ? realpath(cfg->root, NULL) : NULL;
	char *rw = wd ? realpath(wd, NULL) : NULL, *out = NULL;
	size_t n = rw ? strlen(rw) : 0;

	if (rc && rw && !strcmp(rc, rw))
		out = pops_strdup("");
	else if (rc && rw && !strncmp(rc, rw, n) && rc[n] == '/') {
		pops_buf b = POPS_BUF_INIT;

		pops_buf_printf(&b, "%s/", rc + n + 1);
		out = pops_buf_oom(&b) ? NULL : pops_buf_detach(&b);
		pops_buf_dispose(&b);
	}
	free(rc);
	free(rw);
	return out;
}

int pops_closure_tools(cJSON **out, const pops_tools_source *src, const cJSON *names,
                       const char *choice, const char *who)
{
	cJSON *defs = NULL, *o;
	int error;

	*out = NULL;
	if ((error = pops_tools_resolve(&defs, src, names, who)) < 0 || !defs ||
	    (error = pops_tools_choice_check(choice, names, who)) < 0) {
		cJSON_Delete(defs);
		return error;
	}
	if (!(o = cJSON_CreateObject()) || !cJSON_AddItemToObject(o, "definitions", defs) ||
	    (choice && !cJSON_AddStringToObject(o, "choice", choice))) {
		if (!o || !cJSON_GetObjectItemCaseSensitive(o, "definitions"))
			cJSON_Delete(defs);
		cJSON_Delete(o);
		return pops_error_oom();
	}
	*out = o;
	return POPS_OK;
}

static int fill_tools(pops_closure *c, git_repository *repo, const pops_config *cfg,
                      const git_oid *commit, const pops_eval_prompt *ep, const char *name)
{
	pops_tools_source src = { cfg, NULL, NULL };
	struct tree_src t = { repo, NULL, NULL };
	git_commit *gc = NULL;
	char *prefix = NULL;
	int error = 0;

	if (!pops_eval_prompt_tools(ep))
		return POPS_OK;
	if (commit) {
		if (!(prefix = project_prefix(repo, cfg)))
			return pops_error_set(POPS_EINVALID, "prompt '%s': the project is outside the "
			                      "repository: its tools cannot be read at a commit", name);
		if ((error = git_commit_lookup(&gc, repo, commit)) < 0 ||
		    (error = git_commit_tree(&t.tree, gc)) < 0) {
			error = pops_git_error(error, "cannot read the source commit");
			goto done;
		}
		t.prefix = prefix;
		src.read = tree_read;
		src.payload = &t;
	}
	error = pops_closure_tools(&c->tools, &src, pops_eval_prompt_tools(ep),
	                           pops_eval_prompt_tool_choice(ep), name);
done:
	git_tree_free(t.tree);
	git_commit_free(gc);
	free(prefix);
	return error;
}

int pops_closure_compute(pops_closure *out, git_repository *repo, const pops_config *cfg,
                         const git_oid *commit, const char *name,
                         const char *data, size_t len)
{
	pops_closure c = POPS_CLOSURE_INIT;
	pops_repo *r = NULL;
	pops_eval_prompt *ep = NULL;
	pops_buf addr = POPS_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	if ((error = pops_repo_from(&r, repo, cfg)) < 0)
		goto done;
	if ((error = git_odb_hash(&c.blob, data, len, GIT_OBJECT_BLOB)) < 0) {
		error = pops_git_error(error, "cannot hash the prompt");
		goto done;
	}
	/* the address reads partials from the same commit (or the work tree) */
	if (commit)
		pops_buf_printf(&addr, "%s#%s", name, git_oid_tostr(hex, sizeof(hex), commit));
	else
		pops_buf_puts(&addr, name);
	if (pops_buf_oom(&addr)) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = pops_eval_prompt_load(&ep, r, addr.ptr)) < 0)
		goto done;
	if (strcmp(pops_eval_prompt_blob(ep), git_oid_tostr(hex, sizeof(hex), &c.blob))) {
		error = pops_error_set(POPS_ERROR, "prompt '%s' changed while it was read", name);
		goto done;
	}
	if ((error = fill_partials(&c, r, pops_eval_prompt_partials(ep))) < 0 ||
	    (error = fill_model(&c, cfg, pops_eval_prompt_model(ep),
	                        pops_eval_prompt_config(ep))) < 0 ||
	    (error = fill_tools(&c, repo, cfg, commit, ep, name)) < 0)
		goto done;
	pops_closure_dispose(out);
	*out = c;
	memset(&c, 0, sizeof(c));
	error = POPS_OK;
done:
	pops_buf_dispose(&addr);
	pops_eval_prompt_free(ep);
	pops_repo_free(r);
	pops_closure_dispose(&c);
	return error;
}

int pops_closure_config_at(pops_config **out, git_repository *repo, const pops_config *cfg,
                           const git_oid *commit)
{
	const char *wd = git_repository_workdir(repo);
	char *real_cfg = NULL, *real_wd = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_tree_entry *te = NULL;
	git_blob *blob = NULL;
	pops_buf label = POPS_BUF_INIT;
	char hex[GIT_OID_HEXSZ + 1];
	const char *rel;
	size_t wlen;
	int error = POPS_OK;

	*out = NULL;
	if (!wd || !cfg || !cfg->path)
		return POPS_OK;
	real_cfg = realpath(cfg->path, NULL);
	real_wd = realpath(wd, NULL);
	if (!real_cfg || !real_wd)
		goto done;
	wlen = strlen(real_wd);
	if (strncmp(real_cfg, real_wd, wlen) || real_cfg[wlen] != '/')
		goto done;
	rel = real_cfg + wlen + 1;
	if ((error = git_commit_lookup(&c, repo, commit)) < 0 ||
	    (error = git_commit_tree(&tree, c)) < 0) {
		error = pops_git_error(error, "cannot read the source commit");
		goto done;
	}
	if (git_tree_entry_bypath(&te, tree, rel) < 0 ||
	    git_tree_entry_type(te) != GIT_OBJECT_BLOB) {
		git_error_clear();
		error = POPS_OK;
		goto done;
	}
	if ((error = git_blob_lookup(&blob, repo, git_tree_entry_id(te))) < 0) {
		error = pops_git_error(error, "cannot read pops.yaml at the source commit");
		goto done;
	}
	/* messages name the file as it is at that commit */
	pops_buf_printf(&label, "%s at %.12s", rel, git_oid_tostr(hex, sizeof(hex), commit));
	error = pops_config_parse(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
	                          cfg->path);
	if (error < 0)
		error = pops_error_prefix(error, "%s: ", label.ptr);
done:
	pops_buf_dispose(&label);
	git_blob_free(blob);
	git_tree_entry_free(te);
	git_tree_free(tree);
	git_commit_free(c);
	free(real_wd);
	free(real_cfg);
	return error;
}
