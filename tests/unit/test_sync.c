#include "unit.h"
#include "relfix.h"
#include "promote.h"
#include "sync.h"
#include "fileio.h"

static int promote_all(relfix *f, pops_config *cfg, const char *env)
{
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result r;
	int error;

	po.env = env;
	error = pops_promote(&r, f->repo, cfg, &po);
	pops_promote_result_dispose(&r);
	return error;
}

TEST(sync_push_then_pull_merges_diverged_ledgers_keeping_both)
{
	relfix a, b;
	pops_config *ca = NULL, *cb = NULL;
	pops_sync_result s;
	git_repository *bare = NULL;
	pops_buf remote = POPS_BUF_INIT;
	pops_release_list l = { NULL, 0 };

	CHECK_INT(relfix_init(&a), 0);
	CHECK_INT(relfix_init(&b), 0);
	CHECK_INT(relfix_config(&a, &ca, NULL), 0);
	CHECK_INT(relfix_config(&b, &cb, NULL), 0);
	pops_path_join(&remote, a.dir.ptr, "remote.git");
	CHECK_INT(git_repository_init(&bare, remote.ptr, 1), 0);
	git_repository_free(bare);
	CHECK_INT(relfix_commit(&a, NULL, "prompts/p.prompt", "p\n", "p"), 0);
	CHECK_INT(relfix_commit(&b, NULL, "prompts/q.prompt", "q\n", "q"), 0);
	CHECK_INT(pops_sync_push(&s, a.repo, remote.ptr), POPS_EREFUSED);  /* nothing yet */
	pops_sync_result_dispose(&s);
	CHECK_INT(promote_all(&a, ca, "dev"), 0);
	CHECK_INT(pops_sync_push(&s, a.repo, remote.ptr), 0);
	pops_sync_result_dispose(&s);
	CHECK_INT(promote_all(&b, cb, "dev"), 0);
	/* b's ledger has its own history: push refused, pull merges */
	CHECK_INT(pops_sync_push(&s, b.repo, remote.ptr), POPS_EREFUSED);
	CHECK_ERR_HAS("pops pull");
	pops_sync_result_dispose(&s);
	CHECK_INT(pops_sync_pull(&s, b.repo, remote.ptr), 0);
	CHECK_INT(s.n, 1);
	CHECK_INT(s.v[0].status, POPS_SYNC_MERGED);
	pops_sync_result_dispose(&s);
	CHECK_INT(pops_release_list_entries(&l, b.repo, NULL, "dev"), 0);
	CHECK_INT(l.n, 2);
	pops_release_list_dispose(&l);
	CHECK_INT(pops_sync_push(&s, b.repo, remote.ptr), 0);
	pops_sync_result_dispose(&s);
	CHECK_INT(pops_sync_pull(&s, a.repo, remote.ptr), 0);
	CHECK_INT(s.v[0].status, POPS_SYNC_FAST_FORWARD);
	pops_sync_result_dispose(&s);
	CHECK_INT(pops_sync_pull(&s, a.repo, "no-such-remote"), POPS_EINVALID);
	pops_sync_result_dispose(&s);
	pops_buf_dispose(&remote);
	pops_config_free(ca);
	pops_config_free(cb);
	relfix_dispose(&b);
	relfix_dispose(&a);
}
