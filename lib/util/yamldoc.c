#include "common.h"
#include "yamldoc.h"
#include "strutil.h"
#include "yamldoc_int.h"

#include <math.h>
#include <yaml.h>

struct anchor {
	char *name;
	cJSON *node;  /* borrowed from the tree being built */
};

struct frame {
	cJSON *node;           /* object or array being filled */
	char *key;             /* pending mapping key, NULL when a key is due */
	unsigned key_line, key_col;
	unsigned start_line, start_col; /* 0-based mark of the container start */
	char *anchor;          /* anchor to register when the container ends */
	cJSON **merged;        /* members that came from `<<` and may be overridden */
	size_t nmerged;
};

struct builder {
	pops_yaml_doc *doc;
	const pops_yaml_limits *lim;
	unsigned line_offset;
	struct frame *stack;
	size_t depth, stack_cap;
	struct anchor *anchors;
	size_t nanchors;
	size_t alias_nodes;
	size_t alias_bytes;  /* text copied by aliases: a short alias can copy a long string */
	cJSON *spent;  /* `<<` values after merging: anchors may still point in */
};

static size_t ptr_hash(const void *p, size_t cap)
{
	uintptr_t x = (uintptr_t)p;

	x ^= x >> 17;
	x *= (uintptr_t)0xed5ad4bbU;
	x ^= x >> 11;
	return (size_t)x & (cap - 1);
}

int pops_yaml__pos_put(pops_yaml_doc *doc, const cJSON *node, unsigned line,
                       unsigned col)
{
	size_t i;

	if ((doc->pos_len + 1) * 2 > doc->pos_cap) {
		size_t ncap = doc->pos_cap ? doc->pos_cap * 2 : 64, j;
		struct pops_yaml_pos *n = calloc(ncap, sizeof(*n));

		POPS_CHECK_ALLOC(n);
		for (j = 0; j < doc->pos_cap; j++) {
			if (!doc->pos[j].node)
				continue;
			i = ptr_hash(doc->pos[j].node, ncap);
			while (n[i].node)
				i = (i + 1) & (ncap - 1);
			n[i] = doc->pos[j];
		}
		free(doc->pos);
		doc->pos = n;
		doc->pos_cap = ncap;
	}
	i = ptr_hash(node, doc->pos_cap);
	while (doc->pos[i].node && doc->pos[i].node != node)
		i = (i + 1) & (doc->pos_cap - 1);
	if (!doc->pos[i].node)
		doc->pos_len++;
	doc->pos[i].node = node;
	doc->pos[i].line = line;
	doc->pos[i].col = col;
	return POPS_OK;
}

static const struct pops_yaml_pos *pos_get(const pops_yaml_doc *doc,
                                       const cJSON *node)
{
	size_t i;

	if (!doc->pos_cap || !node)
		return NULL;
	i = ptr_hash(node, doc->pos_cap);
	while (doc->pos[i].node) {
		if (doc->pos[i].node == node)
			return &doc->pos[i];
		i = (i + 1) & (doc->pos_cap - 1);
	}
	return NULL;
}

unsigned pops_yaml_line(const pops_yaml_doc *doc, const cJSON *node)
{
	const struct pops_yaml_pos *e = doc ? pos_get(doc, node) : NULL;

	return e ? e->line : 0;
}

unsigned pops_yaml_col(const pops_yaml_doc *doc, const cJSON *node)
{
	const struct pops_yaml_pos *e = doc ? pos_get(doc, node) : NULL;

	return e ? e->col : 0;
}

static int fail_at(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
	POPS_PRINTF(3, 4);

static int fail_at(struct builder *b, const yaml_mark_t *m, const char *fmt, ...)
{
	pops_buf msg = POPS_BUF_INIT;
	va_list ap;

	pops_buf_printf(&msg, "%s:%zu:%zu: ", b->doc->filename,
	                (size_t)m->line + 1 + b->line_offset, (size_t)m->column + 1);
	va_start(ap, fmt);
	pops_buf_vprintf(&msg, fmt, ap);
	va_end(ap);
	pops_error_set(POPS_EINVALID, "%s", msg.ptr);
	pops_buf_dispose(&msg);
	return POPS_EINVALID;
}

static int is_plain_match(const char *v, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(v, *words))
			return 1;
	return 0;
}

