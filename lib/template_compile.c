#include "common.h"
#include "template_int.h"
#include "strutil.h"

/*
 * Source -> instructions. Three passes over one unit: tokenize (tags and
 * text, delimiter changes applied as they come), whitespace (standalone
 * lines decided on the original text, then `~` stripping), and emit
 * (instructions with jump targets, partial references to units).
 */

enum tok_type {
	T_TEXT, T_VAR, T_RAW, T_OPEN, T_INV, T_CLOSE, T_ELSE, T_PARTIAL, T_COMMENT, T_DELIM
};

typedef struct tok {
	uint8_t type, strip_l, strip_r, standalone;
	uint32_t start, len;          /* text, or the tag's content */
	uint32_t line, col;
	uint32_t trim_front, trim_back;
	uint32_t indent_start, indent_len;
} tok;

typedef struct open_block {
	uint32_t pc, name_start, name_len, line, col;
	uint32_t text_start, text_len;    /* the opening tag's content, for messages */
	int chained, has_else;
} open_block;

typedef struct cstate {
	pops_template *t;
	size_t ui;
	const char *src;
	size_t len;
	const char *label;
	unsigned first_line, first_col;
	size_t cur_off, cur_line, cur_line_start;
	tok *toks;
	size_t ntoks, atoks;
	open_block *stack;
	size_t nstack, astack;
	const pops_template_options *opts;
} cstate;

#define UNIT(cs) (&(cs)->t->units[(cs)->ui])
#define MAX_ARGS 16

static const char *const block_helpers[] = {
	"if", "unless", "each", "with", "ifEquals", "unlessEquals", NULL
};
static const char *const inline_helpers[] = {
	"role", "history", "section", "media", "json", "lookup", NULL
};
static const char *const all_helpers[] = {
	"if", "unless", "each", "with", "ifEquals", "unlessEquals",
	"role", "history", "section", "media", "json", "lookup", NULL
};

static int grow(void *pp, size_t *alloc, size_t n, size_t elem)
{
	void **p = pp;
	size_t na;
	void *np;

	if (n < *alloc)
		return POPS_OK;
	na = *alloc ? *alloc * 2 : 16;
	if (na > SIZE_MAX / elem)
		return pops_error_set(POPS_ERROR, "out of memory");
	np = realloc(*p, na * elem);
	if (!np)
		return pops_error_set(POPS_ERROR, "out of memory");
	*p = np;
	*alloc = na;
	return POPS_OK;
}

/* line and column of byte `off`; offsets are visited in increasing order */
static void position(cstate *cs, size_t off, uint32_t *line, uint32_t *col)
{
	size_t c;

	for (; cs->cur_off < off; cs->cur_off++)
		if (cs->src[cs->cur_off] == '\n') {
			cs->cur_line++;
			cs->cur_line_start = cs->cur_off + 1;
		}
	*line = (uint32_t)cs->cur_line;
	c = 1;
	for (size_t i = cs->cur_line_start; i < off; i++)
		if (((unsigned char)cs->src[i] & 0xC0) != 0x80)
			c++;
	if (cs->cur_line == cs->first_line)
		c += cs->first_col - 1;
	*col = (uint32_t)c;
}

static int cerr(cstate *cs, uint32_t line, uint32_t col, const char *fmt, ...)
	POPS_PRINTF(4, 5);
static int cerr(cstate *cs, uint32_t line, uint32_t col, const char *fmt, ...)
{
	pops_buf b = POPS_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	pops_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	pops_error_set(POPS_EINVALID, "%s:%u:%u: %s", cs->label, line, col, b.ptr);
	pops_buf_dispose(&b);
	return POPS_EINVALID;
}

static const char *find(const char *hay, size_t n, const char *needle, size_t nl)
{
	const char *p = hay, *end = hay + n;

	if (!nl || n < nl)
		return NULL;
	while ((p = memchr(p, needle[0], (size_t)(end - p - (ptrdiff_t)nl + 1)))) {
		if (!memcmp(p, needle, nl))
			return p;
		if (++p > end - nl)
			break;
	}
	return NULL;
}

static int push_tok(cstate *cs, const tok *t)
{
	if (grow(&cs->toks, &cs->atoks, cs->ntoks, sizeof(tok)) < 0)
		return POPS_ERROR;
	cs->toks[cs->ntoks++] = *t;
	return POPS_OK;
}

static int push_text(cstate *cs, size_t start, size_t end)
{
	tok t;

	if (end <= start)
		return POPS_OK;
	memset(&t, 0, sizeof(t));
	t.type = T_TEXT;
	t.start = (uint32_t)start;
	t.len = (uint32_t)(end - start);
	return push_tok(cs, &t);
}

static int is_blank(int c) { return c == ' ' || c == '\t'; }
static int is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

static void trim_span(const char *s, uint32_t *start, uint32_t *len)
{
	while (*len && is_ws(s[*start])) {
		(*start)++;
		(*len)--;
	}
	while (*len && is_ws(s[*start + *len - 1]))
		(*len)--;
}

static int set_delims(cstate *cs, tok *t, char *od, size_t *ol, char *cd, size_t *cl)
{
	uint32_t s = t->start, n = t->len;
	size_t a, i;

	trim_span(cs->src, &s, &n);
	for (a = 0; a < n && !is_ws(cs->src[s + a]); a++)
		;
	for (i = a; i < n && is_ws(cs->src[s + i]); i++)
		;
	if (!a || i == n || a > 7 || n - i > 7 || i == a ||
	    memchr(cs->src + s + i, ' ', n - i) || memchr(cs->src + s, '=', n))
		return cerr(cs, t->line, t->col,
		            "bad delimiter change: write '{{=<open> <close>=}}'");
	memcpy(od, cs->src + s, a);
	od[a] = '\0';
	*ol = a;
	memcpy(cd, cs->src + s + i, n - i);
	cd[n - i] = '\0';
	*cl = n - i;
	return POPS_OK;
}

