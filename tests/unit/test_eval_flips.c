#include "unit.h"
#include "eval_flips.h"
#include "jsonget.h"
#include "report.h"

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

TEST(eval_add_baseline_names_the_flips_in_case_order_bounded_with_a_count)
{
	cJSON *base = cJSON_Parse("{\"z#1\":true,\"a#b#2\":false,\"same#1\":true}");
	cJSON *cur = cJSON_Parse("{\"same#1\":true,\"z#1\":false,\"a#b#2\":true,\"new#1\":false}");
	cJSON *summary = cJSON_CreateObject();
	const cJSON *b, *f;
	char id[16];
	int i;

	pops_eval_add_baseline(summary, cur, base, "prod", "evidence", -1);
	b = cJSON_GetObjectItemCaseSensitive(summary, "baseline");
	f = cJSON_GetObjectItemCaseSensitive(b, "flips");
	CHECK_INT(cJSON_GetArraySize(f), 2);
	CHECK_INT(pops_json_num(b, "flips_count", 0), 2);
	/* the run's order, not sorted; an id holding '#' splits at the last one */
	CHECK_STR(pops_json_str(cJSON_GetArrayItem(f, 0), "id", ""), "z");
	CHECK_INT(pops_json_num(cJSON_GetArrayItem(f, 0), "repeat", 0), 1);
	CHECK_STR(pops_json_str(cJSON_GetArrayItem(f, 0), "from", ""), "pass");
	CHECK_STR(pops_json_str(cJSON_GetArrayItem(f, 0), "to", ""), "fail");
	CHECK_STR(pops_json_str(cJSON_GetArrayItem(f, 1), "id", ""), "a#b");
	CHECK_INT(pops_json_num(cJSON_GetArrayItem(f, 1), "repeat", 0), 2);
	CHECK_STR(pops_json_str(cJSON_GetArrayItem(f, 1), "from", ""), "fail");
	CHECK_STR(pops_json_str(cJSON_GetArrayItem(f, 1), "to", ""), "pass");
	cJSON_Delete(summary);
	cJSON_Delete(base);
	cJSON_Delete(cur);
	/* more flips than the list holds: the first ones, and the count of all */
	base = cJSON_CreateObject();
	cur = cJSON_CreateObject();
	summary = cJSON_CreateObject();
	for (i = 0; i < POPS_EVAL_FLIPS_MAX + 50; i++) {
		snprintf(id, sizeof(id), "c%d#1", i);
		cJSON_AddTrueToObject(base, id);
		cJSON_AddFalseToObject(cur, id);
	}
	pops_eval_add_baseline(summary, cur, base, "prod", "run", -1);
	b = cJSON_GetObjectItemCaseSensitive(summary, "baseline");
	f = cJSON_GetObjectItemCaseSensitive(b, "flips");
	CHECK_INT(cJSON_GetArraySize(f), POPS_EVAL_FLIPS_MAX);
	CHECK_INT(pops_json_num(b, "flips_count", 0), POPS_EVAL_FLIPS_MAX + 50);
	CHECK_STR(pops_json_str(cJSON_GetArrayItem(f, POPS_EVAL_FLIPS_MAX - 1), "id", ""), "c199");
	cJSON_Delete(summary);
	cJSON_Delete(base);
	cJSON_Delete(cur);
}

/* a spool of `lines`, rewound (NULL when tmpfile fails: the test's CHECKs fail) */
static FILE *spool_of(const char *lines)
{
	FILE *f = tmpfile();

	if (f) {
		fputs(lines, f);
		fflush(f);
		rewind(f);
	}
	return f;
}

/* record `i` of `spool` (rewinds it), or NULL when it has fewer */
static cJSON *record_at(FILE *spool, int i)
{
	pops_buf line = POPS_BUF_INIT;
	cJSON *rec = NULL;

	rewind(spool);
	do {
		if (pops_report_spool_next(spool, &rec, &line) != 1)
			break;
	} while (i-- > 0);
	pops_buf_dispose(&line);
	if (i >= 0) {
		cJSON_Delete(rec);
		rec = NULL;
	}
	return rec;
}

