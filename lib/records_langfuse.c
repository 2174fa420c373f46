#include "common.h"
#include <cjson/cJSON.h>
#include <strings.h>
#include "records_int.h"
#include "jsonget.h"
#include "strutil.h"

/*
 * Langfuse exports: traces and observations as a JSON array (the UI's
 * "Download JSON"), JSONL, or CSV (header row; JSON-valued columns such
 * as input, output, metadata, usage hold JSON text). Field names are the
 * API's camelCase (traceId, startTime, usageDetails, calculatedTotalCost)
 * or the blob export's snake_case (trace_id, start_time, usage_details).
 * latency is in seconds, as Langfuse reports it. Scores give feedback:
 * one named thumbs / user-feedback / feedback sets thumbs (value > 0 is
 * up), one named correction (or that score's comment) the correction,
 * the first numeric one the score.
 */

/* the first of `keys` present in `o` */
static const cJSON *pick(const cJSON *o, const char *const *keys)
{
	const cJSON *v;

	for (; *keys; keys++)
		if ((v = cJSON_GetObjectItemCaseSensitive(o, *keys)) && !cJSON_IsNull(v))
			return v;
	return NULL;
}

#define PICK(o, ...) pick((o), (const char *const[]){ __VA_ARGS__, NULL })

static double num(const cJSON *v)
{
	double d;

	if (cJSON_IsNumber(v))
		return v->valuedouble;
	if (cJSON_IsString(v) && v->valuestring[0] && pops_parse_double(&d, v->valuestring) == 0)
		return d;
	return -1;
}

static cJSON *num_item(double d)
{
	return d >= 0 ? cJSON_CreateNumber(d) : NULL;
}

static void put_part(pops_buf *b, const cJSON *content)
{
	const cJSON *p;

	if (cJSON_IsString(content)) {
		if (b->size)
			pops_buf_puts(b, "\n\n");
		pops_buf_puts(b, content->valuestring);
		return;
	}
	/* [{type: text, text|content}] parts */
	cJSON_ArrayForEach(p, content) {
		const cJSON *t = PICK(p, "text", "content");

		if (cJSON_IsString(t))
			put_part(b, t);
	}
}

char *pops_rs__messages_text(const cJSON *msgs, const char *role, int last_only)
{
	const cJSON *m;
	pops_buf b = POPS_BUF_INIT;

	cJSON_ArrayForEach(m, msgs) {
		const char *r = pops_json_str(m, "role", "");

		if (*role && strcmp(r, role))
			continue;
		if (last_only)
			pops_buf_clear(&b);
		put_part(&b, PICK(m, "content", "parts"));
	}
	if (pops_buf_oom(&b) || !b.size) {
		pops_buf_dispose(&b);
		return NULL;
	}
	return pops_buf_detach(&b);
}

static cJSON *text_item(const cJSON *v, const char *role)
{
	const cJSON *x;
	char *s = NULL;
	cJSON *out;

	if (!v)
		return NULL;
	if (cJSON_IsString(v))
		return cJSON_CreateString(v->valuestring);
	if (cJSON_IsArray(v))
		s = pops_rs__messages_text(v, role, 1);
	else if (cJSON_IsObject(v)) {
		if ((x = cJSON_GetObjectItemCaseSensitive(v, "messages")) && cJSON_IsArray(x))
			s = pops_rs__messages_text(x, role, 1);
		else if ((x = cJSON_GetObjectItemCaseSensitive(v, "choices")) && cJSON_IsArray(x) &&
		         (x = cJSON_GetObjectItemCaseSensitive(
		              cJSON_GetObjectItemCaseSensitive(x->child, "message"), "content")) &&
		         cJSON_IsString(x))
			s = pops_strdup(x->valuestring);   /* an OpenAI response */
		else if ((x = cJSON_GetObjectItemCaseSensitive(v, "content")))
			s = cJSON_IsString(x) ? pops_strdup(x->valuestring) : NULL;
	}
	if (!s && cJSON_IsArray(v) && cJSON_GetObjectItemCaseSensitive(v->child, "role") == NULL)
		s = cJSON_PrintUnformatted(v);
	if (!s && !cJSON_IsObject(v) && !cJSON_IsArray(v))
		s = cJSON_PrintUnformatted(v);
	if (!s && cJSON_IsObject(v) && role[0] == 'a')
		s = cJSON_PrintUnformatted(v);   /* a structured output */
	if (!s)
		return NULL;
	out = cJSON_CreateString(s);
	free(s);
	return out;
}