static int tokenize(cstate *cs)
{
	char od[8] = "{{", cd[8] = "}}";
	size_t ol = 2, cl = 2, pos = 0, len = cs->len;
	const char *src = cs->src;
	int hb = cs->t->dialect == POPS_TEMPLATE_HANDLEBARS;

	while (pos < len) {
		const char *o = find(src + pos, len - pos, od, ol), *q;
		size_t ts, p, e, end;
		tok t;
		char c;

		if (!o)
			return push_text(cs, pos, len);
		ts = (size_t)(o - src);
		if (hb && ts > pos && src[ts - 1] == '\\' && !strcmp(od, "{{")) {
			/* \{{ is a literal {{ in Handlebars */
			if (push_text(cs, pos, ts - 1) < 0 || push_text(cs, ts, ts + ol) < 0)
				return POPS_ERROR;
			pos = ts + ol;
			continue;
		}
		if (push_text(cs, pos, ts) < 0)
			return POPS_ERROR;
		memset(&t, 0, sizeof(t));
		position(cs, ts, &t.line, &t.col);
		p = ts + ol;
		if (p < len && src[p] == '~') {
			t.strip_l = 1;
			p++;
		}
		c = p < len ? src[p] : '\0';
		if (c == '{') {
			p++;
			for (q = find(src + p, len - p, cd, cl); q; q = find(q + 1, (size_t)(src + len - q - 1), cd, cl)) {
				e = (size_t)(q - src);
				if (e > p && src[e - 1] == '~') {
					t.strip_r = 1;
					e--;
				}
				if (e > p && src[e - 1] == '}')
					break;
				t.strip_r = 0;
			}
			if (!q)
				return cerr(cs, t.line, t.col, "unclosed tag '%s{' (no '}%s')", od, cd);
			t.type = T_RAW;
			t.start = (uint32_t)p;
			t.len = (uint32_t)(e - 1 - p);
			end = (size_t)(q - src) + cl;
		} else if (c == '!' && len - p >= 3 && !memcmp(src + p, "!--", 3)) {
			for (q = find(src + p + 3, len - p - 3, "--", 2); q;
			     q = find(q + 1, (size_t)(src + len - q - 1), "--", 2)) {
				size_t k = (size_t)(q - src) + 2;

				if (k < len && src[k] == '~')
					k++;
				if (len - k >= cl && !memcmp(src + k, cd, cl)) {
					end = k + cl;
					break;
				}
			}
			if (!q)
				return cerr(cs, t.line, t.col, "unclosed comment '%s!--' (no '--%s')", od, cd);
			t.type = T_COMMENT;
			t.strip_r = src[end - cl - 1] == '~';
		} else if (c == '=') {
			q = NULL;
			for (const char *r = find(src + p + 1, len - p - 1, cd, cl); r;
			     r = find(r + 1, (size_t)(src + len - r - 1), cd, cl))
				if (r > src + p + 1 && r[-1] == '=') {
					q = r;
					break;
				}
			if (!q)
				return cerr(cs, t.line, t.col, "unclosed delimiter change (no '=%s')", cd);
			t.type = T_DELIM;
			t.start = (uint32_t)(p + 1);
			t.len = (uint32_t)((size_t)(q - src) - 1 - p - 1);
			end = (size_t)(q - src) + cl;
			if (set_delims(cs, &t, od, &ol, cd, &cl) < 0)
				return POPS_EINVALID;
		} else {
			q = find(src + p, len - p, cd, cl);
			if (!q)
				return cerr(cs, t.line, t.col, "unclosed tag '%s' (no '%s')", od, cd);
			e = (size_t)(q - src);
			end = e + cl;
			if (e > p && src[e - 1] == '~') {
				t.strip_r = 1;
				e--;
			}
			t.start = (uint32_t)p;
			t.len = (uint32_t)(e - p);
			switch (c) {
			case '!': t.type = T_COMMENT; break;
			case '#':
				if (e > p + 1 && (src[p + 1] == '>' || src[p + 1] == '*'))
					return cerr(cs, t.line, t.col, "'%s#%c' (partial blocks and decorators) is not supported",
					            od, src[p + 1]);
				t.type = T_OPEN; t.start++; t.len--; break;
			case '^': t.type = T_INV; t.start++; t.len--; break;
			case '/': t.type = T_CLOSE; t.start++; t.len--; break;
			case '>': t.type = T_PARTIAL; t.start++; t.len--; break;
			case '&': t.type = T_RAW; t.start++; t.len--; break;
			default: t.type = T_VAR; break;
			}
			if (hb && (t.type == T_VAR || t.type == T_INV)) {
				uint32_t s = t.start, n = t.len;

				trim_span(src, &s, &n);
				if (t.type == T_INV && n == 0) {
					t.type = T_ELSE;
					t.len = 0;
				} else if (t.type == T_VAR && n >= 4 && !memcmp(src + s, "else", 4) &&
				           (n == 4 || is_ws(src[s + 4]))) {
					t.type = T_ELSE;
					t.start = s + 4;
					t.len = n - 4;
				}
			}
		}
		if (push_tok(cs, &t) < 0)
			return POPS_ERROR;
		pos = end;
	}
	return POPS_OK;
}

static int standalone_kind(int type)
{
	return type == T_OPEN || type == T_INV || type == T_CLOSE || type == T_ELSE ||
	       type == T_PARTIAL || type == T_COMMENT || type == T_DELIM;
}

