#include "common.h"
#include "assertion.h"
#include "assertion_int.h"
#include "judge.h"
#include "strutil.h"

/*
 * The judge assertion's jury and rubric keys (pops-suite(5) "Juries and
 * rubrics"): compiled here so the type table stays one row per type.
 */

#define BAD(...) do { error = pops_error_set(POPS_EINVALID, __VA_ARGS__); goto done; } while (0)

static const char *const aggregates[] = { "majority", "all", "any", "mean", NULL };

const char *pops_jury_aggregate_name(int aggregate)
{
	return aggregate >= 0 && aggregate <= POPS_JURY_MEAN ? aggregates[aggregate] : "majority";
}

int pops_assert_judge_requests(const pops_assert *a)
{
	if (a->type == POPS_ASSERT_PAIRWISE)
		return 2;
	if (a->type != POPS_ASSERT_JUDGE)
		return 0;
	return (a->nmodels ? (int)a->nmodels : 1) * (a->self_consistency > 1 ? a->self_consistency : 1);
}

int pops_assert__compile_jury(pops_assert *a, const cJSON *node)
{
	const cJSON *models = cJSON_GetObjectItemCaseSensitive(node, "models"), *it;
	const cJSON *agg = cJSON_GetObjectItemCaseSensitive(node, "aggregate");
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(node, "self_consistency");
	const char *file = a->file;
	unsigned line = a->line;
	size_t i;
	int error = 0;

	a->self_consistency = 1;
	if (sc && (!cJSON_IsNumber(sc) || (sc->valuedouble != 1 && sc->valuedouble != 2)))
		BAD("%s:%u: 'self_consistency' must be 1 or 2 (asked twice, the second time with the "
		    "rubric reworded)", file, line);
	if (sc)
		a->self_consistency = (int)sc->valuedouble;
	if (agg && !models)
		BAD("%s:%u: 'aggregate' is for a jury: give 'models: [a, b, c]'", file, line);
	if (!models)
		return 0;
	if (cJSON_GetObjectItemCaseSensitive(node, "model"))
		BAD("%s:%u: give 'model' (one judge) or 'models' (a jury), not both", file, line);
	if (!cJSON_IsArray(models) || cJSON_GetArraySize(models) < 2 || cJSON_GetArraySize(models) > 15)
		BAD("%s:%u: 'models' must be a list of 2 to 15 judge aliases", file, line);
	cJSON_ArrayForEach(it, models)
		if (!cJSON_IsString(it) || !it->valuestring[0])
			BAD("%s:%u: 'models' must be a list of judge aliases (strings)", file, line);
	if (agg) {
		for (i = 0; aggregates[i]; i++)
			if (cJSON_IsString(agg) && !strcmp(agg->valuestring, aggregates[i]))
				break;
		if (!aggregates[i])
			BAD("%s:%u: 'aggregate' must be majority, all, any or mean", file, line);
		a->aggregate = (int)i;
	}
	a->nmodels = (size_t)cJSON_GetArraySize(models);
	if (!(a->models = calloc(a->nmodels, sizeof(*a->models))))
		BAD("out of memory");
	i = 0;
	cJSON_ArrayForEach(it, models)
		if (!(a->models[i++] = pops_strdup(it->valuestring)))
			BAD("out of memory");
	if (!(a->model = pops_strdup(a->models[0])))
		BAD("out of memory");
done:
	return error;
}

