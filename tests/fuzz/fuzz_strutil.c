#include "common.h"
#include "fuzz.h"
#include "strutil.h"

/*
 * The small parsers every command uses on user text: numbers, UTF-8
 * validation, terminal sanitizing and edit distance. The input is split
 * at the first NUL: left and right halves are the two strings.
 */
POPS_FUZZ_TARGET(strutil)
{
	char *copy = fuzz_copy(data, size);
	const char *nul = memchr(copy, '\0', size);
	size_t alen = nul ? (size_t)(nul - copy) : size;
	const char *b = nul ? nul + 1 : "";
	size_t blen = nul ? size - alen - 1 : 0;
	static const char *const names[] = { "config", "init", "help", "prompt", NULL };
	pops_buf out = POPS_BUF_INIT;
	size_t bad = 0, d, dmax;
	long l;
	double x;

	if (pops_parse_long(&l, copy, -1000, 1000) == 0)
		assert(l >= -1000 && l <= 1000);
	if (pops_parse_double(&x, copy) == 0)
		assert(x == x);
	if (!pops_utf8_valid(copy, size, &bad))
		assert(bad <= size);
	pops_buf_put_sanitized(&out, copy, size, size & 1);
	{
		size_t i;

		for (i = 0; i < out.size; i++)
			assert((unsigned char)out.ptr[i] >= 0x20 || out.ptr[i] == '\t' ||
			       out.ptr[i] == '\n');
	}
	if (alen < 300 && blen < 300) {
		d = pops_levenshtein(copy, alen, b, blen, SIZE_MAX);
		dmax = pops_levenshtein(copy, alen, b, blen, 2);
		assert(d <= (alen > blen ? alen : blen));
		assert(dmax == (d > 2 ? 3 : d));
		assert(pops_levenshtein(b, blen, copy, alen, SIZE_MAX) == d);
	}
	(void)pops_suggest(copy, names, 2);
	(void)pops_starts_with(copy, b);
	(void)pops_ends_with(copy, b);
	pops_buf_dispose(&out);
	free(copy);
	return 0;
}
