#include "unit.h"
#include "relfix.h"
#include "repo.h"
#include "promote.h"
#include "config.h"
#include "rollout.h"

static int write_file(relfix *f, const char *rel, const char *text)
{
	pops_buf p = POPS_BUF_INIT;
	FILE *fp;
	int ok;

	pops_buf_printf(&p, "%s/%s", f->dir.ptr, rel);
	fp = fopen(p.ptr, "w");
	ok = fp && fputs(text, fp) >= 0;
	if (fp)
		fclose(fp);
	pops_buf_dispose(&p);
	return ok ? 0 : -1;
}

TEST(resolve_reads_every_committed_form)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_resolved *r = NULL;
	git_oid c1, c2;
	char hex[GIT_OID_HEXSZ + 1], addr[64];

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "prompts/s/t.prompt", "v1\n", "one"), 0);
	CHECK_INT(relfix_commit(&f, &c2, "prompts/s/t.prompt", "v2\n", "two"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/s/t.prompt", "v3\n", "three"), 0);
	CHECK_INT(write_file(&f, "prompts/s/t.prompt", "wip\n"), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);

	CHECK_INT(pops_repo_resolve(&r, repo, "s/t"), 0);
	CHECK_STR(r->data, "wip\n");
	CHECK_INT(r->version, 0);
	CHECK_INT(r->has_commit, 0);
	CHECK_STR(r->path, "prompts/s/t.prompt");
	pops_resolved_free(r);

	CHECK_INT(pops_repo_resolve(&r, repo, "s/t@1"), 0);
	CHECK_STR(r->data, "v1\n");
	CHECK_INT(r->version, 1);
	CHECK(!git_oid_cmp(&r->commit, &c1));
	pops_resolved_free(r);

	CHECK_INT(pops_repo_resolve(&r, repo, "s/t@latest"), 0);
	CHECK_STR(r->data, "v3\n");
	CHECK_INT(r->version, 3);
	pops_resolved_free(r);

	CHECK_INT(pops_repo_resolve(&r, repo, "s/t@-1"), 0);
	CHECK_STR(r->data, "v2\n");
	CHECK_INT(r->version, 2);
	pops_resolved_free(r);

	git_oid_tostr(hex, sizeof(hex), &c2);
	snprintf(addr, sizeof(addr), "s/t#%.12s", hex);
	CHECK_INT(pops_repo_resolve(&r, repo, addr), 0);
	CHECK_STR(r->data, "v2\n");
	CHECK(!git_oid_cmp(&r->commit, &c2));
	pops_resolved_free(r);

	CHECK_INT(pops_repo_resolve(&r, repo, "s/t#HEAD~2"), 0);
	CHECK_STR(r->data, "v1\n");
	pops_resolved_free(r);

	pops_repo_free(repo);
	relfix_dispose(&f);
}

TEST(resolve_reports_missing_things_clearly)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_resolved *r = NULL;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "v1\n", "one"), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	CHECK_INT(pops_repo_resolve(&r, repo, "a@2"), POPS_ENOTFOUND);
	CHECK_ERR_HAS("version 2 of 'a' does not exist (latest is 1)");
	CHECK_INT(pops_repo_resolve(&r, repo, "a@-1"), POPS_ENOTFOUND);
	CHECK_INT(pops_repo_resolve(&r, repo, "b"), POPS_ENOTFOUND);
	CHECK_ERR_HAS("prompt 'b' not found");
	CHECK_INT(pops_repo_resolve(&r, repo, "a#nosuchrev"), POPS_ENOTFOUND);
	CHECK_ERR_HAS("unknown revision 'nosuchrev'");
	CHECK_INT(pops_repo_resolve(&r, repo, "a:prod"), POPS_ENOTFOUND);
	CHECK_ERR_HAS("no release of 'a' in env 'prod'");
	CHECK(r == NULL);
	pops_repo_free(repo);
	relfix_dispose(&f);
}

TEST(resolve_loads_partials_from_the_same_revision)
{
	relfix f;
	pops_repo *repo = NULL;
	pops_resolved *r = NULL;
	pops_buf out = POPS_BUF_INIT;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_style.prompt", "old style", "p1"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "{{> style}}", "a"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/_style.prompt", "new style", "p2"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/sub/_x.prompt", "sub x", "p3"), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);
	CHECK_INT(pops_repo_resolve(&r, repo, "a@1"), 0);
	CHECK_INT(pops_resolved_load_partial(r, "style", &out), 0);
	CHECK_STR(out.ptr, "old style");
	CHECK_INT(pops_resolved_load_partial(r, "nope", &out), POPS_ENOTFOUND);
	CHECK_INT(pops_resolved_load_partial(r, "../x", &out), POPS_EINVALID);
	pops_resolved_free(r);
	CHECK_INT(pops_repo_resolve(&r, repo, "a"), 0);
	CHECK_INT(pops_resolved_load_partial(r, "style", &out), 0);
	CHECK_STR(out.ptr, "new style");
	CHECK_INT(pops_resolved_load_partial(r, "sub/x", &out), 0);
	CHECK_STR(out.ptr, "sub x");
	pops_resolved_free(r);
	pops_buf_dispose(&out);
	pops_repo_free(repo);
	relfix_dispose(&f);
}

