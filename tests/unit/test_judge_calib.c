#include "unit.h"
#include "relfix.h"
#include "judge_calib.h"
#include "evidence.h"
#include "fingerprint.h"
#include "jsonget.h"

#define CALIB_CFG "version: 1\nproviders: { fake: { type: openai, base_url: http://127.0.0.1:1/v1 } }\n" \
	"models:\n  judge: { provider: fake, id: j-1 }\n  judge2: { provider: fake, id: j-2 }\n" \
	"  hot: { provider: fake, id: j-1, config: { top_p: 0.5 } }\n"

static pops_config *calib_config(void)
{
	pops_config *cfg = NULL;

	if (pops_config_parse(&cfg, CALIB_CFG, strlen(CALIB_CFG), "/tmp/pops.yaml") < 0)
		return NULL;
	return cfg;
}

static pops_suite *calib_suite(const char *judge)
{
	pops_buf y = POPS_BUF_INIT;
	pops_suite *s = NULL;

	pops_buf_printf(&y, "prompt: qa\ntests: [ { vars: { q: x } } ]\nassert:\n  - %s\n", judge);
	if (pops_suite_parse(&s, y.ptr, y.size, "evals/qa.yaml") < 0)
		s = NULL;
	pops_buf_dispose(&y);
	return s;
}

/* the judge fingerprint of the suite's first assertion through `alias` (NULL: its own) */
static int calib_hex(char hex[65], const pops_config *cfg, const char *judge, const char *alias)
{
	pops_suite *s = calib_suite(judge);
	int error = s ? pops_judge_calib_fingerprint(hex, NULL, cfg, "/tmp", s->asserts[0], alias) : -1;

	pops_suite_free(s);
	return error;
}

TEST(judge_calib_fingerprint_is_the_eval_judge_plus_rubric)
{
	pops_config *cfg = calib_config();
	pops_suite *s = calib_suite("{ type: judge, model: judge, rubric: \"answers it\" }");
	cJSON *fields = NULL, *j = NULL;
	char a[65], b[65];

	CHECK(cfg != NULL);
	CHECK(s != NULL);
	CHECK_INT(pops_judge_calib_fingerprint(a, &fields, cfg, "/tmp", s->asserts[0], NULL), 0);
	CHECK_INT(pops_fingerprint_judge(&j, cfg, "/tmp", s->asserts[0], NULL), 0);
	/* the same judge fields the evidence fingerprint records */
	CHECK_STR(pops_json_str(fields, "judge_model", ""), "j-1");
	CHECK_STR(pops_json_str(j, "model", ""), "j-1");
	CHECK_STR(pops_json_str(fields, "judge_prompt_blob", ""), pops_json_str(j, "prompt_blob", "?"));
	CHECK(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(fields, "judge_config"),
	                    cJSON_GetObjectItemCaseSensitive(j, "config"), 1));
	CHECK_STR(pops_json_str(fields, "rubric", ""), "answers it");
	CHECK_INT(pops_fingerprint_hash(b, fields), 0);
	CHECK_STR(a, b);
	CHECK_INT((int)strlen(a), 64);
	cJSON_Delete(fields);
	cJSON_Delete(j);
	pops_suite_free(s);
	pops_config_free(cfg);
}

TEST(judge_calib_fingerprint_changes_with_rubric_model_and_config)
{
	pops_config *cfg = calib_config();
	char base[65], same[65], other[65];

	CHECK(cfg != NULL);
	CHECK_INT(calib_hex(base, cfg, "{ type: judge, model: judge, rubric: \"answers it\" }", NULL), 0);
	CHECK_INT(calib_hex(same, cfg, "{ type: judge, model: judge, rubric: \"answers it\" }", NULL), 0);
	CHECK_STR(base, same);
	CHECK_INT(calib_hex(other, cfg, "{ type: judge, model: judge, rubric: \"answers it well\" }", NULL), 0);
	CHECK(strcmp(base, other) != 0);
	CHECK_INT(calib_hex(other, cfg, "{ type: judge, model: judge2, rubric: \"answers it\" }", NULL), 0);
	CHECK(strcmp(base, other) != 0);
	/* the same model id with another request config is another judge */
	CHECK_INT(calib_hex(other, cfg, "{ type: judge, model: judge, rubric: \"answers it\" }", "hot"), 0);
	CHECK(strcmp(base, other) != 0);
	CHECK_INT(calib_hex(other, cfg, "{ type: judge, model: judge, rubric: \"answers it\", pass_score: 4 }",
	                    NULL), 0);
	CHECK(strcmp(base, other) != 0);
	/* an unknown alias names itself */
	CHECK_INT(calib_hex(other, cfg, "{ type: judge, model: judge, rubric: \"answers it\" }", "nope"),
	          POPS_EINVALID);
	CHECK_ERR_HAS("nope");
	pops_config_free(cfg);
}