/* YAML 1.2 core schema resolution for a plain scalar */
static cJSON *resolve_plain(const char *v, size_t len)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	static const char *const infs[] = { ".inf", ".Inf", ".INF", "+.inf",
		"+.Inf", "+.INF", NULL };
	static const char *const ninfs[] = { "-.inf", "-.Inf", "-.INF", NULL };
	static const char *const nans[] = { ".nan", ".NaN", ".NAN", NULL };
	const char *p = v;
	char *end;

	if (strlen(v) != len)
		return cJSON_CreateString(v); /* embedded NUL: keep as text */
	if (is_plain_match(v, nulls))
		return cJSON_CreateNull();
	if (is_plain_match(v, trues))
		return cJSON_CreateTrue();
	if (is_plain_match(v, falses))
		return cJSON_CreateFalse();
	if (is_plain_match(v, infs) || is_plain_match(v, ninfs) ||
	    is_plain_match(v, nans))
		return cJSON_CreateString(v); /* JSON has no inf/nan: keep text */

	if ((p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) && p[2]) {
		unsigned long long n;

		errno = 0;
		n = strtoull(p + 2, &end, p[1] == 'x' ? 16 : 8);
		if (!*end && !errno && isxdigit((unsigned char)p[2]))
			return cJSON_CreateNumber((double)n);
		return cJSON_CreateString(v);
	}
	if (*p == '-' || *p == '+')
		p++;
	if (!*p)
		return cJSON_CreateString(v);
	/* [-+]? ( \.[0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
	{
		const char *q = p;
		int digits = 0;

		while (*q >= '0' && *q <= '9')
			q++, digits++;
		if (*q == '.') {
			q++;
			while (*q >= '0' && *q <= '9')
				q++, digits++;
		}
		if (!digits)
			return cJSON_CreateString(v);
		if (*q == 'e' || *q == 'E') {
			const char *e = ++q;

			if (*q == '-' || *q == '+')
				q++, e++;
			while (*q >= '0' && *q <= '9')
				q++;
			if (q == e)
				return cJSON_CreateString(v);
		}
		if (*q)
			return cJSON_CreateString(v);
	}
	{
		double d = strtod(v, &end);

		if (*end || !isfinite(d))
			return cJSON_CreateString(v);
		return cJSON_CreateNumber(d);
	}
}

/*
 * Nodes and text bytes in `n`, counting stops once either passes its cap
 * (so a huge subtree costs no more than the caps to measure).
 */
static void count_nodes(const cJSON *n, size_t *nodes, size_t *bytes,
                        size_t max_nodes, size_t max_bytes)
{
	const cJSON *ch;

	(*nodes)++;
	if (n->string)
		*bytes += strlen(n->string);
	if (cJSON_IsString(n) && n->valuestring)
		*bytes += strlen(n->valuestring);
	for (ch = n->child; ch && *nodes <= max_nodes && *bytes <= max_bytes;
	     ch = ch->next)
		count_nodes(ch, nodes, bytes, max_nodes, max_bytes);
}

static int register_anchor(struct builder *b, char *name, cJSON *node)
{
	struct anchor *a;
	size_t i;

	/* a redefined anchor shadows the earlier one */
	for (i = 0; i < b->nanchors; i++) {
		if (!strcmp(b->anchors[i].name, name)) {
			free(b->anchors[i].name);
			b->anchors[i].name = name;
			b->anchors[i].node = node;
			return POPS_OK;
		}
	}
	a = realloc(b->anchors, (b->nanchors + 1) * sizeof(*a));
	if (!a) {
		free(name);
		return pops_error_oom();
	}
	b->anchors = a;
	a[b->nanchors].name = name;
	a[b->nanchors].node = node;
	b->nanchors++;
	return POPS_OK;
}

static int frame_was_merged(struct frame *f, cJSON *item)
{
	size_t i;

	for (i = 0; i < f->nmerged; i++)
		if (f->merged[i] == item)
			return 1;
	return 0;
}

