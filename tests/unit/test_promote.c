#include "unit.h"
#include "relfix.h"
#include "promote_int.h"

#define PROMPT_V1 "---\nmodel: fast\n---\nSummarize {{text}}\n"
#define PROMPT_V2 "---\nmodel: fast\n---\nSummarize briefly {{text}}\n"

TEST(promote_counts_versions_and_resolves_the_model_alias)
{
	relfix f;
	pops_config *cfg = NULL;
	git_oid c1, c2, blob, commit;
	pops_release_entry *e = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(relfix_commit(&f, &c1, "prompts/summarize.prompt", PROMPT_V1, "v1"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "README", "unrelated\n", "docs"), 0);
	CHECK_INT(relfix_commit(&f, &c2, "prompts/summarize.prompt", PROMPT_V2, "v2"), 0);
	CHECK_INT(pops_promote_candidate(&e, f.repo, cfg, &c2, "summarize", "dev"), 0);
	CHECK_INT(e->version, 2);
	CHECK_STR(e->model, "gpt-x-2024-01-01");
	CHECK_STR(e->model_alias, "fast");
	CHECK(git_oid_equal(&e->source_commit, &c2));
	pops_release_entry_free(e);
	CHECK_INT(pops_promote__version_blob(&blob, &commit, f.repo, cfg, "summarize", 1), 0);
	CHECK(git_oid_equal(&commit, &c1));
	CHECK_INT(pops_promote__version_blob(&blob, &commit, f.repo, cfg, "summarize", 3),
	          POPS_ENOTFOUND);
	CHECK_ERR_HAS("versions 1 to 2");
	CHECK_INT(pops_promote_candidate(&e, f.repo, cfg, &c2, "nosuch", "dev"), POPS_ENOTFOUND);
	CHECK_ERR_HAS("unknown prompt 'nosuch'");
	pops_config_free(cfg);
	relfix_dispose(&f);
}

TEST(promote_walks_dev_staging_prod_and_a_rerun_is_a_no_op)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	pops_release_entry *got = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/summarize.prompt", PROMPT_V1, "v1"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_style.prompt", "brief\n", "partial"), 0);
	po.env = "dev";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	CHECK_INT(r.n, 1);   /* the partial is not a prompt */
	CHECK(r.v[0].recorded);
	pops_promote_result_dispose(&r);
	{
		git_oid before, after;

		/* a re-run is done already: success, every item up to date, no ledger commit */
		CHECK_INT(pops_release_tip(&before, f.repo), 0);
		CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
		CHECK_INT(r.n, 1);
		CHECK(r.v[0].up_to_date);
		CHECK(!r.v[0].recorded);
		CHECK_INT(pops_release_tip(&after, f.repo), 0);
		CHECK(git_oid_equal(&before, &after));
	}
	pops_promote_result_dispose(&r);
	po.env = "prod";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EREFUSED);  /* staging is empty */
	pops_promote_result_dispose(&r);
	po.env = "staging";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&r);
	po.env = "prod";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), 0);
	CHECK_STR(r.source, "staging");
	pops_promote_result_dispose(&r);
	CHECK_INT(pops_release_get(&got, f.repo, NULL, "prod", "summarize"), 0);
	CHECK_INT(got->version, 1);
	pops_release_entry_free(got);
	po.env = "qa";
	CHECK_INT(pops_promote(&r, f.repo, cfg, &po), POPS_EINVALID);
	CHECK_ERR_HAS("unknown environment 'qa'");
	pops_promote_result_dispose(&r);
	pops_config_free(cfg);
	relfix_dispose(&f);
}
