#include "unit.h"
#include "casref.h"
#include "relfix.h"

#include <git2.h>
#include <stdlib.h>

static void set_identity(git_repository *repo, const char *name, const char *email)
{
	git_config *cfg = NULL;

	if (git_repository_config(&cfg, repo) == 0) {
		git_config_set_string(cfg, "user.name", name);
		git_config_set_string(cfg, "user.email", email);
	}
	git_config_free(cfg);
}

/* git's order: GIT_<who>_* first, each on its own, then user.name/email, then a fallback */
TEST(git_signature_takes_environment_over_config_like_git)
{
	relfix f;
	git_signature *s = NULL;

	CHECK_INT(relfix_init(&f), 0);
	set_identity(f.repo, "Config Name", "config@example.com");
	setenv("GIT_AUTHOR_NAME", "Env Author", 1);
	setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
	setenv("GIT_AUTHOR_DATE", "@1700000000 +0130", 1);
	unsetenv("GIT_COMMITTER_NAME");
	setenv("GIT_COMMITTER_EMAIL", "committer@example.com", 1);
	unsetenv("GIT_COMMITTER_DATE");
	CHECK_INT(pops_git_signature(&s, f.repo, "AUTHOR"), 0);
	CHECK_STR(s->name, "Env Author");
	CHECK_STR(s->email, "author@example.com");
	CHECK_INT((long long)s->when.time, 1700000000LL);
	CHECK_INT(s->when.offset, 90);
	git_signature_free(s);
	/* the committer's own variables, and config for the one left unset */
	CHECK_INT(pops_git_signature(&s, f.repo, "COMMITTER"), 0);
	CHECK_STR(s->name, "Config Name");
	CHECK_STR(s->email, "committer@example.com");
	git_signature_free(s);
	/* ledger commits follow the same policy */
	CHECK_INT(pops_casref_signature(&s, f.repo), 0);
	CHECK_STR(s->name, "Env Author");
	git_signature_free(s);
	setenv("GIT_AUTHOR_DATE", "yesterday", 1);
	CHECK_INT(pops_git_signature(&s, f.repo, "AUTHOR"), POPS_EINVALID);
	CHECK(!s);
	CHECK_STR(pops_error_last(), "GIT_AUTHOR_DATE: use '@<seconds> <+hhmm>' ('yesterday' is not supported)");
	unsetenv("GIT_AUTHOR_NAME");
	unsetenv("GIT_AUTHOR_EMAIL");
	unsetenv("GIT_AUTHOR_DATE");
	unsetenv("GIT_COMMITTER_EMAIL");
	CHECK_INT(pops_git_signature(&s, f.repo, "AUTHOR"), 0);
	CHECK_STR(s->name, "Config Name");
	CHECK_STR(s->email, "config@example.com");
	git_signature_free(s);
	relfix_dispose(&f);
}

TEST(git_signature_falls_back_without_any_identity)
{
	git_signature *s = NULL;

	unsetenv("GIT_COMMITTER_NAME");
	unsetenv("GIT_COMMITTER_EMAIL");
	unsetenv("GIT_COMMITTER_DATE");
	CHECK_INT(pops_git_signature(&s, NULL, "COMMITTER"), 0);
	CHECK_STR(s->name, "pops");
	CHECK_STR(s->email, "pops@localhost");
	git_signature_free(s);
}