TEST(judge_calib_result_records_rates_and_is_found_by_fingerprint)
{
	pops_judge_calib_counts k = { 2, 2, 1, 1, 0 }, none = { 0, 0, 0, 0, 3 };
	cJSON *fields = cJSON_CreateObject(), *r, *r0, *found = NULL, *note = NULL;
	relfix f;
	git_oid c1;
	double kappa;

	cJSON_AddStringToObject(fields, "judge_model", "j-1");
	r = pops_judge_calib_result(fields, "fp-judge", &k, "evals/qa.yaml", "judge", "l.jsonl");
	CHECK(r != NULL);
	CHECK_STR(pops_json_str(r, "kind", ""), POPS_JUDGE_CALIB_KIND);
	CHECK_STR(pops_json_str(r, "judge_model", ""), "j-1");
	CHECK(pops_json_num(r, "n", 0) == 6);
	CHECK_INT(pops_judge_calib_kappa(&kappa, r), 1);
	CHECK(kappa > 0.3333 && kappa < 0.3334);
	CHECK(pops_json_num(r, "kappa_low", 9) < kappa && pops_json_num(r, "kappa_high", -9) > kappa);
	/* nothing graded: kappa undefined, stored as null */
	r0 = pops_judge_calib_result(fields, "fp-none", &none, "evals/qa.yaml", "judge", "l.jsonl");
	CHECK(r0 != NULL);
	CHECK(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(r0, "kappa")));
	CHECK_INT(pops_judge_calib_kappa(&kappa, r0), 0);

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "prompts/qa.prompt", "hi\n", "one"), 0);
	CHECK_INT(pops_judge_calib_find(&found, f.repo, "fp-judge"), POPS_ENOTFOUND);
	CHECK_INT(pops_evidence_record(f.repo, &c1, r), 0);
	CHECK_INT(pops_evidence_record(f.repo, &c1, r0), 0);
	CHECK_INT(pops_judge_calib_find(&found, f.repo, "fp-judge"), 0);
	CHECK(pops_json_num(found, "tp", 0) == 2);
	cJSON_Delete(found);
	found = NULL;
	/* another judge's fingerprint finds nothing */
	CHECK_INT(pops_judge_calib_find(&found, f.repo, "fp-other"), POPS_ENOTFOUND);
	CHECK_INT(pops_evidence_read(&note, f.repo, &c1), 0);
	CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(note, "results")), 2);
	cJSON_Delete(note);
	relfix_dispose(&f);
	cJSON_Delete(r0);
	cJSON_Delete(r);
	cJSON_Delete(fields);
}

static int count_case(void *payload, const pops_case *c, pops_assert *const *ca, size_t nca)
{
	pops_buf *b = payload;

	pops_buf_printf(b, "%s:%zu:%s;", c->id, nca, ca[nca - 1]->rubric ? ca[nca - 1]->rubric : "");
	return 0;
}

TEST(judge_calib_each_case_walks_the_cases_with_judges_of_their_own)
{
	static const char y[] =
		"prompt: qa\n"
		"tests:\n"
		"  - { id: plain, vars: { q: x } }\n"
		"  - { id: eq, vars: { q: y }, assert: [ { type: equals, value: y } ] }\n"
		"  - { id: judged, vars: { q: z }, assert: [ { type: equals, value: z },\n"
		"      { type: judge, model: judge, rubric: short } ] }\n";
	static const char yd[] = "prompt: qa\ndataset: datasets/none.jsonl\n";
	pops_suite *s = NULL;
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_suite_parse(&s, y, strlen(y), "evals/qa.yaml"), 0);
	CHECK_INT(pops_judge_calib_each_case(s, "/tmp", count_case, &b), 0);
	CHECK_STR(b.ptr ? b.ptr : "", "judged:2:short;");
	pops_suite_free(s);
	s = NULL;
	/* a missing dataset is named */
	CHECK_INT(pops_suite_parse(&s, yd, strlen(yd), "evals/qa.yaml"), 0);
	CHECK_INT(pops_judge_calib_each_case(s, "/nonexistent-pops-root", count_case, &b),
	          POPS_ENOTFOUND);
	CHECK(strstr(pops_error_last(), "datasets/none.jsonl") != NULL);
	pops_suite_free(s);
	pops_buf_dispose(&b);
}