static int merge_into(struct builder *b, struct frame *f, cJSON *src,
                      const yaml_mark_t *m)
{
	cJSON *it;

	if (cJSON_IsArray(src)) {
		cJSON_ArrayForEach(it, src) {
			int error = merge_into(b, f, it, m);

			if (error < 0)
				return error;
		}
		return POPS_OK;
	}
	if (!cJSON_IsObject(src))
		return fail_at(b, m, "'<<' needs a mapping or a list of mappings");
	cJSON_ArrayForEach(it, src) {
		cJSON *copy, **nm;

		if (cJSON_GetObjectItemCaseSensitive(f->node, it->string))
			continue; /* explicit keys and earlier merges win */
		copy = cJSON_Duplicate(it, 1);
		nm = realloc(f->merged, (f->nmerged + 1) * sizeof(*nm));
		if (!copy || !nm) {
			cJSON_Delete(copy);
			if (nm)
				f->merged = nm;
			return pops_error_oom();
		}
		f->merged = nm;
		f->merged[f->nmerged++] = copy;
		cJSON_AddItemToObject(f->node, it->string, copy);
	}
	return POPS_OK;
}

/*
 * Attach a finished node to the container on top of the stack (or make it
 * the root). Takes ownership of `node` in every case.
 */
static int attach(struct builder *b, cJSON *node, const yaml_mark_t *m,
                  int is_scalar_key_candidate, const char *raw,
                  cJSON **attached)
{
	struct frame *f;
	unsigned line = (unsigned)m->line + 1 + b->line_offset;
	unsigned col = (unsigned)m->column + 1;
	int error;

	*attached = NULL;
	if (!b->depth) {
		if (b->doc->root) {
			cJSON_Delete(node);
			return fail_at(b, m, "unexpected second root node");
		}
		b->doc->root = node;
		*attached = node;
		return pops_yaml__pos_put(b->doc, node, line, col);
	}
	f = &b->stack[b->depth - 1];
	if (cJSON_IsArray(f->node)) {
		cJSON_AddItemToArray(f->node, node);
		*attached = node;
		return pops_yaml__pos_put(b->doc, node, line, col);
	}
	if (!f->key) {
		if (!is_scalar_key_candidate) {
			cJSON_Delete(node);
			return fail_at(b, m, "mapping keys must be plain values");
		}
		f->key = pops_strdup(raw);
		f->key_line = line;
		f->key_col = col;
		cJSON_Delete(node);
		return f->key ? POPS_OK : pops_error_oom();
	}

	if (!strcmp(f->key, "<<")) {
		error = merge_into(b, f, node, m);
		/*
		 * The merged value may carry anchors (`<<: &a {...}`) that later
		 * aliases copy from, so it lives until the parse ends.
		 */
		if (!b->spent && !(b->spent = cJSON_CreateArray())) {
			cJSON_Delete(node);
			if (error == POPS_OK)
				error = pops_error_oom();
		} else {
			cJSON_AddItemToArray(b->spent, node);
		}
		free(f->key);
		f->key = NULL;
		return error;
	}
	{
		cJSON *old = cJSON_GetObjectItemCaseSensitive(f->node, f->key);

		if (old && frame_was_merged(f, old)) {
			cJSON_DeleteItemFromObjectCaseSensitive(f->node, f->key);
		} else if (old) {
			yaml_mark_t km = { 0, f->key_line - 1 - b->line_offset,
			                   f->key_col - 1 };

			cJSON_Delete(node);
			error = fail_at(b, &km, "duplicate key '%s'", f->key);
			return error;
		}
	}
	cJSON_AddItemToObject(f->node, f->key, node);
	*attached = node;
	error = pops_yaml__pos_put(b->doc, node, f->key_line, f->key_col);
	free(f->key);
	f->key = NULL;
	return error;
}

static int push(struct builder *b, cJSON *node, const char *anchor,
                const yaml_mark_t *m)
{
	struct frame *f;

	if (b->depth >= b->lim->max_depth) {
		cJSON_Delete(node);
		return fail_at(b, m, "nesting deeper than %u levels", b->lim->max_depth);
	}
	if (b->depth == b->stack_cap) {
		size_t ncap = b->stack_cap ? b->stack_cap * 2 : 16;
		struct frame *s = realloc(b->stack, ncap * sizeof(*s));

		if (!s) {
			cJSON_Delete(node);
			return pops_error_oom();
		}
		b->stack = s;
		b->stack_cap = ncap;
	}
	f = &b->stack[b->depth++];
	memset(f, 0, sizeof(*f));
	f->node = node;
	if (anchor && !(f->anchor = pops_strdup(anchor)))
		return pops_error_oom();
	return POPS_OK;
}

