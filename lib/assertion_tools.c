#include "common.h"
#include "assertion_int.h"
#include "jsonget.h"
#include "jsonschema.h"
#include "strutil.h"
#include "tools.h"

/*
 * The tool-call assertions (lib/assertion.h): tool-call (and
 * not-tool-call), tool-calls and is-valid-tool-call. They check the
 * reply's tool calls (pops_assert_input.tool_calls: [{"name",
 * "arguments"}]), never its text. Split from assertion.c, whose type
 * table names these functions.
 */

struct tool_state {
	char *name;         /* the tool a call must name; NULL: any */
	cJSON *arguments;   /* tool-call: the arguments, compared whole (string leaves are
	                       templates); tool-calls: the expected list */
	cJSON *schema;      /* tool-call: a JSON Schema the arguments must match */
	int strict;         /* tool-calls: order: strict */
};

void pops_assert__tool_free(pops_assert *a)
{
	struct tool_state *t = a->tool;

	if (!t)
		return;
	free(t->name);
	cJSON_Delete(t->arguments);
	cJSON_Delete(t->schema);
	free(t);
	a->tool = NULL;
}

#define BAD(...) do { error = pops_error_set(POPS_EINVALID, __VA_ARGS__); goto done; } while (0)

/* tool-calls' expected list: names, or {name, arguments?} */
static int check_expected_list(const pops_assert *a, const cJSON *list)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, list) {
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name"), *k;

		if (cJSON_IsString(e))
			continue;
		if (!cJSON_IsObject(e) || !cJSON_IsString(n))
			return pops_error_set(POPS_EINVALID, "%s:%u: 'tool-calls' 'value' is a list of "
			                      "tool names or of {name, arguments}", a->file, a->line);
		cJSON_ArrayForEach(k, e)
			if (strcmp(k->string, "name") && strcmp(k->string, "arguments"))
				return pops_error_set(POPS_EINVALID, "%s:%u: 'tool-calls': an expected call "
				                      "has an unknown key '%s' (name, arguments)", a->file,
				                      a->line, k->string);
	}
	return 0;
}

int pops_assert__compile_tool(pops_assert *a, const cJSON *node)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(node, "name");
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(node, "arguments");
	const cJSON *schema = cJSON_GetObjectItemCaseSensitive(node, "schema");
	const cJSON *order = cJSON_GetObjectItemCaseSensitive(node, "order");
	struct tool_state *t;
	int error = 0;

	if (!(t = a->tool = calloc(1, sizeof(*t))))
		return pops_error_oom();
	if (name && (!cJSON_IsString(name) || !*name->valuestring))
		BAD("%s:%u: '%s' 'name' must be a tool name", a->file, a->line, a->name);
	if (name && !(t->name = pops_strdup(name->valuestring)))
		BAD("out of memory");
	if (a->type != POPS_ASSERT_TOOL_CALL && (args || schema || a->path))
		BAD("%s:%u: 'arguments', 'schema' and 'path' are for 'tool-call' only", a->file,
		    a->line);
	if (a->type != POPS_ASSERT_TOOL_CALLS && order)
		BAD("%s:%u: 'order' is for 'tool-calls' only", a->file, a->line);
	if (a->type == POPS_ASSERT_TOOL_CALL) {
		if (schema && !cJSON_IsObject(schema) && !cJSON_IsBool(schema))
			BAD("%s:%u: 'tool-call' 'schema' must be a JSON Schema (a mapping)", a->file,
			    a->line);
		if ((args && !(t->arguments = cJSON_Duplicate(args, 1))) ||
		    (schema && !(t->schema = cJSON_Duplicate(schema, 1))))
			BAD("out of memory");
		if ((a->value || a->json) && !a->path)
			BAD("%s:%u: 'tool-call' takes the expected arguments as 'arguments' ('value' "
			    "goes with 'path')", a->file, a->line);
	} else if (a->type == POPS_ASSERT_TOOL_CALLS) {
		if (order && (!cJSON_IsString(order) || (strcmp(order->valuestring, "strict") &&
		                                         strcmp(order->valuestring, "any"))))
			BAD("%s:%u: 'order' is 'strict' or 'any'", a->file, a->line);
		t->strict = order && !strcmp(order->valuestring, "strict");
		if (!a->value && !cJSON_IsArray(a->json))
			BAD("%s:%u: 'tool-calls' needs 'value': the expected calls, a list of names or "
			    "of {name, arguments}", a->file, a->line);
		if (a->json && (error = check_expected_list(a, a->json)) < 0)
			goto done;
	} else if (a->value || a->json) {
		BAD("%s:%u: 'is-valid-tool-call' takes no 'value' (only an optional 'name')", a->file,
		    a->line);
	}
