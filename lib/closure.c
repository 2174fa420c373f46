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
#include "eval_prompt.h"
#include "eval_run_int.h"
#include "git.h"
#include "repo.h"
#include "strutil.h"
#include "sha256.h"
#include "jsonget.h"

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

static int dup_or_null(char **out, const char *s)
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
		if ((error = dup_or_null(&c.partials[i].name, src->partials[i].name)) < 0 ||
		    (error = dup_or_null(&c.partials[i].file, src->partials[i].file)) < 0)
			goto done;
	}
	if ((error = dup_or_null(&c.model_alias, src->model_alias)) < 0 ||
	    (error = dup_or_null(&c.provider, src->provider)) < 0 ||
	    (error = dup_or_null(&c.provider_type, src->provider_type)) < 0 ||
	    (error = dup_or_null(&c.model_id, src->model_id)) < 0)
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
		return dup_or_null(&c->model_id, slash ? slash + 1 : alias);
	}
	if (pops_config_model(cfg, alias) && (error = dup_or_null(&c->model_alias, alias)) < 0)
		return error;
	if ((error = dup_or_null(&c->model_id, id)) < 0 ||
	    (error = dup_or_null(&c->provider, prov->name)) < 0 ||
	    (error = dup_or_null(&c->provider_type, prov->type)) < 0)
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

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int config_eq(const cJSON *a, const cJSON *b)
{
	if (!a || !b)
		return (!a || !cJSON_GetArraySize(a)) && (!b || !cJSON_GetArraySize(b));
	return cJSON_Compare(a, b, 1);
}

int pops_closure_equal(const pops_closure *a, const pops_closure *b)
{
	size_t i;

	if (!git_oid_equal(&a->blob, &b->blob) || a->npartials != b->npartials ||
	    !str_eq(a->model_id, b->model_id) || !str_eq(a->provider, b->provider) ||
	    !str_eq(a->provider_type, b->provider_type) ||
	    !config_eq(a->model_config, b->model_config) ||
	    !(a->tools ? b->tools && cJSON_Compare(a->tools, b->tools, 1) : !b->tools))
		return 0;
	for (i = 0; i < a->npartials; i++)
		if (strcmp(a->partials[i].name, b->partials[i].name) ||
		    !git_oid_equal(&a->partials[i].blob, &b->partials[i].blob))
			return 0;
	return 1;
}

static const pops_closure_partial *find_partial(const pops_closure *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->npartials; i++)
		if (!strcmp(c->partials[i].name, name))
			return &c->partials[i];
	return NULL;
}

static void sep(pops_buf *out, size_t start)
{
	if (out->size > start)
		pops_buf_puts(out, ", ");
}

/* "_style" or "team/_style", and its version or short blob */
static void partial_label(pops_buf *out, const pops_closure_partial *p, int with_name)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (with_name)
		pops_buf_put(out, p->file, strlen(p->file) - strlen(".prompt"));
	if (p->version > 0)
		pops_buf_printf(out, "@%ld", p->version);
	else
		pops_buf_printf(out, "%s%.7s", with_name ? " " : "",
		                git_oid_tostr(hex, sizeof(hex), &p->blob));
}

static void version_label(pops_buf *out, const git_oid *blob, long version)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (version > 0)
		pops_buf_printf(out, "@%ld", version);
	else
		pops_buf_printf(out, "%.7s", git_oid_tostr(hex, sizeof(hex), blob));
}

/* a JSON value printed compactly, for "max_tokens 250 -> 24" */
static void put_value(pops_buf *out, const cJSON *v)
{
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;

	pops_buf_puts(out, s ? s : "(unset)");
	cJSON_free(s);
}

