#include "unit.h"
#include "exec.h"
#include "suite.h"

static int parse(const char *yaml, pops_suite **s)
{
	return pops_suite_parse(s, yaml, strlen(yaml), "evals/smoke.yaml");
}

TEST(loads_a_full_suite)
{
	pops_suite *s = NULL;

	CHECK_INT(parse("prompt: summarize\nmodel: fast\ndataset: d.jsonl\nrepeat: 3\n"
	                "threshold: 0.9\nassert:\n  - {type: icontains, value: \"{{expected}}\"}\n"
	                "  - {type: judge, model: judge, rubric: Faithful}\n", &s), 0);
	CHECK_STR(s->prompt, "summarize");
	CHECK_STR(s->model, "fast");
	CHECK_INT(s->repeat, 3);
	CHECK_INT(s->nasserts, 2);
	CHECK(pops_assert_needs_model(s->asserts[1]));
	CHECK(s->threshold > 0.89 && s->threshold < 0.91);
	pops_suite_free(s);
}

TEST(unknown_assertion_type_fails_at_load_with_line)
{
	pops_suite *s = NULL;

	CHECK_INT(parse("prompt: p\ndataset: d.jsonl\nassert:\n  - type: equals\n    value: x\n"
	                "  - type: containz\n    value: y\n", &s), POPS_EINVALID);
	CHECK_ERR_HAS("evals/smoke.yaml:6: unknown assertion type 'containz' (did you mean 'contains'?)");
	CHECK(!s);
}

TEST(bad_regex_fails_at_load_with_offset)
{
	pops_suite *s = NULL;

	CHECK_INT(parse("prompt: p\ndataset: d.jsonl\nassert:\n  - {type: regex, value: \"[a-\"}\n", &s),
	          POPS_EINVALID);
	CHECK_ERR_HAS("evals/smoke.yaml:4: invalid regex '[a-': missing terminating ] for character class at offset 3");
}

TEST(rejects_unknown_keys_and_missing_cases)
{
	pops_suite *s = NULL;

	CHECK_INT(parse("prompt: p\ndataset: d.jsonl\nthreshhold: 0.5\n", &s), POPS_EINVALID);
	CHECK_ERR_HAS("evals/smoke.yaml:3:");
	CHECK_ERR_HAS("threshold");
	CHECK_INT(parse("prompt: p\n", &s), POPS_EINVALID);
	CHECK_ERR_HAS("suite has no cases");
	CHECK_INT(parse("dataset: x.csv\n", &s), POPS_EINVALID);
	CHECK_ERR_HAS("prompt");
	CHECK_INT(parse("prompt: p\ndataset: d.jsonl\nthreshold: 2\n", &s), POPS_EINVALID);
}

TEST(inline_tests_are_validated_at_load)
{
	pops_suite *s = NULL;

	CHECK_INT(parse("prompt: p\ntests:\n  - vars: {a: 1}\n  - vars: {a: 2}\n"
	                "    assert: [{type: nope}]\n", &s), POPS_EINVALID);
	CHECK_ERR_HAS("evals/smoke.yaml:4: unknown assertion type 'nope'");
	CHECK_INT(parse("prompt: p\nvars: {tone: dry, a: 0}\ntests:\n  - vars: {a: 1}\n", &s), 0);
	{
		pops_case c = POPS_CASE_INIT;

		CHECK_INT(pops_case_from_json(&c, s->tests->child, s->path, 4), 0);
		CHECK_INT(pops_suite_apply_vars(s, &c), 0);
		CHECK_STR(cJSON_GetObjectItem(c.vars, "tone")->valuestring, "dry");
		CHECK_INT(cJSON_GetObjectItem(c.vars, "a")->valueint, 1);
		pops_case_dispose(&c);
	}
	pops_suite_free(s);
}

TEST(exec_run_reports_exit_status_and_output)
{
	pops_buf out = POPS_BUF_INIT;
	char *argv[] = { "sh", "-c", "cat; exit 4", NULL };
	int status = 0;

	CHECK_INT(pops_exec_run(&status, &out, argv, "abc", 3, 5000, 1024, NULL), 0);
	CHECK_INT(status, 4);
	CHECK_STR(out.ptr, "abc");
	pops_buf_dispose(&out);
}

TEST(classification_metrics_and_score_threshold)
{
	pops_suite *s = NULL;

	CHECK_INT(parse("prompt: p\ndataset: d.jsonl\nscore_threshold: 0.6\nmetrics:\n"
	                "  classification:\n    label: $.category\n    threshold_macro_f1: 0.8\n"
	                "    min_f1: {billing: 0.9}\n", &s), 0);
	CHECK_STR(s->cls.label, "$.category");
	CHECK_STR(s->cls.expected, "{{expected}}");
	CHECK(s->cls.threshold_macro_f1 > 0.79 && s->cls.threshold_macro_f1 < 0.81);
	CHECK(s->cls.re == NULL && cJSON_IsObject(s->cls.min_f1));
	CHECK(s->case_threshold > 0.59 && s->case_threshold < 0.61);
	pops_suite_free(s);
	s = NULL;
	CHECK_INT(parse("prompt: p\ndataset: d.jsonl\n", &s), 0);
	CHECK(!s->cls.label && s->cls.threshold_macro_f1 < 0);
	pops_suite_free(s);
	s = NULL;
	CHECK_INT(parse("prompt: p\ndataset: d.jsonl\nmetrics:\n  classification:\n"
	                "    label: \"(a)(b)\"\n", &s), POPS_EINVALID);
	CHECK_ERR_HAS("evals/smoke.yaml:5: 'label' regex has 2 groups");
	CHECK_INT(parse("prompt: p\ndataset: d.jsonl\nmetrics:\n  classification:\n"
	                "    expected: x\n", &s), POPS_EINVALID);
	CHECK_INT(parse("prompt: p\ndataset: d.jsonl\nmetrics:\n  classification:\n"
	                "    label: $.a\n    min_f1: {a: 2}\n", &s), POPS_EINVALID);
	CHECK_INT(parse("prompt: p\ndataset: d.jsonl\ncase_threshold: 0.5\nscore_threshold: 0.5\n", &s),
	          POPS_EINVALID);
	CHECK_ERR_HAS("evals/smoke.yaml:4: 'score_threshold' is another name for 'case_threshold'");
	CHECK(!s);
}
