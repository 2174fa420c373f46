#include "common.h"
#include <cjson/cJSON.h>
#include <time.h>
#include "records_int.h"
#include "jsonget.h"
#include "strutil.h"

/*
 * OpenTelemetry GenAI spans as the OTLP JSON file exporter writes them:
 * one ExportTraceServiceRequest per line, resourceSpans[].scopeSpans[].
 * spans[], attributes as [{key, value: {stringValue|intValue|...}}].
 * Every span carrying a gen_ai.* attribute is one record. Prompt and
 * completion come from (newest first) the gen_ai.input.messages /
 * gen_ai.output.messages attributes (semconv 1.37+), the
 * gen_ai.content.prompt / gen_ai.content.completion events (attribute
 * gen_ai.prompt / gen_ai.completion), the gen_ai.user.message /
 * gen_ai.choice events, or gen_ai.prompt.N.content attributes.
 * pops.vars (JSON object) and pops.served attributes, when the
 * application sets them, give the vars and the served version.
 */

/* an OTLP AnyValue as JSON: strings stay strings, kvlists become objects */
static cJSON *any_value(const cJSON *v)
{
	const cJSON *x, *it;
	cJSON *out;

	if ((x = cJSON_GetObjectItemCaseSensitive(v, "stringValue")) && cJSON_IsString(x))
		return cJSON_CreateString(x->valuestring);
	if ((x = cJSON_GetObjectItemCaseSensitive(v, "intValue")))
		return cJSON_CreateNumber(cJSON_IsString(x) ? strtod(x->valuestring, NULL) : x->valuedouble);
	if ((x = cJSON_GetObjectItemCaseSensitive(v, "doubleValue")) && cJSON_IsNumber(x))
		return cJSON_CreateNumber(x->valuedouble);
	if ((x = cJSON_GetObjectItemCaseSensitive(v, "boolValue")))
		return cJSON_CreateBool(cJSON_IsTrue(x));
	if ((x = cJSON_GetObjectItemCaseSensitive(v, "arrayValue"))) {
		if (!(out = cJSON_CreateArray()))
			return NULL;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(x, "values"))
			cJSON_AddItemToArray(out, any_value(it));
		return out;
	}
	if ((x = cJSON_GetObjectItemCaseSensitive(v, "kvlistValue"))) {
		if (!(out = cJSON_CreateObject()))
			return NULL;
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(x, "values")) {
			const char *k = pops_json_str(it, "key", NULL);

			if (k)
				cJSON_AddItemToObject(out, k, any_value(cJSON_GetObjectItemCaseSensitive(it, "value")));
		}
		return out;
	}
	return cJSON_CreateNull();
}

/* the attribute `key` of an attributes list, as JSON (caller frees), or NULL */
static cJSON *attr(const cJSON *attrs, const char *key)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, attrs) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, "key");

		if (cJSON_IsString(k) && !strcmp(k->valuestring, key))
			return any_value(cJSON_GetObjectItemCaseSensitive(it, "value"));
	}
	return NULL;
}

/* a messages value: JSON text in a string, or already structured */
static cJSON *messages_of(cJSON *v)
{
	cJSON *parsed;

	if (!cJSON_IsString(v))
		return v;
	parsed = cJSON_Parse(v->valuestring);
	if (cJSON_IsArray(parsed) || cJSON_IsObject(parsed)) {
		cJSON_Delete(v);
		return parsed;
	}
	cJSON_Delete(parsed);
	return v;   /* plain text */
}

/* text of a messages value for `role` ("user", or "assistant" for output) */
static char *text_of(cJSON *v, const char *role, int last)
{
	cJSON *m = messages_of(v);
	char *s = NULL;

	if (cJSON_IsString(m))
		s = pops_strdup(m->valuestring);
	else if (cJSON_IsObject(m)) {
		cJSON *one = cJSON_CreateArray();

		if (one) {
			cJSON_AddItemReferenceToArray(one, m);
			s = pops_rs__messages_text(one, role, last);
			cJSON_Delete(one);
		}
	} else if (m)
		s = pops_rs__messages_text(m, role, last);
	cJSON_Delete(m);
	return s;
}

static int has_gen_ai(const cJSON *attrs)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, attrs) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(it, "key");

		if (cJSON_IsString(k) && pops_starts_with(k->valuestring, "gen_ai."))
			return 1;
	}
	return 0;
}