/* criteria: {level: text}, levels within the scale, appended in order */
static int add_criteria(pops_assert *a, pops_buf *b, const cJSON *crit)
{
	const cJSON *it;
	int level, error = 0;

	if (!cJSON_IsObject(crit) || !crit->child)
		BAD("%s:%u: 'criteria' must map score levels to what earns them ({1: ..., %d: ...})",
		    a->file, a->line, a->scale_max);
	cJSON_ArrayForEach(it, crit) {
		char *end;
		long l = strtol(it->string, &end, 10);

		if (*end || end == it->string || l < 1 || l > a->scale_max || !cJSON_IsString(it))
			BAD("%s:%u: 'criteria' key '%s' is not a level of the scale 1-%d (each level maps "
			    "to a text)", a->file, a->line, it->string, a->scale_max);
	}
	pops_buf_puts(b, "\n\nWhat each score means:");
	for (level = 1; level <= a->scale_max; level++)
		cJSON_ArrayForEach(it, crit)
			if (strtol(it->string, NULL, 10) == level)
				pops_buf_printf(b, "\n%d: %s", level, it->valuestring);
done:
	return error;
}

static int add_steps(pops_assert *a, pops_buf *b, const cJSON *steps)
{
	const cJSON *it;
	int n = 0, error = 0;

	if (!cJSON_IsArray(steps) || !steps->child)
		BAD("%s:%u: 'steps' must be a list of evaluation steps (strings)", a->file, a->line);
	pops_buf_puts(b, "\n\nBefore you give a verdict, follow these evaluation steps in order "
	              "and write down the result of each:");
	cJSON_ArrayForEach(it, steps) {
		if (!cJSON_IsString(it) || !it->valuestring[0])
			BAD("%s:%u: 'steps' must be a list of evaluation steps (strings)", a->file, a->line);
		pops_buf_printf(b, "\n%d. %s", ++n, it->valuestring);
	}
done:
	return error;
}

int pops_assert__compile_rubric(pops_assert *a, const cJSON *node)
{
	const cJSON *scale = cJSON_GetObjectItemCaseSensitive(node, "scale");
	const cJSON *thr = cJSON_GetObjectItemCaseSensitive(node, "threshold");
	const cJSON *crit = cJSON_GetObjectItemCaseSensitive(node, "criteria");
	const cJSON *steps = cJSON_GetObjectItemCaseSensitive(node, "steps");
	pops_buf b = POPS_BUF_INIT;
	int error = 0;

	if (scale) {
		if (!cJSON_IsString(scale) || (strcmp(scale->valuestring, "1-5") &&
		                               strcmp(scale->valuestring, "1-10")))
			BAD("%s:%u: 'scale' must be \"1-5\" or \"1-10\"", a->file, a->line);
		a->scale_max = !strcmp(scale->valuestring, "1-5") ? 5 : 10;
		if (!cJSON_IsNumber(thr) || thr->valuedouble < 1 || thr->valuedouble > a->scale_max ||
		    thr->valuedouble != (double)(int)thr->valuedouble)
			BAD("%s:%u: a 'scale' needs 'threshold': the lowest passing score (an integer 1-%d)",
			    a->file, a->line, a->scale_max);
		a->pass_score = (int)thr->valuedouble;
	} else if (thr) {
		BAD("%s:%u: a judge's 'threshold' is the lowest passing score of a 'scale' (1-5 or 1-10)",
		    a->file, a->line);
	} else if (crit) {
		BAD("%s:%u: 'criteria' describe the levels of a 'scale': add 'scale: 1-5' and 'threshold'",
		    a->file, a->line);
	}
	if (!crit && !steps)
		return 0;
	pops_buf_puts(&b, a->rubric);
	if (crit && (error = add_criteria(a, &b, crit)) < 0)
		goto done;
	if (steps && (error = add_steps(a, &b, steps)) < 0)
		goto done;
	if (pops_buf_oom(&b))
		BAD("out of memory");
	free(a->rubric);
	a->rubric = pops_buf_detach(&b);
done:
	pops_buf_dispose(&b);
	return error;
}

void pops_assert__preset_begin(pops_assert *a)
{
	a->preset = a->type == POPS_ASSERT_CONTEXT_RECALL ? POPS_PRESET_RECALL : POPS_PRESET_FAITHFULNESS;
	a->type = POPS_ASSERT_JUDGE;
}