TEST(eval_baseline_cases_gives_each_record_the_baseline_result_of_its_case)
{
	FILE *spool = spool_of("{\"id\":\"a\",\"repeat\":1,\"status\":\"fail\",\"output\":\"new\"}\n"
	                       "{\"id\":\"b\",\"repeat\":1,\"status\":\"pass\",\"output\":\"b\"}\n"
	                       "{\"id\":\"a\",\"repeat\":2,\"status\":\"pass\",\"output\":\"x\","
	                       "\"baseline\":{\"status\":\"stale\"}}\n");
	/* the baseline run's records, in another order; b is not there */
	FILE *bspool = spool_of("{\"id\":\"a\",\"repeat\":2,\"status\":\"error\",\"error\":\"boom\"}\n"
	                        "{\"id\":\"a\",\"repeat\":1,\"status\":\"pass\",\"output\":\"old\","
	                        "\"score\":1}\n");
	FILE *before = spool;
	cJSON *rec, *cases;
	const cJSON *b;
	pops_buf line = POPS_BUF_INIT;
	int n = 0;

	CHECK(spool && bspool);
	CHECK_INT(pops_eval_baseline_cases(&spool, bspool, NULL), 0);
	CHECK(spool != before);
	rec = record_at(spool, 0);
	CHECK(rec != NULL);
	b = cJSON_GetObjectItemCaseSensitive(rec, "baseline");
	CHECK_STR(pops_json_str(b, "status", ""), "pass");
	CHECK_STR(pops_json_str(b, "output", ""), "old");
	CHECK_INT(pops_json_num(b, "score", 0), 1);
	CHECK_STR(pops_json_str(rec, "output", ""), "new");
	cJSON_Delete(rec);
	rec = record_at(spool, 1);
	CHECK(rec != NULL);
	CHECK(!cJSON_GetObjectItemCaseSensitive(rec, "baseline"));
	cJSON_Delete(rec);
	/* errored there: its status, no output; the stale one is replaced */
	rec = record_at(spool, 2);
	CHECK(rec != NULL);
	b = cJSON_GetObjectItemCaseSensitive(rec, "baseline");
	CHECK_STR(pops_json_str(b, "status", ""), "error");
	CHECK(!cJSON_GetObjectItemCaseSensitive(b, "output"));
	cJSON_Delete(rec);
	/* three records, no more */
	rewind(spool);
	rec = NULL;
	while (pops_report_spool_next(spool, &rec, &line) == 1)
		n++;
	CHECK_INT(n, 3);
	cJSON_Delete(rec);
	/* stored evidence: pass or fail only */
	cases = cJSON_Parse("{\"b#1\":false,\"a#1\":true}");
	CHECK_INT(pops_eval_baseline_cases(&spool, NULL, cases), 0);
	rec = record_at(spool, 1);
	CHECK(rec != NULL);
	b = cJSON_GetObjectItemCaseSensitive(rec, "baseline");
	CHECK_STR(pops_json_str(b, "status", ""), "fail");
	CHECK(!cJSON_GetObjectItemCaseSensitive(b, "output"));
	cJSON_Delete(rec);
	rec = record_at(spool, 2);
	CHECK(rec != NULL);
	CHECK(!cJSON_GetObjectItemCaseSensitive(rec, "baseline"));
	cJSON_Delete(rec);
	/* nothing to compare with: untouched */
	before = spool;
	CHECK_INT(pops_eval_baseline_cases(&spool, NULL, NULL), 0);
	CHECK(spool == before);
	cJSON_Delete(cases);
	fclose(bspool);
	fclose(spool);
	pops_buf_dispose(&line);
}

TEST(eval_baseline_cases_leaves_the_spool_as_it_was_when_the_baseline_is_damaged)
{
	FILE *spool = spool_of("{\"id\":\"a\",\"repeat\":1,\"status\":\"pass\"}\n");
	FILE *bspool = spool_of("{\"id\":\"a\",\"repeat\":1,\"status\":\"pass\"}\nnot json\n");
	FILE *before = spool;
	cJSON *rec;

	CHECK(spool && bspool);
	CHECK(pops_eval_baseline_cases(&spool, bspool, NULL) < 0);
	CHECK_ERR_HAS("damaged");
	CHECK(spool == before);
	rec = record_at(spool, 0);
	CHECK(rec != NULL);
	CHECK(!cJSON_GetObjectItemCaseSensitive(rec, "baseline"));
	cJSON_Delete(rec);
	fclose(bspool);
	fclose(spool);
}
