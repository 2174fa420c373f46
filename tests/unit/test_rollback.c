#include "unit.h"
#include "relfix.h"
#include "promote.h"

static long released_version(relfix *f, const char *env, const char *prompt)
{
	pops_release_entry *e = NULL;
	long v = -1;

	if (pops_release_get(&e, f->repo, NULL, env, prompt) == 0)
		v = e->version;
	pops_release_entry_free(e);
	return v;
}

TEST(rollback_restores_previous_and_rollback_of_rollback_undoes_it)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_rollback_options ro = POPS_ROLLBACK_OPTIONS_INIT;
	pops_promote_result r;
	int i;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	po.env = "dev";
	for (i = 1; i <= 3; i++) {
		char text[32];

		snprintf(text, sizeof(text), "v%d\n", i);
		CHECK_INT(relfix_commit(&f, NULL, "prompts/p.prompt", text, text), 0);
		CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
		pops_promote_result_dispose(&r);
	}
	CHECK_INT(released_version(&f, "dev", "p"), 3);
	ro.env = "dev";
	CHECK_INT(pops_rollback(&r, f.repo, cfg, &ro), 0);
	pops_promote_result_dispose(&r);
	CHECK_INT(released_version(&f, "dev", "p"), 2);
	CHECK_INT(pops_rollback(&r, f.repo, cfg, &ro), 0);
	pops_promote_result_dispose(&r);
	CHECK_INT(released_version(&f, "dev", "p"), 3);
	ro.to_version = 1;
	CHECK_INT(pops_rollback(&r, f.repo, cfg, &ro), 0);
	pops_promote_result_dispose(&r);
	CHECK_INT(released_version(&f, "dev", "p"), 1);
	CHECK_INT(pops_rollback(&r, f.repo, cfg, &ro), POPS_ENOTFOUND);  /* @1 is current */
	pops_promote_result_dispose(&r);
	ro.to_version = 0;
	ro.env = "staging";
	CHECK_INT(pops_rollback(&r, f.repo, cfg, &ro), POPS_ENOTFOUND);
	CHECK_ERR_HAS("nothing has been released to staging");
	pops_promote_result_dispose(&r);
	pops_config_free(cfg);
	relfix_dispose(&f);
}
