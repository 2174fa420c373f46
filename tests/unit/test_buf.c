#include "unit.h"
#include "strutil.h"

TEST(buf_starts_empty_and_never_null)
{
	pops_buf b = POPS_BUF_INIT;

	CHECK(b.ptr != NULL);
	CHECK_STR(b.ptr, "");
	CHECK_INT(b.size, 0);
	pops_buf_dispose(&b);
}

TEST(buf_grows_and_stays_terminated)
{
	pops_buf b = POPS_BUF_INIT;
	int i;

	for (i = 0; i < 1000; i++)
		CHECK_INT(pops_buf_printf(&b, "%d,", i % 10), 0);
	CHECK_INT(b.size, 2000);
	CHECK_INT(b.ptr[b.size], 0);
	CHECK(!strncmp(b.ptr, "0,1,2,", 6));
	pops_buf_dispose(&b);
}

TEST(buf_put_from_itself_survives_realloc)
{
	pops_buf b = POPS_BUF_INIT;
	int i;

	pops_buf_puts(&b, "abc");
	for (i = 0; i < 10; i++)
		CHECK_INT(pops_buf_put(&b, b.ptr, b.size), 0);
	CHECK_INT(b.size, 3 * 1024);
	CHECK(!strncmp(b.ptr + 3 * 1023, "abc", 3));
	pops_buf_dispose(&b);
}

TEST(buf_limit_turns_overflow_into_error)
{
	pops_buf b = POPS_BUF_INIT;

	b.limit = 10;
	CHECK_INT(pops_buf_puts(&b, "12345"), 0);
	CHECK_INT(pops_buf_puts(&b, "123456"), POPS_ERROR);
	CHECK(pops_buf_oom(&b));
	CHECK(pops_buf_over_limit(&b));
	/* later writes are ignored, not crashes */
	CHECK_INT(pops_buf_puts(&b, "x"), POPS_ERROR);
	CHECK(pops_buf_detach(&b) == NULL);
	pops_buf_dispose(&b);
}

TEST(buf_detach_hands_out_ownership)
{
	pops_buf b = POPS_BUF_INIT;
	char *s;

	s = pops_buf_detach(&b);
	CHECK(s != NULL);
	CHECK_STR(s, "");
	free(s);
	pops_buf_puts(&b, "hello");
	s = pops_buf_detach(&b);
	CHECK_STR(s, "hello");
	CHECK_STR(b.ptr, "");
	free(s);
}

TEST(levenshtein_counts_transposition_as_one)
{
	CHECK_INT(pops_levenshtein("promt", 5, "prompt", 6, SIZE_MAX), 1);
	CHECK_INT(pops_levenshtein("inti", 4, "init", 4, SIZE_MAX), 1);
	CHECK_INT(pops_levenshtein("", 0, "abc", 3, SIZE_MAX), 3);
	CHECK_INT(pops_levenshtein("kitten", 6, "sitting", 7, SIZE_MAX), 3);
	/* bounded: stops early and reports max + 1 */
	CHECK_INT(pops_levenshtein("aaaaaaaa", 8, "bbbbbbbb", 8, 2), 3);
}

TEST(suggest_finds_close_names_and_unique_prefixes)
{
	static const char *const names[] = { "init", "prompt", "promote", "eval", NULL };

	CHECK_STR(pops_suggest("promtp", names, 2), "prompt");
	CHECK_STR(pops_suggest("evl", names, 2), "eval");
	CHECK(pops_suggest("zzzzzz", names, 2) == NULL);
	CHECK_STR(pops_suggest("in", names, 0), "init");
	/* "prom" is a prefix of two names: no guess */
	CHECK(pops_suggest("prom", names, 0) == NULL);
}

TEST(sanitize_replaces_control_characters)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_put_sanitized(&b, "a\033[31mb\nc\x7f", 10, 0);
	CHECK_STR(b.ptr, "a?[31mb?c?");
	pops_buf_clear(&b);
	pops_buf_put_sanitized(&b, "x\ny\tz", 5, 1);
	CHECK_STR(b.ptr, "x\ny\tz");
	pops_buf_dispose(&b);
}

TEST(parse_long_rejects_junk_and_range)
{
	long v = 0;

	CHECK_INT(pops_parse_long(&v, "42", 0, 100), 0);
	CHECK_INT(v, 42);
	CHECK_INT(pops_parse_long(&v, "42x", 0, 100), POPS_EINVALID);
	CHECK_INT(pops_parse_long(&v, "", 0, 100), POPS_EINVALID);
	CHECK_INT(pops_parse_long(&v, "101", 0, 100), POPS_EINVALID);
	CHECK_ERR_HAS("out of range");
}

TEST(utf8_validation_rejects_overlongs_and_truncation)
{
	size_t off = 0;

	CHECK(pops_utf8_valid("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80", 15, NULL));
	CHECK(!pops_utf8_valid("\xc0\xaf", 2, &off)); /* overlong '/' */
	CHECK_INT(off, 0);
	CHECK(!pops_utf8_valid("ab\xe2\x82", 4, &off)); /* truncated */
	CHECK_INT(off, 2);
	CHECK(!pops_utf8_valid("\xed\xa0\x80", 3, NULL)); /* surrogate */
}

static void vset(char **dst, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pops_str_vset(dst, fmt, ap);
	va_end(ap);
}

TEST(str_vset_replaces_and_frees_the_old_string)
{
	char *s = pops_strdup("old");

	vset(&s, "%s %d", "new", 2);
	CHECK_STR(s, "new 2");
	vset(&s, "%s", "");
	CHECK_STR(s, "");
	free(s);
}

TEST(percentages_keep_the_digits_a_threshold_was_written_with)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_put_percent(&b, 0.9);
	pops_buf_puts(&b, " ");
	pops_buf_put_percent(&b, 0.375);
	pops_buf_puts(&b, " ");
	pops_buf_put_percent(&b, 0.9995);
	pops_buf_puts(&b, " ");
	pops_buf_put_percent(&b, 1e-07);
	pops_buf_puts(&b, " ");
	pops_buf_put_percent(&b, 2.0 / 3.0);
	CHECK_STR(b.ptr, "90.0% 37.5% 99.95% 1e-05% 66.66666667%");
	pops_buf_dispose(&b);
}
