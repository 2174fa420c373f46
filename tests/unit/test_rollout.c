#include "unit.h"
#include "rollout.h"

/* the vectors pops-release(7) documents, computed with Python's hashlib */
TEST(rollout_bucket_matches_documented_vectors)
{
	CHECK_INT(pops_rollout_bucket("4f2a91c0d3b5e6a7", "user-42", 7), 6898);
	CHECK_INT(pops_rollout_bucket("4f2a91c0d3b5e6a7", "alice", 5), 8247);
	CHECK_INT(pops_rollout_bucket("s", "", 0), 2920);
}

TEST(rollout_canary_share_is_close_to_its_percent)
{
	char key[32];
	int i, n = 0;

	for (i = 0; i < 10000; i++) {
		int len = snprintf(key, sizeof(key), "key-%d", i * 7919);

		n += pops_rollout_is_canary("salt", key, (size_t)len, 10);
	}
	CHECK(n >= 900 && n <= 1100);
}

TEST(rollout_raising_the_share_only_moves_keys_into_the_canary)
{
	char key[32];
	int i;

	for (i = 0; i < 10000; i++) {
		int len = snprintf(key, sizeof(key), "u%d", i);
		int at10 = pops_rollout_is_canary("x", key, (size_t)len, 10);
		int at20 = pops_rollout_is_canary("x", key, (size_t)len, 20);

		CHECK(!at10 || at20);
		CHECK_INT(at10, pops_rollout_is_canary("x", key, (size_t)len, 10));
	}
	CHECK_INT(pops_rollout_is_canary("x", "k", 1, 0), 0);
	CHECK_INT(pops_rollout_is_canary("x", "k", 1, 100), 1);
}

TEST(rollout_percent_ok_admits_1_to_99_only)
{
	CHECK(!pops_rollout_percent_ok(0));
	CHECK(pops_rollout_percent_ok(1));
	CHECK(pops_rollout_percent_ok(99));
	CHECK(!pops_rollout_percent_ok(100));
	CHECK(!pops_rollout_percent_ok(-5));
}

TEST(rollout_salt_is_16_lowercase_hex_and_fresh_each_time)
{
	char a[POPS_ROLLOUT_SALT_LEN + 1], b[POPS_ROLLOUT_SALT_LEN + 1];

	CHECK(pops_rollout_salt_ok("4f2a91c0d3b5e6a7"));
	CHECK(!pops_rollout_salt_ok("4F2A91C0D3B5E6A7"));
	CHECK(!pops_rollout_salt_ok("4f2a91c0d3b5e6a"));
	CHECK(!pops_rollout_salt_ok("4f2a91c0d3b5e6a7f"));
	CHECK(!pops_rollout_salt_ok("4f2a91c0d3b5e6ag"));
	CHECK(!pops_rollout_salt_ok(NULL));
	CHECK_INT(pops_rollout_salt_new(a), 0);
	CHECK_INT(pops_rollout_salt_new(b), 0);
	CHECK(pops_rollout_salt_ok(a));
	CHECK(pops_rollout_salt_ok(b));
	CHECK(strcmp(a, b) != 0);
}

TEST(rollout_time_round_trips_and_rejects_anything_but_utc_seconds)
{
	char s[21];
	long long t = 0;

	pops_rollout_format_time(s, 1796216400);
	CHECK_STR(s, "2026-12-02T13:00:00Z");
	CHECK_INT(pops_rollout_parse_time(&t, "2026-12-02T13:00:00Z"), 0);
	CHECK_INT(t, 1796216400);
	CHECK_INT(pops_rollout_parse_time(&t, "1970-01-01T00:00:00Z"), 0);
	CHECK_INT(t, 0);
	CHECK_INT(pops_rollout_parse_time(&t, "2024-02-29T23:59:59Z"), 0);
	pops_rollout_format_time(s, t);
	CHECK_STR(s, "2024-02-29T23:59:59Z");
	CHECK_INT(pops_rollout_parse_time(&t, "2023-02-29T00:00:00Z"), POPS_EINVALID);
	CHECK_INT(pops_rollout_parse_time(&t, "2026-12-02T13:00:00+01:00"), POPS_EINVALID);
	CHECK_INT(pops_rollout_parse_time(&t, "2026-12-02T13:00:00.5Z"), POPS_EINVALID);
	CHECK_INT(pops_rollout_parse_time(&t, "2026-13-02T13:00:00Z"), POPS_EINVALID);
	CHECK_INT(pops_rollout_parse_time(&t, "2026-12-02 13:00:00Z"), POPS_EINVALID);
}

/* xorshift64*: random-looking keys, the same on every run (no flaky bounds) */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* a random key of 1..32 arbitrary bytes (NULs and high bytes included) */
static size_t random_key(unsigned char *key, uint64_t *s)
{
	size_t len = 1 + (size_t)(next_rand(s) % 32), i;

	for (i = 0; i < len; i++)
		key[i] = (unsigned char)next_rand(s);
	return len;
}

TEST(rollout_10000_random_keys_at_10_percent_land_within_one_point)
{
	unsigned char key[32];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int i, n = 0;

	for (i = 0; i < 10000; i++) {
		size_t len = random_key(key, &seed);
		int side = pops_rollout_is_canary("4f2a91c0d3b5e6a7", (const char *)key, len, 10);

		/* the same key always gets the same side */
		CHECK_INT(pops_rollout_is_canary("4f2a91c0d3b5e6a7", (const char *)key, len, 10), side);
		n += side;
	}
	CHECK(n >= 900 && n <= 1100);
}

TEST(rollout_raising_10_to_20_moves_random_keys_only_into_the_canary)
{
	unsigned char key[32];
	uint64_t seed = 42;
	int i, at10 = 0, at20 = 0;

	for (i = 0; i < 10000; i++) {
		size_t len = random_key(key, &seed);
		int a = pops_rollout_is_canary("0123456789abcdef", (const char *)key, len, 10);
		int b = pops_rollout_is_canary("0123456789abcdef", (const char *)key, len, 20);

		CHECK(!a || b);   /* in the canary at 10 %: still there at 20 % */
		at10 += a;
		at20 += b;
	}
	CHECK(at20 >= 1900 && at20 <= 2100);
	CHECK(at20 > at10);
}

TEST(rollout_a_fresh_salt_splits_keys_near_the_share)
{
	char salt[POPS_ROLLOUT_SALT_LEN + 1], key[32];
	int i, n = 0;

	/* any salt: 25 % of 10,000 keys is 2,500 +- 6 standard deviations (~260) */
	CHECK_INT(pops_rollout_salt_new(salt), 0);
	for (i = 0; i < 10000; i++) {
		int len = snprintf(key, sizeof(key), "session-%d", i);

		n += pops_rollout_is_canary(salt, key, (size_t)len, 25);
	}
	CHECK(n >= 2240 && n <= 2760);
}
