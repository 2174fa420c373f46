#include "unit.h"
#include "relfix.h"
#include "repo.h"

TEST(list_finds_prompts_with_latest_versions_and_skips_partials)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_prompt_list *l = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "1", "a1"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/x/b.prompt", "1", "b1"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "2", "a2"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_p.prompt", "p", "partial"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "other.prompt", "o", "outside"), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	CHECK_INT(pops_repo_list(&l, repo), 0);
	CHECK_INT(l->n, 2);
	CHECK_STR(l->v[0].name, "a");
	CHECK_INT(l->v[0].latest, 2);
	CHECK_INT(l->v[0].modified, 0);
	CHECK_STR(l->v[1].name, "x/b");
	CHECK_INT(l->v[1].latest, 1);
	CHECK_INT(l->v[1].in_worktree, 1);
	CHECK_INT(l->v[1].in_head, 1);
	pops_prompt_list_free(l);
	pops_repo_free(repo);
	relfix_dispose(&f);
}

TEST(list_of_an_unborn_repository_is_empty)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_prompt_list *l = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	CHECK_INT(pops_repo_list(&l, repo), 0);
	CHECK_INT(l->n, 0);
	pops_prompt_list_free(l);
	pops_repo_free(repo);
	relfix_dispose(&f);
}
