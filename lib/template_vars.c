#include "common.h"
#include "template_int.h"
#include "strutil.h"

/*
 * Which variables a template cannot do without: a static walk of the
 * compiled instructions, so that the eval runner can reject a dataset row
 * before any request rather than send a prompt with a hole in it.
 */

typedef struct walk {
	const pops_template *t;
	cJSON *out;
	unsigned char *seen;       /* units already walked (partials used twice) */
} walk;

/* the path as an array of segment names; NULL on out of memory */
static cJSON *path_array(const tpl_unit *u, const tpl_expr *e)
{
	cJSON *a = cJSON_CreateArray();

	for (uint16_t i = 0; a && i < e->nseg; i++) {
		const tpl_span *s = &u->segs[e->seg + i];
		char *name = pops_strndup(u->pool.ptr + s->off, s->len);
		cJSON *str = name ? cJSON_CreateString(name) : NULL;

		free(name);
		if (!str || !cJSON_AddItemToArray(a, str)) {
			cJSON_Delete(str);
			cJSON_Delete(a);
			return NULL;
		}
	}
	return a;
}

/* a lookup in the root context, recorded once */
static int need(walk *w, const tpl_unit *u, const tpl_expr *e)
{
	const cJSON *it;
	cJSON *p;

	/* ../x leaves the root, @root.x and literals are not the context's;
	 * {{this}} alone reads the whole input, which always exists */
	if (e->kind != EX_PATH || e->up || !e->nseg)
		return POPS_OK;
	p = path_array(u, e);
	POPS_CHECK_ALLOC(p);
	cJSON_ArrayForEach(it, w->out)
		if (cJSON_Compare(it, p, 1)) {
			cJSON_Delete(p);
			return POPS_OK;
		}
	if (!cJSON_AddItemToArray(w->out, p)) {
		cJSON_Delete(p);
		return pops_error_oom();
	}
	return POPS_OK;
}

static int walk_unit(walk *w, size_t ui)
{
	const tpl_unit *u = &w->t->units[ui];
	uint32_t pc = 0;
	int error = POPS_OK;

	if (w->seen[ui] || u->missing)
		return POPS_OK;
	w->seen[ui] = 1;
	while (pc < u->nops && !error) {
		const tpl_op *op = &u->ops[pc];

		switch (op->code) {
		case OP_VAR:
			error = need(w, u, &u->exprs[op->a]);
			pc++;
			break;
		case OP_HELPER:
			/* {{json x}} prints x whatever it is; the other helpers take
			 * literals (role, section), build markers from hash
			 * arguments (media) or look up a key that may be absent */
			if (op->kind == H_JSON && op->n)
				error = need(w, u, &u->exprs[op->a]);
			pc++;
			break;
		case OP_PARTIAL:
			/* a partial given a context or hash arguments reads those:
			 * left out rather than guessed */
			if (!op->n && !op->nh && op->partial >= 0)
				error = walk_unit(w, (size_t)op->partial);
			pc++;
			break;
		case OP_BLOCK:
			/* #if, #each, #with, sections: whatever is inside may never
			 * render, and the block's own argument is the guard */
			pc = op->end + 1;
			break;
		default:
			pc++;
			break;
		}
	}
	return error;
}

int pops_template_required_vars(cJSON **out, const pops_template *t)
{
	walk w;
	int error;

	*out = NULL;
	memset(&w, 0, sizeof(w));
	w.t = t;
	if (!(w.out = cJSON_CreateArray()) || !(w.seen = calloc(t->nunits + 1, 1))) {
		cJSON_Delete(w.out);
		return pops_error_oom();
	}
	if ((error = walk_unit(&w, 0)) < 0)
		cJSON_Delete(w.out);
	else
		*out = w.out;
	free(w.seen);
	return error;
}
