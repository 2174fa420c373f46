#include "unit.h"
#include "fake_engine.h"
#include "report.h"

TEST(runner_error_rate_over_limit_gives_error_verdict)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	fe_setup();
	o = fe_opts();
	y = fe_suite_text("threshold: 0.1\nassert:\n  - {type: contains, value: echo}\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	free(y);
	CHECK_STR(cJSON_GetObjectItem(g->summary, "verdict")->valuestring, "error");
	CHECK(strstr(cJSON_GetObjectItem(g->summary, "reason")->valuestring, "1 of 4 runs failed with errors"));
	pops_eval_group_free(g);
}

TEST(runner_repeats_and_reports_pass_at_k)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	char *y;

	fe_setup();
	o = fe_opts();
	o.repeat = 3;
	o.filter = "^[abc]$";
	y = fe_suite_text("threshold: 0\nassert:\n  - {type: icontains, value: \"{{expected}}\"}\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	free(y);
	CHECK_INT(fe_num(g->summary, "cases"), 9);
	CHECK_INT(fe_num(g->summary, "passed"), 6);
	CHECK(fe_num(g->summary, "pass_at_k") > 0.66 && fe_num(g->summary, "pass_at_k") < 0.67);
	pops_eval_group_free(g);
}

TEST(plan_counts_requests_and_estimates_cost)
{
	pops_suite *s = NULL;
	pops_eval_options o;
	pops_eval_run_plan *tp = NULL;
	cJSON *plan = NULL;
	char *y;

	fe_setup();
	o = fe_opts();
	o.repeat = 2;
	y = fe_suite_text("assert:\n  - {type: judge, model: judge, rubric: r}\n");
	CHECK_INT(pops_suite_parse(&s, y, strlen(y), "s.yaml"), 0);
	fe_calls = 0;
	CHECK_INT(pops_eval_plan(&tp, s, &o), 0);
	CHECK_INT(fe_calls, 0);
	CHECK_INT(tp->requests, 8);
	CHECK(tp->cost_usd_est > 0);
	/* the JSON --dry-run --json writes says the same */
	CHECK((plan = pops_eval_run_plan_to_json(tp)) != NULL);
	CHECK_INT(fe_num(plan, "requests"), 8);
	CHECK_INT(fe_num(plan, "judge_requests"), 8);
	CHECK_INT(fe_num(plan, "output_tokens_est"), 8 * 256);
	CHECK(fe_num(plan, "cost_usd_est") > 0);
	cJSON_Delete(plan);
	pops_eval_run_plan_free(tp);
	pops_suite_free(s);
	free(y);
}

TEST(summary_scores_are_one_rule_for_a_run_and_a_merge)
{
	pops_eval_tally t;
	cJSON *s = cJSON_CreateObject();
	char *text;

	memset(&t, 0, sizeof(t));
	t.cases = 4;
	t.passed = 1;
	t.failed = 3;
	t.threshold = 0.5;
	t.max_error_rate = 0.1;
	CHECK_INT(pops_eval_summary_scores(s, &t, 0), 0);
	text = cJSON_PrintUnformatted(s);
	CHECK_STR(text, "{\"cases\":4,\"passed\":1,\"failed\":3,\"errors\":0,\"pass_rate\":0.25,"
	          "\"ci_low\":0.045587260809700547,\"ci_high\":0.699358157417598,\"verdict\":\"fail\","
	          "\"reason\":\"pass rate 25.0% is below the threshold 50.0%\"}");
	free(text);
	cJSON_Delete(s);
	/* with the limits, between the interval and the verdict; errors over the limit */
	s = cJSON_CreateObject();
	t.errors = 1;
	t.failed = 2;
	CHECK_INT(pops_eval_summary_scores(s, &t, 1), 0);
	CHECK(fe_num(s, "threshold") == 0.5 && fe_num(s, "max_error_rate") == 0.1);
	CHECK_STR(cJSON_GetObjectItem(s, "verdict")->valuestring, "error");
	CHECK_STR(cJSON_GetObjectItem(s, "reason")->valuestring,
	          "1 of 4 runs failed with errors (25.0%), above max_error_rate 10.0%");
	cJSON_Delete(s);
	/* an outage says so once */
	s = cJSON_CreateObject();
	t.down = "provider down";
	t.sent = 1;
	t.unsent = 3;
	CHECK_INT(pops_eval_summary_scores(s, &t, 0), 0);
	CHECK_STR(cJSON_GetObjectItem(s, "reason")->valuestring,
	          "provider down; stopped after 1 request, 3 cases not sent");
	cJSON_Delete(s);
	/* nothing scored; then a pass has no reason */
	s = cJSON_CreateObject();
	memset(&t, 0, sizeof(t));
	t.max_error_rate = 1;
	CHECK_INT(pops_eval_summary_scores(s, &t, 0), 0);
	CHECK_STR(cJSON_GetObjectItem(s, "reason")->valuestring, "no case was scored");
	cJSON_Delete(s);
	s = cJSON_CreateObject();
	t.cases = t.passed = 2;
	CHECK_INT(pops_eval_summary_scores(s, &t, 0), 0);
	CHECK_STR(cJSON_GetObjectItem(s, "verdict")->valuestring, "pass");
	CHECK(!cJSON_GetObjectItem(s, "reason"));
	cJSON_Delete(s);
}
