#include "common.h"
#include <math.h>
#include "assertion.h"
#include "assertion_int.h"
#include "strutil.h"

/*
 * similar / not-similar: the cosine similarity of the output's embedding
 * and the value's (default "{{expected}}") against 'threshold' (default
 * POPS_SIMILAR_THRESHOLD). Compiled here; the runner embeds the texts in
 * batches (lib/eval_run_similar.c) and settles the result with
 * pops_assert_similar_result.
 */

#define QUOTE_MAX 60

int pops_assert__compile_similar(pops_assert *a, const cJSON *node)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(node, "threshold");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(node, "model");

	if (!a->value) {
		if (a->json)
			return pops_error_set(POPS_EINVALID, "%s:%u: '%s' compares with a text: 'value' "
			                      "must be a string (default '{{expected}}')", a->file,
			                      a->line, a->name);
		if (!(a->value = pops_strdup("{{expected}}")))
			return pops_error_oom();
		a->templated = 1;
	}
	a->threshold = POPS_SIMILAR_THRESHOLD;
	if (t && (!cJSON_IsNumber(t) || t->valuedouble < -1 || t->valuedouble > 1))
		return pops_error_set(POPS_EINVALID, "%s:%u: '%s' 'threshold' must be a number from -1 "
		                      "to 1 (the cosine similarity needed)", a->file, a->line, a->name);
	if (t)
		a->threshold = t->valuedouble;
	if (m && (!cJSON_IsString(m) || !m->valuestring[0]))
		return pops_error_set(POPS_EINVALID, "%s:%u: '%s' 'model' must be the alias of an "
		                      "embeddings model", a->file, a->line, a->name);
	if (m && !(a->model = pops_strdup(m->valuestring)))
		return pops_error_oom();
	return 0;
}

int pops_assert_needs_embeddings(const pops_assert *a)
{
	return a->type == POPS_ASSERT_SIMILAR;
}

int pops_assert_similar_result(pops_assert_result *res, int negate, double threshold,
                               const char *value, double cosine)
{
	size_t vlen = value ? strlen(value) : 0;
	int similar = cosine >= threshold - 1e-12;

	res->error = 0;
	res->pass = similar != negate;
	/* similar: the similarity is the score (0 when opposite); not-similar: pass or fail */
	res->score = negate ? (res->pass ? 1.0 : 0.0) : cosine < 0 ? 0 : cosine;
	pops_buf_clear(&res->reason);
	pops_buf_printf(&res->reason, "cosine similarity %.2f to '", cosine);
	pops_buf_put_sanitized(&res->reason, value ? value : "", vlen > QUOTE_MAX ? QUOTE_MAX : vlen, 0);
	pops_buf_printf(&res->reason, "%s'", vlen > QUOTE_MAX ? "..." : "");
	if (!res->pass)
		pops_buf_printf(&res->reason, ", %s the threshold %g", negate ? "at or above" : "below",
		                threshold);
	if (pops_buf_oom(&res->reason))
		return pops_error_oom();
	return pops_assert_one_line(&res->reason);
}
