#include "common.h"
#include "template_int.h"

#include <math.h>

/*
 * Instructions -> text. The context stack is a fixed array on the C
 * stack; values are small tagged structs pointing into the caller's JSON
 * or the template's pool, so a render allocates nothing but output.
 */

enum { V_UNDEF, V_NULL, V_BOOL, V_NUM, V_STR, V_JSON };

typedef struct val {
	int kind;
	const cJSON *j;      /* V_JSON: an object or array (scalars are unpacked) */
	const char *s;       /* V_STR */
	size_t len;
	double num;          /* V_NUM, V_BOOL */
} val;

typedef struct frame {
	val v;
	const tpl_unit *hu;  /* partial hash arguments: hop's pairs, evaluated */
	const tpl_op *hop;   /* in frame hparent of unit hu */
	int hparent;
	int iter;            /* @index/@key/@first/@last are set */
	long index;
	const char *key;
	int first, last;
} frame;

typedef struct rstate {
	const pops_template *t;
	const cJSON *data;
	pops_buf *out;
	pops_template_marks *marks;   /* NULL: the caller does not want them */
	frame *frames;
	int nframes;
	int pdepth, depth;
	unsigned long steps;     /* instructions run: a cap turns blow-ups into errors */
} rstate;

/* cJSON's type bits, tested inline: this is the hot path of every lookup */
#define JTYPE(j) ((j)->type & 0xFF)

static val from_json(const cJSON *j)
{
	val v;

	v.j = NULL;
	v.s = NULL;
	v.len = 0;
	v.num = 0;
	if (!j) {
		v.kind = V_UNDEF;
		return v;
	}
	switch (JTYPE(j)) {
	case cJSON_NULL: v.kind = V_NULL; break;
	case cJSON_False: v.kind = V_BOOL; break;
	case cJSON_True: v.kind = V_BOOL; v.num = 1; break;
	case cJSON_Number: v.kind = V_NUM; v.num = j->valuedouble; break;
	case cJSON_String:
		v.kind = V_STR;
		v.s = j->valuestring;
		v.len = strlen(j->valuestring);
		break;
	case cJSON_Array:
	case cJSON_Object: v.kind = V_JSON; v.j = j; break;
	default: v.kind = V_UNDEF; break;
	}
	return v;
}

/* NUL-terminated s equals k[0..n) (keys are short: a loop beats memcmp) */
static inline int key_eq(const char *s, const char *k, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != k[i] || !s[i])
			return 0;
	return s[n] == '\0';
}

static const cJSON *child(const cJSON *obj, const char *k, size_t n)
{
	const cJSON *c;

	if (!obj)
		return NULL;
	if (JTYPE(obj) == cJSON_Object) {
		for (c = obj->child; c; c = c->next)
			if (c->string && key_eq(c->string, k, n))
				return c;
		return NULL;
	}
	if (JTYPE(obj) == cJSON_Array && n && n < 10) {
		size_t idx = 0;

		for (size_t i = 0; i < n; i++) {
			if (!isdigit((unsigned char)k[i]))
				return NULL;
			idx = idx * 10 + (size_t)(k[i] - '0');
		}
		for (c = obj->child; c && idx; c = c->next)
			idx--;
		return c;
	}
	return NULL;
}

static val eval(rstate *rs, const tpl_unit *u, const tpl_expr *e, int fi);

/* key in frame fi (hash arguments first, then the context object); 1 if found */
static int frame_get(rstate *rs, int fi, const char *k, size_t n, val *out)
{
	const frame *f = &rs->frames[fi];
	const cJSON *c;

	if (f->hop) {
		for (uint32_t i = 0; i < f->hop->nh; i++) {
			const tpl_hash *h = &f->hu->hash[f->hop->h + i];

			if (h->key.len == n && !memcmp(f->hu->pool.ptr + h->key.off, k, n)) {
				*out = eval(rs, f->hu, &f->hu->exprs[h->expr], f->hparent);
				return 1;
			}
		}
	}
	if (f->v.kind == V_JSON && (c = child(f->v.j, k, n))) {
		*out = from_json(c);
		return 1;
	}
	return 0;
}

