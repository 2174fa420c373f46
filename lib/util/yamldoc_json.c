#include "common.h"
#include "yamldoc_int.h"
#include "strutil.h"

#include <strings.h>

/*
 * JSON files through cJSON, not libyaml: YAML 1.1's reader refuses
 * escapes every JSON writer emits (Python's json.dump writes non-ASCII
 * as "\ud83d\ude42" surrogate pairs), and JSON has no anchors, tags or
 * plain-scalar typing to get wrong. A second pass over the text, which
 * cJSON has already accepted, records where every node starts so that
 * messages still name file:line:col, the same as for a YAML file.
 */

struct scan {
	pops_yaml_doc *doc;
	const pops_yaml_limits *lim;
	const char *p, *end;
	unsigned line, col;   /* 1-based, of *p */
	int error;
};

static int fail(const pops_yaml_doc *doc, unsigned line, unsigned col,
                const char *fmt, ...) POPS_PRINTF(4, 5);

static int fail(const pops_yaml_doc *doc, unsigned line, unsigned col,
                const char *fmt, ...)
{
	pops_buf msg = POPS_BUF_INIT;
	va_list ap;

	pops_buf_printf(&msg, "%s:%u:%u: ", doc->filename, line, col);
	va_start(ap, fmt);
	pops_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	pops_error_set(POPS_EINVALID, "%s", msg.ptr);
	pops_buf_dispose(&msg);
	return POPS_EINVALID;
}

/* 1-based line and column (in characters) of byte `off` */
static void locate(const char *data, size_t off, unsigned *line, unsigned *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < off; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)data[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

static void advance(struct scan *s)
{
	if (s->p >= s->end)
		return;
	if (*s->p == '\n') {
		s->line++;
		s->col = 1;
	} else if (((unsigned char)*s->p & 0xC0) != 0x80) {
		s->col++;
	}
	s->p++;
}

/* cJSON's notion of whitespace, so both passes agree on where tokens start */
static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (unsigned char)*s->p <= 32)
		advance(s);
}

static void skip_string(struct scan *s)
{
	advance(s);   /* the opening quote */
	while (s->p < s->end && *s->p != '"') {
		if (*s->p == '\\' && s->p + 1 < s->end) {
			/* cJSON would cut the string at an escaped NUL: refuse it */
			if (!s->error && s->end - s->p >= 6 && !memcmp(s->p, "\\u0000", 6))
				s->error = fail(s->doc, s->line, s->col,
				                "a NUL character (\\u0000) in a string");
			advance(s);
		}
		advance(s);
	}
	advance(s);   /* the closing quote */
}

static int key_cmp(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int c = strcmp(x->string, y->string);

	/* ties in document order, so the later one of a pair is the duplicate */
	if (c)
		return c;
	return x < y ? -1 : x > y;
}

/*
 * cJSON keeps every member of `{"a":1,"a":2}` and lookups see the first;
 * YAML files refuse duplicates, and so do JSON ones. Sorting keeps a
 * large object from being quadratic.
 */
static int check_duplicates(struct scan *s, const cJSON *obj)
{
	const cJSON *c, **keys = NULL;
	size_t n = 0, i;
	int error = POPS_OK;

	for (c = obj->child; c; c = c->next)
		n++;
	if (n < 2)
		return POPS_OK;
	keys = malloc(n * sizeof(*keys));
	POPS_CHECK_ALLOC(keys);
	for (c = obj->child, i = 0; c; c = c->next)
		keys[i++] = c;
	qsort(keys, n, sizeof(*keys), key_cmp);
	for (i = 1; i < n; i++) {
		if (strcmp(keys[i - 1]->string, keys[i]->string))
			continue;
		/* the later of the pair is not the one lookups return */
		{
			const cJSON *dup = cJSON_GetObjectItemCaseSensitive(obj, keys[i]->string) == keys[i]
			                       ? keys[i - 1] : keys[i];

			error = fail(s->doc, pops_yaml_line(s->doc, dup), pops_yaml_col(s->doc, dup),
			             "duplicate key '%s'", dup->string);
		}
		break;
	}
	free(keys);
	return error;
}

/*
 * Walk `node` and the text in step. A member's position is its key's,
 * as in YAML documents. The text is valid JSON, so a mismatch cannot
 * happen; should it, positions are left unknown (0), never wrong.
 */