static int pop(struct builder *b, const yaml_mark_t *end)
{
	struct frame f;
	yaml_mark_t start;
	cJSON *attached;
	int error;

	/* libyaml balances its events; an end without a start is its bug, not a crash */
	if (!b->depth || !b->stack)
		return pops_error_set(POPS_EINVALID, "yaml: collection end without a start");
	f = b->stack[--b->depth];
	start = (yaml_mark_t){ 0, f.start_line, f.start_col };

	free(f.merged);
	if (f.key) {
		free(f.key);
		cJSON_Delete(f.node);
		free(f.anchor);
		return fail_at(b, end, "mapping key without a value");
	}
	/* attach first so the anchor refers to the node inside the tree */
	error = attach(b, f.node, &start, 0, NULL, &attached);
	if (error < 0) {
		free(f.anchor);
		return error;
	}
	if (f.anchor)
		return register_anchor(b, f.anchor, f.node);
	return POPS_OK;
}

static int on_scalar(struct builder *b, yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const char *tag = (const char *)ev->data.scalar.tag;
	cJSON *node, *attached;
	char *name;
	int error;

	if (tag && !strcmp(tag, YAML_STR_TAG))
		node = cJSON_CreateString(v);
	else if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
		node = resolve_plain(v, len);
	else
		node = cJSON_CreateString(v);
	POPS_CHECK_ALLOC(node);
	if (len != strlen(v)) {
		cJSON_Delete(node);
		return fail_at(b, &ev->start_mark, "NUL byte in a value");
	}
	error = attach(b, node, &ev->start_mark, 1, v, &attached);
	if (error < 0 || !ev->data.scalar.anchor || !attached)
		return error; /* an anchored key is not something an alias can use */
	name = pops_strdup((const char *)ev->data.scalar.anchor);
	POPS_CHECK_ALLOC(name);
	return register_anchor(b, name, attached);
}

static int on_alias(struct builder *b, yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	cJSON *src = NULL, *copy;
	size_t i, n = 0, bytes = 0;

	for (i = b->nanchors; i > 0; i--) {
		if (!strcmp(b->anchors[i - 1].name, name)) {
			src = b->anchors[i - 1].node;
			break;
		}
	}
	if (!src)
		return fail_at(b, &ev->start_mark, "unknown alias '*%s'", name);
	count_nodes(src, &n, &bytes, b->lim->max_alias_nodes, b->lim->max_bytes);
	if (n > b->lim->max_alias_nodes - b->alias_nodes)
		return fail_at(b, &ev->start_mark,
		               "aliases expand to more than %zu nodes (YAML bomb?)",
		               b->lim->max_alias_nodes);
	if (bytes > b->lim->max_bytes - b->alias_bytes)
		return fail_at(b, &ev->start_mark,
		               "aliases expand to more than %zu bytes of text (YAML bomb?)",
		               b->lim->max_bytes);
	b->alias_nodes += n;
	b->alias_bytes += bytes;
	copy = cJSON_Duplicate(src, 1);
	POPS_CHECK_ALLOC(copy);
	return attach(b, copy, &ev->start_mark, cJSON_IsString(copy),
	              cJSON_IsString(copy) ? copy->valuestring : NULL, &copy);
}

/* line and column (0-based, as in yaml_mark_t) of byte `off` of `data` */
static yaml_mark_t mark_at(const char *data, size_t off)
{
	yaml_mark_t m;
	size_t i;

	memset(&m, 0, sizeof(m));
	m.index = off;
	for (i = 0; i < off; i++) {
		if (data[i] == '\n') {
			m.line++;
			m.column = 0;
		} else {
			m.column++;
		}
	}
	return m;
}