static val descend(val v, const tpl_unit *u, const tpl_expr *e, uint32_t from)
{
	const cJSON *j;

	if (from >= e->nseg)
		return v;
	if (v.kind != V_JSON)
		return from_json(NULL);
	j = v.j;
	for (uint32_t i = from; i < e->nseg && j; i++) {
		const tpl_span *s = &u->segs[e->seg + i];

		j = child(j, u->pool.ptr + s->off, s->len);
	}
	return from_json(j);
}

static int span_is(const tpl_unit *u, const tpl_span *s, const char *w)
{
	size_t n = strlen(w);

	return s->len == n && !memcmp(u->pool.ptr + s->off, w, n);
}

static val eval(rstate *rs, const tpl_unit *u, const tpl_expr *e, int fi)
{
	val v;
	int f;

	v.kind = V_UNDEF;
	v.j = NULL;
	v.s = NULL;
	v.len = 0;
	v.num = 0;
	switch (e->kind) {
	case EX_STR:
		v.kind = V_STR;
		v.s = u->pool.ptr + e->str.off;
		v.len = e->str.len;
		return v;
	case EX_NUM: v.kind = V_NUM; v.num = e->num; return v;
	case EX_TRUE: v.kind = V_BOOL; v.num = 1; return v;
	case EX_FALSE: v.kind = V_BOOL; return v;
	case EX_NULL: v.kind = V_NULL; return v;
	case EX_UNDEF: v.kind = V_UNDEF; return v;
	case EX_DATA: {
		const tpl_span *s;

		if (!e->nseg)
			return v;
		/* only now: a unit without segments has no segs array at all */
		s = &u->segs[e->seg];
		if (e->dkind == DK_ROOT)
			return descend(rs->frames[0].v, u, e, 1);
		if (e->dkind == DK_OTHER)
			return descend(from_json(child(rs->data, u->pool.ptr + s->off, s->len)), u, e, 1);
		for (f = fi; f >= 0 && !rs->frames[f].iter; f--)
			;
		if (f < 0)
			return v;
		switch (e->dkind) {
		case DK_INDEX:
			v.kind = V_NUM;
			v.num = (double)rs->frames[f].index;
			break;
		case DK_KEY:
			if (rs->frames[f].key) {
				v.kind = V_STR;
				v.s = rs->frames[f].key;
				v.len = strlen(v.s);
			} else {
				v.kind = V_NUM;
				v.num = (double)rs->frames[f].index;
			}
			break;
		default:
			v.kind = V_BOOL;
			v.num = e->dkind == DK_FIRST ? rs->frames[f].first : rs->frames[f].last;
			break;
		}
		return v;
	}
	default:
		break;
	}
	f = fi - e->up;
	if (f < 0)
		return v;
	if (e->nseg == 0)
		return rs->frames[f].v;
	{
		const tpl_span *s = &u->segs[e->seg];
		const char *k = u->pool.ptr + s->off;

		if (rs->t->dialect == POPS_TEMPLATE_MUSTACHE && !e->explicit_this && !e->up) {
			for (; f >= 0; f--)
				if (frame_get(rs, f, k, s->len, &v))
					return descend(v, u, e, 1);
			return from_json(NULL);
		}
		if (!frame_get(rs, f, k, s->len, &v))
			return from_json(NULL);
		return descend(v, u, e, 1);
	}
}

static void put_val(pops_buf *out, const val *v, int escape)
{
	switch (v->kind) {
	case V_STR:
		if (escape)
			pops_template__put_escaped(out, v->s, v->len);
		else
			pops_template__out_put(out, v->s, v->len);
		break;
	case V_NUM: pops_template__put_number(out, v->num); break;
	case V_BOOL: pops_buf_puts(out, v->num ? "true" : "false"); break;
	case V_JSON:
		if (escape) {
			pops_buf tmp = POPS_BUF_INIT;

			pops_template__put_js(&tmp, v->j, 1, 0);
			pops_template__put_escaped(out, tmp.ptr, tmp.size);
			pops_buf_dispose(&tmp);
		} else {
			pops_template__put_js(out, v->j, 1, 0);
		}
		break;
	default: break;
	}
}

