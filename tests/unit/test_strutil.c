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

TEST(fnv1a_keeps_the_values_ids_and_shards_were_made_with)
{
	/* dataset row ids and shard membership are derived from these */
	CHECK(pops_fnv1a("") == 1469598103934665603ULL);
	CHECK(pops_fnv1a("a") == ((1469598103934665603ULL ^ 'a') * 1099511628211ULL));
	CHECK(pops_fnv1a("ab") != pops_fnv1a("ba"));
	/* bytes above 0x7f hash as unsigned, whatever char's signedness */
	CHECK(pops_fnv1a("\xff") == ((1469598103934665603ULL ^ 0xffu) * 1099511628211ULL));
}

TEST(shard_parse_takes_i_of_n_and_refuses_the_rest)
{
	unsigned i = 7, n = 7;

	CHECK_INT(pops_shard_parse(&i, &n, "1/4"), 0);
	CHECK_INT(i, 1);
	CHECK_INT(n, 4);
	CHECK_INT(pops_shard_parse(&i, &n, "4/4"), 0);
	CHECK_INT(i, 4);
	CHECK_INT(pops_shard_parse(&i, &n, "100000/100000"), 0);
	i = n = 7;
	CHECK_INT(pops_shard_parse(&i, &n, "0/4"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, "5/4"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, "1/0"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, "x"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, "1/"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, "/4"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, "1/4x"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, "+1/4"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, " 1/4"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, "1/-4"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, "1/100001"), POPS_EINVALID);
	/* wraps to 1/4 in 64 bits if the digits were accumulated unchecked */
	CHECK_INT(pops_shard_parse(&i, &n, "18446744073709551617/4"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, "1/99999999999999999999999"), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, ""), POPS_EINVALID);
	CHECK_INT(pops_shard_parse(&i, &n, NULL), POPS_EINVALID);
	CHECK_INT(i, 7);                                  /* outputs untouched */
	CHECK_INT(n, 7);
	CHECK(strstr(pops_error_last(), "i/n") != NULL);
}
