#include "unit.h"
#include "sha256.h"

static const char *digest(const char *s, size_t repeat, char hex[65])
{
	pops_sha256 c;
	size_t i;

	pops_sha256_init(&c);
	for (i = 0; i < repeat; i++)
		pops_sha256_update(&c, s, strlen(s));
	pops_sha256_hex(&c, hex);
	return hex;
}

TEST(sha256_matches_fips_vectors)
{
	char hex[65];

	CHECK_STR(digest("", 1, hex), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_STR(digest("abc", 1, hex), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_STR(digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, hex),
	          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	CHECK_STR(digest("a", 1000000, hex), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
