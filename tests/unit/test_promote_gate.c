#include "unit.h"
#include "relfix.h"
#include "promote_src.h"

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
