#include "unit.h"
#include "relfix.h"
#include "repo.h"

TEST(repo_versions_count_commits_that_change_the_file)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_versions *vs = NULL;
	git_oid c1, c3;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "prompts/a.prompt", "one\n", "a v1"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "README", "unrelated\n", "docs"), 0);
	CHECK_INT(relfix_commit(&f, &c3, "prompts/a.prompt", "two\n", "a v2"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/b.prompt", "b\n", "b v1"), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	CHECK_INT(pops_repo_versions(&vs, repo, "a", 0), 0);
	CHECK_INT(vs->n, 2);
	CHECK_INT(vs->v[0].number, 2);
	CHECK(!git_oid_cmp(&vs->v[0].commit, &c3));
	CHECK_STR(vs->v[0].summary, "a v2");
	CHECK_INT(vs->v[1].number, 1);
	CHECK(!git_oid_cmp(&vs->v[1].commit, &c1));
	CHECK_INT(vs->shallow, 0);
	pops_versions_free(vs);
	/* max keeps the numbers exact */
	CHECK_INT(pops_repo_versions(&vs, repo, "a", 1), 0);
	CHECK_INT(vs->n, 1);
	CHECK_INT(vs->v[0].number, 2);
	pops_versions_free(vs);
	CHECK_INT(pops_repo_versions(&vs, repo, "nope", 0), POPS_ENOTFOUND);
	CHECK_ERR_HAS("has no committed version");
	CHECK_INT(pops_repo_versions(&vs, repo, "../a", 0), POPS_EINVALID);
	pops_repo_free(repo);
	relfix_dispose(&f);
}

TEST(repo_versions_skip_deletions_and_count_readds)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_versions *vs = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "one\n", "add"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", NULL, "delete"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "again\n", "re-add"), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	CHECK_INT(pops_repo_versions(&vs, repo, "a", 0), 0);
	CHECK_INT(vs->n, 2);
	CHECK_STR(vs->v[0].summary, "re-add");
	CHECK_STR(vs->v[1].summary, "add");
	pops_versions_free(vs);
	pops_repo_free(repo);
	relfix_dispose(&f);
}

TEST(repo_versions_on_unborn_head_say_so)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_versions *vs = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	CHECK_INT(pops_repo_versions(&vs, repo, "a", 0), POPS_ENOTFOUND);
	CHECK_ERR_HAS("no commits yet");
	pops_repo_free(repo);
	relfix_dispose(&f);
}
