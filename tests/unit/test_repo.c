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

TEST(name_rule_allows_utf8_letters_of_any_script)
{
	CHECK(pops_repo_name_problem("gr\xc3\xbc\xc3\x9f" "e", 0) == NULL);            /* grüße */
	CHECK(pops_repo_name_problem("\xe6\x97\xa5\xe6\x9c\xac/\xe8\xa6\x81", 0) == NULL); /* 日本/要 */
	CHECK(pops_repo_name_problem("\xd0\xbf\xd1\x80\xd0\xb8", 0) == NULL);       /* при */
}

TEST(name_rule_refuses_what_does_not_read_as_stored)
{
	/* zero width space, no-break space, right-to-left override */
	CHECK(pops_repo_name_problem("a\xe2\x80\x8b" "b", 0) != NULL);
	CHECK(pops_repo_name_problem("a\xc2\xa0" "b", 0) != NULL);
	CHECK(pops_repo_name_problem("a\xe2\x80\xae" "b", 0) != NULL);
	/* U+2215 division slash and U+FF0F fullwidth solidus look like '/' */
	CHECK(pops_repo_name_problem("a\xe2\x88\x95" "b", 0) != NULL);
	CHECK(pops_repo_name_problem("a\xef\xbc\x8f" "b", 0) != NULL);
	/* a C1 control and a noncharacter */
	CHECK(pops_repo_name_problem("a\xc2\x85", 0) != NULL);
	CHECK(pops_repo_name_problem("a\xef\xbf\xbe", 0) != NULL);
}

TEST(name_rule_refuses_hidden_and_overlong_segments)
{
	char seg[202];

	CHECK(pops_repo_name_problem(".hidden", 0) != NULL);
	CHECK(pops_repo_name_problem("a/.git/b", 0) != NULL);
	memset(seg, 'a', sizeof(seg) - 1);
	seg[sizeof(seg) - 1] = '\0';
	CHECK(pops_repo_name_problem(seg, 0) != NULL);
	seg[200] = '\0';
	CHECK(pops_repo_name_problem(seg, 0) == NULL);
	CHECK(pops_repo_name_problem("env/x", 1) != NULL);
	CHECK(pops_repo_name_problem(NULL, 0) != NULL);
}

TEST(name_rule_does_not_touch_the_error_state)
{
	pops_error_set(POPS_EINVALID, "earlier");
	CHECK(pops_repo_name_problem("with space", 0) != NULL);
	CHECK_STR(pops_error_last(), "earlier");
	CHECK(!pops_repo_name_ok("with space"));
	CHECK(pops_repo_name_ok("gr\xc3\xbc\xc3\x9f" "e"));
	pops_error_clear();
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

	CHECK_INT(pops_address_parse(&a, "s:prod~canary"), 0);
	CHECK_INT(a.kind, POPS_ADDR_ENV);
	CHECK_STR(a.env, "prod");
	CHECK_INT(a.side, POPS_SIDE_CANARY);
	pops_address_dispose(&a);

	CHECK_INT(pops_address_parse(&a, "s:prod~stable"), 0);
	CHECK_STR(a.env, "prod");
	CHECK_INT(a.side, POPS_SIDE_STABLE);
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
	CHECK_INT(pops_address_parse(&a, "s:prod~"), POPS_EINVALID);
	CHECK_ERR_HAS("after '~' give 'stable' or 'canary'");
	CHECK_INT(pops_address_parse(&a, "s:prod~2"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s:~canary"), POPS_EINVALID);
	CHECK_ERR_HAS("after ':' give an environment name");
	CHECK_INT(pops_address_parse(&a, "s:prod~canary~stable"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s#"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "s#a\x01"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "@1"), POPS_EINVALID);
	CHECK_INT(pops_address_parse(&a, "../x@1"), POPS_EINVALID);
	CHECK_ERR_HAS("invalid prompt name");
}
