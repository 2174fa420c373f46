#include <stdint.h>
#include <string.h>
#include "rollout.h"
#include "sha256.h"

unsigned pops_rollout_bucket(const char *salt, const char *key, size_t key_len)
{
	pops_sha256 c;
	unsigned char d[32];
	uint64_t v = 0;
	int i;

	pops_sha256_init(&c);
	pops_sha256_update(&c, salt, strlen(salt));
	pops_sha256_update(&c, ":", 1);
	pops_sha256_update(&c, key, key_len);
	pops_sha256_final(&c, d);
	for (i = 0; i < 8; i++)
		v = (v << 8) | d[i];
	return (unsigned)(v % POPS_ROLLOUT_BUCKETS);
}

int pops_rollout_is_canary(const char *salt, const char *key, size_t key_len,
                           unsigned percent)
{
	if (percent > 100)
		percent = 100;
	return pops_rollout_bucket(salt, key, key_len) < percent * 100u;
}