static void config_diff(pops_buf *out, size_t start, const cJSON *a, const cJSON *b)
{
	const cJSON *it;

	if (config_eq(a, b))
		return;
	sep(out, start);
	pops_buf_puts(out, "model config");
	cJSON_ArrayForEach(it, a) {
		const cJSON *o = b ? cJSON_GetObjectItemCaseSensitive(b, it->string) : NULL;

		if (o && cJSON_Compare(it, o, 1))
			continue;
		pops_buf_printf(out, " %s ", it->string);
		put_value(out, it);
		pops_buf_puts(out, " -> ");
		put_value(out, o);
	}
	cJSON_ArrayForEach(it, b) {
		if (a && cJSON_GetObjectItemCaseSensitive(a, it->string))
			continue;
		pops_buf_printf(out, " %s (unset) -> ", it->string);
		put_value(out, it);
	}
}

/* "tool lookup changed", "tool send added", "tool x removed", "toolChoice auto -> none" */
static void tools_diff(pops_buf *out, size_t start, const cJSON *a, const cJSON *b)
{
	const cJSON *da = cJSON_GetObjectItemCaseSensitive(a, "definitions");
	const cJSON *db = cJSON_GetObjectItemCaseSensitive(b, "definitions"), *d;
	const char *ca = pops_json_str(a, "choice", "(default)");
	const char *cb = pops_json_str(b, "choice", "(default)");

	cJSON_ArrayForEach(d, db) {
		const char *n = pops_json_str(d, "name", "");
		const cJSON *o = pops_tools_find(da, n);

		if (o && cJSON_Compare(o, d, 1))
			continue;
		sep(out, start);
		pops_buf_printf(out, "tool %s %s", n, o ? "changed" : "added");
	}
	cJSON_ArrayForEach(d, da)
		if (!pops_tools_find(db, pops_json_str(d, "name", ""))) {
			sep(out, start);
			pops_buf_printf(out, "tool %s removed", pops_json_str(d, "name", ""));
		}
	if (strcmp(ca, cb)) {
		sep(out, start);
		pops_buf_printf(out, "toolChoice %s -> %s", ca, cb);
	}
}

