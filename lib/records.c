#include "common.h"
#include <cjson/cJSON.h>
#include "records_int.h"
#include "fileio.h"
#include "strutil.h"

#include <unistd.h>

/*
 * Production records (records.h): the reader, its detection of the
 * format, and the pops JSONL format. OTel and Langfuse live in
 * records_otel.c and records_langfuse.c and produce the same shape.
 */

void pops_record_dispose(pops_record *r)
{
	pops_record init = POPS_RECORD_INIT;

	cJSON_Delete(r->json);
	*r = init;
}

const cJSON *pops_record_get(const pops_record *r, const char *path)
{
	const cJSON *v = r->json;
	char key[256];

	while (v && *path) {
		const char *dot = strchr(path, '.');
		size_t n = dot ? (size_t)(dot - path) : strlen(path);

		if (n >= sizeof(key) || !cJSON_IsObject(v))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		v = cJSON_GetObjectItemCaseSensitive(v, key);
		path += n + (dot ? 1 : 0);
	}
	return v;
}

static const char *const format_names[] = { "auto", "pops", "otel", "langfuse", NULL };

int pops_records_format_parse(pops_records_format *out, const char *name)
{
	size_t i;

	for (i = 0; format_names[i]; i++)
		if (!strcmp(name, format_names[i])) {
			*out = (pops_records_format)i;
			return 0;
		}
	return pops_error_set(POPS_EINVALID,
	                      "unknown records format '%s': use pops, otel, langfuse or auto", name);
}

const char *pops_records_format_name(pops_records_format fmt)
{
	return (unsigned)fmt < 4 ? format_names[fmt] : "?";
}

pops_records_format pops_records_format_of(const pops_records *rs)
{
	return rs->fmt;
}

int pops_served_parse(const char *s, char *name, size_t name_size, long *version,
                      char *env, size_t env_size, int *canary)
{
	const char *at = strrchr(s, '@'), *p, *colon, *tilde;
	char *end;
	size_t n;

	if (!at || at == s || name_size == 0 || env_size == 0)
		goto bad;
	n = (size_t)(at - s) < name_size - 1 ? (size_t)(at - s) : name_size - 1;
	memcpy(name, s, n);
	name[n] = '\0';
	p = at + 1;
	if (*p < '0' || *p > '9')
		goto bad;
	errno = 0;
	*version = strtol(p, &end, 10);
	if (errno || *version <= 0)
		goto bad;
	env[0] = '\0';
	*canary = 0;
	colon = *end == ':' ? end : NULL;
	tilde = strchr(end, '~');
	if (!colon && *end && *end != '~')
		goto bad;
	if (colon) {
		size_t len = tilde ? (size_t)(tilde - colon - 1) : strlen(colon + 1);

		if (len == 0)
			goto bad;
		n = len < env_size - 1 ? len : env_size - 1;
		memcpy(env, colon + 1, n);
		env[n] = '\0';
	}
	if (tilde) {
		if (strcmp(tilde, "~canary"))
			goto bad;
		*canary = 1;
	}
	return 0;
bad:
	return pops_error_set(POPS_EINVALID,
	    "'%s' is not a served version: expected NAME@N, NAME@N:ENV or NAME@N:ENV~canary", s);
}

/* ---- reading ---- */

int pops_rs__getc(pops_records *rs)
{
	if (rs->rpos == rs->rlen) {
		if (rs->eof)
			return -1;
		rs->rlen = fread(rs->rbuf, 1, RS_CHUNK, rs->f);
		rs->rpos = 0;
		if (rs->rlen == 0) {
			rs->eof = ferror(rs->f) ? 2 : 1;
			return -1;
		}
	}
	return (unsigned char)rs->rbuf[rs->rpos++];
}

static int io_check(pops_records *rs)
{
	if (rs->eof == 2) {
		errno = EIO;
		return pops_error_os(rs->display);
	}
	return 0;
}