/* prompt or completion text from the span's events (older conventions) */
static char *event_text(const cJSON *span, int completion)
{
	const char *const names[2][3] = {
		{ "gen_ai.content.prompt", "gen_ai.user.message", NULL },
		{ "gen_ai.content.completion", "gen_ai.choice", NULL },
	};
	const cJSON *ev;
	char *s = NULL;

	cJSON_ArrayForEach(ev, cJSON_GetObjectItemCaseSensitive(span, "events")) {
		const char *name = pops_json_str(ev, "name", "");
		const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(ev, "attributes");
		cJSON *v = NULL;

		if (!strcmp(name, names[completion][0]))
			v = attr(attrs, completion ? "gen_ai.completion" : "gen_ai.prompt");
		else if (!strcmp(name, names[completion][1]) &&
		         !(v = attr(attrs, "content")) && !(v = attr(attrs, "message")))
			v = attr(attrs, "body");
		if (v) {
			free(s);
			s = text_of(v, completion ? "assistant" : "user", 1);
			if (!completion)
				break;   /* the first prompt; the last choice */
		}
	}
	return s;
}

static char *prompt_text(const cJSON *span, const cJSON *attrs, int completion)
{
	cJSON *v = attr(attrs, completion ? "gen_ai.output.messages" : "gen_ai.input.messages");
	char *s;

	if (v)
		return text_of(v, completion ? "assistant" : "user", 1);
	if ((s = event_text(span, completion)))
		return s;
	if ((v = attr(attrs, completion ? "gen_ai.completion" : "gen_ai.prompt")))
		return text_of(v, completion ? "assistant" : "user", 1);
	v = attr(attrs, completion ? "gen_ai.completion.0.content" : "gen_ai.prompt.0.content");
	return v ? text_of(v, "", 1) : NULL;
}

/* nanoseconds since the epoch (a decimal string in OTLP JSON), 0 when absent */
static unsigned long long nanos(const cJSON *span, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(span, key);

	if (cJSON_IsString(v))
		return strtoull(v->valuestring, NULL, 10);
	return cJSON_IsNumber(v) && v->valuedouble > 0 ? (unsigned long long)v->valuedouble : 0;
}

static cJSON *rfc3339(unsigned long long ns)
{
	time_t t = (time_t)(ns / 1000000000ULL);
	struct tm tm;
	char buf[96];
	long ms = (long)(ns % 1000000000ULL / 1000000ULL);

	if (ns == 0 || !gmtime_r(&t, &tm))
		return NULL;
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
	return cJSON_CreateString(buf);
}

static cJSON *take_string(char *s)
{
	cJSON *v = s ? cJSON_CreateString(s) : NULL;

	free(s);
	return v;
}

static int span_vars(cJSON *o, const cJSON *span, const cJSON *attrs)
{
	cJSON *v = messages_of(attr(attrs, "pops.vars")), *vars;
	char *in;

	if (cJSON_IsObject(v))
		return pops_rs__put(o, "vars", v);
	cJSON_Delete(v);
	if (!(in = prompt_text(span, attrs, 0)))
		return 0;
	if (!(vars = cJSON_CreateObject()) || !cJSON_AddStringToObject(vars, "input", in)) {
		cJSON_Delete(vars);
		free(in);
		return pops_error_oom();
	}
	free(in);
	return pops_rs__put(o, "vars", vars);
}

