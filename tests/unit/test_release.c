#include "unit.h"
#include "repo.h"
#include "relfix.h"
#include "release.h"
#include "casref.h"
#include "fileio.h"
#include "strutil.h"

static pops_release_entry *entry(const char *env, const char *prompt, long version,
                                 const git_oid *blob)
{
	pops_release_entry *e = calloc(1, sizeof(*e));

	e->env = pops_strdup(env);
	e->prompt = pops_strdup(prompt);
	e->version = version;
	git_oid_cpy(&e->blob, blob);
	e->model = pops_strdup("gpt-x-2024-01-01");
	return e;
}

static void blob(relfix *f, git_oid *out, const char *text)
{
	git_blob_create_from_buffer(out, f->repo, text, strlen(text));
}

TEST(release_ledger_write_then_read_back_every_field)
{
	relfix f;
	git_oid b1, c1, tip;
	pops_release_entry *e, *got = NULL;
	pops_release_change ch;
	pops_release_list l = { NULL, 0 };
	pops_buf bytes = POPS_BUF_INIT;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(pops_release_tip(&tip, f.repo), POPS_ENOTFOUND);
	blob(&f, &b1, "hello\n");
	e = entry("prod", "support/triage", 3, &b1);
	e->reason = pops_strdup("why not");
	memset(&ch, 0, sizeof(ch));
	ch.action = POPS_RELEASE_PROMOTE;
	ch.entry = e;
	CHECK_INT(pops_release_commit(&c1, f.repo, NULL, &ch), 0);
	CHECK_INT(pops_release_tip(&tip, f.repo), 0);
	CHECK(git_oid_equal(&tip, &c1));
	CHECK_INT(pops_release_get(&got, f.repo, NULL, "prod", "support/triage"), 0);
	CHECK_INT(got->version, 3);
	CHECK(git_oid_equal(&got->blob, &b1));
	CHECK_STR(got->model, "gpt-x-2024-01-01");
	CHECK_STR(got->reason, "why not");
	CHECK_INT(pops_release_read_blob(&bytes, f.repo, got), 0);
	CHECK_STR(bytes.ptr, "hello\n");
	CHECK_INT(pops_release_list_entries(&l, f.repo, NULL, "prod"), 0);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.v[0]->prompt, "support/triage");
	pops_release_list_dispose(&l);
	CHECK_INT(pops_release_list_entries(&l, f.repo, NULL, "dev"), 0);
	CHECK_INT(l.n, 0);
	pops_release_entry_free(got);
	got = NULL;
	CHECK_INT(pops_release_get(&got, f.repo, NULL, "dev", "support/triage"), POPS_ENOTFOUND);
	pops_buf_dispose(&bytes);
	pops_release_entry_free(e);
	relfix_dispose(&f);
}

TEST(release_commit_on_a_stale_tip_loses_and_changes_nothing)
{
	relfix f;
	git_oid b1, b2, c1, c2, tip;
	pops_release_entry *e1, *e2;
	pops_release_change ch;

	CHECK_INT(relfix_init(&f), 0);
	blob(&f, &b1, "one\n");
	blob(&f, &b2, "two\n");
	e1 = entry("dev", "a", 1, &b1);
	e2 = entry("dev", "b", 1, &b2);
	memset(&ch, 0, sizeof(ch));
	ch.action = POPS_RELEASE_PROMOTE;
	ch.entry = e1;
	CHECK_INT(pops_release_commit(&c1, f.repo, NULL, &ch), 0);
	/* a second writer that still believes the ledger is empty must lose */
	ch.entry = e2;
	CHECK_INT(pops_release_commit(&c2, f.repo, NULL, &ch), POPS_EMODIFIED);
	CHECK_INT(pops_release_tip(&tip, f.repo), 0);
	CHECK(git_oid_equal(&tip, &c1));
	/* and with the right tip it wins, keeping the first entry */
	CHECK_INT(pops_release_commit(&c2, f.repo, &c1, &ch), 0);
	CHECK_INT(pops_release_commit(NULL, f.repo, &c1, &ch), POPS_EMODIFIED);
	{
		pops_release_list l = { NULL, 0 };

		CHECK_INT(pops_release_list_entries(&l, f.repo, NULL, NULL), 0);
		CHECK_INT(l.n, 2);
		pops_release_list_dispose(&l);
	}
	pops_release_entry_free(e1);
	pops_release_entry_free(e2);
	relfix_dispose(&f);
}