/* vars from `input`: an object of variables, or {input: the user text} */
static cJSON *vars_item(const cJSON *in)
{
	cJSON *vars, *text;
	const cJSON *x;

	if (!in)
		return NULL;
	if (cJSON_IsObject(in) && (x = cJSON_GetObjectItemCaseSensitive(in, "vars")) && cJSON_IsObject(x))
		return cJSON_Duplicate(x, 1);
	if (cJSON_IsObject(in) && !cJSON_GetObjectItemCaseSensitive(in, "messages") &&
	    !cJSON_GetObjectItemCaseSensitive(in, "role"))
		return cJSON_Duplicate(in, 1);
	if (!(text = text_item(in, "user")))
		return NULL;
	if (!(vars = cJSON_CreateObject())) {
		cJSON_Delete(text);
		return NULL;
	}
	cJSON_AddItemToObject(vars, "input", text);
	return vars;
}

static cJSON *tokens_item(const cJSON *o)
{
	const cJSON *u = PICK(o, "usageDetails", "usage_details", "usage");
	double in = num(PICK(u, "input", "promptTokens", "prompt_tokens", "input_tokens"));
	double out = num(PICK(u, "output", "completionTokens", "completion_tokens", "output_tokens"));
	cJSON *t;

	if (in < 0)
		in = num(PICK(o, "promptTokens", "inputUsage", "input_usage"));
	if (out < 0)
		out = num(PICK(o, "completionTokens", "outputUsage", "output_usage"));
	if ((in < 0 && out < 0) || !(t = cJSON_CreateObject()))
		return NULL;
	pops_rs__put(t, "input", num_item(in));
	pops_rs__put(t, "output", num_item(out));
	return t;
}

static int is_thumbs(const char *name)
{
	return !strcasecmp(name, "thumbs") || !strcasecmp(name, "user-feedback") ||
	       !strcasecmp(name, "user_feedback") || !strcasecmp(name, "feedback");
}

static cJSON *feedback_item(const cJSON *scores)
{
	const cJSON *s;
	cJSON *f = cJSON_CreateObject();

	if (!f)
		return NULL;
	cJSON_ArrayForEach(s, scores) {
		const char *name = pops_json_str(s, "name", "");
		const cJSON *sv = PICK(s, "stringValue", "string_value");
		const char *comment = pops_json_str(s, "comment", NULL);
		double v = num(cJSON_GetObjectItemCaseSensitive(s, "value"));

		if (is_thumbs(name) && !cJSON_GetObjectItemCaseSensitive(f, "thumbs")) {
			int up = cJSON_IsString(sv) ? !strcasecmp(sv->valuestring, "up") ||
			                              !strcmp(sv->valuestring, "1") : v > 0;

			cJSON_AddStringToObject(f, "thumbs", up ? "up" : "down");
			if (comment && *comment && !cJSON_GetObjectItemCaseSensitive(f, "correction"))
				cJSON_AddStringToObject(f, "correction", comment);
		} else if (!strcasecmp(name, "correction")) {
			const char *c = cJSON_IsString(sv) ? sv->valuestring : comment;

			if (c) {
				cJSON_DeleteItemFromObjectCaseSensitive(f, "correction");
				cJSON_AddStringToObject(f, "correction", c);
			}
		}
		if (!is_thumbs(name) && v >= 0 && !cJSON_IsString(sv) &&
		    !cJSON_GetObjectItemCaseSensitive(f, "score"))
			cJSON_AddNumberToObject(f, "score", v);
	}
	if (!f->child) {
		cJSON_Delete(f);
		return NULL;
	}
	return f;
}

static cJSON *served_item(const cJSON *o, const cJSON *meta)
{
	const cJSON *s = PICK(meta, "served", "pops_served");
	const cJSON *name = PICK(o, "promptName", "prompt_name");
	double v = num(PICK(o, "promptVersion", "prompt_version"));
	char buf[512];

	if (cJSON_IsString(s))
		return cJSON_CreateString(s->valuestring);
	if (!cJSON_IsString(name) || v < 1)
		return NULL;
	snprintf(buf, sizeof(buf), "%s@%.0f", name->valuestring, v);
	return cJSON_CreateString(buf);
}

static const cJSON *str_or_null(const cJSON *v)
{
	return cJSON_IsString(v) ? v : NULL;
}