static int too_long(pops_records *rs)
{
	return pops_error_set(POPS_EINVALID, "%s:%u: record longer than %u MB",
	                      rs->display, rs->start_line, POPS_RECORDS_MAX_RECORD / (1024u * 1024u));
}

static int blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int pops_rs__line(pops_records *rs)
{
	for (;;) {
		int got = 0;

		pops_buf_clear(&rs->unit);
		rs->start_line = rs->line + 1;
		for (;;) {
			const char *p, *nl;
			size_t take;

			if (rs->rpos == rs->rlen) {
				if (pops_rs__getc(rs) < 0)
					break;
				rs->rpos--;
			}
			got = 1;
			p = rs->rbuf + rs->rpos;
			nl = memchr(p, '\n', rs->rlen - rs->rpos);
			take = nl ? (size_t)(nl - p) : rs->rlen - rs->rpos;
			if (take > POPS_RECORDS_MAX_RECORD - rs->unit.size)
				return too_long(rs);
			if (pops_buf_put(&rs->unit, p, take) < 0)
				return pops_error_oom();
			rs->rpos += take + (nl ? 1 : 0);
			if (nl)
				break;
		}
		if (io_check(rs) < 0)
			return POPS_ERROR;
		if (!got)
			return 0;
		rs->line++;
		if (rs->start_line == 1 && rs->unit.size >= 3 && !memcmp(rs->unit.ptr, "\xef\xbb\xbf", 3)) {
			memmove(rs->unit.ptr, rs->unit.ptr + 3, rs->unit.size - 3);
			pops_buf_truncate(&rs->unit, rs->unit.size - 3);
		}
		if (!blank(rs->unit.ptr, rs->unit.size))
			return 1;
	}
}

cJSON *pops_rs__parse_unit(pops_records *rs)
{
	cJSON *v;
	size_t bad = 0;

	if (!pops_utf8_valid(rs->unit.ptr, rs->unit.size, &bad)) {
		pops_error_set(POPS_EINVALID, "%s:%u: invalid UTF-8 at byte %zu", rs->display,
		               rs->start_line, bad + 1);
		return NULL;
	}
	if (!(v = cJSON_ParseWithLength(rs->unit.ptr, rs->unit.size)))
		pops_error_set(POPS_EINVALID, "%s:%u: invalid JSON (a %s record per line)",
		               rs->display, rs->start_line, pops_records_format_name(rs->fmt));
	return v;
}

int pops_rs__put(cJSON *obj, const char *key, cJSON *item)
{
	if (!item)
		return 0;
	if (!cJSON_AddItemToObject(obj, key, item)) {
		cJSON_Delete(item);
		return pops_error_oom();
	}
	return 0;
}

/* ---- the typed view ---- */

static int want(pops_records *rs, const pops_record *out, const char *path, int type,
                const char *what)
{
	const cJSON *v = pops_record_get(out, path);

	if (!v || cJSON_IsNull(v) || (v->type & 0xff) == type ||
	    (type == cJSON_True && cJSON_IsBool(v)))
		return 0;
	return pops_error_set(POPS_EINVALID, "%s:%u: '%s' must be %s", rs->display, out->line,
	                      path, what);
}

