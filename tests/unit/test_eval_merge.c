#include "unit.h"
#include "eval_merge.h"
#include "fake_engine.h"
#include "fileio.h"
#include "jsonget.h"
#include "report.h"

/* the JSON report of group `g`, as `pops eval run --shard <shard> --json` writes it */
static void report_of(pops_buf *out, pops_eval_group *g, const char *name, const char *shard)
{
	pops_report_group rg;
	pops_buf path = POPS_BUF_INIT;
	cJSON *extra = cJSON_CreateObject();

	cJSON_AddStringToObject(extra, "shard", shard);
	cJSON_AddStringToObject(extra, "commit", "0123456789abcdef0123456789abcdef01234567");
	cJSON_AddItemToArray(cJSON_AddArrayToObject(extra, "evidence"), cJSON_Duplicate(g->evidence, 1));
	rg.summary = g->summary;
	rg.spool = g->spool;
	pops_path_join(&path, fe_dir, name);
	CHECK_INT(pops_report_json(path.ptr, &rg, 1, 1, extra), 0);
	cJSON_Delete(extra);
	CHECK_INT(pops_file_read(out, path.ptr, 0), 0);
	pops_buf_dispose(&path);
}

TEST(eval_merge_of_every_shard_scores_as_one_run)
{
	static const char *const same[] = { "cases", "passed", "failed", "errors", "pass_rate",
		"ci_low", "ci_high", "verdict", "reason", "input_tokens", NULL };
	pops_eval_group *all = NULL, *s1 = NULL, *s2 = NULL;
	pops_eval_merge m = POPS_EVAL_MERGE_INIT;
	pops_buf r1 = POPS_BUF_INIT, r2 = POPS_BUF_INIT;
	pops_eval_options o;
	const cJSON *ms, *as;
	char *y;
	size_t i;

	fe_setup();
	o = fe_opts();
	y = fe_suite_text("threshold: 0.5\nassert:\n  - {type: icontains, value: \"{{expected}}\"}\n");
	CHECK_INT(fe_run_suite(&all, y, &o), 0);
	o.nshards = 2;
	o.shard = 1;
	CHECK_INT(fe_run_suite(&s1, y, &o), 0);
	o.shard = 2;
	CHECK_INT(fe_run_suite(&s2, y, &o), 0);
	free(y);
	report_of(&r1, s1, "m1.json", "1/2");
	report_of(&r2, s2, "m2.json", "2/2");
	CHECK_INT(pops_eval_merge_add(&m, r2.ptr, r2.size, "m2.json"), 0);
	CHECK_INT(pops_eval_merge_add(&m, r1.ptr, r1.size, "m1.json"), 0);
	CHECK_INT(pops_eval_merge_finish(&m), 0);
	CHECK_INT(m.ngroups, 1);
	CHECK(m.complete);
	CHECK_INT(cJSON_GetArraySize(m.parts), 2);
	ms = m.groups[0].summary;
	as = all->summary;
	for (i = 0; same[i]; i++) {
		char *a = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(as, same[i]));
		char *b = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(ms, same[i]));

		if (!a || !b || strcmp(a, b))
			unit_fail(__FILE__, __LINE__, "%s: merged %s, one run %s", same[i], b ? b : "-",
			          a ? a : "-");
		free(a);
		free(b);
	}
	CHECK_INT(pops_json_num(ms, "cases", 0), 4);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ms, "complete")));
	/* the whole set records what the one run recorded: complete, every case */
	{
		pops_buf why = POPS_BUF_INIT;
		const cJSON *r0 = cJSON_GetObjectItemCaseSensitive(m.parts->child, "evidence")->child;
		cJSON *r;

		CHECK_INT(pops_eval_merge_shard_set(m.parts, &why), 1);
		CHECK(r0 && !strcmp(pops_json_str(r0, "kind", ""), "partial"));
		CHECK((r = pops_eval_merge_result(r0, m.parts, m.groups, m.ngroups, "9.9")) != NULL);
		CHECK_STR(pops_json_str(r, "kind", ""), "complete");
		CHECK(!cJSON_GetObjectItemCaseSensitive(r, "partial_reasons"));
		CHECK_STR(pops_json_str(r, "pops_version", ""), "9.9");
		CHECK(pops_json_num(r, "pass_rate", -1) == pops_json_num(all->evidence, "pass_rate", -2));
		CHECK_INT(pops_json_num(r, "cases", 0), 4);
		CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "case_results")),
		          cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(all->evidence,
		                                                              "case_results")));
		cJSON_Delete(r);
		pops_buf_dispose(&why);
	}
	pops_eval_merge_dispose(&m);
	pops_eval_group_free(all);
	pops_eval_group_free(s1);
	pops_eval_group_free(s2);
	pops_buf_dispose(&r1);
	pops_buf_dispose(&r2);
}