int pops_yaml_parse(pops_yaml_doc **out, const char *data, size_t len,
                    const char *filename, unsigned line_offset,
                    const pops_yaml_limits *limits)
{
	static const pops_yaml_limits defaults = POPS_YAML_LIMITS_INIT;
	struct builder b;
	yaml_parser_t parser;
	yaml_event_t ev;
	int error = POPS_OK, parser_ok = 0, docs = 0, done = 0;
	size_t i;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.lim = limits ? limits : &defaults;
	b.line_offset = line_offset;
	b.doc = calloc(1, sizeof(*b.doc));
	if (!b.doc || !(b.doc->filename = pops_strdup(filename ? filename : "-"))) {
		error = pops_error_oom();
		goto done;
	}
	if (len > b.lim->max_bytes) {
		error = pops_error_set(POPS_EINVALID,
		                       "%s: YAML document too large (%zu bytes, limit %zu)",
		                       b.doc->filename, len, b.lim->max_bytes);
		goto done;
	}
	if (!yaml_parser_initialize(&parser)) {
		error = pops_error_oom();
		goto done;
	}
	parser_ok = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			yaml_mark_t m = parser.problem_mark;

			/* libyaml's reader (bad UTF-8, control bytes) gives a
			 * byte offset, not a mark: count lines up to it */
			if (parser.error == YAML_READER_ERROR && parser.problem_offset <= len)
				m = mark_at(data, parser.problem_offset);
			error = fail_at(&b, &m, "%s%s%s",
			                parser.problem ? parser.problem : "invalid YAML",
			                parser.context ? " " : "",
			                parser.context ? parser.context : "");
			goto done;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				error = fail_at(&b, &ev.start_mark,
				                "more than one YAML document ('---') in this file");
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT: {
			cJSON *n = ev.type == YAML_MAPPING_START_EVENT ? cJSON_CreateObject()
			                                                : cJSON_CreateArray();
			const char *anchor = ev.type == YAML_MAPPING_START_EVENT
			                         ? (const char *)ev.data.mapping_start.anchor
			                         : (const char *)ev.data.sequence_start.anchor;

			if (!n)
				error = pops_error_oom();
			else if (b.depth && cJSON_IsObject(b.stack[b.depth - 1].node) &&
			         !b.stack[b.depth - 1].key) {
				cJSON_Delete(n);
				error = fail_at(&b, &ev.start_mark,
				                "mapping keys must be plain values");
			} else if (!(error = push(&b, n, anchor, &ev.start_mark))) {
				b.stack[b.depth - 1].start_line = (unsigned)ev.start_mark.line;
				b.stack[b.depth - 1].start_col = (unsigned)ev.start_mark.column;
			}
			break;
		}
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			error = pop(&b, &ev.start_mark);
			break;
		case YAML_SCALAR_EVENT:
			error = on_scalar(&b, &ev);
			break;
		case YAML_ALIAS_EVENT:
			error = on_alias(&b, &ev);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (error < 0)
			goto done;
	}
	if (!b.doc->root && !(b.doc->root = cJSON_CreateNull()))
		error = pops_error_oom();

done:
	for (i = 0; i < b.depth; i++) {
		free(b.stack[i].key);
		free(b.stack[i].anchor);
		free(b.stack[i].merged);
		/* open containers are not attached to their parents yet */
		cJSON_Delete(b.stack[i].node);
	}
	free(b.stack);
	cJSON_Delete(b.spent);
	for (i = 0; i < b.nanchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	if (parser_ok)
		yaml_parser_delete(&parser);
	if (error < 0) {
		pops_yaml_free(b.doc);
		return error;
	}
	*out = b.doc;
	return POPS_OK;
}

cJSON *pops_yaml_root(const pops_yaml_doc *doc)
{
	return doc->root;
}

cJSON *pops_yaml_detach(pops_yaml_doc *doc)
{
	cJSON *r = doc->root;

	doc->root = NULL;
	return r;
}

const char *pops_yaml_filename(const pops_yaml_doc *doc)
{
	return doc->filename;
}

void pops_yaml_free(pops_yaml_doc *doc)
{
	if (!doc)
		return;
	cJSON_Delete(doc->root);
	free(doc->pos);
	free(doc->filename);
	free(doc);
}