static const char *str_at(const pops_record *r, const char *path)
{
	const cJSON *v = pops_record_get(r, path);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_at(const pops_record *r, const char *path)
{
	const cJSON *v = pops_record_get(r, path);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static int check_types(pops_records *rs, const pops_record *out)
{
	static const struct { const char *path; int type; const char *what; } f[] = {
		{ "vars", cJSON_Object, "an object" },
		{ "output", cJSON_String, "a string" },
		{ "model", cJSON_String, "a string" },
		{ "latency_ms", cJSON_Number, "a number" },
		{ "tokens", cJSON_Object, "an object {input, output}" },
		{ "tokens.input", cJSON_Number, "a number" },
		{ "tokens.output", cJSON_Number, "a number" },
		{ "cost", cJSON_Number, "a number" },
		{ "timestamp", cJSON_String, "a string (RFC 3339)" },
		{ "trace_id", cJSON_String, "a string" },
		{ "served", cJSON_String, "a string (NAME@N:ENV)" },
		{ "feedback", cJSON_Object, "an object {thumbs, score, correction}" },
		{ "feedback.thumbs", cJSON_String, "\"up\" or \"down\"" },
		{ "feedback.score", cJSON_Number, "a number" },
		{ "feedback.correction", cJSON_String, "a string" },
	};
	const char *t;
	size_t i;
	int error;

	if (!cJSON_IsObject(out->json))
		return pops_error_set(POPS_EINVALID, "%s:%u: a record must be a JSON object",
		                      rs->display, out->line);
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if ((error = want(rs, out, f[i].path, f[i].type, f[i].what)) < 0)
			return error;
	t = str_at(out, "feedback.thumbs");
	if (t && strcmp(t, "up") && strcmp(t, "down"))
		return pops_error_set(POPS_EINVALID, "%s:%u: 'feedback.thumbs' must be \"up\" or \"down\", not \"%s\"",
		                      rs->display, out->line, t);
	return 0;
}

int pops_rs__finish(pops_records *rs, pops_record *out)
{
	const cJSON *v;
	int error;

	out->file = rs->display;
	if ((error = check_types(rs, out)) < 0)
		return error;
	v = cJSON_GetObjectItemCaseSensitive(out->json, "vars");
	out->vars = cJSON_IsObject(v) ? v : NULL;
	out->output = str_at(out, "output");
	out->model = str_at(out, "model");
	out->timestamp = str_at(out, "timestamp");
	out->trace_id = str_at(out, "trace_id");
	out->served = str_at(out, "served");
	out->thumbs = str_at(out, "feedback.thumbs");
	out->correction = str_at(out, "feedback.correction");
	out->latency_ms = num_at(out, "latency_ms");
	out->cost = num_at(out, "cost");
	out->score = num_at(out, "feedback.score");
	out->tokens_in = num_at(out, "tokens.input");
	out->tokens_out = num_at(out, "tokens.output");
	return 0;
}

/* ---- pops JSONL ---- */

static int pops_next(pops_records *rs, pops_record *out)
{
	int r;

	if ((r = pops_rs__line(rs)) <= 0)
		return r;
	out->line = rs->start_line;
	if (!(out->json = pops_rs__parse_unit(rs)))
		return POPS_EINVALID;
	if ((r = pops_rs__finish(rs, out)) < 0)
		return r;
	return 1;
}

/* ---- open and detect ---- */

static const char *const langfuse_keys[] = {
	"traceId", "trace_id", "startTime", "start_time", "observations", "usageDetails",
	"usage_details", "calculatedTotalCost", "projectId", "project_id", NULL
};

static int find(const char *p, size_t n, const char *needle)
{
	size_t k = strlen(needle), i;

	for (i = 0; i + k <= n; i++)
		if (p[i] == needle[0] && !memcmp(p + i, needle, k))
			return 1;
	return 0;
}

/* the format of the first record, read from the first 64 KiB */
static pops_records_format sniff(pops_records *rs)
{
	const char *p = rs->rbuf, *end = rs->rbuf + rs->rlen, *nl;
	cJSON *first;
	pops_records_format fmt = POPS_RECORDS_POPS;
	size_t i;

	if (end - p >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
		p += 3;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p < end && *p == '[')
		return POPS_RECORDS_LANGFUSE;
	nl = memchr(p, '\n', (size_t)(end - p));
	first = cJSON_ParseWithLength(p, nl ? (size_t)(nl - p) : (size_t)(end - p));
	if (cJSON_GetObjectItemCaseSensitive(first, "resourceSpans"))
		fmt = POPS_RECORDS_OTEL;
	else if (first && !cJSON_GetObjectItemCaseSensitive(first, "vars") &&
	         !cJSON_GetObjectItemCaseSensitive(first, "served"))
		for (i = 0; langfuse_keys[i]; i++)
			if (cJSON_GetObjectItemCaseSensitive(first, langfuse_keys[i]))
				fmt = POPS_RECORDS_LANGFUSE;
	/* a first line longer than the peek: look for the keys in its text */
	if (!first && find(p, (size_t)(end - p), "\"resourceSpans\""))
		fmt = POPS_RECORDS_OTEL;
	else if (!first && !find(p, (size_t)(end - p), "\"vars\"") &&
	         (find(p, (size_t)(end - p), "\"traceId\"") ||
	          find(p, (size_t)(end - p), "\"startTime\"")))
		fmt = POPS_RECORDS_LANGFUSE;
	cJSON_Delete(first);
	return fmt;
}

static int open_file(pops_records *rs, const char *path)
{
	int fd = pops_file_open_regular(path);

	if (fd < 0)
		return fd == POPS_ENOTFOUND ?
		       pops_error_set(POPS_ENOTFOUND, "%s: records file not found", rs->display) :
		       pops_error_prefix(fd, "records: ");
	if (!(rs->f = fdopen(fd, "rb"))) {
		close(fd);
		return pops_error_os(rs->display);
	}
	POPS_CHECK_ALLOC((rs->rbuf = malloc(RS_CHUNK)));
	return 0;
}

static int detect(pops_records *rs, const char *path)
{
	int csv = pops_ends_with(path, ".csv");

	if (rs->fmt == POPS_RECORDS_AUTO && csv) {
		rs->fmt = POPS_RECORDS_LANGFUSE;
	} else if (rs->fmt == POPS_RECORDS_AUTO || rs->fmt == POPS_RECORDS_LANGFUSE) {
		if (pops_rs__getc(rs) >= 0)
			rs->rpos--;
		if (io_check(rs) < 0)
			return POPS_ERROR;
		if (rs->fmt == POPS_RECORDS_AUTO)
			rs->fmt = sniff(rs);
	}
	if (rs->fmt != POPS_RECORDS_LANGFUSE)
		return 0;
	if (csv) {
		rs->layout = RS_CSV;
		return pops_rs__csv_header(rs);
	}
	{
		size_t i = 0;

		if (rs->rlen >= 3 && !memcmp(rs->rbuf, "\xef\xbb\xbf", 3))
			i = 3;
		while (i < rs->rlen && strchr(" \t\r\n", rs->rbuf[i]))
			i++;
		if (i < rs->rlen && rs->rbuf[i] == '[')
			rs->layout = RS_ARRAY;
	}
	return 0;
}

int pops_records_open(pops_records **out, const char *path, pops_records_format fmt)
{
	pops_records *rs;
	pops_buf empty = POPS_BUF_INIT;
	int error;

	*out = NULL;
	POPS_CHECK_ALLOC((rs = calloc(1, sizeof(*rs))));
	rs->unit = empty;
	rs->fmt = fmt;
	rs->layout = RS_LINES;
	if (!(rs->display = pops_strdup(path)))
		error = pops_error_oom();
	else if ((error = open_file(rs, path)) == 0)
		error = detect(rs, path);
	if (error < 0) {
		pops_records_free(rs);
		return error;
	}
	*out = rs;
	return 0;
}

int pops_records_next(pops_records *rs, pops_record *out)
{
	pops_record_dispose(out);
	switch (rs->fmt) {
	case POPS_RECORDS_OTEL: return pops_rs__otel_next(rs, out);
	case POPS_RECORDS_LANGFUSE: return pops_rs__langfuse_next(rs, out);
	default: return pops_next(rs, out);
	}
}

void pops_records_free(pops_records *rs)
{
	if (!rs)
		return;
	if (rs->f)
		fclose(rs->f);
	free(rs->rbuf);
	pops_buf_dispose(&rs->unit);
	pops_rs__otel_free(rs);
	pops_rs__csv_free(rs);
	free(rs->display);
	free(rs);
}