int pops_rs__langfuse_record(pops_records *rs, const cJSON *o, pops_record *out)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type"), *meta, *trace;
	const cJSON *is_trace = PICK(o, "observations", "sessionId", "session_id");
	double lat, cost;
	cJSON *j;

	if (!cJSON_IsObject(o))
		return pops_error_set(POPS_EINVALID, "%s:%u: a Langfuse record must be an object",
		                      rs->display, out->line);
	if (cJSON_IsString(type) && strcasecmp(type->valuestring, "GENERATION"))
		return 0;   /* a SPAN or an EVENT: not a model call */
	POPS_CHECK_ALLOC((out->json = j = cJSON_CreateObject()));
	meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");
	trace = PICK(o, "traceId", "trace_id");
	if (!trace && (is_trace || !type))
		trace = cJSON_GetObjectItemCaseSensitive(o, "id");
	lat = num(cJSON_GetObjectItemCaseSensitive(o, "latency"));
	cost = num(PICK(o, "calculatedTotalCost", "calculated_total_cost", "totalCost", "total_cost"));
	if (cost < 0)
		cost = num(cJSON_GetObjectItemCaseSensitive(PICK(o, "costDetails", "cost_details"), "total"));
	pops_rs__put(j, "vars", vars_item(cJSON_GetObjectItemCaseSensitive(o, "input")));
	pops_rs__put(j, "output", text_item(cJSON_GetObjectItemCaseSensitive(o, "output"), "assistant"));
	pops_rs__put(j, "model", cJSON_Duplicate(str_or_null(PICK(o, "model", "providedModelName",
	                                         "provided_model_name")), 1));
	pops_rs__put(j, "latency_ms", num_item(lat >= 0 ? lat * 1000.0 : -1));
	pops_rs__put(j, "tokens", tokens_item(o));
	pops_rs__put(j, "cost", num_item(cost));
	pops_rs__put(j, "timestamp", cJSON_Duplicate(str_or_null(PICK(o, "startTime", "start_time",
	                                             "timestamp")), 1));
	pops_rs__put(j, "trace_id", cJSON_Duplicate(str_or_null(trace), 1));
	pops_rs__put(j, "served", served_item(o, meta));
	pops_rs__put(j, "feedback", feedback_item(cJSON_GetObjectItemCaseSensitive(o, "scores")));
	pops_rs__put(j, "metadata", cJSON_IsObject(meta) ? cJSON_Duplicate(meta, 1) : NULL);
	return pops_rs__finish(rs, out) < 0 ? POPS_EINVALID : 1;
}

/* ---- JSON array: one element at a time ---- */

static int array_element(pops_records *rs)
{
	int c, depth = 0, in_str = 0, esc = 0;

	pops_buf_clear(&rs->unit);
	if (rs->array_done)
		return 0;
	if (rs->line == 0 && rs->start_line == 0) {
		/* step over the BOM, blanks and '[' */
		while ((c = pops_rs__getc(rs)) >= 0 && c != '[')
			if (c == '\n')
				rs->line++;
	}
	for (;;) {
		if ((c = pops_rs__getc(rs)) < 0)
			return pops_error_set(POPS_EINVALID, "%s:%u: the JSON array is not closed",
			                      rs->display, rs->line + 1);
		if (c == '\n')
			rs->line++;
		if (!rs->unit.size && !depth && c && strchr(" \t\r\n,", c))
			continue;
		if (!rs->unit.size && !depth && c == ']') {
			rs->array_done = 1;
			return 0;
		}
		if (!rs->unit.size)
			rs->start_line = rs->line + 1;
		if (rs->unit.size && !depth && !in_str && c && strchr(" \t\r\n,]", c)) {
			/* the end of a scalar element */
			rs->array_done = c == ']';
			return 1;
		}
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
		}
		if (rs->unit.size >= POPS_RECORDS_MAX_RECORD)
			return pops_error_set(POPS_EINVALID, "%s:%u: record longer than %u MB",
			    rs->display, rs->start_line, POPS_RECORDS_MAX_RECORD / (1024u * 1024u));
		if (pops_buf_putc(&rs->unit, c) < 0)
			return pops_error_oom();
		if (!depth && (c == '}' || c == ']'))
			return 1;
	}
}

/* ---- CSV (RFC 4180) ---- */

static int too_long_csv(pops_records *rs)
{
	return pops_error_set(POPS_EINVALID, "%s:%u: record longer than %u MB",
	                      rs->display, rs->start_line, POPS_RECORDS_MAX_RECORD / (1024u * 1024u));
}

static void free_fields(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int csv_push(char ***v, size_t *n, pops_buf *f)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));
	char *s;

	POPS_CHECK_ALLOC(nv);
	*v = nv;
	s = f->size ? pops_buf_detach(f) : pops_strdup("");
	POPS_CHECK_ALLOC(s);
	nv[(*n)++] = s;
	return 0;
}

