/*
 * Release closures compared (lib/closure.h): pops_closure_equal and the
 * one-line summary of what changed between two closures.
 */
#include "common.h"
#include "closure.h"
#include "jsonget.h"

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