int pops_closure_describe_diff(pops_buf *out, const pops_closure *from, long from_version,
                               const pops_closure *to, long to_version)
{
	size_t start = out->size, i;

	if (!git_oid_equal(&from->blob, &to->blob)) {
		pops_buf_puts(out, "prompt ");
		version_label(out, &from->blob, from_version);
		pops_buf_puts(out, " -> ");
		version_label(out, &to->blob, to_version);
	}
	for (i = 0; i < to->npartials; i++) {
		const pops_closure_partial *n = &to->partials[i];
		const pops_closure_partial *o = find_partial(from, n->name);

		if (o && git_oid_equal(&o->blob, &n->blob))
			continue;
		sep(out, start);
		pops_buf_puts(out, "partial ");
		if (o) {
			partial_label(out, o, 1);
			pops_buf_puts(out, " -> ");
			partial_label(out, n, 0);
		} else {
			partial_label(out, n, 1);
			pops_buf_puts(out, " added");
		}
	}
	for (i = 0; i < from->npartials; i++) {
		if (find_partial(to, from->partials[i].name))
			continue;
		sep(out, start);
		pops_buf_puts(out, "partial ");
		partial_label(out, &from->partials[i], 1);
		pops_buf_puts(out, " removed");
	}
	if (!str_eq(from->model_id, to->model_id) || !str_eq(from->provider, to->provider)) {
		sep(out, start);
		pops_buf_printf(out, "model %s%s%s -> %s%s%s",
		                from->provider && !str_eq(from->provider, to->provider) ? from->provider : "",
		                from->provider && !str_eq(from->provider, to->provider) ? "/" : "",
		                from->model_id ? from->model_id : "(none)",
		                to->provider && !str_eq(from->provider, to->provider) ? to->provider : "",
		                to->provider && !str_eq(from->provider, to->provider) ? "/" : "",
		                to->model_id ? to->model_id : "(none)");
	} else if (!str_eq(from->provider_type, to->provider_type)) {
		sep(out, start);
		pops_buf_printf(out, "provider type %s -> %s",
		                from->provider_type ? from->provider_type : "(none)",
		                to->provider_type ? to->provider_type : "(none)");
	}
	config_diff(out, start, from->model_config, to->model_config);
	tools_diff(out, start, from->tools, to->tools);
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

cJSON *pops_closure_partials_json(const pops_closure *c)
{
	cJSON *a = cJSON_CreateArray();
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	for (i = 0; a && i < c->npartials; i++) {
		const pops_closure_partial *p = &c->partials[i];
		cJSON *o = cJSON_CreateObject();

		if (!o || !cJSON_AddItemToArray(a, o)) {
			cJSON_Delete(o);
			cJSON_Delete(a);
			return NULL;
		}
		/* from here `a` owns `o` */
		if (!cJSON_AddStringToObject(o, "name", p->name) ||
		    !cJSON_AddStringToObject(o, "file", p->file) ||
		    !(p->version > 0 ? cJSON_AddNumberToObject(o, "version", (double)p->version) :
		      cJSON_AddNullToObject(o, "version")) ||
		    !cJSON_AddStringToObject(o, "blob", git_oid_tostr(hex, sizeof(hex), &p->blob))) {
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

cJSON *pops_closure_model_json(const pops_closure *c)
{
	cJSON *o = cJSON_CreateObject(), *cfg = NULL;

	if (!o)
		return NULL;
#define S(k, v) ((v) ? cJSON_AddStringToObject(o, k, v) : cJSON_AddNullToObject(o, k))
	if (!S("alias", c->model_alias) || !S("provider", c->provider) ||
	    !S("type", c->provider_type) || !S("id", c->model_id) ||
	    !(cfg = c->model_config ? cJSON_Duplicate(c->model_config, 1) : cJSON_CreateObject()) ||
	    !cJSON_AddItemToObject(o, "config", cfg)) {
		cJSON_Delete(cfg);
		cJSON_Delete(o);
		return NULL;
	}
#undef S
	if (c->tools && !cJSON_AddItemToObject(o, "tools", cJSON_Duplicate(c->tools, 1))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int str_field(char **out, const cJSON *obj, const char *key, pops_buf *what)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (!it || cJSON_IsNull(it))
		return POPS_OK;
	if (!cJSON_IsString(it)) {
		pops_buf_printf(what, "\"%s\" is not a string", key);
		return POPS_EINVALID;
	}
	return dup_or_null(out, it->valuestring);
}

/* resolved_model.tools: {"definitions":[{"name",...}],"choice"?}, from an untrusted ledger */
static int tools_from_json(pops_closure *c, const cJSON *t, pops_buf *what)
{
	const cJSON *defs = cJSON_GetObjectItemCaseSensitive(t, "definitions"), *d;
	const cJSON *choice = cJSON_GetObjectItemCaseSensitive(t, "choice");

	if (!t || cJSON_IsNull(t))
		return POPS_OK;
	if (!cJSON_IsObject(t) || !cJSON_IsArray(defs) || (choice && !cJSON_IsString(choice))) {
		pops_buf_puts(what, "\"resolved_model.tools\" is not {definitions: [...], choice}");
		return POPS_EINVALID;
	}
	cJSON_ArrayForEach(d, defs)
		if (!pops_tools_name_ok(pops_json_str(d, "name", NULL)) ||
		    !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(d, "parameters"))) {
			pops_buf_puts(what, "a tool in \"resolved_model.tools\" lacks its name or parameters");
			return POPS_EINVALID;
		}
	c->tools = cJSON_Duplicate(t, 1);
	POPS_CHECK_ALLOC(c->tools);
	return POPS_OK;
}

int pops_closure_from_json(pops_closure *c, const cJSON *partials, const cJSON *model,
                           pops_buf *what)
{
	const cJSON *it;
	size_t n, i = 0;
	int error;

	if (partials) {
		if (!cJSON_IsArray(partials)) {
			pops_buf_puts(what, "\"partials\" is not a list");
			return POPS_EINVALID;
		}
		n = (size_t)cJSON_GetArraySize(partials);
		if (n && !(c->partials = calloc(n, sizeof(*c->partials))))
			return pops_error_oom();
		cJSON_ArrayForEach(it, partials) {
			pops_closure_partial *p = &c->partials[i];
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "version");
			const cJSON *b = cJSON_GetObjectItemCaseSensitive(it, "blob");

			c->npartials = ++i;
			if ((error = str_field(&p->name, it, "name", what)) < 0 ||
			    (error = str_field(&p->file, it, "file", what)) < 0)
				return error;
			if (!p->name || !p->file || !cJSON_IsString(b) ||
			    git_oid_fromstr(&p->blob, b->valuestring) < 0) {
				pops_buf_puts(what, "a partial lacks its name, file or blob");
				return POPS_EINVALID;
			}
			if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble < 1e9)
				p->version = (long)v->valuedouble;
		}
	}
	if (model) {
		const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(model, "config");

		if (!cJSON_IsObject(model)) {
			pops_buf_puts(what, "\"resolved_model\" is not an object");
			return POPS_EINVALID;
		}
		if ((error = str_field(&c->model_alias, model, "alias", what)) < 0 ||
		    (error = str_field(&c->provider, model, "provider", what)) < 0 ||
		    (error = str_field(&c->provider_type, model, "type", what)) < 0 ||
		    (error = str_field(&c->model_id, model, "id", what)) < 0)
			return error;
		if (cfg && !cJSON_IsObject(cfg)) {
			pops_buf_puts(what, "\"resolved_model.config\" is not an object");
			return POPS_EINVALID;
		}
		c->model_config = cfg ? cJSON_Duplicate(cfg, 1) : cJSON_CreateObject();
		POPS_CHECK_ALLOC(c->model_config);
		if ((error = tools_from_json(c, cJSON_GetObjectItemCaseSensitive(model, "tools"),
		                             what)) < 0)
			return error;
	}
	return POPS_OK;
}

int pops_closure_digest(char out[65], const pops_closure *c)
{
	pops_buf b = POPS_BUF_INIT;
	pops_sha256 h;
	char hex[GIT_OID_HEXSZ + 1], *cfg;
	size_t i;
	int error, tools_oom = 0;

	pops_buf_printf(&b, "pops-closure 1\nprompt %s\n", git_oid_tostr(hex, sizeof(hex), &c->blob));
	for (i = 0; i < c->npartials; i++)
		pops_buf_printf(&b, "partial %s %s\n", c->partials[i].name,
		                git_oid_tostr(hex, sizeof(hex), &c->partials[i].blob));
	pops_buf_printf(&b, "provider %s\ntype %s\nmodel %s\nconfig ", c->provider ? c->provider : "",
	                c->provider_type ? c->provider_type : "", c->model_id ? c->model_id : "");
	cfg = c->model_config ? pops_json_canonical(c->model_config) : NULL;
	pops_buf_puts(&b, cfg ? cfg : "{}");
	if (c->tools) {   /* only then: digests of closures without tools stay as they were */
		char *t = pops_json_canonical(c->tools);

		if (t)
			pops_buf_printf(&b, "\ntools %s", t);
		else
			tools_oom = 1;
		cJSON_free(t);
	}
	error = pops_buf_oom(&b) || (c->model_config && !cfg) || tools_oom ?
	        pops_error_oom() : POPS_OK;
	cJSON_free(cfg);
	if (error == 0) {
		pops_sha256_init(&h);
		pops_sha256_update(&h, b.ptr, b.size);
		pops_sha256_hex(&h, out);
	}
	pops_buf_dispose(&b);
	return error;
}
