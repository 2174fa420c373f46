#include "common.h"
#include <git2.h>
#include "eval_prompt.h"
#include "jsonget.h"
#include "release.h"
#include "promptfile.h"
#include "fileio.h"
#include "strutil.h"

/*
 * A thin layer over lib/promptfile: it adds where the bytes came from
 * (address or file), the blob ids evidence needs (the prompt's and each
 * partial's), and one render call for the runner.
 */
struct pops_eval_prompt {
	pops_closure release;     /* name:env: the release's closure (model_id NULL otherwise) */
	char *name;
	char blob[GIT_OID_HEXSZ + 1];
	pops_prompt *p;
	cJSON *partials;
	cJSON *required;          /* the variables every render reads (lib/template.h) */
};

struct loader {
	int (*inner)(void *payload, const char *name, pops_buf *out);
	void *payload;
	const char *dir;          /* file-path prompts: partials beside the file */
	cJSON *partials;
};

/* load a partial and remember its blob id: a changed partial changes the fingerprint */
static int load_partial(void *payload, const char *name, pops_buf *out)
{
	struct loader *l = payload;
	git_oid oid;
	char hex[GIT_OID_HEXSZ + 1];
	int error;

	if (l->inner) {
		error = l->inner(l->payload, name, out);
	} else if (l->dir) {
		pops_buf path = POPS_BUF_INIT;
		const char *slash = strrchr(name, '/');

		if (slash)
			pops_buf_printf(&path, "%s/%.*s/_%s.prompt", l->dir, (int)(slash - name), name,
			                slash + 1);
		else
			pops_buf_printf(&path, "%s/_%s.prompt", l->dir, name);
		error = pops_file_read(out, path.ptr, POPS_PROMPT_MAX_BYTES);
		pops_buf_dispose(&path);
	} else {
		error = POPS_ENOTFOUND;
	}
	if (error < 0)
		return error;
	if (git_odb_hash(&oid, out->ptr, out->size, GIT_OBJECT_BLOB) == 0 &&
	    !cJSON_GetObjectItemCaseSensitive(l->partials, name)) {
		git_oid_tostr(hex, sizeof(hex), &oid);
		cJSON_AddStringToObject(l->partials, name, hex);
	}
	return 0;
}

static int parse_with(pops_eval_prompt **out, const char *data, size_t len, const char *name,
                      struct loader *l)
{
	pops_eval_prompt *p = calloc(1, sizeof(*p));
	pops_prompt_options po = POPS_PROMPT_OPTIONS_INIT;
	git_oid oid;
	int error = 0;

	*out = NULL;
	if (!p || !(p->name = pops_strdup(name)) || !(p->partials = cJSON_CreateObject())) {
		error = pops_error_oom();
		goto done;
	}
	if (git_odb_hash(&oid, data, len, GIT_OBJECT_BLOB) < 0) {
		error = pops_error_set(POPS_ERROR, "cannot hash %s", name);
		goto done;
	}
	git_oid_tostr(p->blob, sizeof(p->blob), &oid);
	l->partials = p->partials;
	po.load_partial = load_partial;
	po.partial_payload = l;
	if ((error = pops_prompt_parse(&p->p, data, len, name, &po)) == 0)
		error = pops_template_required_vars(&p->required, pops_prompt_template(p->p));
done:
	if (error < 0)
		pops_eval_prompt_free(p);
	else
		*out = p;
	return error;
}

int pops_eval_prompt_parse(pops_eval_prompt **out, const char *data, size_t len,
                           const char *name)
{
	struct loader l = { NULL, NULL, NULL, NULL };

	return parse_with(out, data, len, name, &l);
}

