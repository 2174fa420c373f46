#include "common.h"
#include "template_int.h"
#include "strutil.h"

/*
 * Source -> instructions. Three passes over one unit: tokenize (tags and
 * text, delimiter changes applied as they come), whitespace (standalone
 * lines decided on the original text, then `~` stripping), and emit
 * (instructions with jump targets, partial references to units).
 */


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

/* ---- emitting ---- */

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

static int helper_index(const char *const *names, const char *p, size_t n)
{
	for (int i = 0; names[i]; i++)
		if (strlen(names[i]) == n && !memcmp(names[i], p, n))
			return i;
	return -1;
}

/*
 * A helper pops does not have: an error if it looks like a misspelt
 * built-in, else a warning (the application registers it) and an
 * instruction that fails when rendered. Fills op->name.
 */
static int unknown_helper(cstate *cs, const tok *t, const char *name, size_t n, tpl_op *op)
{
	pops_template *tp = cs->t;
	char *w = pops_strndup(name, n), **nw;
	const char *g = w ? pops_suggest(w, all_helpers, 2) : NULL;
	pops_buf b = POPS_BUF_INIT;
	int r;

	if (!w) {
		r = pops_error_oom();
	} else if (g && strcmp(g, w)) {
		r = cerr(cs, t->line, t->col, "unknown helper '%.*s' (did you mean '%s'?)", (int)n, name, g);
	} else {
		pops_buf_printf(&b, "%s:%u:%u: helper '%.*s' is not built in (registered by the "
		                "application?); rendering it is an error", cs->label, t->line, t->col,
		                (int)n, name);
		nw = realloc(tp->warnings, (tp->nwarnings + 1) * sizeof(char *));
		if (!nw || pops_buf_oom(&b)) {
			if (nw)
				tp->warnings = nw;
			r = pops_error_oom();
		} else {
			tp->warnings = nw;
			tp->warnings[tp->nwarnings++] = pops_buf_detach(&b);
			r = pool_span(cs, &op->name, name, n);
		}
	}
	pops_buf_dispose(&b);
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
		return pops_error_oom();
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
	if (nargs > 1 || args[0].key) {
		if (unknown_helper(cs, t, name, nlen, &op) < 0)
			return POPS_EINVALID;
		op.kind = BK_UNKNOWN;
		goto push;
	}
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
	if (nargs > 1) {
		size_t nl = strcspn(p, " \t\r\n");

		if (unknown_helper(cs, t, p, nl < n ? nl : n, &op) < 0)
			return POPS_EINVALID;
		op.code = OP_HELPER;
		op.kind = H_UNKNOWN;
		return emit(cs, &op, NULL);
	}
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
	cs.cur_col = 1;
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
	if ((error = pops_template__tokenize(&cs)) < 0)
		goto done;
	pops_template__whitespace(&cs);
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
		error = pops_error_oom();
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
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
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
		return pops_error_oom();
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
		return pops_error_oom();
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
	for (size_t i = 0; i < t->nwarnings; i++)
		free(t->warnings[i]);
	free(t->warnings);
	free(t);
}

size_t pops_template_warning_count(const pops_template *t)
{
	return t ? t->nwarnings : 0;
}

const char *pops_template_warning(const pops_template *t, size_t i)
{
	return t && i < t->nwarnings ? t->warnings[i] : NULL;
}

size_t pops_template_partial_count(const pops_template *t)
{
	return t ? t->nunits - 1 : 0;
}

const char *pops_template_partial_name(const pops_template *t, size_t i)
{
	return t && i + 1 < t->nunits ? t->units[i + 1].name : NULL;
}
