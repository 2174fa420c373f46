#include "unit.h"

TEST(error_set_returns_the_code_and_keeps_the_message)
{
	CHECK_INT(pops_error_set(POPS_EINVALID, "bad '%s' at %d", "x", 3), POPS_EINVALID);
	CHECK_STR(pops_error_last(), "bad 'x' at 3");
	CHECK_INT(pops_error_code(), POPS_EINVALID);
}

TEST(error_prefix_adds_context_without_rewording)
{
	pops_error_set(POPS_ENOTFOUND, "no such prompt 'x'");
	CHECK_INT(pops_error_prefix(POPS_ENOTFOUND, "%s:%d: ", "suite.yaml", 4), POPS_ENOTFOUND);
	CHECK_STR(pops_error_last(), "suite.yaml:4: no such prompt 'x'");
}

TEST(error_clear_forgets_and_last_never_returns_null)
{
	pops_error_set(POPS_ERROR, "x");
	pops_error_clear();
	CHECK_STR(pops_error_last(), "unknown error");
}

TEST(error_os_includes_strerror)
{
	errno = ENOENT;
	CHECK_INT(pops_error_os("open 'f'"), POPS_ERROR);
	CHECK_ERR_HAS("open 'f': No such file or directory");
}

TEST(error_long_messages_are_kept_whole)
{
	pops_buf b = POPS_BUF_INIT;
	int i;

	for (i = 0; i < 5000; i++)
		pops_buf_putc(&b, 'a' + i % 26);
	pops_error_set(POPS_ERROR, "%s!", b.ptr);
	CHECK_INT(strlen(pops_error_last()), 5001);
	pops_buf_dispose(&b);
}

static int alloc_or_fail(const void *p)
{
	POPS_CHECK_ALLOC(p);
	return POPS_OK;
}

TEST(error_oom_needs_no_memory_and_check_alloc_uses_it)
{
	pops_error_set(POPS_EINVALID, "something else");
	CHECK_INT(pops_error_oom(), POPS_ERROR);
	CHECK_STR(pops_error_last(), "out of memory");
	CHECK_INT(pops_error_code(), POPS_ERROR);
	CHECK_INT(pops_error_prefix(POPS_ERROR, "reading 'f': "), POPS_ERROR);
	CHECK_STR(pops_error_last(), "reading 'f': out of memory");
	CHECK_INT(alloc_or_fail("x"), POPS_OK);
	CHECK_INT(alloc_or_fail(NULL), POPS_ERROR);
	CHECK_STR(pops_error_last(), "out of memory");
	pops_error_clear();
	CHECK_STR(pops_error_last(), "unknown error");
}