/* decide standalone lines on the original text, then apply trims and `~` */
static void whitespace(cstate *cs)
{
	const char *s = cs->src;
	size_t i, n = cs->ntoks;

	for (i = 0; i < n; i++) {
		tok *t = &cs->toks[i], *l = i ? &cs->toks[i - 1] : NULL;
		tok *r = i + 1 < n ? &cs->toks[i + 1] : NULL;
		uint32_t indent = 0, remove = 0, k;

		if (!standalone_kind(t->type))
			continue;
		if (l) {
			uint32_t a = l->len;

			if (l->type != T_TEXT)
				continue;
			while (a && s[l->start + a - 1] != '\n')
				a--;
			if (!a && i > 1)
				continue;   /* another tag on this line */
			for (k = a; k < l->len && is_blank(s[l->start + k]); k++)
				;
			if (k < l->len)
				continue;
			indent = l->len - a;
		}
		if (r) {
			if (r->type != T_TEXT)
				continue;
			for (k = 0; k < r->len && is_blank(s[r->start + k]); k++)
				;
			if (k < r->len && s[r->start + k] == '\r' && k + 1 < r->len &&
			    s[r->start + k + 1] == '\n')
				k++;
			if (k < r->len && s[r->start + k] == '\n')
				remove = k + 1;
			else if (k == r->len && i + 2 == n)
				remove = k;
			else
				continue;
		}
		t->standalone = 1;
		if (l) {
			if (l->trim_back < indent)
				l->trim_back = indent;
			t->indent_start = l->start + l->len - indent;
			t->indent_len = indent;
		}
		if (r && r->trim_front < remove)
			r->trim_front = remove;
	}
	for (i = 0; i < n; i++) {
		tok *t = &cs->toks[i];

		if (t->type != T_TEXT)
			continue;
		if (t->trim_front + t->trim_back > t->len)
			t->trim_back = t->len - t->trim_front;
	}
	for (i = 0; i < n; i++) {
		tok *t = &cs->toks[i];

		if (t->type == T_TEXT)
			continue;
		if (t->strip_l && i > 0 && cs->toks[i - 1].type == T_TEXT) {
			tok *l = &cs->toks[i - 1];

			while (l->trim_front + l->trim_back < l->len &&
			       is_ws(s[l->start + l->len - l->trim_back - 1]))
				l->trim_back++;
		}
		if (t->strip_r && i + 1 < n && cs->toks[i + 1].type == T_TEXT) {
			tok *r = &cs->toks[i + 1];

			while (r->trim_front + r->trim_back < r->len && is_ws(s[r->start + r->trim_front]))
				r->trim_front++;
		}
	}
}

/* ---- emitting ---- */

static int pool_span(cstate *cs, tpl_span *sp, const char *p, size_t n)
{
	tpl_unit *u = UNIT(cs);

	sp->off = (uint32_t)u->pool.size;
	sp->len = (uint32_t)n;
	return pops_buf_put(&u->pool, p, n);
}

static int emit(cstate *cs, const tpl_op *op, uint32_t *pc)
{
	tpl_unit *u = UNIT(cs);

	if (grow(&u->ops, &u->aops, u->nops, sizeof(tpl_op)) < 0)
		return POPS_ERROR;
	if (pc)
		*pc = (uint32_t)u->nops;
	u->ops[u->nops++] = *op;
	return POPS_OK;
}

static int emit_text(cstate *cs, const tok *t)
{
	tpl_unit *u = UNIT(cs);
	uint32_t n = t->len - t->trim_front - t->trim_back;
	tpl_op op;

	if (!n)
		return POPS_OK;
	if (u->nops && u->ops[u->nops - 1].code == OP_TEXT &&
	    u->ops[u->nops - 1].a + u->ops[u->nops - 1].n == u->pool.size) {
		u->ops[u->nops - 1].n += n;
		return pops_buf_put(&u->pool, cs->src + t->start + t->trim_front, n);
	}
	memset(&op, 0, sizeof(op));
	op.code = OP_TEXT;
	op.a = (uint32_t)u->pool.size;
	op.n = n;
	if (pops_buf_put(&u->pool, cs->src + t->start + t->trim_front, n) < 0)
		return POPS_ERROR;
	return emit(cs, &op, NULL);
}

static int is_id_char(int c)
{
	return c && !is_ws(c) && !strchr("!\"#%&'()*+,./;<=>@[\\]^`{|}~", c);
}

typedef struct arg {
	tpl_expr e;
	const char *key;   /* hash key or NULL */
	size_t keylen;
} arg;

static int add_seg(cstate *cs, tpl_expr *e, const char *p, size_t n, int *first)
{
	tpl_unit *u = UNIT(cs);

	if (grow(&u->segs, &u->asegs, u->nsegs, sizeof(tpl_span)) < 0)
		return POPS_ERROR;
	if (*first) {
		e->seg = (uint32_t)u->nsegs;
		*first = 0;
	}
	e->nseg++;
	return pool_span(cs, &u->segs[u->nsegs++], p, n);
}