done:
	return error;
}

#undef BAD

/* a copy of `v` with every string leaf holding "{{" expanded from `scope`; NULL on OOM */
static cJSON *expand(const cJSON *v, const cJSON *scope)
{
	cJSON *out, *c;
	const cJSON *it;

	if (cJSON_IsString(v) && strstr(v->valuestring, "{{")) {
		pops_buf b = POPS_BUF_INIT;

		out = pops_assert_expand(&b, v->valuestring, scope) < 0 ? NULL :
		      cJSON_CreateString(b.ptr ? b.ptr : "");
		pops_buf_dispose(&b);
		return out;
	}
	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return cJSON_Duplicate(v, 1);
	if (!(out = cJSON_IsObject(v) ? cJSON_CreateObject() : cJSON_CreateArray()))
		return NULL;
	cJSON_ArrayForEach(it, v) {
		if (!(c = expand(it, scope))) {
			cJSON_Delete(out);
			return NULL;
		}
		if (cJSON_IsObject(v))
			cJSON_AddItemToObject(out, it->string, c);
		else
			cJSON_AddItemToArray(out, c);
	}
	return out;
}

static void quote_json(pops_buf *b, const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);
	size_t n = s ? strlen(s) : 0;

	pops_buf_put_sanitized(b, s ? s : "", n > 60 ? 60 : n, 0);
	if (n > 60)
		pops_buf_puts(b, "...");
	free(s);
}

static const char *call_name(const cJSON *call)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(call, "name");

	return cJSON_IsString(n) ? n->valuestring : "";
}

/*
 * Does `call` satisfy tool-call `a`? 1/0; `why` says what did not fit
 * (for the closest call). Negative on OOM.
 */
static int call_fits(const pops_assert *a, const struct tool_state *t, const cJSON *call,
                     const cJSON *want_args, const char *want_value, pops_buf *why)
{
	const cJSON *args = cJSON_GetObjectItemCaseSensitive(call, "arguments");
	int r;

	if (want_args && !cJSON_Compare(args, want_args, 1)) {
		pops_buf_clear(why);
		pops_buf_printf(why, "%s was called with ", call_name(call));
		quote_json(why, args);
		pops_buf_puts(why, ", expected ");
		quote_json(why, want_args);
		return 0;
	}
	if (t->schema) {
		pops_buf w = POPS_BUF_INIT;

		if ((r = pops_jsonschema_validate(t->schema, args, &w)) <= 0) {
			pops_buf_clear(why);
			if (r < 0)
				pops_buf_printf(why, "%s:%u: %s", a->file, a->line, pops_error_last());
			else
				pops_buf_printf(why, "%s arguments: %s", call_name(call), w.ptr ? w.ptr : "");
			pops_buf_dispose(&w);
			return 0;
		}
		pops_buf_dispose(&w);
	}
	if (a->path) {
		const cJSON *hit = pops_assert__json_path(args, a->path);
		char *got = hit && !cJSON_IsString(hit) ? cJSON_PrintUnformatted(hit) : NULL;
		const char *g = !hit ? NULL : cJSON_IsString(hit) ? hit->valuestring : got ? got : "";
		int ok = hit && (a->json ? cJSON_Compare(hit, a->json, 1) :
		                 want_value ? !strcmp(g, want_value) : 1);

		if (!ok) {
			pops_buf_clear(why);
			if (!hit)
				pops_buf_printf(why, "%s arguments have no %s", call_name(call), a->path);
			else
				pops_buf_printf(why, "%s arguments: %s is '%.60s'", call_name(call), a->path, g);
		}
		free(got);
		return ok;
	}
	return 1;
}