static void json_put_val(pops_buf *out, const val *v, int indent)
{
	switch (v->kind) {
	case V_NULL: pops_buf_puts(out, "null"); break;
	case V_BOOL: pops_buf_puts(out, v->num ? "true" : "false"); break;
	case V_NUM:
		if (isfinite(v->num))
			pops_template__put_number(out, v->num);
		else
			pops_buf_puts(out, "null");
		break;
	case V_STR: pops_template__json_string(out, v->s, v->len); break;
	case V_JSON: pops_json_put(out, v->j, indent); break;
	default: break;
	}
}

/* JavaScript === on template values (objects by identity) */
static int strict_equal(const val *a, const val *b)
{
	if (a->kind != b->kind)
		return 0;
	switch (a->kind) {
	case V_UNDEF: case V_NULL: return 1;
	case V_BOOL: case V_NUM: return a->num == b->num;
	case V_STR: return a->len == b->len && !memcmp(a->s, b->s, a->len);
	default: return a->j == b->j;
	}
}

/* Handlebars #if: undefined, null, false, 0, "", [] and NaN are false */
static int truthy(const val *v)
{
	switch (v->kind) {
	case V_UNDEF: case V_NULL: return 0;
	case V_BOOL: case V_NUM: return v->num != 0 && !isnan(v->num);
	case V_STR: return v->len != 0;
	default: return !cJSON_IsArray(v->j) || v->j->child != NULL;
	}
}

static const val *hash_val(rstate *rs, const tpl_unit *u, const tpl_op *op, const char *key,
                           int fi, val *tmp)
{
	for (uint32_t i = 0; i < op->nh; i++) {
		const tpl_hash *h = &u->hash[op->h + i];

		if (span_is(u, &h->key, key)) {
			*tmp = eval(rs, u, &u->exprs[h->expr], fi);
			return tmp;
		}
	}
	return NULL;
}

static int rerr(rstate *rs, const tpl_unit *u, const tpl_op *op, const char *what)
{
	(void)rs;
	return pops_error_set(POPS_EINVALID, "%s:%u:%u: %s", u->label, op->line, op->col, what);
}

static int render_range(rstate *rs, const tpl_unit *u, uint32_t pc, uint32_t end);

static int push(rstate *rs, const tpl_unit *u, const tpl_op *op, const val *v)
{
	frame *f;

	if (rs->nframes >= POPS_TEMPLATE_MAX_DEPTH)
		return rerr(rs, u, op, "contexts nested too deeply");
	f = &rs->frames[rs->nframes++];
	f->v = *v;
	f->hu = NULL;
	f->hop = NULL;
	f->hparent = 0;
	f->iter = 0;
	f->key = NULL;
	return POPS_OK;
}

/* the body once in a new context */
static int body_with(rstate *rs, const tpl_unit *u, const tpl_op *op, uint32_t pc, const val *v)
{
	int error;

	if ((error = push(rs, u, op, v)) < 0)
		return error;
	error = render_range(rs, u, pc + 1, op->mid);
	rs->nframes--;
	return error;
}

static int inverse(rstate *rs, const tpl_unit *u, const tpl_op *op)
{
	if (op->mid == op->end)
		return POPS_OK;
	return render_range(rs, u, op->mid + 1, op->end);
}

static int iterate(rstate *rs, const tpl_unit *u, const tpl_op *op, uint32_t pc, const val *v)
{
	const cJSON *c;
	long i = 0;
	int error = POPS_OK, is_obj;
	frame *f;

	if (v->kind != V_JSON || !v->j->child)
		return inverse(rs, u, op);
	is_obj = cJSON_IsObject(v->j);
	for (c = v->j->child; c && !error; c = c->next, i++) {
		val item = from_json(c);

		if ((error = push(rs, u, op, &item)) < 0)
			break;
		f = &rs->frames[rs->nframes - 1];
		f->iter = 1;
		f->index = i;
		f->key = is_obj ? c->string : NULL;
		f->first = i == 0;
		f->last = c->next == NULL;
		error = render_range(rs, u, pc + 1, op->mid);
		rs->nframes--;
	}
	return error;
}