/* a path at *pp: [@](../)*(./)?seg((.|/)seg)* */
static int parse_path(cstate *cs, const tok *t, const char **pp, const char *end, tpl_expr *e)
{
	const char *p = *pp;
	int first = 1;

	memset(e, 0, sizeof(*e));
	e->kind = EX_PATH;
	if (p < end && *p == '@') {
		e->kind = EX_DATA;
		p++;
	}
	for (;;) {
		const char *s = p;

		if (e->nseg == 0 && end - p >= 2 && p[0] == '.' && p[1] == '.' &&
		    (end - p == 2 || p[2] == '/' || is_ws(p[2]))) {
			e->up++;
			p += 2;
			if (p < end && *p == '/') {
				p++;
				continue;
			}
			break;
		}
		if (e->nseg == 0 && p < end && *p == '.' && (p + 1 == end || p[1] == '/' || is_ws(p[1]))) {
			e->explicit_this = 1;
			p++;
			if (p < end && *p == '/') {
				p++;
				continue;
			}
			break;
		}
		if (p < end && *p == '[') {
			const char *c = memchr(p, ']', (size_t)(end - p));

			if (!c)
				return cerr(cs, t->line, t->col, "unclosed '[' in a name");
			if (add_seg(cs, e, p + 1, (size_t)(c - p - 1), &first) < 0)
				return POPS_ERROR;
			p = c + 1;
		} else {
			while (p < end && (is_id_char(*p) || (*p == '-' ) || *p == '@'))
				p++;
			if (p == s)
				return cerr(cs, t->line, t->col, "expected a name in '%.*s'",
				            (int)t->len, cs->src + t->start);
			if (e->nseg == 0 && e->kind == EX_PATH && p - s == 4 && !memcmp(s, "this", 4) && !e->explicit_this)
				e->explicit_this = 1;
			else if (add_seg(cs, e, s, (size_t)(p - s), &first) < 0)
				return POPS_ERROR;
		}
		if (p < end && (*p == '.' || *p == '/') && p + 1 < end && !is_ws(p[1])) {
			p++;
			continue;
		}
		break;
	}
	*pp = p;
	return POPS_OK;
}

static int parse_literal(cstate *cs, const tok *t, const char **pp, const char *end, tpl_expr *e, int *done)
{
	const char *p = *pp, *s;
	size_t n;

	*done = 1;
	memset(e, 0, sizeof(*e));
	if (*p == '"' || *p == '\'') {
		char qc = *p;
		pops_buf b = POPS_BUF_INIT;

		for (p++; p < end && *p != qc; p++) {
			if (*p == '\\' && p + 1 < end && p[1] == qc)
				p++;
			pops_buf_putc(&b, *p);
		}
		if (p >= end) {
			pops_buf_dispose(&b);
			return cerr(cs, t->line, t->col, "unterminated string in '%.*s'",
			            (int)t->len, cs->src + t->start);
		}
		e->kind = EX_STR;
		if (pool_span(cs, &e->str, b.ptr, b.size) < 0 || pops_buf_oom(&b)) {
			pops_buf_dispose(&b);
			return POPS_ERROR;
		}
		pops_buf_dispose(&b);
		*pp = p + 1;
		return POPS_OK;
	}
	for (s = p; s < end && !is_ws(*s) && *s != ')'; s++)
		;
	n = (size_t)(s - p);
#define KW(w, k) if (n == sizeof(w) - 1 && !memcmp(p, w, n)) { e->kind = k; *pp = s; return POPS_OK; }
	KW("true", EX_TRUE)
	KW("false", EX_FALSE)
	KW("null", EX_NULL)
	KW("undefined", EX_UNDEF)
#undef KW
	if ((*p == '-' && n > 1 && isdigit((unsigned char)p[1])) || isdigit((unsigned char)*p)) {
		char tmp[64];
		char *ep;

		if (n < sizeof(tmp)) {
			memcpy(tmp, p, n);
			tmp[n] = '\0';
			e->num = strtod(tmp, &ep);
			if (*ep == '\0') {
				e->kind = EX_NUM;
				*pp = s;
				return POPS_OK;
			}
		}
	}
	*done = 0;
	return POPS_OK;
}

/* positional arguments and key=value pairs of a Handlebars tag */
static int parse_args(cstate *cs, const tok *t, const char *p, const char *end,
                      arg *args, size_t *nargs)
{
	*nargs = 0;
	for (;;) {
		arg *a;
		const char *k;
		int done;

		while (p < end && is_ws(*p))
			p++;
		if (p >= end)
			return POPS_OK;
		if (*nargs == MAX_ARGS)
			return cerr(cs, t->line, t->col, "more than %d arguments", MAX_ARGS);
		a = &args[(*nargs)++];
		a->key = NULL;
		if (*p == '(')
			return cerr(cs, t->line, t->col, "subexpressions '(...)' are not supported");
		if (*p == '|' || (end - p > 3 && !memcmp(p, "as |", 4)))
			return cerr(cs, t->line, t->col, "block parameters 'as |x|' are not supported");
		for (k = p; k < end && is_id_char(*k); k++)
			;
		if (k > p && k < end && *k == '=') {
			a->key = p;
			a->keylen = (size_t)(k - p);
			p = k + 1;
			if (p >= end || is_ws(*p))
				return cerr(cs, t->line, t->col, "'%.*s=' needs a value", (int)a->keylen, a->key);
		}
		if (parse_literal(cs, t, &p, end, &a->e, &done) < 0)
			return POPS_EINVALID;
		if (!done && parse_path(cs, t, &p, end, &a->e) < 0)
			return POPS_EINVALID;
		if (p < end && !is_ws(*p))
			return cerr(cs, t->line, t->col, "unexpected '%c' in '%.*s'", *p,
			            (int)t->len, cs->src + t->start);
	}
}

