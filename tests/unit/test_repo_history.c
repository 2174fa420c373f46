#include "unit.h"
#include "relfix.h"
#include "repo.h"
#include "fileio.h"

#include <dirent.h>

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

static int count_versions(pops_repo *repo, const char *name, long *latest)
{
	pops_versions *vs = NULL;
	int n;

	if (pops_repo_versions(&vs, repo, name, 0) < 0)
		return -1;
	n = (int)vs->n;
	*latest = vs->v[0].number;
	pops_versions_free(vs);
	return n;
}

TEST(repo_version_cache_follows_new_commits_and_rewrites)
{
	relfix f;
	pops_repo *repo = NULL;
	git_oid c2;
	git_reference *ref = NULL, *head2 = NULL;
	pops_buf cache = POPS_BUF_INIT;
	long latest = 0;
	FILE *fp;
	DIR *d;
	struct dirent *de;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "1", "a1"), 0);
	CHECK_INT(relfix_commit(&f, &c2, "prompts/a.prompt", "2", "a2"), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	CHECK_INT(count_versions(repo, "a", &latest), 2);
	pops_buf_printf(&cache, "%s/.git/pops/versions", f.dir.ptr);
	CHECK(pops_path_isdir(cache.ptr));
	/* new commits on top: the cache is extended, numbers stay exact */
	CHECK_INT(relfix_commit(&f, NULL, "other", "x", "unrelated"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "3", "a3"), 0);
	CHECK_INT(count_versions(repo, "a", &latest), 3);
	CHECK_INT(latest, 3);
	/* history rewritten: the branch reset to a2 (the cached tip is gone) */
	CHECK_INT(git_repository_head(&ref, f.repo), 0);
	CHECK_INT(git_reference_set_target(&head2, ref, &c2, "reset"), 0);
	git_reference_free(head2);
	git_reference_free(ref);
	CHECK_INT(count_versions(repo, "a", &latest), 2);
	CHECK_INT(latest, 2);
	/* a corrupt cache file is ignored */
	CHECK((d = opendir(cache.ptr)) != NULL);
	while ((de = readdir(d))) {
		pops_buf file = POPS_BUF_INIT;

		if (de->d_name[0] == '.')
			continue;
		pops_buf_printf(&file, "%s/%s", cache.ptr, de->d_name);
		CHECK((fp = fopen(file.ptr, "w")) != NULL);
		fputs("pops-versions 1 prompts/a.prompt\ntip zzzz\nnonsense\n", fp);
		fclose(fp);
		pops_buf_dispose(&file);
	}
	closedir(d);
	CHECK_INT(count_versions(repo, "a", &latest), 2);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "4", "a4"), 0);
	CHECK_INT(count_versions(repo, "a", &latest), 3);
	CHECK_INT(latest, 3);
	pops_buf_dispose(&cache);
	pops_repo_free(repo);
	relfix_dispose(&f);
}