static int block(rstate *rs, const tpl_unit *u, const tpl_op *op, uint32_t pc)
{
	int fi = rs->nframes - 1;
	val a = op->n ? eval(rs, u, &u->exprs[op->a], fi) : from_json(NULL), b;
	int cond;

	switch (op->kind) {
	case BK_SECTION:
		if (a.kind == V_UNDEF || a.kind == V_NULL || (a.kind == V_BOOL && !a.num))
			return inverse(rs, u, op);
		if (a.kind == V_BOOL)
			return render_range(rs, u, pc + 1, op->mid);
		if (a.kind == V_JSON && cJSON_IsArray(a.j))
			return iterate(rs, u, op, pc, &a);
		return body_with(rs, u, op, pc, &a);
	case BK_INVERTED:
		cond = a.kind == V_UNDEF || a.kind == V_NULL || (a.kind == V_BOOL && !a.num) ||
		       (a.kind == V_JSON && cJSON_IsArray(a.j) && !a.j->child);
		return cond ? render_range(rs, u, pc + 1, op->mid) : inverse(rs, u, op);
	case BK_IF:
	case BK_UNLESS:
		cond = truthy(&a);
		if (op->kind == BK_UNLESS)
			cond = !cond;
		return cond ? render_range(rs, u, pc + 1, op->mid) : inverse(rs, u, op);
	case BK_EACH:
		return iterate(rs, u, op, pc, &a);
	case BK_WITH:
		if (a.kind == V_UNDEF || a.kind == V_NULL || (a.kind == V_BOOL && !a.num) ||
		    (a.kind == V_STR && !a.len) || (a.kind == V_JSON && cJSON_IsArray(a.j) && !a.j->child))
			return inverse(rs, u, op);
		return body_with(rs, u, op, pc, &a);
	case BK_IFEQ:
	case BK_UNLESSEQ:
		b = eval(rs, u, &u->exprs[op->a + 1], fi);
		cond = strict_equal(&a, &b);
		if (op->kind == BK_UNLESSEQ)
			cond = !cond;
		return cond ? render_range(rs, u, pc + 1, op->mid) : inverse(rs, u, op);
	default: {
		pops_buf m = POPS_BUF_INIT;
		int error;

		pops_buf_printf(&m, "helper '%.*s' is not built in: pops cannot run helpers that an "
		                "application registers", (int)op->name.len, u->pool.ptr + op->name.off);
		error = rerr(rs, u, op, m.ptr);
		pops_buf_dispose(&m);
		return error;
	}
	}
}

/* JSON.stringify's rule: a numeric indent is clamped to 0..10 (NaN: 0) */
static int json_indent(double n)
{
	if (!(n >= 1))
		return 0;
	return n >= 10 ? 10 : (int)n;
}

/* the roles a message can have: dotprompt's and the providers' */
static int is_role(const val *v)
{
	static const char *const roles[] = { "system", "user", "model", "assistant", "tool" };

	if (v->kind != V_STR)
		return 0;
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strlen(roles[i]) == v->len && !memcmp(roles[i], v->s, v->len))
			return 1;
	return 0;
}

static int bad_role(rstate *rs, const tpl_unit *u, const tpl_op *op, const val *a)
{
	pops_buf m = POPS_BUF_INIT, v = POPS_BUF_INIT;
	int error;

	put_val(&v, a, 0);
	if (v.size > 40)
		pops_buf_truncate(&v, 40);
	pops_buf_printf(&m, "role '%s' is not a message role (system, user, model, assistant "
	                "or tool)", v.ptr);
	error = rerr(rs, u, op, m.ptr);
	pops_buf_dispose(&v);
	pops_buf_dispose(&m);
	return error;
}

/* record the marker a helper wrote since output offset `start` */
static int mark(rstate *rs, size_t start, int kind)
{
	pops_template_marks *m = rs->marks;

	if (!m || rs->out->failed)   /* a failed buffer fails the render anyway */
		return POPS_OK;
	if (m->n == m->alloc) {
		size_t na = m->alloc ? m->alloc * 2 : 8;
		pops_template_mark *nv = realloc(m->v, na * sizeof(*nv));

		POPS_CHECK_ALLOC(nv);
		m->v = nv;
		m->alloc = na;
	}
	m->v[m->n].off = start;
	m->v[m->n].len = rs->out->size - start;
	m->v[m->n].kind = kind;
	m->n++;
	return POPS_OK;
}