TEST(release_rejects_unsafe_names)
{
	CHECK(pops_release_name_ok("summarize"));
	CHECK(pops_release_name_ok("support/triage.v2"));
	CHECK(!pops_release_name_ok("../x"));
	CHECK(!pops_release_name_ok("/abs"));
	CHECK(!pops_release_name_ok("a//b"));
	CHECK(!pops_release_name_ok("a/.hidden"));
	CHECK(!pops_release_name_ok("sp ace"));
	CHECK(!pops_release_name_ok(""));
}

TEST(release_takes_the_names_prompt_add_takes)
{
	/* one rule: a name `prompt add` commits can be promoted */
	CHECK(pops_release_name_ok("gr\xc3\xbc\xc3\x9f" "e"));
	CHECK(pops_release_name_ok("x_y-z+1"));
	CHECK(pops_repo_check_name("gr\xc3\xbc\xc3\x9f" "e") == 0);
	CHECK(!pops_release_name_ok("a\xe2\x80\x8b" "b"));
}

TEST(casref_create_only_when_absent_and_swap_only_from_expected)
{
	relfix f;
	git_oid c1, c2, got;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(relfix_commit(&f, &c1, "a", "1\n", "one"), 0);
	CHECK_INT(relfix_commit(&f, &c2, "a", "2\n", "two"), 0);
	CHECK_INT(pops_casref_read(&got, f.repo, "refs/pops/test"), POPS_ENOTFOUND);
	CHECK_INT(pops_casref_update(f.repo, "refs/pops/test", &c1, NULL, "t"), 0);
	CHECK_INT(pops_casref_update(f.repo, "refs/pops/test", &c2, NULL, "t"), POPS_EMODIFIED);
	CHECK_INT(pops_casref_update(f.repo, "refs/pops/test", &c2, &c2, "t"), POPS_EMODIFIED);
	CHECK_INT(pops_casref_update(f.repo, "refs/pops/test", &c2, &c1, "t"), 0);
	CHECK_INT(pops_casref_read(&got, f.repo, "refs/pops/test"), 0);
	CHECK(git_oid_equal(&got, &c2));
	relfix_dispose(&f);
}

TEST(casref_gave_up_names_a_lock_left_behind)
{
	relfix f;
	pops_buf lock = POPS_BUF_INIT;
	FILE *fp;

	CHECK_INT(relfix_init(&f), 0);
	CHECK_INT(pops_casref_gave_up(f.repo, "refs/pops/releases", 50), POPS_EMODIFIED);
	CHECK_ERR_HAS("gave up after 50 concurrent updates of refs/pops/releases");
	/* a writer killed while holding the ref's lock */
	pops_buf_printf(&lock, "%srefs/pops", git_repository_commondir(f.repo));
	CHECK_INT(pops_mkdir_p(lock.ptr, 0777), 0);
	pops_buf_puts(&lock, "/releases.lock");
	CHECK((fp = fopen(lock.ptr, "w")) != NULL);
	fclose(fp);
	CHECK_INT(pops_casref_gave_up(f.repo, "refs/pops/releases", 50), POPS_EMODIFIED);
	CHECK_ERR_HAS("refs/pops/releases is locked by ");
	CHECK_ERR_HAS("releases.lock (left by a killed process?)");
	pops_buf_dispose(&lock);
	relfix_dispose(&f);
}