TEST(eval_merge_records_nothing_for_half_a_shard_set)
{
	pops_eval_group *s1 = NULL;
	pops_eval_merge m = POPS_EVAL_MERGE_INIT;
	pops_buf r1 = POPS_BUF_INIT, why = POPS_BUF_INIT;
	pops_eval_options o;
	char *y;

	fe_setup();
	o = fe_opts();
	o.nshards = 2;
	o.shard = 1;
	y = fe_suite_text("threshold: 0.5\nassert:\n  - {type: icontains, value: \"{{expected}}\"}\n");
	CHECK_INT(fe_run_suite(&s1, y, &o), 0);
	free(y);
	report_of(&r1, s1, "h1.json", "1/2");
	CHECK_INT(pops_eval_merge_add(&m, r1.ptr, r1.size, "h1.json"), 0);
	CHECK_INT(pops_eval_merge_shard_set(m.parts, &why), 0);
	CHECK_STR(why.ptr, "shard 2/2 is missing: merge every shard to record the run");
	/* the same shard twice is not the set either */
	CHECK_INT(pops_eval_merge_add(&m, r1.ptr, r1.size, "h1-again.json"), 0);
	pops_buf_clear(&why);
	CHECK_INT(pops_eval_merge_shard_set(m.parts, &why), 0);
	CHECK_STR(why.ptr, "shard 1/2 is given twice (h1-again.json)");
	pops_eval_merge_dispose(&m);
	pops_eval_group_free(s1);
	pops_buf_dispose(&r1);
	pops_buf_dispose(&why);
}

TEST(eval_merge_refuses_what_is_not_a_report_of_its_groups)
{
	pops_eval_merge m = POPS_EVAL_MERGE_INIT;
	static const char stray[] = "{\"schema_version\":1,\"summary\":[],"
	                            "\"cases\":[{\"suite\":\"s\",\"model\":\"m\",\"status\":\"pass\"}]}";
	static const char v2[] = "{\"schema_version\":2,\"summary\":[],\"cases\":[]}";

	CHECK_INT(pops_eval_merge_add(&m, "{}", 2, "x.json"), POPS_EINVALID);
	CHECK_STR(pops_error_last(), "x.json: not a pops eval JSON report (schema_version 1)");
	CHECK_INT(pops_eval_merge_add(&m, v2, strlen(v2), "v2.json"), POPS_EINVALID);
	CHECK_INT(pops_eval_merge_add(&m, stray, sizeof(stray) - 1, "y.json"), POPS_EINVALID);
	CHECK_STR(pops_error_last(), "y.json: a case names a suite and model missing from the summary");
	pops_eval_merge_dispose(&m);
}

/* a shard's report with streamed, partly prompt-cached cases: ttft_ms and cached_tokens */
static const char *const ttft_part1 =
	"{\"schema_version\":1,\"summary\":[{\"suite\":\"s\",\"model\":\"m\",\"threshold\":0.5,"
	"\"ttft_p50\":10,\"ttft_p95\":10,\"ttft_p99\":10,\"cached_input_tokens\":5,"
	"\"cached_input_share\":0.5}],\"cases\":["
	"{\"suite\":\"s\",\"model\":\"m\",\"id\":\"a\",\"status\":\"pass\",\"ttft_ms\":10,"
	"\"input_tokens\":10,\"cached_tokens\":5},"
	"{\"suite\":\"s\",\"model\":\"m\",\"id\":\"b\",\"status\":\"error\",\"ttft_ms\":999}]}";
static const char *const ttft_part2 =
	"{\"schema_version\":1,\"summary\":[{\"suite\":\"s\",\"model\":\"m\",\"threshold\":0.5,"
	"\"ttft_p50\":30,\"ttft_p95\":40,\"ttft_p99\":40}],\"cases\":["
	"{\"suite\":\"s\",\"model\":\"m\",\"id\":\"c\",\"status\":\"pass\",\"ttft_ms\":30,"
	"\"input_tokens\":20,\"cached_tokens\":10},"
	"{\"suite\":\"s\",\"model\":\"m\",\"id\":\"d\",\"status\":\"fail\",\"ttft_ms\":40,"
	"\"input_tokens\":10}]}";

TEST(eval_merge_carries_ttft_and_the_cached_input_share)
{
	pops_eval_merge m = POPS_EVAL_MERGE_INIT;
	const cJSON *s;

	CHECK_INT(pops_eval_merge_add(&m, ttft_part1, strlen(ttft_part1), "p1.json"), 0);
	CHECK_INT(pops_eval_merge_add(&m, ttft_part2, strlen(ttft_part2), "p2.json"), 0);
	CHECK_INT(pops_eval_merge_finish(&m), 0);
	CHECK_INT(m.ngroups, 1);
	s = m.groups[0].summary;
	/* 10, 30, 40 (the error's 999 is no time to first token): not the first part's */
	CHECK(pops_json_num(s, "ttft_p50", -1) == 30);
	CHECK(pops_json_num(s, "ttft_p95", -1) == 40);
	CHECK(pops_json_num(s, "ttft_p99", -1) == 40);
	CHECK(pops_json_num(s, "cached_input_tokens", -1) == 15);
	CHECK(pops_json_num(s, "cached_input_share", -1) == 15.0 / 40.0);
	pops_eval_merge_dispose(&m);
}