/* resolve `addr` and return its version number, -1 on error */
static long version_of(pops_repo *repo, const char *addr)
{
	pops_resolved *r = NULL;
	long v = -1;

	if (pops_repo_resolve(&r, repo, addr) == 0)
		v = r->version;
	pops_resolved_free(r);
	return v;
}

TEST(resolve_rev_reports_the_version_it_shows)
{
	relfix f;
	pops_repo *repo = NULL;
	git_object *c2obj = NULL;
	git_oid c2, side, other;
	char hex[GIT_OID_HEXSZ + 1], addr[64];

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/p.prompt", "v1\n", "one"), 0);
	CHECK_INT(relfix_commit(&f, &c2, "prompts/p.prompt", "v2\n", "two"), 0);
	/* an edit on a line HEAD will not contain */
	CHECK_INT(relfix_commit(&f, &side, "prompts/p.prompt", "side\n", "side edit"), 0);
	CHECK_INT(git_object_lookup(&c2obj, f.repo, &c2, GIT_OBJECT_COMMIT), 0);
	CHECK_INT(git_reset(f.repo, c2obj, GIT_RESET_HARD, NULL), 0);
	CHECK_INT(relfix_commit(&f, &other, "other.txt", "x\n", "unrelated"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/p.prompt", "v3\n", "three"), 0);
	CHECK_INT(pops_repo_from(&repo, f.repo, NULL), 0);

	git_oid_tostr(hex, sizeof(hex), &c2);
	snprintf(addr, sizeof(addr), "p#%s", hex);
	CHECK_INT(version_of(repo, addr), 2);
	CHECK_INT(version_of(repo, "p#HEAD"), 3);
	/* a commit that did not touch the prompt shows the version it inherited */
	git_oid_tostr(hex, sizeof(hex), &other);
	snprintf(addr, sizeof(addr), "p#%s", hex);
	CHECK_INT(version_of(repo, addr), 2);
	CHECK_INT(version_of(repo, "p#HEAD~1"), 2);
	/* bytes that are no version: none */
	git_oid_tostr(hex, sizeof(hex), &side);
	snprintf(addr, sizeof(addr), "p#%s", hex);
	CHECK_INT(version_of(repo, addr), 0);

	git_object_free(c2obj);
	pops_repo_free(repo);
	relfix_dispose(&f);
}

TEST(env_ref_takes_a_side_only_of_a_configured_environment)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_addr_side side = POPS_SIDE_CANARY;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, NULL), 0);
	CHECK_INT(pops_address_env_ref(cfg, "prod", &side), 1);
	CHECK_INT(side, POPS_SIDE_NONE);
	CHECK_INT(pops_address_env_ref(cfg, "prod~stable", &side), 1);
	CHECK_INT(side, POPS_SIDE_STABLE);
	CHECK_INT(pops_address_env_ref(cfg, "prod~canary", &side), 1);
	CHECK_INT(side, POPS_SIDE_CANARY);
	/* git's ancestry syntax stays a revision */
	CHECK_INT(pops_address_env_ref(cfg, "prod~2", &side), 0);
	CHECK_INT(side, POPS_SIDE_NONE);
	CHECK_INT(pops_address_env_ref(cfg, "qa~canary", NULL), 0);
	CHECK_INT(pops_address_env_ref(cfg, "HEAD~1", NULL), 0);
	pops_config_free(cfg);
	relfix_dispose(&f);
}