static int check_tool_call(pops_assert_result *res, const pops_assert *a,
                           const pops_assert_input *in, int *pass)
{
	const struct tool_state *t = a->tool;
	pops_buf why = POPS_BUF_INIT, v = POPS_BUF_INIT;
	cJSON *want = NULL;
	const cJSON *call;
	size_t n = 0;
	int error = 0, r;

	if (t->arguments && !(want = expand(t->arguments, in->scope)))
		return pops_error_oom();
	if (a->value && (error = pops_assert_expand(&v, a->value, in->scope)) < 0)
		goto done;
	*pass = 0;
	cJSON_ArrayForEach(call, in->tool_calls) {
		if (t->name && strcmp(call_name(call), t->name))
			continue;
		n++;
		if ((r = call_fits(a, t, call, want, a->value ? (v.ptr ? v.ptr : "") : NULL, &why)) < 0) {
			error = r;
			goto done;
		}
		if (r) {
			*pass = 1;
			break;
		}
	}
	if (*pass == a->negate) {
		if (a->negate)
			pops_buf_printf(&res->reason, "the reply calls %s%s", t->name ? t->name : "a tool",
			                want || t->schema || a->path ? " as the assertion describes" : "");
		else if (!cJSON_GetArraySize(in->tool_calls))
			pops_buf_printf(&res->reason, "the reply has no tool calls (expected %s)",
			                t->name ? t->name : "one");
		else if (!n && in->tool_calls)
			pops_buf_printf(&res->reason, "no call to %s (the reply calls %s)", t->name,
			                call_name(in->tool_calls->child));
		else
			pops_buf_puts(&res->reason, why.ptr ? why.ptr : "no call fits");
	}
done:
	cJSON_Delete(want);
	pops_buf_dispose(&why);
	pops_buf_dispose(&v);
	return error;
}

/* does actual `call` match expected entry `e` (a name or {name, arguments?})? */
static int matches(const cJSON *e, const cJSON *call)
{
	const cJSON *args;

	if (cJSON_IsString(e))
		return !strcmp(e->valuestring, call_name(call));
	if (strcmp(pops_json_str(e, "name", ""), call_name(call)))
		return 0;
	args = cJSON_GetObjectItemCaseSensitive(e, "arguments");
	return !args || cJSON_Compare(args, cJSON_GetObjectItemCaseSensitive(call, "arguments"), 1);
}

/*
 * How many expected calls the reply matched: order any, each expected
 * call takes the first unused call that matches; order strict, the
 * calls must come in the expected order (a greedy in-order match).
 */
static size_t matched_count(const cJSON *expected, const cJSON *calls, int strict, int *used)
{
	const cJSON *e, *c;
	size_t m = 0, at = 0, i;

	cJSON_ArrayForEach(e, expected) {
		i = 0;
		cJSON_ArrayForEach(c, calls) {
			if ((strict ? i >= at : !used[i]) && matches(e, c)) {
				used[i] = 1;
				at = i + 1;
				m++;
				break;
			}
			i++;
		}
		if (strict && !c)
			break;   /* the rest cannot come after the end */
	}
	return m;
}

