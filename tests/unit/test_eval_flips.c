#include "unit.h"
#include "eval_flips.h"
#include "jsonget.h"

TEST(eval_flips_counts_flips_of_the_cases_both_runs_have)
{
	cJSON *before = cJSON_Parse("{\"c#0\":true,\"a#0\":true,\"b#0\":false,\"gone#0\":true,"
	                            "\"d#0\":false}");
	cJSON *after = cJSON_Parse("{\"a#0\":false,\"b#0\":true,\"c#0\":true,\"new#0\":false,"
	                           "\"d#0\":false}");
	size_t paired = 9, nf = 9, np = 9;

	pops_eval_flips(before, after, &paired, &nf, &np);
	CHECK_INT(paired, 4);
	CHECK_INT(nf, 1);    /* a */
	CHECK_INT(np, 1);    /* b */
	/* the other way round: the flips swap */
	pops_eval_flips(after, before, &paired, &nf, &np);
	CHECK_INT(paired, 4);
	CHECK_INT(nf, 1);
	CHECK_INT(np, 1);
	/* missing or not an object: nothing paired */
	pops_eval_flips(NULL, after, &paired, &nf, &np);
	CHECK_INT(paired, 0);
	{
		cJSON *arr = cJSON_Parse("[true,false]");

		pops_eval_flips(arr, after, &paired, &nf, &np);
		CHECK_INT(paired, 0);
		cJSON_Delete(arr);
	}
	cJSON_Delete(before);
	cJSON_Delete(after);
}

TEST(eval_add_baseline_says_regression_only_when_mcnemar_is_significant)
{
	cJSON *base = cJSON_CreateObject(), *cur = cJSON_CreateObject();
	cJSON *summary = cJSON_CreateObject();
	const cJSON *b;
	char id[16];
	int i;

	/* ten cases that passed and now fail: significant */
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "c%d#0", i);
		cJSON_AddTrueToObject(base, id);
		cJSON_AddFalseToObject(cur, id);
	}
	CHECK_INT(pops_eval_add_baseline(summary, cur, base, "prod", "evidence", 1.0), 1);
	b = cJSON_GetObjectItemCaseSensitive(summary, "baseline");
	CHECK(cJSON_IsObject(b));
	CHECK_STR(pops_json_str(b, "ref", ""), "prod");
	CHECK_STR(pops_json_str(b, "source", ""), "evidence");
	CHECK_STR(pops_json_str(b, "verdict", ""), "regression");
	CHECK_INT(pops_json_num(b, "paired", 0), 10);
	CHECK_INT(pops_json_num(b, "newly_failing", 0), 10);
	CHECK_INT(pops_json_num(b, "newly_passing", 0), 0);
	CHECK(pops_json_num(b, "p_value", 1) < 0.05);
	CHECK(pops_json_num(b, "pass_rate", 0) == 1.0);
	cJSON_Delete(summary);
	/* one flip each way: no significant change, and no pass_rate when unknown */
	summary = cJSON_CreateObject();
	cJSON_ReplaceItemInObjectCaseSensitive(cur, "c0#0", cJSON_CreateTrue());
	for (i = 1; i < 10; i++) {
		snprintf(id, sizeof(id), "c%d#0", i);
		cJSON_ReplaceItemInObjectCaseSensitive(cur, id, cJSON_CreateTrue());
	}
	cJSON_ReplaceItemInObjectCaseSensitive(base, "c1#0", cJSON_CreateFalse());
	cJSON_ReplaceItemInObjectCaseSensitive(cur, "c2#0", cJSON_CreateFalse());
	CHECK_INT(pops_eval_add_baseline(summary, cur, base, "abc123", "run", -1), 0);
	b = cJSON_GetObjectItemCaseSensitive(summary, "baseline");
	CHECK_STR(pops_json_str(b, "verdict", ""), "no significant change");
	CHECK_INT(pops_json_num(b, "newly_failing", 0), 1);
	CHECK_INT(pops_json_num(b, "newly_passing", 0), 1);
	CHECK(!cJSON_GetObjectItemCaseSensitive(b, "pass_rate"));
	cJSON_Delete(summary);
	cJSON_Delete(base);
	cJSON_Delete(cur);
}