static int helper(rstate *rs, const tpl_unit *u, const tpl_op *op)
{
	int fi = rs->nframes - 1;
	pops_buf *out = rs->out;
	val a = op->n ? eval(rs, u, &u->exprs[op->a], fi) : from_json(NULL), tmp, tmp2;
	const val *h, *h2;
	size_t start = out->size;

	switch (op->kind) {
	case H_ROLE:
		if (!is_role(&a))
			return bad_role(rs, u, op, &a);
		pops_buf_puts(out, "<<<dotprompt:role:");
		put_val(out, &a, 0);
		pops_buf_puts(out, ">>>");
		return mark(rs, start, POPS_MARK_ROLE);
	case H_HISTORY:
		pops_buf_puts(out, "<<<dotprompt:history>>>");
		return mark(rs, start, POPS_MARK_HISTORY);
	case H_SECTION:
		pops_buf_puts(out, "<<<dotprompt:section ");
		put_val(out, &a, 0);
		pops_buf_puts(out, ">>>");
		return mark(rs, start, POPS_MARK_SECTION);
	case H_MEDIA:
		h = hash_val(rs, u, op, "url", fi, &tmp);
		h2 = hash_val(rs, u, op, "contentType", fi, &tmp2);
		pops_buf_puts(out, "<<<dotprompt:media:url ");
		if (h)
			put_val(out, h, 0);
		if (h2 && h2->kind != V_UNDEF && h2->kind != V_NULL && !(h2->kind == V_STR && !h2->len)) {
			pops_buf_putc(out, ' ');
			put_val(out, h2, 0);
		}
		pops_buf_puts(out, ">>>");
		return mark(rs, start, POPS_MARK_MEDIA);
	case H_JSON:
		h = hash_val(rs, u, op, "indent", fi, &tmp);
		json_put_val(out, &a, h && h->kind == V_NUM ? json_indent(h->num) : 0);
		break;
	case H_UNKNOWN: {
		pops_buf m = POPS_BUF_INIT;
		int error;

		pops_buf_printf(&m, "helper '%.*s' is not built in: pops cannot run helpers that an "
		                "application registers", (int)op->name.len, u->pool.ptr + op->name.off);
		error = rerr(rs, u, op, m.ptr);
		pops_buf_dispose(&m);
		return error;
	}
	case H_LOOKUP: {
		val k = eval(rs, u, &u->exprs[op->a + 1], fi), r = from_json(NULL);
		pops_buf key = POPS_BUF_INIT;

		if (a.kind == V_JSON) {
			put_val(&key, &k, 0);
			r = from_json(child(a.j, key.ptr, key.size));
		}
		pops_buf_dispose(&key);
		put_val(out, &r, 0);
		break;
	}
	default:
		break;
	}
	return POPS_OK;
}

static int partial(rstate *rs, const tpl_unit *u, const tpl_op *op)
{
	const tpl_unit *pu = &rs->t->units[op->partial];
	int fi = rs->nframes - 1, pushed = 0, error;

	if (pu->missing)
		return POPS_OK;
	if (rs->pdepth >= POPS_TEMPLATE_MAX_PARTIAL_DEPTH) {
		pops_buf m = POPS_BUF_INIT;

		pops_buf_printf(&m, "partials nested deeper than %d: '%s' includes itself?",
		                POPS_TEMPLATE_MAX_PARTIAL_DEPTH, pu->name);
		error = rerr(rs, u, op, m.ptr);
		pops_buf_dispose(&m);
		return error;
	}
	if (op->n || op->nh) {
		val v = op->n ? eval(rs, u, &u->exprs[op->a], fi) : rs->frames[fi].v;
		frame *f;

		if ((error = push(rs, u, op, &v)) < 0)
			return error;
		pushed = 1;
		f = &rs->frames[rs->nframes - 1];
		if (op->nh) {
			f->hu = u;
			f->hop = op;
			f->hparent = fi;
		}
	}
	rs->pdepth++;
	error = render_range(rs, pu, 0, (uint32_t)pu->nops);
	rs->pdepth--;
	if (pushed)
		rs->nframes--;
	return error;
}

