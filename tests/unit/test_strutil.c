#include "unit.h"
#include "strutil.h"

TEST(utf8_width_counts_columns_not_bytes)
{
	CHECK_INT(pops_utf8_width("abc", 3), 3);
	/* ü is two bytes, one column */
	CHECK_INT(pops_utf8_width("grüße", strlen("grüße")), 5);
	CHECK_INT(pops_utf8_width("→", strlen("→")), 1);
}

TEST(utf8_width_counts_wide_characters_as_two)
{
	CHECK_INT(pops_utf8_width("日本", strlen("日本")), 4);
	CHECK_INT(pops_utf8_width("\xef\xbc\xa1", 3), 2);          /* fullwidth A */
	CHECK_INT(pops_utf8_width("\xf0\x9f\x99\x82", 4), 2);      /* U+1F642 */
}

TEST(utf8_width_counts_combining_marks_as_zero)
{
	/* e + U+0301 combining acute: one column */
	CHECK_INT(pops_utf8_width("e\xcc\x81", 3), 1);
	CHECK_INT(pops_utf8_width("a\xe2\x80\x8b" "b", 5), 2);     /* zero width space */
}

TEST(utf8_width_counts_invalid_bytes_as_one_each)
{
	/* each prints as one '?' after sanitizing */
	CHECK_INT(pops_utf8_width("\xff\xfe", 2), 2);
	CHECK_INT(pops_utf8_width("\xc3", 1), 1);                  /* truncated */
	CHECK_INT(pops_utf8_width("\xe0\x80\xaf", 3), 3);          /* overlong '/' */
	CHECK_INT(pops_utf8_width("\xed\xa0\x80", 3), 3);          /* surrogate */
}

TEST(utf8_decode_steps_over_anything)
{
	unsigned cp;

	CHECK_INT(pops_utf8_decode("\xf0\x9f\x99\x82", 4, &cp), 4);
	CHECK_INT(cp, 0x1f642);
	CHECK_INT(pops_utf8_decode("\xf0\x9f\x99", 3, &cp), 1);
	CHECK(cp == POPS_UTF8_INVALID);
	CHECK_INT(pops_utf8_decode("\xf4\x90\x80\x80", 4, &cp), 1);  /* > U+10FFFF */
	CHECK(cp == POPS_UTF8_INVALID);
}