int pops_eval_prompt_load(pops_eval_prompt **out, pops_repo *repo, const char *address)
{
	pops_buf b = POPS_BUF_INIT, dir = POPS_BUF_INIT;
	pops_resolved *res = NULL;
	struct loader l = { NULL, NULL, NULL, NULL };
	int error;

	*out = NULL;
	if (pops_path_exists(address) && !pops_path_isdir(address)) {
		const char *slash = strrchr(address, '/');

		pops_buf_put(&dir, address, slash ? (size_t)(slash - address) : 1);
		if (!slash)
			pops_buf_sets(&dir, ".");
		l.dir = dir.ptr;
		if ((error = pops_file_read(&b, address, POPS_PROMPT_MAX_BYTES)) == 0)
			error = parse_with(out, b.ptr, b.size, address, &l);
		goto done;
	}
	if (!repo) {
		error = pops_error_set(POPS_ENOTFOUND, "prompt '%s' not found", address);
		goto done;
	}
	if ((error = pops_repo_resolve(&res, repo, address)) < 0)
		goto done;
	l.inner = pops_resolved_load_partial;
	l.payload = res;
	if ((error = parse_with(out, res->data, res->len, res->name, &l)) < 0)
		goto done;
	git_oid_tostr((*out)->blob, sizeof((*out)->blob), &res->blob);
	/* a release runs with the model it was released with, not today's alias */
	if (res->entry__ && res->entry__->closure_known &&
	    (error = pops_closure_copy(&(*out)->release, &res->entry__->closure)) < 0) {
		pops_eval_prompt_free(*out);
		*out = NULL;
		goto done;
	}
done:
	pops_resolved_free(res);
	pops_buf_dispose(&b);
	pops_buf_dispose(&dir);
	return error;
}

const char *pops_eval_prompt_name(const pops_eval_prompt *p) { return p->name; }
const char *pops_eval_prompt_blob(const pops_eval_prompt *p) { return p->blob; }
const char *pops_eval_prompt_model(const pops_eval_prompt *p) { return pops_prompt_model(p->p); }
const cJSON *pops_eval_prompt_config(const pops_eval_prompt *p) { return pops_prompt_config(p->p); }
const cJSON *pops_eval_prompt_output_schema(const pops_eval_prompt *p)
{
	return pops_prompt_output_schema(p->p);
}
const cJSON *pops_eval_prompt_partials(const pops_eval_prompt *p) { return p->partials; }
const cJSON *pops_eval_prompt_tools(const pops_eval_prompt *p) { return pops_prompt_tools(p->p); }
const char *pops_eval_prompt_tool_choice(const pops_eval_prompt *p)
{
	return pops_prompt_tool_choice(p->p);
}
const cJSON *pops_eval_prompt_required(const pops_eval_prompt *p) { return p->required; }
const cJSON *pops_eval_prompt_input_schema(const pops_eval_prompt *p)
{
	return pops_prompt_input_schema(p->p);
}
const cJSON *pops_eval_prompt_input_default(const pops_eval_prompt *p)
{
	return pops_prompt_input_default(p->p);
}

const pops_closure *pops_eval_prompt_release(const pops_eval_prompt *p)
{
	return p->release.model_id ? &p->release : NULL;
}

int pops_eval_prompt_render(cJSON **out, const pops_eval_prompt *p, const cJSON *vars)
{
	return pops_prompt_render(out, p->p, vars, NULL);
}

/* dataset turns as dotprompt history messages; NULL on out of memory */
static cJSON *history_of(const cJSON *turns)
{
	cJSON *h = cJSON_CreateArray(), *m, *parts, *part;
	const cJSON *t;

	cJSON_ArrayForEach(t, turns) {
		const char *role = pops_json_str(t, "role", "user");

		if (!(m = cJSON_CreateObject()) || !cJSON_AddItemToArray(h, m) ||
		    !cJSON_AddStringToObject(m, "role", !strcmp(role, "assistant") ? "model" : role) ||
		    !(parts = cJSON_AddArrayToObject(m, "content")) ||
		    !(part = cJSON_CreateObject()) || !cJSON_AddItemToArray(parts, part) ||
		    !cJSON_AddStringToObject(part, "text", pops_json_str(t, "content", ""))) {
			cJSON_Delete(h);
			return NULL;
		}
	}
	return h;
}

int pops_eval_prompt_render_turns(cJSON **out, const pops_eval_prompt *p, const cJSON *vars,
                                  const cJSON *turns)
{
	pops_render_options ro = POPS_RENDER_OPTIONS_INIT;
	cJSON *h;
	int error;

	if (!cJSON_IsArray(turns))
		return pops_eval_prompt_render(out, p, vars);
	*out = NULL;
	POPS_CHECK_ALLOC((h = history_of(turns)));
	ro.history = h;
	error = pops_prompt_render(out, p->p, vars, &ro);
	cJSON_Delete(h);
	return error;
}

void pops_eval_prompt_free(pops_eval_prompt *p)
{
	if (!p)
		return;
	free(p->name);
	pops_prompt_free(p->p);
	cJSON_Delete(p->partials);
	cJSON_Delete(p->required);
	pops_closure_dispose(&p->release);
	free(p);
}
