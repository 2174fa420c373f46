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

TEST(summary_read_types_every_member_the_command_prints)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	pops_eval_summary v;
	cJSON *odd;
	char *y;

	fe_setup();
	o = fe_opts();
	o.repeat = 2;
	y = fe_suite_text("threshold: 0.9\nassert:\n  - {type: icontains, value: \"{{expected}}\"}\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	free(y);
	pops_eval_summary_read(&v, g->summary);
	CHECK_STR(v.model, "fast");
	CHECK_STR(v.model_id, "m-1");
	CHECK(v.cases == fe_num(g->summary, "cases") && v.cases == 8);
	CHECK(v.passed == fe_num(g->summary, "passed"));
	CHECK(v.errors == fe_num(g->summary, "errors") && v.errors > 0);
	CHECK(v.threshold == 0.9);
	CHECK_STR(v.verdict, cJSON_GetObjectItem(g->summary, "verdict")->valuestring);
	CHECK(v.reason[0]);
	CHECK(v.priced && v.cost_usd == fe_num(g->summary, "cost_usd"));
	CHECK(v.has_pass_k && v.repeat == 2);
	CHECK(!v.incomplete && !v.baseline.present);
	pops_eval_group_free(g);
	/* a hostile merged report: wrong types read as absent, never crash */
	odd = cJSON_Parse("{\"suite\":7,\"cases\":\"many\",\"cost_usd\":\"free\",\"complete\":false,"
	                  "\"baseline\":{\"verdict\":\"regression\",\"ref\":null}}");
	pops_eval_summary_read(&v, odd);
	CHECK_STR(v.suite, "");
	CHECK(v.cases == 0 && !v.priced && v.incomplete);
	CHECK(v.baseline.present);
	CHECK_STR(v.baseline.verdict, "regression");
	CHECK_STR(v.baseline.ref, "");
	cJSON_Delete(odd);
	pops_eval_summary_read(&v, NULL);
	CHECK_STR(v.verdict, "");
	CHECK_STR(v.baseline.note, "");
}