/* append positional args (after the first `skip`) then hash pairs */
static int store_args(cstate *cs, tpl_op *op, const arg *args, size_t nargs, size_t skip)
{
	tpl_unit *u = UNIT(cs);
	size_t i;

	op->a = (uint32_t)u->nexprs;
	op->n = 0;
	for (i = skip; i < nargs; i++) {
		if (args[i].key)
			continue;
		if (grow(&u->exprs, &u->aexprs, u->nexprs, sizeof(tpl_expr)) < 0)
			return POPS_ERROR;
		u->exprs[u->nexprs++] = args[i].e;
		op->n++;
	}
	op->h = (uint32_t)u->nhash;
	op->nh = 0;
	for (i = skip; i < nargs; i++) {
		tpl_hash *h;

		if (!args[i].key)
			continue;
		if (grow(&u->exprs, &u->aexprs, u->nexprs, sizeof(tpl_expr)) < 0 ||
		    grow(&u->hash, &u->ahash, u->nhash, sizeof(tpl_hash)) < 0)
			return POPS_ERROR;
		u = UNIT(cs);
		h = &u->hash[u->nhash];
		if (pool_span(cs, &h->key, args[i].key, args[i].keylen) < 0)
			return POPS_ERROR;
		h->expr = (uint32_t)u->nexprs;
		u->exprs[u->nexprs++] = args[i].e;
		u->nhash++;
		op->nh++;
	}
	return POPS_OK;
}

static int helper_index(const char *const *names, const char *p, size_t n)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && !memcmp(names[i], p, n))
			return i;
	return -1;
}

static int unknown_helper(cstate *cs, const tok *t, const char *name, size_t n)
{
	char *w = pops_strndup(name, n);
	const char *g = w ? pops_suggest(w, all_helpers, 2) : NULL;
	int r;

	if (g)
		r = cerr(cs, t->line, t->col, "unknown helper '%.*s' (did you mean '%s'?)", (int)n, name, g);
	else
		r = cerr(cs, t->line, t->col, "unknown helper '%.*s' (known: if, unless, each, with, "
		         "role, json, history, media, section, ifEquals, unlessEquals)", (int)n, name);
	free(w);
	return r;
}

/* the single name of a Mustache tag */
static int mustache_name(cstate *cs, const tok *t, tpl_expr *e)
{
	uint32_t s = t->start, n = t->len;
	const char *p, *end;
	int first = 1;

	trim_span(cs->src, &s, &n);
	memset(e, 0, sizeof(*e));
	e->kind = EX_PATH;
	if (!n)
		return cerr(cs, t->line, t->col, "empty tag");
	if (n == 1 && cs->src[s] == '.') {
		e->explicit_this = 1;
		return POPS_OK;
	}
	for (p = cs->src + s, end = p + n; p <= end;) {
		const char *d = memchr(p, '.', (size_t)(end - p));

		if (!d)
			d = end;
		if (d == p || memchr(p, ' ', (size_t)(d - p)))
			return cerr(cs, t->line, t->col, "bad name '%.*s'", (int)n, cs->src + s);
		if (add_seg(cs, e, p, (size_t)(d - p), &first) < 0)
			return POPS_ERROR;
		p = d + 1;
	}
	return POPS_OK;
}

static int add_partial_unit(cstate *cs, const char *name, size_t nlen, const char *indent,
                            size_t ilen, const tok *t, int32_t *out)
{
	pops_template *tp = cs->t;
	tpl_unit *u;
	size_t i;

	for (i = 1; i < tp->nunits; i++) {
		u = &tp->units[i];
		if (strlen(u->name) == nlen && !memcmp(u->name, name, nlen) &&
		    strlen(u->indent) == ilen && !memcmp(u->indent, indent, ilen)) {
			*out = (int32_t)i;
			return POPS_OK;
		}
	}
	if (tp->nunits > POPS_TEMPLATE_MAX_PARTIALS)
		return cerr(cs, t->line, t->col, "more than %d partials (or indentations of one "
		            "partial): recursive standalone partial?", POPS_TEMPLATE_MAX_PARTIALS);
	if (grow(&tp->units, &tp->aunits, tp->nunits, sizeof(tpl_unit)) < 0)
		return POPS_ERROR;
	u = &tp->units[tp->nunits];
	memset(u, 0, sizeof(*u));
	u->pool = (pops_buf)POPS_BUF_INIT;
	u->name = pops_strndup(name, nlen);
	u->indent = pops_strndup(indent, ilen);
	u->ref_unit = (int)cs->ui;
	u->ref_line = t->line;
	u->ref_col = t->col;
	tp->nunits++;
	if (!u->name || !u->indent)
		return pops_error_set(POPS_ERROR, "out of memory");
	*out = (int32_t)(tp->nunits - 1);
	return POPS_OK;
}

static int compile_partial(cstate *cs, const tok *t)
{
	uint32_t s = t->start, n = t->len;
	const char *p, *end, *name;
	size_t nlen, nargs = 0, i;
	arg args[MAX_ARGS];
	tpl_op op;
	pops_buf lit = POPS_BUF_INIT;
	int error;

	trim_span(cs->src, &s, &n);
	p = cs->src + s;
	end = p + n;
	if (!n)
		return cerr(cs, t->line, t->col, "partial tag without a name");
	if (*p == '*')
		return cerr(cs, t->line, t->col, "dynamic partial names are not supported");
	if (cs->t->dialect == POPS_TEMPLATE_MUSTACHE) {
		name = p;
		nlen = n;
		p = end;
	} else if (*p == '"' || *p == '\'' || *p == '[') {
		char close = *p == '[' ? ']' : *p;
		const char *c = memchr(p + 1, close, (size_t)(end - p - 1));

		if (!c)
			return cerr(cs, t->line, t->col, "unterminated partial name");
		name = p + 1;
		nlen = (size_t)(c - p - 1);
		p = c + 1;
	} else {
		for (name = p; p < end && !is_ws(*p); p++)
			;
		nlen = (size_t)(p - name);
	}
	if (parse_args(cs, t, p, end, args, &nargs) < 0)
		return POPS_EINVALID;
	memset(&op, 0, sizeof(op));
	op.code = OP_PARTIAL;
	op.line = t->line;
	op.col = t->col;
	for (i = 0; i < nargs; i++)
		if (!args[i].key)
			op.n++;
	if (op.n > 1)
		return cerr(cs, t->line, t->col, "a partial takes at most one context argument");
	error = add_partial_unit(cs, name, nlen, cs->src + t->indent_start, t->indent_len, t, &op.partial);
	if (!error)
		error = store_args(cs, &op, args, nargs, 0);
	if (!error)
		error = emit(cs, &op, NULL);
	pops_buf_dispose(&lit);
	return error;
}