TEST(eval_merge_keeps_a_reused_suite_as_its_evidence_says)
{
	static const char *const part =
		"{\"schema_version\":1,\"summary\":[{\"suite\":\"s\",\"model\":\"m\",\"cases\":3,"
		"\"passed\":3,\"failed\":0,\"errors\":0,\"pass_rate\":1,\"verdict\":\"pass\","
		"\"reused\":{\"commit\":\"abc\",\"date\":\"2026-11-30T00:00:00Z\",\"fingerprint\":\"f\"}}],"
		"\"cases\":[]}";
	pops_eval_merge m = POPS_EVAL_MERGE_INIT;
	const cJSON *s;

	CHECK_INT(pops_eval_merge_add(&m, part, strlen(part), "p1.json"), 0);
	CHECK_INT(pops_eval_merge_add(&m, part, strlen(part), "p2.json"), 0);
	CHECK_INT(pops_eval_merge_finish(&m), 0);
	s = m.groups[0].summary;
	CHECK_STR(pops_json_str(s, "verdict", ""), "pass");
	CHECK(pops_json_num(s, "cases", -1) == 3);
	CHECK(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(s, "reused")));
	pops_eval_merge_dispose(&m);
}

/* part 1 keeps its own (stale) classification and kappa: the merge recomputes both */
static const char *const class_part1 =
	"{\"schema_version\":1,\"summary\":[{\"suite\":\"s\",\"model\":\"m\",\"threshold\":0,"
	"\"classification\":{\"macro_f1\":1,\"unlabelled\":1,\"threshold_macro_f1\":0.9},"
	"\"jury_cases\":1,\"kappa\":null}],\"cases\":["
	"{\"suite\":\"s\",\"model\":\"m\",\"id\":\"a\",\"status\":\"pass\",\"label\":\"x\","
	"\"expected_label\":\"x\",\"asserts\":[{\"type\":\"judge\",\"models\":[\"j1\",\"j2\"],"
	"\"judges\":[{\"model\":\"j1\",\"pass\":true},{\"model\":\"j2\",\"pass\":true}]}]}]}";
static const char *const class_part2 =
	"{\"schema_version\":1,\"summary\":[{\"suite\":\"s\",\"model\":\"m\",\"threshold\":0,"
	"\"classification\":{\"macro_f1\":0,\"threshold_macro_f1\":0.9},\"jury_cases\":2,\"kappa\":0}],"
	"\"cases\":["
	"{\"suite\":\"s\",\"model\":\"m\",\"id\":\"b\",\"status\":\"pass\",\"label\":\"y\","
	"\"expected_label\":\"x\",\"asserts\":[{\"type\":\"judge\",\"models\":[\"j1\",\"j2\"],"
	"\"judges\":[{\"model\":\"j1\",\"pass\":false},{\"model\":\"j2\",\"pass\":false}]}]},"
	"{\"suite\":\"s\",\"model\":\"m\",\"id\":\"c\",\"status\":\"pass\",\"asserts\":[{\"type\":"
	"\"judge\",\"models\":[\"j1\",\"j2\"],\"judges\":[{\"model\":\"j1\",\"pass\":true},"
	"{\"model\":\"j2\",\"pass\":false,\"error\":true}]}]}]}";

TEST(eval_merge_recomputes_classification_and_kappa_from_the_records)
{
	pops_eval_merge m = POPS_EVAL_MERGE_INIT;
	const cJSON *s, *c;

	CHECK_INT(pops_eval_merge_add(&m, class_part1, strlen(class_part1), "p1.json"), 0);
	CHECK_INT(pops_eval_merge_add(&m, class_part2, strlen(class_part2), "p2.json"), 0);
	CHECK_INT(pops_eval_merge_finish(&m), 0);
	s = m.groups[0].summary;
	c = cJSON_GetObjectItemCaseSensitive(s, "classification");
	/* a (x, x) and b (x predicted y): accuracy 1/2; x F1 2/3, macro over labels with support */
	CHECK(pops_json_num(c, "accuracy", -1) == 0.5);
	CHECK(pops_json_num(c, "macro_f1", -1) > 0.666 && pops_json_num(c, "macro_f1", -1) < 0.667);
	CHECK(pops_json_num(c, "unlabelled", -1) == 1);
	CHECK(pops_json_num(c, "threshold_macro_f1", -1) == 0.9);
	/* below threshold_macro_f1: the merged verdict fails as one run's would */
	CHECK_STR(pops_json_str(s, "verdict", ""), "fail");
	CHECK(strstr(pops_json_str(s, "reason", ""), "macro F1") != NULL);
	/* two jury verdicts (the errored one is none): (2,0) and (0,2), kappa 1 */
	CHECK(pops_json_num(s, "jury_cases", -1) == 2);
	CHECK(pops_json_num(s, "kappa", -1) == 1);
	pops_eval_merge_dispose(&m);
}
