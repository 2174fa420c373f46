#include "common.h"
#include "assertion.h"
#include "assertion_int.h"

/* assert-set: a group of assertions scored as one (promptfoo's semantics) */

#define SET_MAX 100

int pops_assert__compile_set(pops_assert *a, const cJSON *node)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(node, "assert"), *it;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(node, "threshold");
	int error;

	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) < 1 || cJSON_GetArraySize(list) > SET_MAX)
		return pops_error_set(POPS_EINVALID, "%s:%u: 'assert-set' needs 'assert': a list of 1 to %d "
		                      "assertions", a->file, a->line, SET_MAX);
	if (t && (!cJSON_IsNumber(t) || t->valuedouble < 0 || t->valuedouble > 1))
		return pops_error_set(POPS_EINVALID, "%s:%u: 'assert-set' 'threshold' must be a score "
		                      "from 0 to 1", a->file, a->line);
	if (t) {
		a->threshold = t->valuedouble;
		a->has_threshold = 1;
	}
	a->set = calloc((size_t)cJSON_GetArraySize(list), sizeof(*a->set));
	POPS_CHECK_ALLOC(a->set);
	cJSON_ArrayForEach(it, list) {
		pops_assert *m;

		if ((error = pops_assert_compile(&m, it, a->file, a->line)) < 0)
			return error;
		a->set[a->nset++] = m;
		if (pops_assert_needs_model(m) || m->type == POPS_ASSERT_EXEC || m->type == POPS_ASSERT_SET)
			return pops_error_set(POPS_EINVALID, "%s:%u: '%s' cannot be inside an 'assert-set': "
			                      "a set holds deterministic checks (put it beside the set)",
			                      a->file, a->line, m->name);
	}
	return 0;
}

int pops_assert__check_set(pops_assert_result *res, const pops_assert *a,
                           const pops_assert_input *in, double *score)
{
	pops_assert_result m = POPS_ASSERT_RESULT_INIT;
	double wsum = 0, ssum = 0;
	int allpass = 1, error = 0;
	size_t i, failed = 0;

	res->pass = res->error = 0;
	for (i = 0; i < a->nset && !error; i++) {
		const pops_assert *s = a->set[i];

		if ((error = pops_assert_check(&m, s, in)) < 0)
			break;
		wsum += s->weight;
		ssum += s->weight * m.score;
		if (m.error && !res->error) {
			res->error = 1;
			pops_buf_clear(&res->reason);
			pops_buf_printf(&res->reason, "%s: %s", s->name, m.reason.ptr);
		}
		if (!m.pass && s->weight > 0) {
			allpass = 0;
			if (!res->error)
				pops_buf_printf(&res->reason, "%s%s: %s", failed++ ? "; " : "", s->name,
				                m.reason.size ? m.reason.ptr : "failed");
		}
	}
	pops_buf_dispose(&m.reason);
	*score = wsum > 0 ? ssum / wsum : 1.0;
	if (error < 0 || res->error)
		return error;
	res->pass = a->has_threshold ? *score >= a->threshold - 1e-9 : allpass;
	if (res->pass) {
		pops_buf_clear(&res->reason);
	} else if (a->has_threshold) {
		pops_buf why = POPS_BUF_INIT;

		pops_buf_printf(&why, "set score %.2f < %.2f: %s", *score, a->threshold, res->reason.ptr);
		if (pops_buf_oom(&why))
			error = pops_error_oom();
		else
			pops_buf_sets(&res->reason, why.ptr);
		pops_buf_dispose(&why);
	}
	return error;
}