static int open_block_push(cstate *cs, uint32_t pc, const char *name, size_t nlen,
                           const tok *t, int chained)
{
	open_block *b;

	if (cs->nstack >= POPS_TEMPLATE_MAX_DEPTH)
		return cerr(cs, t->line, t->col, "blocks nested deeper than %d", POPS_TEMPLATE_MAX_DEPTH);
	if (grow(&cs->stack, &cs->astack, cs->nstack, sizeof(open_block)) < 0)
		return POPS_ERROR;
	b = &cs->stack[cs->nstack++];
	b->pc = pc;
	b->name_start = (uint32_t)(name - cs->src);
	b->name_len = (uint32_t)nlen;
	b->line = t->line;
	b->col = t->col;
	b->chained = chained;
	b->has_else = 0;
	b->text_start = t->start;
	b->text_len = t->len;
	trim_span(cs->src, &b->text_start, &b->text_len);
	return POPS_OK;
}

/* {{#name args}} / {{^name}} / the rest of {{else if x}} */
static int compile_open(cstate *cs, const tok *t, int inverted, int chained)
{
	uint32_t s = t->start, n = t->len;
	const char *p, *end, *name;
	size_t nlen, nargs = 0, npos = 0, i;
	arg args[MAX_ARGS];
	tpl_op op;
	uint32_t pc;
	int bi;
	static const uint8_t kinds[] = { BK_IF, BK_UNLESS, BK_EACH, BK_WITH, BK_IFEQ, BK_UNLESSEQ };
	static const uint8_t argc[] = { 1, 1, 1, 1, 2, 2 };

	trim_span(cs->src, &s, &n);
	p = cs->src + s;
	end = p + n;
	memset(&op, 0, sizeof(op));
	op.code = OP_BLOCK;
	op.line = t->line;
	op.col = t->col;
	op.mid = op.end = UINT32_MAX;
	if (!n)
		return cerr(cs, t->line, t->col, "block without a name");
	if (cs->t->dialect == POPS_TEMPLATE_MUSTACHE) {
		tpl_expr e;

		if (mustache_name(cs, t, &e) < 0)
			return POPS_EINVALID;
		args[0].e = e;
		args[0].key = NULL;
		nargs = 1;
		name = p;
		nlen = n;
		op.kind = inverted ? BK_INVERTED : BK_SECTION;
		if (store_args(cs, &op, args, nargs, 0) < 0)
			return POPS_ERROR;
		goto push;
	}
	for (name = p; p < end && !is_ws(*p); p++)
		;
	nlen = (size_t)(p - name);
	bi = helper_index(block_helpers, name, nlen);
	if (bi >= 0 && !inverted) {
		if (parse_args(cs, t, p, end, args, &nargs) < 0)
			return POPS_EINVALID;
		for (i = 0; i < nargs; i++)
			if (!args[i].key)
				npos++;
		if (npos != argc[bi])
			return cerr(cs, t->line, t->col, "#%.*s takes %d argument%s, not %zu",
			            (int)nlen, name, argc[bi], argc[bi] == 1 ? "" : "s", npos);
		op.kind = kinds[bi];
		if (store_args(cs, &op, args, nargs, 0) < 0)
			return POPS_ERROR;
		goto push;
	}
	if (helper_index(inline_helpers, name, nlen) >= 0)
		return cerr(cs, t->line, t->col, "'%.*s' is not a block helper: write '{{%.*s ...}}'",
		            (int)nlen, name, (int)nlen, name);
	if (parse_args(cs, t, name, end, args, &nargs) < 0)
		return POPS_EINVALID;
	if (nargs > 1 || args[0].key)
		return unknown_helper(cs, t, name, nlen);
	op.kind = inverted ? BK_INVERTED : BK_SECTION;
	if (store_args(cs, &op, args, nargs, 0) < 0)
		return POPS_ERROR;
push:
	if (emit(cs, &op, &pc) < 0)
		return POPS_ERROR;
	return open_block_push(cs, pc, name, nlen, t, chained);
}

static int close_one(cstate *cs)
{
	open_block *b = &cs->stack[--cs->nstack];
	tpl_op op;
	uint32_t pc;
	tpl_op *o;

	memset(&op, 0, sizeof(op));
	op.code = OP_END;
	if (emit(cs, &op, &pc) < 0)
		return POPS_ERROR;
	o = &UNIT(cs)->ops[b->pc];
	o->end = pc;
	if (o->mid == UINT32_MAX)
		o->mid = pc;
	return POPS_OK;
}

static int compile_close(cstate *cs, const tok *t)
{
	uint32_t s = t->start, n = t->len;
	open_block *b;

	trim_span(cs->src, &s, &n);
	while (cs->nstack && cs->stack[cs->nstack - 1].chained)
		if (close_one(cs) < 0)
			return POPS_ERROR;
	if (!cs->nstack)
		return cerr(cs, t->line, t->col, "'{{/%.*s}}' closes no open block", (int)n, cs->src + s);
	b = &cs->stack[cs->nstack - 1];
	if (b->name_len != n || memcmp(cs->src + b->name_start, cs->src + s, n))
		return cerr(cs, t->line, t->col, "'{{/%.*s}}' does not match '{{%c%.*s}}' opened at %u:%u",
		            (int)n, cs->src + s, cs->src[b->text_start - 1] == '^' ? '^' : '#',
		            (int)b->text_len, cs->src + b->text_start, b->line, b->col);
	return close_one(cs);
}

