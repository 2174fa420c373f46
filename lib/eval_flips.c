#include "common.h"
#include "eval_flips.h"
#include "stats.h"

struct kv {
	const char *k;
	int v;
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

static struct kv *sorted(const cJSON *obj, size_t *n)
{
	const cJSON *it;
	struct kv *v;
	size_t i = 0;

	*n = cJSON_IsObject(obj) ? (size_t)cJSON_GetArraySize(obj) : 0;
	if (!(v = calloc(*n + 1, sizeof(*v))))
		return NULL;
	if (!*n)
		return v;
	cJSON_ArrayForEach(it, obj) {
		v[i].k = it->string;
		v[i++].v = cJSON_IsTrue(it);
	}
	qsort(v, i, sizeof(*v), cmp_kv);
	*n = i;
	return v;
}

void pops_eval_flips(const cJSON *before, const cJSON *after, size_t *paired,
                     size_t *newly_failing, size_t *newly_passing)
{
	size_t na = 0, nb = 0, i = 0, j = 0;
	struct kv *a = sorted(before, &na), *b = sorted(after, &nb);

	*paired = *newly_failing = *newly_passing = 0;
	while (a && b && i < na && j < nb) {
		int c = strcmp(a[i].k, b[j].k);

		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			(*paired)++;
			if (a[i].v && !b[j].v)
				(*newly_failing)++;
			else if (!a[i].v && b[j].v)
				(*newly_passing)++;
			i++;
			j++;
		}
	}
	free(a);
	free(b);
}

int pops_eval_add_baseline(cJSON *summary, const cJSON *current, const cJSON *baseline,
                           const char *ref, const char *source, double baseline_rate)
{
	size_t paired, nf, np;
	double p;
	const char *verdict;
	cJSON *b;

	pops_eval_flips(baseline, current, &paired, &nf, &np);
	p = pops_stats_mcnemar(nf, np);
	verdict = p < 0.05 && nf > np ? "regression" :
	          p < 0.05 && np > nf ? "improvement" : "no significant change";
	if (!(b = cJSON_AddObjectToObject(summary, "baseline")))
		return 0;
	cJSON_AddStringToObject(b, "ref", ref);
	cJSON_AddStringToObject(b, "source", source);
	if (baseline_rate >= 0)
		cJSON_AddNumberToObject(b, "pass_rate", baseline_rate);
	cJSON_AddNumberToObject(b, "paired", (double)paired);
	cJSON_AddNumberToObject(b, "newly_failing", (double)nf);
	cJSON_AddNumberToObject(b, "newly_passing", (double)np);
	cJSON_AddNumberToObject(b, "p_value", p);
	cJSON_AddStringToObject(b, "verdict", verdict);
	cJSON_AddNumberToObject(b, "min_detectable_drop", pops_stats_min_detectable_drop(paired));
	return !strcmp(verdict, "regression");
}
