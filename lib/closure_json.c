/*
 * Release closures as JSON (lib/closure.h): the ledger's "partials" and
 * "model" objects, read back, and the closure digest over them.
 */
#include "common.h"
#include "closure.h"
#include "closure_int.h"
#include "jsonget.h"
#include "sha256.h"

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
	return pops_closure__dup_or_null(out, it->valuestring);
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
