#include "unit.h"
#include "sha1.h"

static const char *digest(const char *s, size_t repeat, char hex[41])
{
	pops_sha1 c;
	size_t i;

	pops_sha1_init(&c);
	for (i = 0; i < repeat; i++)
		pops_sha1_update(&c, s, strlen(s));
	pops_sha1_hex(&c, hex);
	return hex;
}

TEST(sha1_matches_fips_vectors)
{
	char hex[41];

	CHECK_STR(digest("", 1, hex), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	CHECK_STR(digest("abc", 1, hex), "a9993e364706816aba3e25717850c26c9cd0d89d");
	CHECK_STR(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, hex),
	          "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	CHECK_STR(digest("a", 1000000, hex), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

/* the ids `git hash-object` prints for the same bytes */
TEST(sha1_git_blob_matches_git_hash_object)
{
	char hex[41], *big = malloc(100000);

	CHECK(big);
	pops_sha1_git_blob(hex, "", 0);
	CHECK_STR(hex, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
	pops_sha1_git_blob(hex, "hello\n", 6);
	CHECK_STR(hex, "ce013625030ba8dba906f756967f9e9ca394464a");
	memset(big, 'x', 100000);
	pops_sha1_git_blob(hex, big, 100000);
	free(big);
	CHECK_STR(hex, "56e0448612acbb706b96b7e8e46a210f15386a38");
}
