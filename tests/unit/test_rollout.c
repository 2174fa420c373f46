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