static int render_range(rstate *rs, const tpl_unit *u, uint32_t pc, uint32_t end)
{
	int error = POPS_OK;

	if (++rs->steps > POPS_TEMPLATE_MAX_STEPS) {   /* empty loop bodies count too */
		rs->depth++;
		pc = end;
		error = pops_error_set(POPS_EINVALID, "%s: template does too much work (loops or "
		                       "partials multiply)", u->label);
	} else if (++rs->depth > POPS_TEMPLATE_MAX_DEPTH * 4) {
		rs->depth--;
		return pc < u->nops ? rerr(rs, u, &u->ops[pc], "template nested too deeply")
		                    : pops_error_set(POPS_EINVALID, "template nested too deeply");
	}
	while (pc < end && !error) {
		const tpl_op *op = &u->ops[pc];

		/* nested loops and partials can multiply work (or output) without
		 * bound: stop at the output cap or the step budget */
		if (rs->out->failed || ++rs->steps > POPS_TEMPLATE_MAX_STEPS) {
			error = rs->out->failed ? POPS_ERROR
			                        : rerr(rs, u, op, "template does too much work "
			                               "(loops or partials multiply)");
			break;
		}

		switch (op->code) {
		case OP_TEXT:
			pops_template__out_put(rs->out, u->pool.ptr + op->a, op->n);
			pc++;
			break;
		case OP_VAR: {
			const tpl_expr *e = &u->exprs[op->a];
			int fi = rs->nframes - 1 - e->up;

			/* fast path: a plain path in a JSON context, printed straight from cJSON */
			if (e->kind == EX_PATH && e->nseg && fi >= 0 && !rs->frames[fi].hop &&
			    rs->frames[fi].v.kind == V_JSON && !op->escape &&
			    (e->explicit_this || e->up || rs->t->dialect == POPS_TEMPLATE_HANDLEBARS)) {
				const cJSON *j = rs->frames[fi].v.j;

				for (uint32_t i = 0; i < e->nseg && j; i++)
					j = child(j, u->pool.ptr + u->segs[e->seg + i].off, u->segs[e->seg + i].len);
				if (j && JTYPE(j) == cJSON_String)
					pops_template__out_put(rs->out, j->valuestring, strlen(j->valuestring));
				else if (j && JTYPE(j) == cJSON_Number)
					pops_template__put_number(rs->out, j->valuedouble);
				else if (j)
					pops_template__put_js(rs->out, j, 1, 0);
			} else {
				val v = eval(rs, u, e, rs->nframes - 1);

				put_val(rs->out, &v, op->escape);
			}
			pc++;
			break;
		}
		case OP_HELPER:
			error = helper(rs, u, op);
			pc++;
			break;
		case OP_PARTIAL:
			error = partial(rs, u, op);
			pc++;
			break;
		case OP_BLOCK:
			error = block(rs, u, op, pc);
			pc = op->end + 1;
			break;
		default:
			pc++;
			break;
		}
	}
	rs->depth--;
	return error;
}

void pops_template_marks_dispose(pops_template_marks *m)
{
	if (!m)
		return;
	free(m->v);
	m->v = NULL;
	m->n = m->alloc = 0;
}

int pops_template_render(const pops_template *t, const cJSON *input, const cJSON *data,
                         pops_buf *out)
{
	return pops_template_render_marked(t, input, data, out, NULL);
}

int pops_template_render_marked(const pops_template *t, const cJSON *input, const cJSON *data,
                                pops_buf *out, pops_template_marks *marks)
{
	frame frames[POPS_TEMPLATE_MAX_DEPTH];
	rstate rs;
	int error;

	memset(&rs, 0, sizeof(rs));
	rs.t = t;
	rs.data = data;
	rs.out = out;
	rs.marks = marks;
	rs.frames = frames;
	rs.nframes = 1;
	memset(&frames[0], 0, sizeof(frames[0]));
	frames[0].v = from_json(input);
	error = render_range(&rs, &t->units[0], 0, (uint32_t)t->units[0].nops);
	if ((!error || error == POPS_ERROR) && pops_buf_oom(out))
		error = pops_buf_over_limit(out)
			? pops_error_set(POPS_EINVALID, "%s: rendered output exceeds %zu bytes",
			                 t->units[0].label, out->limit)
			: pops_error_oom();
	return error;
}