static int check_tool_calls(pops_assert_result *res, const pops_assert *a,
                            const pops_assert_input *in, double *score, int *pass)
{
	const struct tool_state *t = a->tool;
	cJSON *parsed = NULL;
	const cJSON *expected = a->json;
	size_t ne, na = (size_t)cJSON_GetArraySize(in->tool_calls), m;
	double p, r;
	int *used, error = 0;

	if (!expected) {
		pops_buf v = POPS_BUF_INIT;

		if ((error = pops_assert_expand(&v, a->value, in->scope)) < 0)
			return error;
		parsed = cJSON_Parse(v.ptr ? v.ptr : "");
		pops_buf_dispose(&v);
		if (!cJSON_IsArray(parsed) || check_expected_list(a, parsed) < 0) {
			cJSON_Delete(parsed);
			res->error = 1;
			pops_buf_printf(&res->reason, "%s:%u: 'tool-calls' 'value' did not expand to a "
			                "JSON list of expected calls", a->file, a->line);
			return 0;
		}
		expected = parsed;
	}
	ne = (size_t)cJSON_GetArraySize(expected);
	if (!(used = calloc(na + 1, sizeof(*used)))) {
		cJSON_Delete(parsed);
		return pops_error_oom();
	}
	m = matched_count(expected, in->tool_calls, t->strict, used);
	p = na ? (double)m / (double)na : ne ? 0.0 : 1.0;
	r = ne ? (double)m / (double)ne : 1.0;
	*pass = m == ne && m == na;
	*score = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
	pops_buf_printf(&res->reason, "tool calls: precision %.2f, recall %.2f (%zu of %zu expected, "
	                "%zu made%s)", p, r, m, ne, na, t->strict ? ", in order" : "");
	if (!*pass && na) {
		pops_buf_puts(&res->reason, ": ");
		pops_tools_calls_line(&res->reason, in->tool_calls);
	}
	free(used);
	cJSON_Delete(parsed);
	return 0;
}

static int check_valid(pops_assert_result *res, const pops_assert *a,
                       const pops_assert_input *in, int *pass)
{
	const struct tool_state *t = a->tool;
	const cJSON *call;
	pops_buf why = POPS_BUF_INIT;
	size_t n = 0;
	int r;

	*pass = 1;
	cJSON_ArrayForEach(call, in->tool_calls) {
		const cJSON *def = pops_tools_find(in->tools, call_name(call));
		const cJSON *args = cJSON_GetObjectItemCaseSensitive(call, "arguments");

		if (t->name && strcmp(call_name(call), t->name))
			continue;
		n++;
		if (!def) {
			pops_buf_printf(&res->reason, "the reply calls '%s', which the prompt does not "
			                "declare", call_name(call));
			*pass = 0;
			break;
		}
		pops_buf_clear(&why);
		r = pops_jsonschema_validate(cJSON_GetObjectItemCaseSensitive(def, "parameters"), args,
		                             &why);
		if (r <= 0) {
			if (r < 0) {
				res->error = 1;
				pops_buf_printf(&res->reason, "tool '%s': %s", call_name(call), pops_error_last());
			} else {
				pops_buf_printf(&res->reason, "%s arguments do not match its schema: %s",
				                call_name(call), why.ptr ? why.ptr : "");
			}
			*pass = 0;
			break;
		}
	}
	if (!n && *pass) {
		*pass = 0;
		pops_buf_printf(&res->reason, "the reply has no tool calls%s%s", t->name ? " to " : "",
		                t->name ? t->name : "");
	}
	pops_buf_dispose(&why);
	return 0;
}

int pops_assert__check_tool(pops_assert_result *res, const pops_assert *a,
                            const pops_assert_input *in, double *score, int *pass)
{
	if (in->tool_calls && !cJSON_IsArray(in->tool_calls)) {
		res->error = 1;
		pops_buf_puts(&res->reason, "the reply's tool calls are not a list");
		return 0;
	}
	if (a->type == POPS_ASSERT_TOOL_CALL)
		return check_tool_call(res, a, in, pass);
	if (a->type == POPS_ASSERT_TOOL_CALLS)
		return check_tool_calls(res, a, in, score, pass);
	return check_valid(res, a, in, pass);
}
