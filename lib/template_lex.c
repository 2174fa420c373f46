#include "common.h"
#include "template_int.h"
#include "strutil.h"

/*
 * Lexing for template_compile.c: source -> tokens (tags and text, with
 * delimiter changes applied as they come), then the whitespace pass:
 * standalone lines decided on the original text, then `~` stripping.
 */

int pops_template__grow(void *pp, size_t *alloc, size_t n, size_t elem)
{
	void **p = pp;
	size_t na;
	void *np;

	if (n < *alloc)
		return POPS_OK;
	na = *alloc ? *alloc * 2 : 16;
	if (na > SIZE_MAX / elem)
		return pops_error_oom();
	np = realloc(*p, na * elem);
	POPS_CHECK_ALLOC(np);
	*p = np;
	*alloc = na;
	return POPS_OK;
}

/*
 * line and column of byte `off`. Offsets arrive in increasing order, so the
 * column is counted incrementally: rescanning the line for every tag made
 * compiling quadratic in the number of tags on one line.
 */
void pops_template__position(cstate *cs, size_t off, uint32_t *line, uint32_t *col)
{
	size_t c;

	if (off < cs->cur_off) {   /* out of order: count this line again */
		c = 1;
		for (size_t i = cs->cur_line_start; i < off; i++)
			if (((unsigned char)cs->src[i] & 0xC0) != 0x80)
				c++;
	} else {
		for (; cs->cur_off < off; cs->cur_off++) {
			unsigned char ch = (unsigned char)cs->src[cs->cur_off];

			if (ch == '\n') {
				cs->cur_line++;
				cs->cur_line_start = cs->cur_off + 1;
				cs->cur_col = 1;
			} else if ((ch & 0xC0) != 0x80) {
				cs->cur_col++;
			}
		}
		c = cs->cur_col;
	}
	*line = (uint32_t)cs->cur_line;
	if (cs->cur_line == cs->first_line)
		c += cs->first_col - 1;
	*col = (uint32_t)c;
}

int pops_template__cerr(cstate *cs, uint32_t line, uint32_t col, const char *fmt, ...)
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
int pops_template__is_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

void pops_template__trim_span(const char *s, uint32_t *start, uint32_t *len)
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

/* the triple mustache '{{{name}}}' whose name starts at p: fills t and *end (just past
 * the closing delimiter): 0, or POPS_EINVALID with the error set when it is unclosed */
static int lex_triple(cstate *cs, tok *t, size_t p, const char *od, const char *cd, size_t cl,
                      size_t *end)
{
	const char *src = cs->src, *q;
	size_t len = cs->len, e = 0;

	for (q = find(src + p, len - p, cd, cl); q; q = find(q + 1, (size_t)(src + len - q - 1), cd, cl)) {
		e = (size_t)(q - src);
		if (e > p && src[e - 1] == '~') {
			t->strip_r = 1;
			e--;
		}
		if (e > p && src[e - 1] == '}')
			break;
		t->strip_r = 0;
	}
	if (!q)
		return cerr(cs, t->line, t->col, "unclosed tag '%s{' (no '}%s')", od, cd);
	t->type = T_RAW;
	t->start = (uint32_t)p;
	t->len = (uint32_t)(e - 1 - p);
	*end = (size_t)(q - src) + cl;
	return 0;
}

/* Handlebars spells else '{{^}}' or '{{else ...}}': such a variable or inverted
 * section becomes T_ELSE (keeping what follows 'else', as in 'else if') */
static void hb_else(const char *src, tok *t)
{
	uint32_t s = t->start, n = t->len;

	if (t->type != T_VAR && t->type != T_INV)
		return;
	trim_span(src, &s, &n);
	if (t->type == T_INV && n == 0) {
		t->type = T_ELSE;
		t->len = 0;
	} else if (t->type == T_VAR && n >= 4 && !memcmp(src + s, "else", 4) &&
	           (n == 4 || is_ws(src[s + 4]))) {
		t->type = T_ELSE;
		t->start = s + 4;
		t->len = n - 4;
	}
}

int pops_template__tokenize(cstate *cs)
{
	char od[8] = "{{", cd[8] = "}}";
	size_t ol = 2, cl = 2, pos = 0, len = cs->len;
	const char *src = cs->src;
	int hb = cs->t->dialect == POPS_TEMPLATE_HANDLEBARS;

	while (pos < len) {
		const char *o = find(src + pos, len - pos, od, ol), *q;
		size_t ts, p, e, end = 0;
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
			if (lex_triple(cs, &t, p + 1, od, cd, cl, &end) < 0)
				return POPS_EINVALID;
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
			if (hb)
				hb_else(src, &t);
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
void pops_template__whitespace(cstate *cs)
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


/* ---- tag expressions: paths, literals, key=value ---- */

int pops_template__pool_span(cstate *cs, tpl_span *sp, const char *p, size_t n)
{
	tpl_unit *u = UNIT(cs);

	sp->off = (uint32_t)u->pool.size;
	sp->len = (uint32_t)n;
	return pops_buf_put(&u->pool, p, n);
}

static int is_id_char(int c)
{
	return c && !is_ws(c) && !strchr("!\"#%&'()*+,./;<=>@[\\]^`{|}~", c);
}


int pops_template__add_seg(cstate *cs, tpl_expr *e, const char *p, size_t n, int *first)
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
	if (e->kind == EX_DATA && e->nseg) {
		static const char *const names[] = { "root", "index", "key", "first", "last" };
		const tpl_span *sp = &UNIT(cs)->segs[e->seg];

		for (int k = 0; k < 5; k++)
			if (sp->len == strlen(names[k]) && !memcmp(UNIT(cs)->pool.ptr + sp->off, names[k], sp->len))
				e->dkind = (uint8_t)(DK_ROOT + k);
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
int pops_template__parse_args(cstate *cs, const tok *t, const char *p, const char *end,
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
int pops_template__store_args(cstate *cs, tpl_op *op, const arg *args, size_t nargs, size_t skip)
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

