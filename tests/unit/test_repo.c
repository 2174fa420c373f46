#include "unit.h"
#include "repo.h"

TEST(repo_accepts_plain_and_nested_names)
{
	CHECK_INT(pops_repo_check_name("summarize"), 0);
	CHECK_INT(pops_repo_check_name("support/triage"), 0);
	CHECK_INT(pops_repo_check_name("a.variant"), 0);
	CHECK_INT(pops_repo_check_name("x_y-z+1"), 0);
	CHECK_INT(pops_repo_check_name("r\xc3\xa9sum\xc3\xa9"), 0);
}

TEST(repo_rejects_unsafe_names)
{
	CHECK_INT(pops_repo_check_name(""), POPS_EINVALID);
	CHECK_INT(pops_repo_check_name("../etc/passwd"), POPS_EINVALID);
	CHECK_ERR_HAS("'..'");
	CHECK_INT(pops_repo_check_name("a/../b"), POPS_EINVALID);
	CHECK_INT(pops_repo_check_name("a/./b"), POPS_EINVALID);
	CHECK_INT(pops_repo_check_name("/etc/passwd"), POPS_EINVALID);
	CHECK_ERR_HAS("absolute");
	CHECK_INT(pops_repo_check_name("a//b"), POPS_EINVALID);
	CHECK_INT(pops_repo_check_name("a/"), POPS_EINVALID);
	CHECK_INT(pops_repo_check_name("bad\x1bname"), POPS_EINVALID);
	CHECK_ERR_HAS("control characters");
	CHECK_ERR_HAS("'bad?name'");
	CHECK_INT(pops_repo_check_name("with space"), POPS_EINVALID);
	CHECK_INT(pops_repo_check_name("a\\b"), POPS_EINVALID);
	CHECK_INT(pops_repo_check_name("\xff\xfe"), POPS_EINVALID);
}

TEST(address_parses_every_form)
{
	pops_address a;

	CHECK_INT(pops_address_parse(&a, "summarize"), 0);
	CHECK_INT(a.kind, POPS_ADDR_WORKTREE);
	CHECK_STR(a.name, "summarize");
	pops_address_dispose(&a);

	CHECK_INT(pops_address_parse(&a, "support/triage@12"), 0);
	CHECK_INT(a.kind, POPS_ADDR_VERSION);
	CHECK_STR(a.name, "support/triage");
	CHECK_INT(a.number, 12);
	pops_address_dispose(&a);

	CHECK_INT(pops_address_parse(&a, "s@latest"), 0);
	CHECK_INT(a.kind, POPS_ADDR_LATEST);
	pops_address_dispose(&a);

	CHECK_INT(pops_address_parse(&a, "s@-2"), 0);
	CHECK_INT(a.kind, POPS_ADDR_RELATIVE);
	CHECK_INT(a.number, 2);
	pops_address_dispose(&a);

	CHECK_INT(pops_address_parse(&a, "s:prod"), 0);
	CHECK_INT(a.kind, POPS_ADDR_ENV);
	CHECK_STR(a.env, "prod");
	pops_address_dispose(&a);

	CHECK_INT(pops_address_parse(&a, "s#HEAD~2"), 0);
	CHECK_INT(a.kind, POPS_ADDR_REV);
	CHECK_STR(a.rev, "HEAD~2");
	pops_address_dispose(&a);

	CHECK_INT(pops_address_parse(&a, "s#v1.0@{0}"), 0);
	CHECK_STR(a.rev, "v1.0@{0}");
	pops_address_dispose(&a);
}

TEST(address_rejects_bad_suffixes)
{
	pops_address a;

	CHECK_INT(pops_address_parse(&a, "s@0"), POPS_EINVALID);
	CHECK_ERR_HAS("invalid address 's@0'");
	CHECK_INT(pops_address_parse(&a, "s@-0"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s@+1"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s@1x"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s@"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s@newest"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s@99999999999999999999999"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s:"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s:a/b"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s:prod@2"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s#"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s#a\x01"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "@1"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "../x@1"), POPS_EINVALID);
	CHECK_ERR_HAS("invalid prompt name");
}