static int walk(struct scan *s, const cJSON *node, unsigned depth, int record)
{
	const cJSON *c;
	int error;

	skip_ws(s);
	if (s->p >= s->end)
		return POPS_OK;
	if (depth > s->lim->max_depth && (cJSON_IsObject(node) || cJSON_IsArray(node)))
		return fail(s->doc, s->line, s->col, "nesting deeper than %u levels",
		            s->lim->max_depth);
	if (record && (error = pops_yaml__pos_put(s->doc, node, s->line, s->col)) < 0)
		return error;
	if (*s->p == '{' && cJSON_IsObject(node)) {
		advance(s);
		for (c = node->child; c; c = c->next) {
			skip_ws(s);
			if (s->p >= s->end || *s->p != '"')
				return POPS_OK;
			if ((error = pops_yaml__pos_put(s->doc, c, s->line, s->col)) < 0)
				return error;
			skip_string(s);
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return POPS_OK;
			advance(s);
			if ((error = walk(s, c, depth + 1, 0)) < 0)
				return error;
			skip_ws(s);
			if (s->p < s->end && *s->p == ',')
				advance(s);
		}
		skip_ws(s);
		advance(s);   /* '}' */
		return check_duplicates(s, node);
	}
	if (*s->p == '[' && cJSON_IsArray(node)) {
		advance(s);
		for (c = node->child; c; c = c->next) {
			if ((error = walk(s, c, depth + 1, 1)) < 0)
				return error;
			skip_ws(s);
			if (s->p < s->end && *s->p == ',')
				advance(s);
		}
		skip_ws(s);
		advance(s);   /* ']' */
		return POPS_OK;
	}
	if (*s->p == '"') {
		skip_string(s);
		return s->error;
	}
	/* a number or a literal: up to the next delimiter */
	while (s->p < s->end && (unsigned char)*s->p > 32 && !strchr(",]}:", *s->p))
		advance(s);
	return POPS_OK;
}

int pops_yaml_parse_json(pops_yaml_doc **out, const char *data, size_t len,
                         const char *filename, const pops_yaml_limits *limits)
{
	static const pops_yaml_limits defaults = POPS_YAML_LIMITS_INIT;
	const pops_yaml_limits *lim = limits ? limits : &defaults;
	pops_yaml_doc *doc = NULL;
	struct scan s;
	const char *end = NULL, *start = data;
	size_t i, bad;
	unsigned line, col;
	int error = POPS_OK;

	*out = NULL;
	if (!(doc = calloc(1, sizeof(*doc))) ||
	    !(doc->filename = pops_strdup(filename ? filename : "-"))) {
		error = pops_error_oom();
		goto done;
	}
	if (len > lim->max_bytes) {
		error = pops_error_set(POPS_EINVALID, "%s: JSON document too large (%zu bytes, limit %zu)",
		                       doc->filename, len, lim->max_bytes);
		goto done;
	}
	if (!pops_utf8_valid(data, len, &bad)) {
		locate(data, bad, &line, &col);
		error = fail(doc, line, col, "invalid UTF-8; JSON files are UTF-8 text");
		goto done;
	}
	/* JSON allows no raw control characters but tab, CR and LF; cJSON
	 * would treat the others as white space or keep them in strings */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)data[i];

		if (ch < 32 && ch != '\t' && ch != '\n' && ch != '\r') {
			locate(data, i, &line, &col);
			error = fail(doc, line, col, "control character 0x%02x; escape it as \\u%04x",
			             ch, ch);
			goto done;
		}
	}
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		start = data + 3;   /* a BOM, as Windows editors write */
	for (i = (size_t)(start - data); i < len && (unsigned char)data[i] <= 32; i++)
		;
	if (i == len) {
		/* an empty file reads as null, as an empty YAML file does */
		if (!(doc->root = cJSON_CreateNull()))
			error = pops_error_oom();
		goto done;
	}
	doc->root = cJSON_ParseWithLengthOpts(start, len - (size_t)(start - data), &end, 0);
	if (doc->root && end) {
		while (end < data + len && (unsigned char)*end <= 32)
			end++;
		if (end < data + len) {
			locate(data, (size_t)(end - data), &line, &col);
			error = fail(doc, line, col, "unexpected text after the JSON value");
			goto done;
		}
	}
	if (!doc->root) {
		size_t off = end && end >= data && end <= data + len ? (size_t)(end - data) : 0;

		locate(data, off, &line, &col);
		error = fail(doc, line, col,
		             "invalid JSON; a .json file is read as strict JSON (no comments, "
		             "no trailing commas; use .yaml for YAML)");
		goto done;
	}
	memset(&s, 0, sizeof(s));
	s.doc = doc;
	s.lim = lim;
	s.p = start;
	s.end = data + len;
	locate(data, (size_t)(start - data), &s.line, &s.col);
	if ((error = walk(&s, doc->root, 1, 1)) < 0)
		goto done;
	error = s.error;
done:
	if (error < 0) {
		pops_yaml_free(doc);
		return error;
	}
	*out = doc;
	return POPS_OK;
}

int pops_yaml_name_is_json(const char *filename)
{
	size_t n = filename ? strlen(filename) : 0;

	return n >= 5 && !strcasecmp(filename + n - 5, ".json");
}

int pops_yaml_parse_file(pops_yaml_doc **out, const char *data, size_t len,
                         const char *filename, const pops_yaml_limits *limits)
{
	if (pops_yaml_name_is_json(filename))
		return pops_yaml_parse_json(out, data, len, filename, limits);
	return pops_yaml_parse(out, data, len, filename, 0, limits);
}