static int compile_else(cstate *cs, const tok *t)
{
	open_block *b;
	tpl_op op;
	uint32_t pc, s = t->start, n = t->len;

	if (!cs->nstack)
		return cerr(cs, t->line, t->col, "'{{else}}' outside a block");
	b = &cs->stack[cs->nstack - 1];
	if (b->has_else)
		return cerr(cs, t->line, t->col, "second '{{else}}' in the block opened at %u:%u",
		            b->line, b->col);
	b->has_else = 1;
	memset(&op, 0, sizeof(op));
	op.code = OP_ELSE;
	if (emit(cs, &op, &pc) < 0)
		return POPS_ERROR;
	UNIT(cs)->ops[b->pc].mid = pc;
	trim_span(cs->src, &s, &n);
	if (n) {
		tok sub = *t;

		sub.start = s;
		sub.len = n;
		return compile_open(cs, &sub, 0, 1);
	}
	return POPS_OK;
}

static int compile_var(cstate *cs, const tok *t, int raw)
{
	uint32_t s = t->start, n = t->len;
	const char *p, *end;
	size_t nargs = 0;
	arg args[MAX_ARGS];
	tpl_op op;
	int hi;

	trim_span(cs->src, &s, &n);
	p = cs->src + s;
	end = p + n;
	memset(&op, 0, sizeof(op));
	op.code = OP_VAR;
	op.escape = !raw && cs->t->dialect == POPS_TEMPLATE_MUSTACHE;
	op.line = t->line;
	op.col = t->col;
	if (cs->t->dialect == POPS_TEMPLATE_MUSTACHE) {
		if (mustache_name(cs, t, &args[0].e) < 0)
			return POPS_EINVALID;
		args[0].key = NULL;
		if (store_args(cs, &op, args, 1, 0) < 0)
			return POPS_ERROR;
		return emit(cs, &op, NULL);
	}
	if (!n)
		return cerr(cs, t->line, t->col, "empty tag '{{}}'");
	if (parse_args(cs, t, p, end, args, &nargs) < 0)
		return POPS_EINVALID;
	if (args[0].key)
		return cerr(cs, t->line, t->col, "a tag cannot start with 'key=value'");
	if (args[0].e.kind == EX_PATH && args[0].e.nseg == 1 && !args[0].e.up && !args[0].e.explicit_this) {
		tpl_span sp = UNIT(cs)->segs[args[0].e.seg];
		const char *nm = UNIT(cs)->pool.ptr + sp.off;

		hi = helper_index(inline_helpers, nm, sp.len);
		if (hi >= 0) {
			op.code = OP_HELPER;
			op.kind = (uint8_t)hi;   /* inline_helpers order == tpl_helper_kind */
			if (store_args(cs, &op, args, nargs, 1) < 0)
				return POPS_ERROR;
			if ((hi == H_ROLE || hi == H_SECTION || hi == H_JSON) && op.n != 1)
				return cerr(cs, t->line, t->col, "'%s' takes 1 argument", inline_helpers[hi]);
			if (hi == H_LOOKUP && op.n != 2)
				return cerr(cs, t->line, t->col, "'lookup' takes 2 arguments");
			if (hi == H_MEDIA && !op.nh)
				return cerr(cs, t->line, t->col, "'media' needs url=...");
			return emit(cs, &op, NULL);
		}
		if (helper_index(block_helpers, nm, sp.len) >= 0)
			return cerr(cs, t->line, t->col, "'%s' is a block helper: write '{{#%s ...}}...{{/%s}}'",
			            block_helpers[helper_index(block_helpers, nm, sp.len)],
			            block_helpers[helper_index(block_helpers, nm, sp.len)],
			            block_helpers[helper_index(block_helpers, nm, sp.len)]);
	}
	if (nargs > 1)
		return unknown_helper(cs, t, p, (size_t)(strcspn(p, " \t\r\n") < n ? strcspn(p, " \t\r\n") : n));
	if (store_args(cs, &op, args, nargs, 0) < 0)
		return POPS_ERROR;
	return emit(cs, &op, NULL);
}

