#include "unit.h"
#include "relfix.h"
#include "promote.h"

TEST(release_log_reads_trailers_back_newest_first)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	pops_release_events log = { NULL, 0 };
	git_oid rev;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/p.prompt", "hi\n", "v1"), 0);
	CHECK_INT(pops_release_log(&log, f.repo, NULL, NULL, 0), 0);
	CHECK_INT(log.n, 0);
	po.env = "dev";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&r);
	po.env = "staging";
	po.force = 1;
	po.reason = "line one\nPops-Env: prod";  /* a newline cannot forge a trailer */
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&r);
	CHECK_INT(pops_release_log(&log, f.repo, NULL, NULL, 0), 0);
	CHECK_INT(log.n, 2);
	CHECK_STR(log.v[0].action, "promote");
	CHECK_STR(log.v[0].env, "staging");
	CHECK_STR(log.v[0].prompt, "p");
	CHECK_INT(log.v[0].version, 1);
	CHECK_STR(log.v[0].reason, "line one Pops-Env: prod");
	CHECK_STR(log.v[0].author_email, "unit@example.com");
	CHECK_STR(log.v[1].env, "dev");
	pops_release_events_dispose(&log);
	CHECK_INT(pops_release_log(&log, f.repo, "dev", "p", 1), 0);
	CHECK_INT(log.n, 1);
	pops_release_events_dispose(&log);
	CHECK_INT(pops_release_resolve_rev(&rev, f.repo, "refs/pops/releases~1"), 0);
	CHECK_INT(pops_release_resolve_rev(&rev, f.repo, "HEAD"), POPS_EINVALID);
	CHECK_INT(pops_release_resolve_rev(&rev, f.repo, "nope"), POPS_ENOTFOUND);
	pops_config_free(cfg);
	relfix_dispose(&f);
}