/* one CSV record into *fields; 1, 0 at the end, or an error */
static int csv_record(pops_records *rs, char ***fields, size_t *nfields)
{
	pops_buf f = POPS_BUF_INIT;
	char **v = NULL;
	size_t n = 0, total = 0;
	int c, d, quoted = 0, any = 0, error = 0;

	rs->start_line = rs->line + 1;
	for (;;) {
		if ((c = pops_rs__getc(rs)) < 0) {
			if (quoted)
				error = pops_error_set(POPS_EINVALID, "%s:%u: unterminated quoted field",
				                       rs->display, rs->start_line);
			else if (any)
				error = csv_push(&v, &n, &f);
			break;
		}
		any = 1;
		if (c == '\n')
			rs->line++;
		if (++total > POPS_RECORDS_MAX_RECORD) {   /* the whole record, all fields */
			error = too_long_csv(rs);
			break;
		}
		if (quoted) {
			if (c != '"') {
				pops_buf_putc(&f, c);
				continue;
			}
			if ((d = pops_rs__getc(rs)) == '"') {
				pops_buf_putc(&f, '"');
				continue;
			}
			quoted = 0;
			if (d >= 0)
				rs->rpos--;
			continue;
		}
		if (c == '"' && f.size == 0) {
			quoted = 1;
		} else if (c == ',') {
			if ((error = csv_push(&v, &n, &f)) < 0)
				break;
		} else if (c == '\n') {
			if (f.size && f.ptr[f.size - 1] == '\r')
				pops_buf_truncate(&f, f.size - 1);
			error = csv_push(&v, &n, &f);
			break;
		} else {
			pops_buf_putc(&f, c);
		}
	}
	if (!error && pops_buf_oom(&f))
		error = pops_error_oom();
	pops_buf_dispose(&f);
	if (!error && rs->eof == 2) {
		errno = EIO;
		error = pops_error_os(rs->display);
	}
	if (error < 0) {
		free_fields(v, n);
		return error;
	}
	*fields = v;
	*nfields = n;
	return n > 0;
}

int pops_rs__csv_header(pops_records *rs)
{
	int r = csv_record(rs, &rs->header, &rs->nheader);

	if (r < 0)
		return r;
	if (r == 0)
		return pops_error_set(POPS_EINVALID, "%s:1: empty CSV file: the first row must name the columns",
		                      rs->display);
	if (!strncmp(rs->header[0], "\xef\xbb\xbf", 3))
		memmove(rs->header[0], rs->header[0] + 3, strlen(rs->header[0] + 3) + 1);
	return 0;
}

void pops_rs__csv_free(pops_records *rs)
{
	free_fields(rs->header, rs->nheader);
	rs->header = NULL;
	rs->nheader = 0;
}

/* a CSV cell: JSON when it reads as an object, list, string or number */
static cJSON *cell(const char *s)
{
	cJSON *v;

	if (strchr("{[\"-0123456789", s[0]) && (v = cJSON_ParseWithOpts(s, NULL, 1)))
		return v;
	return cJSON_CreateString(s);
}

static int csv_object(pops_records *rs, cJSON **out)
{
	char **v = NULL;
	size_t n = 0, i;
	int r;

	*out = NULL;
	for (;;) {
		if ((r = csv_record(rs, &v, &n)) <= 0)
			return r;
		if (n > 1 || v[0][0])
			break;
		free_fields(v, n);   /* a blank line */
	}
	if (n != rs->nheader) {
		free_fields(v, n);
		return pops_error_set(POPS_EINVALID, "%s:%u: row has %zu fields but the header has %zu",
		                      rs->display, rs->start_line, n, rs->nheader);
	}
	if (!(*out = cJSON_CreateObject()))
		r = pops_error_oom();
	for (i = 0; r >= 0 && i < n; i++)
		if (v[i][0])
			r = pops_rs__put(*out, rs->header[i], cell(v[i]));
	free_fields(v, n);
	return r < 0 ? r : 1;
}

int pops_rs__langfuse_next(pops_records *rs, pops_record *out)
{
	cJSON *o = NULL;
	int r;

	for (;;) {
		if (rs->layout == RS_CSV) {
			if ((r = csv_object(rs, &o)) <= 0)
				return r;
		} else {
			r = rs->layout == RS_ARRAY ? array_element(rs) : pops_rs__line(rs);
			if (r <= 0)
				return r;
			if (!(o = pops_rs__parse_unit(rs)))
				return POPS_EINVALID;
		}
		out->line = rs->start_line;
		r = pops_rs__langfuse_record(rs, o, out);
		cJSON_Delete(o);
		if (r != 0)
			return r;
		pops_record_dispose(out);
	}
}