int pops_template__compile_unit(pops_template *t, size_t ui, const char *src, size_t len,
                                unsigned first_line, unsigned first_col,
                                const pops_template_options *opts)
{
	cstate cs;
	size_t i, bad;
	int error = POPS_OK;

	memset(&cs, 0, sizeof(cs));
	cs.t = t;
	cs.ui = ui;
	cs.src = src;
	cs.len = len;
	cs.label = t->units[ui].label;
	cs.first_line = first_line ? first_line : 1;
	cs.first_col = first_col ? first_col : 1;
	cs.cur_line = cs.first_line;
	cs.opts = opts;
	if (len > UINT32_MAX / 2) {
		error = pops_error_set(POPS_EINVALID, "%s: template larger than 2 GB", cs.label);
		goto done;
	}
	if (!pops_utf8_valid(src, len, &bad)) {
		uint32_t l, c;

		position(&cs, bad, &l, &c);
		error = cerr(&cs, l, c, "invalid UTF-8 (byte 0x%02x)", (unsigned char)src[bad]);
		goto done;
	}
	if ((error = tokenize(&cs)) < 0)
		goto done;
	whitespace(&cs);
	for (i = 0; i < cs.ntoks && !error; i++) {
		const tok *tk = &cs.toks[i];

		switch (tk->type) {
		case T_TEXT: error = emit_text(&cs, tk); break;
		case T_VAR: error = compile_var(&cs, tk, 0); break;
		case T_RAW: error = compile_var(&cs, tk, 1); break;
		case T_OPEN: error = compile_open(&cs, tk, 0, 0); break;
		case T_INV: error = compile_open(&cs, tk, 1, 0); break;
		case T_CLOSE: error = compile_close(&cs, tk); break;
		case T_ELSE: error = compile_else(&cs, tk); break;
		case T_PARTIAL: error = compile_partial(&cs, tk); break;
		default: break;
		}
	}
	if (!error && cs.nstack) {
		open_block *b = &cs.stack[cs.nstack - 1];

		while (cs.nstack > 1 && b->chained)
			b--, cs.nstack--;
		error = cerr(&cs, b->line, b->col, "'{{%c%.*s}}' is never closed (no '{{/%.*s}}')",
		             src[b->text_start - 1] == '^' ? '^' : '#',
		             (int)b->text_len, src + b->text_start, (int)b->name_len, src + b->name_start);
	}
	if (!error && pops_buf_oom(&t->units[ui].pool))
		error = pops_error_set(POPS_ERROR, "out of memory");
done:
	free(cs.stack);
	free(cs.toks);
	return error;
}

static int indent_source(pops_buf *out, const char *src, size_t len, const char *indent)
{
	pops_buf_puts(out, indent);
	for (size_t i = 0; i < len; i++) {
		pops_buf_putc(out, src[i]);
		if (src[i] == '\n' && i + 1 < len)
			pops_buf_puts(out, indent);
	}
	return pops_buf_oom(out) ? pops_error_set(POPS_ERROR, "out of memory") : POPS_OK;
}

static int set_label(tpl_unit *u, const pops_template_options *o)
{
	pops_buf b = POPS_BUF_INIT;

	if (!u->name)
		pops_buf_puts(&b, o->filename ? o->filename : "template");
	else if (o->partial_dir && *o->partial_dir)
		pops_buf_printf(&b, "%s/_%s.prompt", o->partial_dir, u->name);
	else if (o->partial_dir)
		pops_buf_printf(&b, "_%s.prompt", u->name);
	else
		pops_buf_printf(&b, "partial '%s'", u->name);
	if (pops_buf_oom(&b))
		return pops_error_set(POPS_ERROR, "out of memory");
	u->label = pops_buf_detach(&b);
	return POPS_OK;
}

int pops_template_compile(pops_template **out, const char *src, size_t len,
                          const pops_template_options *opts)
{
	static const pops_template_options defaults = POPS_TEMPLATE_OPTIONS_INIT;
	pops_template *t = NULL;
	pops_buf psrc = POPS_BUF_INIT, ind = POPS_BUF_INIT;
	int error;
	size_t i;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->units = calloc(1, sizeof(tpl_unit)))) {
		free(t);
		return pops_error_set(POPS_ERROR, "out of memory");
	}
	t->aunits = t->nunits = 1;
	t->dialect = opts->dialect;
	t->units[0].pool = (pops_buf)POPS_BUF_INIT;
	if ((error = set_label(&t->units[0], opts)) < 0)
		goto done;
	t->units[0].loaded = 1;
	if ((error = pops_template__compile_unit(t, 0, src, len, opts->first_line,
	                                         opts->first_col, opts)) < 0)
		goto done;
	for (i = 1; i < t->nunits; i++) {
		tpl_unit *u = &t->units[i];

		if ((error = set_label(u, opts)) < 0)
			goto done;
		error = opts->load_partial ? opts->load_partial(opts->payload, u->name, &psrc)
		                           : POPS_ENOTFOUND;
		u = &t->units[i];
		if (error == POPS_ENOTFOUND && t->dialect == POPS_TEMPLATE_MUSTACHE) {
			u->missing = 1;
			error = POPS_OK;
			continue;
		}
		if (error == POPS_ENOTFOUND) {
			error = pops_error_set(POPS_EINVALID, "%s:%u:%u: partial '%s' not found%s%s%s",
			                       t->units[u->ref_unit].label, u->ref_line, u->ref_col, u->name,
			                       opts->partial_dir ? " (no " : "",
			                       opts->partial_dir ? u->label : "",
			                       opts->partial_dir ? ")" : "");
			goto done;
		}
		if (error < 0)
			goto done;
		if (*u->indent) {
			pops_buf_clear(&ind);
			if ((error = indent_source(&ind, psrc.ptr, psrc.size, u->indent)) < 0)
				goto done;
			error = pops_template__compile_unit(t, i, ind.ptr, ind.size, 1, 1, opts);
		} else {
			error = pops_template__compile_unit(t, i, psrc.ptr, psrc.size, 1, 1, opts);
		}
		if (error < 0)
			goto done;
		t->units[i].loaded = 1;
	}
	*out = t;
	t = NULL;
done:
	pops_buf_dispose(&ind);
	pops_buf_dispose(&psrc);
	pops_template_free(t);
	return error;
}

void pops_template_free(pops_template *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nunits; i++) {
		tpl_unit *u = &t->units[i];

		free(u->name);
		free(u->indent);
		free(u->label);
		pops_buf_dispose(&u->pool);
		free(u->ops);
		free(u->exprs);
		free(u->segs);
		free(u->hash);
	}
	free(t->units);
	free(t);
}

size_t pops_template_partial_count(const pops_template *t)
{
	return t ? t->nunits - 1 : 0;
}

const char *pops_template_partial_name(const pops_template *t, size_t i)
{
	return t && i + 1 < t->nunits ? t->units[i + 1].name : NULL;
}
