#include "unit.h"
#include "fake_engine.h"
#include "report.h"

TEST(runner_scores_cases_and_keeps_errors_apart)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	fe_setup();
	CHECK(fe_cfg);
	o = fe_opts();
	y = fe_suite_text("threshold: 0.6\nmax_error_rate: 0.5\nassert:\n  - {type: icontains, value: \"{{expected}}\"}\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	free(y);
	CHECK_INT(fe_num(g->summary, "cases"), 4);
	CHECK_INT(fe_num(g->summary, "passed"), 2);
	CHECK_INT(fe_num(g->summary, "failed"), 1);
	CHECK_INT(fe_num(g->summary, "errors"), 1);
	/* errors are neither passes nor failures: 2 / 3 */
	CHECK(fe_num(g->summary, "pass_rate") > 0.66 && fe_num(g->summary, "pass_rate") < 0.67);
	CHECK_STR(cJSON_GetObjectItem(g->summary, "verdict")->valuestring, "pass");
	CHECK(fe_num(g->summary, "cost_usd") > 0.0039 && fe_num(g->summary, "cost_usd") < 0.0041);
	CHECK(g->complete);
	CHECK_STR(cJSON_GetObjectItem(g->evidence, "model")->valuestring, "m-1");
	CHECK_INT(strlen(cJSON_GetObjectItem(g->evidence, "fingerprint")->valuestring), 64);
	CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(g->evidence, "case_results"), "a#0")));
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(g->evidence, "case_results"), "c#0")));
	CHECK(!cJSON_GetObjectItem(cJSON_GetObjectItem(g->evidence, "case_results"), "d#0"));
	pops_eval_group_free(g);
}

TEST(runner_refuses_self_judging_before_any_request)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	fe_setup();
	o = fe_opts();
	fe_calls = 0;
	y = fe_suite_text("assert:\n  - {type: judge, model: fast, rubric: r}\n");
	CHECK_INT(fe_run_suite(&g, y, &o), POPS_EINVALID);
	CHECK_ERR_HAS("is the model under test");
	CHECK_INT(fe_calls, 0);
	free(y);
	y = fe_suite_text("assert:\n  - {type: judge, model: fast, rubric: r, allow_self_judge: true}\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	pops_eval_group_free(g);
	free(y);
}

TEST(runner_bad_row_fails_before_any_request)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	fe_setup();
	fe_put("bad.jsonl", "{\"id\":\"a\",\"word\":\"x\"}\n{\"id\":\"b\",\"assert\":[{\"type\":\"nope\"}]}\n");
	o = fe_opts();
	o.dataset = "bad.jsonl";
	fe_calls = 0;
	y = fe_suite_text("");
	CHECK_INT(fe_run_suite(&g, y, &o), POPS_EINVALID);
	CHECK_ERR_HAS("bad.jsonl:2: unknown assertion type 'nope'");
	CHECK_INT(fe_calls, 0);
	o.dataset = "missing.jsonl";
	CHECK_INT(fe_run_suite(&g, y, &o), POPS_ENOTFOUND);
	CHECK_ERR_HAS("dataset 'missing.jsonl' not found");
	o.dataset = NULL;
	o.model = "fsat";
	CHECK_INT(fe_run_suite(&g, y, &o), POPS_EINVALID);
	CHECK_ERR_HAS("unknown model 'fsat' (did you mean 'fast'?)");
	free(y);
}

TEST(runner_row_lacking_a_variable_fails_before_any_request)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	fe_setup();
	fe_put("lacks.jsonl", "{\"id\":\"a\",\"word\":\"x\"}\n{\"id\":\"b\",\"wrod\":\"y\"}\n");
	o = fe_opts();
	o.dataset = "lacks.jsonl";
	fe_calls = 0;
	y = fe_suite_text("");
	CHECK_INT(fe_run_suite(&g, y, &o), POPS_EINVALID);
	CHECK_ERR_HAS("lacks.jsonl:2: row 'b' lacks 'word' (did you mean 'wrod'?)");
	CHECK_INT(fe_calls, 0);
	free(y);
	/* the suite's vars fill it */
	y = fe_suite_text("vars: { word: default }\nthreshold: 0\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	CHECK_INT(fe_num(g->summary, "cases"), 2);
	pops_eval_group_free(g);
	free(y);
}

TEST(runner_shards_partition_the_cases)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y = NULL;
	double total = 0;
	unsigned i;

	fe_setup();
	y = fe_suite_text("threshold: 0\nmax_error_rate: 1\n");
	for (i = 1; i <= 3; i++) {
		o = fe_opts();
		o.shard = i;
		o.nshards = 3;
		CHECK_INT(fe_run_suite(&g, y, &o), 0);
		total += fe_num(g->summary, "cases");
		pops_eval_group_free(g);
	}
	free(y);
	CHECK_INT(total, 4);
}

TEST(runner_cancel_marks_incomplete)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	fe_setup();
	o = fe_opts();
	o.popts.concurrency = 1;
	fe_cancel_after = 2;
	y = fe_suite_text("threshold: 0\nmax_error_rate: 1\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	free(y);
	CHECK(!g->complete);
	CHECK(g->interrupted);
	CHECK_INT(fe_num(g->summary, "cases"), 2);
	CHECK_STR(cJSON_GetObjectItem(g->summary, "stopped")->valuestring, "interrupted");
	pops_eval_group_free(g);
}

TEST(runner_max_cost_stops_and_unpriced_is_refused)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	fe_setup();
	o = fe_opts();
	o.popts.concurrency = 1;
	o.max_cost = 0.0025;
	y = fe_suite_text("threshold: 0\nmax_error_rate: 1\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	CHECK(!g->complete);
	CHECK(g->over_budget);
	CHECK(fe_num(g->summary, "cases") < 4);
	CHECK(fe_num(g->summary, "cost_usd") <= 0.0025);
	pops_eval_group_free(g);
	o.model = "free";
	CHECK_INT(fe_run_suite(&g, y, &o), POPS_EINVALID);
	CHECK_ERR_HAS("--max-cost needs a price for 'unpriced-1'");
	free(y);
}


TEST(runner_max_cost_uses_the_prompt_estimate_before_any_result)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	fe_setup();
	o = fe_opts();
	o.max_cost = 0.0001;   /* below one request's estimate (256 output tokens at $2/M) */
	fe_calls = 0;
	y = fe_suite_text("threshold: 0\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	free(y);
	CHECK_INT(fe_calls, 0);
	CHECK(g->over_budget);
	CHECK_INT(fe_num(g->summary, "cases"), 0);
	pops_eval_group_free(g);
}

/* the fake engine prices every call, the judge's too, at $0.001 */
TEST(runner_max_cost_covers_the_judge_calls)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	fe_setup();
	o = fe_opts();
	o.popts.concurrency = 1;
	o.max_cost = 0.004;   /* three answered cases and their judges would be 0.006 */
	y = fe_suite_text("threshold: 0\nmax_error_rate: 1\nassert:\n  - {type: judge, model: judge, rubric: r}\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	CHECK(g->over_budget);
	CHECK(g->spent > 0 && g->spent <= 0.004 + 1e-12);
	CHECK(fe_num(g->summary, "cost_spent_usd") <= 0.004 + 1e-12);
	pops_eval_group_free(g);
	o.model = NULL;
	o.max_cost = 1;
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	CHECK(!g->over_budget);
	CHECK(g->spent > 0.0059 && g->spent < 0.0061);
	pops_eval_group_free(g);
	free(y);
}
