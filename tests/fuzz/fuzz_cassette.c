#include "common.h"
#include "fuzz.h"
#include "cache.h"

#include <unistd.h>

/*
 * Cassettes are JSONL files a repository commits (so a pull request can
 * change them): load, look every recorded key up, save and load again.
 * A loaded cassette must survive the round trip with the same entries.
 */

static char *scratch;

POPS_FUZZ_TARGET(cassette)
{
	pops_cassette *c = NULL, *again = NULL;
	FILE *f;
	const char *p, *end = (const char *)data + size;

	if (!scratch) {
		pops_buf b = POPS_BUF_INIT;
		const char *tmp = getenv("TMPDIR");

		pops_buf_printf(&b, "%s/pops-fuzz-cassette-%ld.jsonl", tmp && *tmp ? tmp : "/tmp",
		                (long)getpid());
		scratch = pops_buf_detach(&b);
	}
	f = fopen(scratch, "wb");
	if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f))
		abort();
	if (pops_cassette_open(&c, scratch, 1) == 0) {
		size_t n = pops_cassette_size(c);

		/* look up every 64-hex-digit run, as replay would */
		for (p = (const char *)data; p + 64 <= end; p++) {
			if (!memcmp(p, "\"key\":\"", 7) && p + 7 + 64 <= end) {
				char key[65];
				pops_provider_result res;

				memcpy(key, p + 7, 64);
				key[64] = '\0';
				memset(&res, 0, sizeof(res));
				(void)pops_cassette_get(&res, c, key);
				pops_provider_result_dispose(&res);
			}
		}
		if (pops_cassette_save(c) == 0 && pops_cassette_open(&again, scratch, 1) == 0)
			assert(pops_cassette_size(again) == n);
		pops_cassette_free(again);
	}
	pops_cassette_free(c);
	unlink(scratch);
	return 0;
}
