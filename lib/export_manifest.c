/*
 * manifest.json of `pops export` (lib/export_int.h): one entry per
 * released prompt (its rollout's canary inside it) and per shared
 * partial, as pops-export(1) documents them.
 */
#include "common.h"
#include "export_int.h"
#include "closure.h"
#include "release.h"
#include "rollout.h"

#include <cjson/cJSON.h>

static cJSON *hex_json(const git_oid *id)
{
	char hex[GIT_OID_HEXSZ + 1];

	return git_oid_is_zero(id) ? cJSON_CreateNull() :
	       cJSON_CreateString(git_oid_tostr(hex, sizeof(hex), id));
}

static cJSON *str_json(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* the resolved model; a schema 1 entry knows only the id and alias */
static cJSON *model_json(const pops_release_entry *e)
{
	cJSON *m;

	if (e->closure_known)
		return pops_closure_model_json(&e->closure);
	if (!(m = cJSON_CreateObject()))
		return NULL;
	if (!cJSON_AddItemToObject(m, "alias", str_json(e->model_alias)) ||
	    !cJSON_AddNullToObject(m, "provider") || !cJSON_AddNullToObject(m, "type") ||
	    !cJSON_AddItemToObject(m, "id", str_json(e->model)) ||
	    !cJSON_AddNullToObject(m, "config")) {
		cJSON_Delete(m);
		return NULL;
	}
	return m;
}

int pops_export__canary_partial_path(pops_buf *out, const char *prompt, const char *partial)
{
	pops_buf file = POPS_BUF_INIT;
	int error;

	if ((error = pops_closure_partial_file(&file, partial)) == 0) {
		pops_buf_clear(out);
		pops_buf_printf(out, "@canary/%s@partials/%s", prompt, file.ptr);
		if (pops_buf_oom(out))
			error = pops_error_oom();
	}
	pops_buf_dispose(&file);
	return error;
}

/*
 * A canary's partials, as the ledger records them, each with where its
 * bytes are: "path" in the bundle (format files) or "content" (json);
 * prompt-yml inlines them, so neither.
 */
static int canary_partials(cJSON *partials, const pops_export__item *it, int inline_text, int yml)
{
	pops_buf path = POPS_BUF_INIT;
	const cJSON *pj;
	size_t i = 0;
	int error = POPS_OK;

	cJSON_ArrayForEach(pj, partials) {
		const pops_closure_partial *p = &it->partials[i];
		cJSON *o = (cJSON *)pj;

		if ((error = pops_export__canary_partial_path(&path, it->e->prompt, p->name)) < 0)
			break;
		if (inline_text ? !cJSON_AddStringToObject(o, "content", it->pcontent[i].ptr) :
		    !yml && !cJSON_AddStringToObject(o, "path", path.ptr)) {
			error = pops_error_oom();
			break;
		}
		i++;
	}
	pops_buf_dispose(&path);
	return error;
}

/* the fields of one side of a release, after "name" (the canary: inside "rollout") */
static int side_json(cJSON *o, const pops_export__item *it, int inline_text, int yml)
{
	const pops_release_entry *e = it->e;
	pops_closure view = POPS_CLOSURE_INIT;
	cJSON *partials;
	int ok;

	ok = (e->version > 0 ? cJSON_AddNumberToObject(o, "version", (double)e->version) :
	      cJSON_AddNullToObject(o, "version")) &&
	     cJSON_AddItemToObject(o, "blob", hex_json(&e->blob)) &&
	     (inline_text ? cJSON_AddStringToObject(o, "content", it->content.ptr) :
	      cJSON_AddStringToObject(o, "file", it->file.ptr));
	POPS_CHECK_ALLOC(ok);
	/* the partials as the ledger records them, through the same writer */
	view.partials = (pops_closure_partial *)it->partials;
	view.npartials = it->npartials;
	partials = pops_closure_partials_json(&view);
	POPS_CHECK_ALLOC(partials);
	if (!cJSON_AddItemToObject(o, "partials", partials)) {
		cJSON_Delete(partials);
		return pops_error_oom();
	}
	if (it->is_canary && (ok = canary_partials(partials, it, inline_text, yml)) < 0)
		return ok;
	if (yml && !cJSON_AddItemToObject(o, "file_blob", hex_json(&it->file_blob)))
		return pops_error_oom();
	ok = cJSON_AddItemToObject(o, "model", model_json(e)) &&
	     cJSON_AddItemToObject(o, "evidence", str_json(e->evidence)) &&
	     cJSON_AddItemToObject(o, "source_commit", hex_json(&e->source_commit)) &&
	     cJSON_AddItemToObject(o, "ledger_commit", hex_json(&it->released_in));
	return ok ? POPS_OK : pops_error_oom();
}

/* "rollout": {"percent","salt","since","canary":{...}} of a prompt with a canary */
static int rollout_json(cJSON *o, const pops_export__item *it, int inline_text, int yml)
{
	const pops_release_entry *e = it->e;
	cJSON *r, *c;
	char since[21];

	pops_rollout_format_time(since, e->rollout_since);
	if (!(r = cJSON_AddObjectToObject(o, "rollout")) ||
	    !cJSON_AddNumberToObject(r, "percent", (double)e->rollout_percent) ||
	    !cJSON_AddStringToObject(r, "salt", e->rollout_salt) ||
	    !cJSON_AddStringToObject(r, "since", since) ||
	    !(c = cJSON_AddObjectToObject(r, "canary")))
		return pops_error_oom();
	return side_json(c, it->canary, inline_text, yml);
}

static int prompt_json(cJSON *arr, const pops_export__item *it, int inline_text, int yml)
{
	cJSON *o = cJSON_CreateObject();
	int error;

	POPS_CHECK_ALLOC(o);
	cJSON_AddItemToArray(arr, o);
	if (!cJSON_AddStringToObject(o, "name", it->e->prompt))
		return pops_error_oom();
	if ((error = side_json(o, it, inline_text, yml)) < 0)
		return error;
	return it->canary ? rollout_json(o, it, inline_text, yml) : POPS_OK;
}

static int part_json(cJSON *arr, const pops_export__part *p, const char *file, int inline_text)
{
	cJSON *o = cJSON_CreateObject();
	char hex[GIT_OID_HEXSZ + 1];
	int ok;

	POPS_CHECK_ALLOC(o);
	cJSON_AddItemToArray(arr, o);
	/* the keys in the order of the prompts' partials (pops_closure_partials_json) */
	ok = cJSON_AddStringToObject(o, "name", p->p->name) &&
	     (inline_text || cJSON_AddStringToObject(o, "file", file)) &&
	     (p->p->version > 0 ? cJSON_AddNumberToObject(o, "version", (double)p->p->version) :
	      cJSON_AddNullToObject(o, "version")) &&
	     cJSON_AddStringToObject(o, "blob", git_oid_tostr(hex, sizeof(hex), &p->p->blob)) &&
	     (!inline_text || cJSON_AddStringToObject(o, "content", p->content.ptr));
	return ok ? POPS_OK : pops_error_oom();
}

int pops_export__manifest(pops_buf *text, pops_export__run *x)
{
	cJSON *doc = NULL, *arr, *parr;
	char *json = NULL, hex[GIT_OID_HEXSZ + 1];
	size_t i;
	int error = POPS_OK;

	/* schema 3 only when some prompt has a rollout: otherwise byte for byte as before */
	if (!(doc = cJSON_CreateObject()) ||
	    !cJSON_AddNumberToObject(doc, "schema_version", x->ncanary ? 3 : 2) ||
	    !cJSON_AddStringToObject(doc, "generator", "pops") ||
	    !cJSON_AddItemToObject(doc, "pops_version", str_json(x->opts->pops_version)) ||
	    !cJSON_AddStringToObject(doc, "env", x->opts->env) ||
	    !cJSON_AddStringToObject(doc, "ledger_commit",
	                             git_oid_tostr(hex, sizeof(hex), &x->out->ledger_commit)) ||
	    !cJSON_AddStringToObject(doc, "format", x->inline_text ? "json" :
	                                            x->yml ? "prompt-yml" : "files") ||
	    !(arr = cJSON_AddArrayToObject(doc, "prompts")) ||
	    !(parr = cJSON_AddArrayToObject(doc, "partials"))) {
		error = pops_error_oom();
		goto done;
	}
	for (i = 0; i < x->l.n; i++)
		if ((error = prompt_json(arr, &x->items[i], x->inline_text, x->yml)) < 0)
			goto done;
	/* prompt-yml inlines the partials: no partial file is written or listed */
	for (i = 0; !x->yml && i < x->nparts; i++) {
		if ((error = pops_closure_partial_file(&x->scratch, x->parts[i].p->name)) < 0 ||
		    (error = part_json(parr, &x->parts[i], x->scratch.ptr, x->inline_text)) < 0)
			goto done;
	}
	/* our own reader must accept what we write, or the next export would refuse it */
	assert(pops_export__manifest_ok(doc, NULL));
	if (!(json = cJSON_Print(doc)) || pops_buf_puts(text, json) < 0 ||
	    pops_buf_putc(text, '\n') < 0)
		error = pops_error_oom();
done:
	cJSON_free(json);
	cJSON_Delete(doc);
	return error;
}
