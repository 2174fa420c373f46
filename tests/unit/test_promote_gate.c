#include "unit.h"
#include "relfix.h"
#include "promote_int.h"
#include "eval_run.h"
#include "evidence.h"
#include "fingerprint.h"
#include "repo.h"
#include "suite.h"

/* approvals count distinct people for the exact blob, and force records past them */
TEST(promote_gate_approvals_need_distinct_approvers_and_force_needs_reason)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	pops_release_entry *a = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, "environments:\n  - name: dev\n"
	                        "    require: { approvals: 1 }\n"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/p.prompt", "hi\n", "v1"), 0);
	po.env = "dev";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EREFUSED);
	CHECK_INT(r.v[0].nunmet, 1);
	CHECK_STR(r.v[0].unmet[0].fix, "pops approve dev p@1");
	pops_promote_result_dispose(&r);
	po.force = 1;
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EINVALID);
	CHECK_ERR_HAS("--force needs --reason");
	pops_promote_result_dispose(&r);
	po.force = 0;
	CHECK_INT(pops_approve(&a, f.repo, cfg, "dev", "p@1"), 0);
	pops_release_entry_free(a);
	CHECK_INT(pops_approve(&a, f.repo, cfg, "dev", "p@1"), POPS_EEXISTS);
	CHECK_INT(pops_approve(&a, f.repo, cfg, "dev", "p@9"), POPS_ENOTFOUND);
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	CHECK_INT(r.v[0].napprovers, 1);
	CHECK_STR(r.v[0].approvers[0], "Unit Tester <unit@example.com>");
	pops_promote_result_dispose(&r);
	pops_config_free(cfg);
	relfix_dispose(&f);
}

TEST(promote_gate_from_requires_the_exact_blob_in_the_named_env)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, "environments:\n  - name: dev\n  - name: staging\n"
	                        "  - name: prod\n    require: { from: staging }\n"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/p.prompt", "hi\n", "v1"), 0);
	po.env = "dev";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&r);
	po.env = "prod";
	po.from = "dev";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EREFUSED);
	CHECK(strstr(r.v[0].unmet[0].what, "requires 'from: staging'") != NULL);
	CHECK_STR(r.v[0].unmet[0].fix, "pops promote staging p");
	pops_promote_result_dispose(&r);
	po.force = 1;
	po.reason = "urgent";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	CHECK(r.v[0].forced);
	CHECK_STR(r.v[0].entry->reason, "urgent");
	pops_promote_result_dispose(&r);
	pops_config_free(cfg);
	relfix_dispose(&f);
}

#define GATE_PROMPT "---\nmodel: fast\n---\n{{> style}} Summarize {{text}}\n"
#define GATE_SUITE "prompt: summarize\ntests:\n  - { vars: { text: hi } }\n"

/*
 * The evidence the eval runner would record for `address` on suite
 * `evals/smoke.yaml`, with `kind`, `verdict` and `rate`, on `commit`.
 */
static int record_run(relfix *f, const pops_config *cfg, const git_oid *commit,
                      const char *kind, const char *verdict, double rate, const char *date)
{
	pops_fingerprint fp = POPS_FINGERPRINT_INIT;
	pops_eval_options o;
	pops_suite *s = NULL;
	pops_repo *pr = NULL;
	cJSON *r = NULL;
	int error;

	memset(&o, 0, sizeof(o));
	if ((error = pops_repo_from(&pr, f->repo, cfg)) < 0 ||
	    (error = pops_suite_parse(&s, GATE_SUITE, strlen(GATE_SUITE), "evals/smoke.yaml")) < 0)
		goto done;
	o.config = cfg;
	o.repo = pr;
	o.root = cfg->root;
	o.threshold = -1;
	o.max_cost = -1;
	if ((error = pops_eval_fingerprint(&fp, s, &o)) < 0)
		goto done;
	r = cJSON_Duplicate(fp.fields, 1);
	cJSON_AddStringToObject(r, "fingerprint", fp.hex);
	cJSON_AddStringToObject(r, "kind", kind);
	if (!strcmp(kind, "partial"))
		cJSON_AddItemToObject(r, "partial_reasons", cJSON_Parse("[\"--filter\"]"));
	cJSON_AddNumberToObject(r, "cases", 20);
	cJSON_AddNumberToObject(r, "errors", strcmp(verdict, "error") ? 0 : 20);
	cJSON_AddNumberToObject(r, "pass_rate", rate);
	cJSON_AddStringToObject(r, "verdict", verdict);
	cJSON_AddStringToObject(r, "date", date);
	error = pops_evidence_record(f->repo, commit, r);
done:
	cJSON_Delete(r);
	pops_fingerprint_dispose(&fp);
	pops_suite_free(s);
	pops_repo_free(pr);
	return error;
}