static int span_record(pops_records *rs, const cJSON *span, pops_record *out)
{
	const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(span, "attributes");
	cJSON *o, *tokens = NULL, *model, *meta = NULL;
	unsigned long long t0 = nanos(span, "startTimeUnixNano"), t1 = nanos(span, "endTimeUnixNano");
	int error = 0;

	POPS_CHECK_ALLOC((out->json = o = cJSON_CreateObject()));
	out->line = rs->otel_line;
	if ((error = span_vars(o, span, attrs)) < 0 ||
	    (error = pops_rs__put(o, "output", take_string(prompt_text(span, attrs, 1)))) < 0)
		return error;
	if (!(model = attr(attrs, "gen_ai.response.model")))
		model = attr(attrs, "gen_ai.request.model");
	if ((error = pops_rs__put(o, "model", model)) < 0)
		return error;
	if (t0 > 0 && t1 >= t0 &&
	    (error = pops_rs__put(o, "latency_ms", cJSON_CreateNumber((double)(t1 - t0) / 1e6))) < 0)
		return error;
	POPS_CHECK_ALLOC((tokens = cJSON_CreateObject()));
	if ((error = pops_rs__put(tokens, "input", attr(attrs, "gen_ai.usage.input_tokens"))) < 0 ||
	    (error = pops_rs__put(tokens, "output", attr(attrs, "gen_ai.usage.output_tokens"))) < 0) {
		cJSON_Delete(tokens);
		return error;
	}
	if (!tokens->child) {
		cJSON_Delete(tokens);
		tokens = NULL;
	}
	if ((error = pops_rs__put(o, "tokens", tokens)) < 0 ||
	    (error = pops_rs__put(o, "timestamp", rfc3339(t0))) < 0 ||
	    (error = pops_rs__put(o, "trace_id", cJSON_Duplicate(
	         cJSON_GetObjectItemCaseSensitive(span, "traceId"), 1))) < 0 ||
	    (error = pops_rs__put(o, "served", attr(attrs, "pops.served"))) < 0)
		return error;
	POPS_CHECK_ALLOC((meta = cJSON_CreateObject()));
	if ((error = pops_rs__put(o, "metadata", meta)) < 0 ||
	    (error = pops_rs__put(meta, "span", cJSON_Duplicate(
	         cJSON_GetObjectItemCaseSensitive(span, "name"), 1))) < 0 ||
	    (error = pops_rs__put(meta, "span_id", cJSON_Duplicate(
	         cJSON_GetObjectItemCaseSensitive(span, "spanId"), 1))) < 0)
		return error;
	return pops_rs__finish(rs, out);
}

static const cJSON *first_span(const cJSON *scope)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(scope, "spans"), 0);
}

/* move the cursor to the first span of the next scope (or resource); 0 at the end */
static int next_scope(pops_records *rs)
{
	for (;;) {
		if (rs->otel_ss && (rs->otel_ss = rs->otel_ss->next)) {
			if ((rs->otel_span = first_span(rs->otel_ss)))
				return 1;
			continue;
		}
		if (!rs->otel_rs || !(rs->otel_rs = rs->otel_rs->next))
			return 0;
		rs->otel_ss = cJSON_GetArrayItem(
		    cJSON_GetObjectItemCaseSensitive(rs->otel_rs, "scopeSpans"), 0);
		if (rs->otel_ss && (rs->otel_span = first_span(rs->otel_ss)))
			return 1;
	}
}

static int load_request(pops_records *rs)
{
	const cJSON *list;
	int r;

	pops_rs__otel_free(rs);
	if ((r = pops_rs__line(rs)) <= 0)
		return r;
	rs->otel_line = rs->start_line;
	if (!(rs->otel_doc = pops_rs__parse_unit(rs)))
		return POPS_EINVALID;
	list = cJSON_GetObjectItemCaseSensitive(rs->otel_doc, "resourceSpans");
	if (!cJSON_IsArray(list))
		return pops_error_set(POPS_EINVALID,
		    "%s:%u: not an OTLP ExportTraceServiceRequest (no resourceSpans list)",
		    rs->display, rs->otel_line);
	rs->otel_rs = list->child;
	rs->otel_ss = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rs->otel_rs, "scopeSpans"), 0);
	rs->otel_span = first_span(rs->otel_ss);
	return 1;
}

int pops_rs__otel_next(pops_records *rs, pops_record *out)
{
	const cJSON *span;
	int r;

	for (;;) {
		if (!rs->otel_doc || (!rs->otel_span && !next_scope(rs))) {
			if ((r = load_request(rs)) <= 0)
				return r;
			continue;
		}
		span = rs->otel_span;
		rs->otel_span = span->next;
		if (!has_gen_ai(cJSON_GetObjectItemCaseSensitive(span, "attributes")))
			continue;
		r = span_record(rs, span, out);
		return r < 0 ? r : 1;
	}
}

void pops_rs__otel_free(pops_records *rs)
{
	cJSON_Delete(rs->otel_doc);
	rs->otel_doc = NULL;
	rs->otel_rs = rs->otel_ss = rs->otel_span = NULL;
}
