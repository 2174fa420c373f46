#include "unit.h"
#include "fake_engine.h"
#include "report.h"

TEST(runner_judge_prose_is_an_error_never_a_pass)
{
	pops_eval_group *g = NULL;
	pops_eval_options o;
	pops_buf line = POPS_BUF_INIT;
	cJSON *rec = NULL;
	char *y;
	int n = 0;

	fe_setup();
	o = fe_opts();
	o.filter = "^[abc]$";
	y = fe_suite_text("threshold: 0\nassert:\n  - {type: judge, model: judge, rubric: \"is it fine\"}\n"
	               "tests:\n  - {id: p, vars: {word: prose}}\n");
	o.dataset = NULL;
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	free(y);
	CHECK_INT(fe_num(g->summary, "passed"), 1);   /* b: "good pear" */
	CHECK_INT(fe_num(g->summary, "failed"), 2);   /* a, c */
	CHECK_INT(fe_num(g->summary, "errors"), 0);   /* p filtered out */
	rewind(g->spool);
	while (pops_report_spool_next(g->spool, &rec, &line) == 1)
		n++;
	CHECK_INT(n, 3);
	pops_eval_group_free(g);
	cJSON_Delete(rec);
	pops_buf_dispose(&line);

	o = fe_opts();
	o.filter = "^p$";
	y = fe_suite_text("assert:\n  - {type: judge, model: judge, rubric: \"is it fine\"}\n"
	               "tests:\n  - {id: p, vars: {word: prose}}\n");
	CHECK_INT(fe_run_suite(&g, y, &o), 0);
	free(y);
	CHECK_INT(fe_num(g->summary, "errors"), 1);
	CHECK_INT(fe_num(g->summary, "passed"), 0);
	pops_eval_group_free(g);
}