TEST(env_side_without_a_rollout_is_not_found)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result pr;
	pops_repo *repo = NULL;
	pops_resolved *r = NULL;
	pops_buf s = POPS_BUF_INIT;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, "environments:\n  - name: prod\n"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "v1\n", "one"), 0);
	po.env = "prod";
	CHECK_INT(pops_promote(&pr, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&pr);
	CHECK_INT(pops_repo_from(&repo, f.repo, cfg), 0);
	CHECK_INT(pops_repo_resolve(&r, repo, "a:prod"), 0);
	CHECK_INT(r->side, POPS_SIDE_NONE);
	CHECK_INT(pops_resolved_served(&s, r), 0);
	CHECK_STR(s.ptr, "a@1:prod");
	pops_resolved_free(r);
	r = NULL;
	CHECK_INT(pops_repo_resolve(&r, repo, "a:prod~canary"), POPS_ENOTFOUND);
	CHECK_ERR_HAS("a has no rollout in prod");
	/* the release is the stable side when nothing else runs */
	CHECK_INT(pops_repo_resolve(&r, repo, "a:prod~stable"), 0);
	CHECK_STR(r->data, "v1\n");
	CHECK_INT(r->side, POPS_SIDE_NONE);
	pops_resolved_free(r);
	r = NULL;
	/* a key without a rollout: the release itself */
	CHECK_INT(pops_repo_resolve_key(&r, repo, "a:prod", "user-42", 7), 0);
	CHECK_INT(r->side, POPS_SIDE_NONE);
	pops_resolved_free(r);
	r = NULL;
	CHECK_INT(pops_repo_resolve_key(&r, repo, "a@1", "user-42", 7), POPS_EINVALID);
	CHECK_ERR_HAS("a request key picks a side only of name:env");
	CHECK_INT(pops_repo_resolve_key(&r, repo, "a:prod~canary", "k", 1), POPS_EINVALID);
	pops_buf_dispose(&s);
	pops_repo_free(repo);
	pops_config_free(cfg);
	relfix_dispose(&f);
}

TEST(env_sides_and_keys_resolve_one_side_of_a_running_rollout)
{
	relfix f;
	pops_config *cfg = NULL;
	pops_promote_options po = POPS_PROMOTE_OPTIONS_INIT;
	pops_promote_result pr;
	const char *names[] = { "a" };
	pops_repo *repo = NULL;
	pops_resolved *r = NULL;
	pops_buf s = POPS_BUF_INIT, key = POPS_BUF_INIT;
	char salt[17];
	int sides = 0, i;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_config(&f, &cfg, "environments:\n  - name: prod\n"), 0);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "v1\n", "one"), 0);
	po.env = "prod";
	CHECK_INT(pops_promote(&pr, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&pr);
	CHECK_INT(relfix_commit(&f, NULL, "prompts/a.prompt", "v2\n", "two"), 0);
	po.prompts = names;
	po.nprompts = 1;
	po.canary = 30;
	CHECK_INT(pops_promote(&pr, f.repo, cfg, &po), 0);
	pops_promote_result_dispose(&pr);
	CHECK_INT(pops_repo_from(&repo, f.repo, cfg), 0);
	/* name:env is the stable side, and says so */
	CHECK_INT(pops_repo_resolve(&r, repo, "a:prod"), 0);
	CHECK_STR(r->data, "v1\n");
	CHECK_INT(r->side, POPS_SIDE_STABLE);
	CHECK_INT(r->rollout_percent, 30);
	CHECK_INT((int)strlen(r->rollout_salt), 16);
	memcpy(salt, r->rollout_salt, sizeof(salt));
	CHECK_INT(pops_resolved_served(&s, r), 0);
	CHECK_STR(s.ptr, "a@1:prod~stable");
	pops_resolved_free(r);
	r = NULL;
	CHECK_INT(pops_repo_resolve(&r, repo, "a:prod~canary"), 0);
	CHECK_STR(r->data, "v2\n");
	CHECK_INT(r->version, 2);
	CHECK_INT(r->side, POPS_SIDE_CANARY);
	CHECK_INT(pops_resolved_served(&s, r), 0);
	CHECK_STR(s.ptr, "a@2:prod~canary");
	pops_resolved_free(r);
	r = NULL;
	/* each key gets the side its bucket says, and both sides serve someone */
	for (i = 0; i < 40; i++) {
		unsigned b;

		pops_buf_clear(&key);
		pops_buf_printf(&key, "user-%d", i);
		b = pops_rollout_bucket(salt, key.ptr, key.size);
		CHECK_INT(pops_repo_resolve_key(&r, repo, "a:prod", key.ptr, key.size), 0);
		CHECK_INT(r->bucket, b);
		CHECK_INT(r->side, b < 3000 ? POPS_SIDE_CANARY : POPS_SIDE_STABLE);
		CHECK_STR(r->data, b < 3000 ? "v2\n" : "v1\n");
		sides |= r->side == POPS_SIDE_CANARY ? 1 : 2;
		pops_resolved_free(r);
		r = NULL;
	}
	CHECK_INT(sides, 3);
	pops_buf_dispose(&key);
	pops_buf_dispose(&s);
	pops_repo_free(repo);
	pops_config_free(cfg);
	relfix_dispose(&f);
}