/* the runner's fingerprint is what the gate asks for: only complete, scored evidence */
TEST(promote_gate_takes_complete_evidence_with_the_runner_fingerprint_only)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	git_oid c1, c2;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, "environments:\n  - name: dev\n"
	                        "    require: { suites: [evals/smoke.yaml], min_pass_rate: 0.9 }\n"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "evals/smoke.yaml", GATE_SUITE, "suite"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_style.prompt", "Be brief.\n", "style"), 0);
	CHECK_INT(relfix_commit(&f, &c1, "prompts/summarize.prompt", GATE_PROMPT, "v1"), 0);
	po.env = "dev";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EREFUSED);
	CHECK_INT(r.v[0].nunmet, 1);
	CHECK(strstr(r.v[0].unmet[0].what, "none recorded for this exact prompt, suite and model"));
	CHECK_STR(r.v[0].unmet[0].fix, "pops eval run evals/smoke.yaml");
	pops_promote_result_dispose(&r);

	/* partial: shown, never taken */
	CHECK_INT(record_run(&f, cfg, &c1, "partial", "pass", 1.0, "2026-11-24T10:00:00Z"), 0);
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EREFUSED);
	CHECK(strstr(r.v[0].unmet[0].what, "the evidence of 2026-11-24 is partial (--filter)"));
	pops_promote_result_dispose(&r);

	/* an outage is not a failure of the prompt */
	CHECK_INT(record_run(&f, cfg, &c1, "complete", "error", 0.0, "2026-11-24T11:00:00Z"), 0);
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EREFUSED);
	CHECK(strstr(r.v[0].unmet[0].what, "errored (provider failures)"));
	CHECK(strstr(r.v[0].unmet[0].what, "rerun pops eval run evals/smoke.yaml"));
	CHECK(!strstr(r.v[0].unmet[0].what, "failed"));
	pops_promote_result_dispose(&r);

	/* a complete pass replaces the errored run; an errored one never replaces it */
	CHECK_INT(record_run(&f, cfg, &c1, "complete", "pass", 0.95, "2026-11-24T12:00:00Z"), 0);
	CHECK_INT(record_run(&f, cfg, &c1, "complete", "error", 0.0, "2026-11-24T13:00:00Z"),
	          POPS_EEXISTS);
	CHECK_ERR_HAS("does not replace the pass result of 2026-11-24T12:00:00Z");
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	CHECK_INT(r.v[0].nevidence, 1);
	CHECK_INT(strlen(r.v[0].evidence[0]), 64);
	CHECK_STR(r.v[0].entry->evidence, r.v[0].evidence[0]);
	pops_promote_result_dispose(&r);

	/* a new partial version: the old evidence says what changed */
	CHECK_INT(relfix_commit(&f, &c2, "prompts/_style.prompt", "Be very brief.\n", "style 2"), 0);
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EREFUSED);
	CHECK(strstr(r.v[0].unmet[0].what, ": partial _style changed since the evidence of 2026-11-24"));
	CHECK_STR(r.v[0].unmet[0].fix, "pops eval run evals/smoke.yaml");
	pops_promote_result_dispose(&r);
	pops_config_free(cfg);
	relfix_dispose(&f);
}
