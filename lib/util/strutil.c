#include "common.h"
#include "strutil.h"

#include <ctype.h>
#include <math.h>

size_t pops_levenshtein(const char *a, size_t alen, const char *b, size_t blen,
                        size_t max)
{
	size_t *prev2 = NULL, *prev = NULL, *cur = NULL, *tmp;
	size_t i, j, result;

	if (alen > blen ? alen - blen > max : blen - alen > max)
		return max == SIZE_MAX ? (alen > blen ? alen : blen) : max + 1;
	if (blen == SIZE_MAX)
		return SIZE_MAX;

	prev2 = malloc((blen + 1) * sizeof(*prev2));
	prev = malloc((blen + 1) * sizeof(*prev));
	cur = malloc((blen + 1) * sizeof(*cur));
	if (!prev2 || !prev || !cur) {
		result = SIZE_MAX;
		goto done;
	}
	for (j = 0; j <= blen; j++)
		prev[j] = j;

	for (i = 1; i <= alen; i++) {
		size_t rowmin;

		cur[0] = i;
		rowmin = cur[0];
		for (j = 1; j <= blen; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t v = prev[j - 1] + cost;

			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (max != SIZE_MAX && rowmin > max) {
			result = max + 1;
			goto done;
		}
		tmp = prev2;
		prev2 = prev;
		prev = cur;
		cur = tmp;
	}
	result = prev[blen];
	if (max != SIZE_MAX && result > max)
		result = max + 1;
done:
	free(prev2);
	free(prev);
	free(cur);
	return result;
}

const char *pops_suggest(const char *word, const char *const *names, size_t max)
{
	const char *const *all = names;
	const char *best = NULL;
	size_t best_d = max + 1, wlen = strlen(word);

	for (; *names; names++) {
		size_t d = pops_levenshtein(word, wlen, *names, strlen(*names), max);

		if (d < best_d) {
			best_d = d;
			best = *names;
		}
	}
	if (best || wlen < 2)
		return best;
	/* a unique prefix is a good guess too: "pops pro" -> "prompt" */
	for (names = all; *names; names++) {
		if (strncmp(*names, word, wlen))
			continue;
		if (best)
			return NULL;
		best = *names;
	}
	return best;
}

int pops_buf_put_percent(pops_buf *out, double frac)
{
	double p = 100.0 * frac, tenths = p * 10.0;

	/* 100 * 0.9 is 90.00000000000001: compare with a tolerance, not exactly */
	if (fabs(tenths - round(tenths)) < 1e-6 * (fabs(tenths) > 1 ? fabs(tenths) : 1))
		return pops_buf_printf(out, "%.1f%%", p);
	return pops_buf_printf(out, "%.10g%%", p);
}

int pops_buf_put_sanitized(pops_buf *out, const char *s, size_t len,
                           int keep_newlines)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && !(keep_newlines && (c == '\n' || c == '\t'))) ||
		    c == 0x7f)
			c = '?';
		pops_buf_putc(out, c);
	}
	return pops_buf_oom(out) ? POPS_ERROR : POPS_OK;
}

int pops_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int pops_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && memcmp(s + ls - lx, suffix, lx) == 0;
}

int pops_parse_long(long *out, const char *s, long min, long max)
{
	char *end;
	long v;

	if (!s || !*s)
		return pops_error_set(POPS_EINVALID, "expected a number");
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno == ERANGE || *end || end == s)
		return pops_error_set(POPS_EINVALID, "'%s' is not a valid integer", s);
	if (v < min || v > max)
		return pops_error_set(POPS_EINVALID, "'%s' is out of range (%ld..%ld)",
		                      s, min, max);
	*out = v;
	return POPS_OK;
}

/* digits only, stopping at `stop`; past POPS_SHARD_MAX is refused before it can overflow */
static const char *shard_number(unsigned long *out, const char *s, char stop)
{
	unsigned long v = 0;

	if (!isdigit((unsigned char)*s))
		return NULL;
	for (; isdigit((unsigned char)*s); s++) {
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > POPS_SHARD_MAX)
			return NULL;
	}
	if (*s != stop)
		return NULL;
	*out = v;
	return s;
}

int pops_shard_parse(unsigned *i, unsigned *n, const char *s)
{
	unsigned long a, b;
	const char *p;

	if (!s || !(p = shard_number(&a, s, '/')) || !shard_number(&b, p + 1, '\0') ||
	    a < 1 || a > b)
		return pops_error_set(POPS_EINVALID, "'%s' is not a shard: expected i/n with 1 <= i <= n <= %u",
		                      s ? s : "", POPS_SHARD_MAX);
	*i = (unsigned)a;
	*n = (unsigned)b;
	return POPS_OK;
}

int pops_parse_double(double *out, const char *s)
{
	char *end;
	double v;

	if (!s || !*s)
		return pops_error_set(POPS_EINVALID, "expected a number");
	errno = 0;
	v = strtod(s, &end);
	if (errno == ERANGE || *end || end == s || !isfinite(v))
		return pops_error_set(POPS_EINVALID, "'%s' is not a valid number", s);
	*out = v;
	return POPS_OK;
}

int pops_utf8_valid(const char *s, size_t len, size_t *bad_offset)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned c = p[i];
		size_t n;
		unsigned cp, k;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			n = 1, cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2, cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3, cp = c & 0x07;
		} else {
			goto bad;
		}
		if (i + n >= len)
			goto bad; /* truncated sequence */
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
		    (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		i += n + 1;
	}
	return 1;
bad:
	if (bad_offset)
		*bad_offset = i;
	return 0;
}

void pops_str_vset(char **dst, const char *fmt, va_list ap)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_vprintf(&b, fmt, ap);
	free(*dst);
	*dst = pops_buf_oom(&b) ? NULL : pops_buf_detach(&b);
	pops_buf_dispose(&b);
}

char *pops_strdup(const char *s)
{
	return s ? pops_strndup(s, strlen(s)) : NULL;
}

char *pops_strndup(const char *s, size_t n)
{
	char *p;

	if (!s)
		return NULL;
	p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

size_t pops_utf8_decode(const char *s, size_t len, unsigned *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned c = p[0], v;
	size_t n, k;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, v = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, v = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, v = c & 0x07;
	} else {
		goto bad;
	}
	if (n > len)
		goto bad;
	for (k = 1; k < n; k++) {
		if ((p[k] & 0xc0) != 0x80)
			goto bad;
		v = (v << 6) | (p[k] & 0x3f);
	}
	if ((n == 2 && v < 0x80) || (n == 3 && v < 0x800) || (n == 4 && v < 0x10000) ||
	    v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		goto bad;
	*cp = v;
	return n;
bad:
	*cp = POPS_UTF8_INVALID;
	return 1;
}

typedef struct cp_range {
	unsigned lo, hi;
} cp_range;

/* combining marks, joiners, direction marks, variation selectors */
static const cp_range zero_width[] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd }, { 0x05bf, 0x05bf },
	{ 0x05c1, 0x05c2 }, { 0x05c4, 0x05c5 }, { 0x05c7, 0x05c7 }, { 0x0610, 0x061a },
	{ 0x061c, 0x061c }, { 0x064b, 0x065f }, { 0x0670, 0x0670 }, { 0x06d6, 0x06dc },
	{ 0x06df, 0x06e4 }, { 0x06e7, 0x06e8 }, { 0x06ea, 0x06ed }, { 0x0900, 0x0902 },
	{ 0x093a, 0x093a }, { 0x093c, 0x093c }, { 0x0941, 0x0948 }, { 0x094d, 0x094d },
	{ 0x0951, 0x0957 }, { 0x0e31, 0x0e31 }, { 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e },
	{ 0x1160, 0x11ff }, { 0x1ab0, 0x1aff }, { 0x1dc0, 0x1dff }, { 0x200b, 0x200f },
	{ 0x202a, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x206f }, { 0x20d0, 0x20ff },
	{ 0x302a, 0x302d }, { 0x3099, 0x309a }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xfeff, 0xfeff }, { 0x1f3fb, 0x1f3ff }, { 0xe0000, 0xe0fff },
};

/* East Asian Wide and Fullwidth, and the emoji presented wide */
static const cp_range wide[] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a }, { 0x23e9, 0x23ec },
	{ 0x23f0, 0x23f0 }, { 0x23f3, 0x23f3 }, { 0x25fd, 0x25fe }, { 0x2614, 0x2615 },
	{ 0x2648, 0x2653 }, { 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab }, { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 }, { 0x26ce, 0x26ce },
	{ 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea }, { 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 },
	{ 0x26fa, 0x26fa }, { 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x2728, 0x2728 }, { 0x274c, 0x274c }, { 0x274e, 0x274e }, { 0x2753, 0x2755 },
	{ 0x2757, 0x2757 }, { 0x2795, 0x2797 }, { 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf },
	{ 0x2b1b, 0x2b1c }, { 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 }, { 0x2e80, 0x3029 },
	{ 0x302e, 0x303e }, { 0x3041, 0x3098 }, { 0x309b, 0x33ff }, { 0x3400, 0x4dbf },
	{ 0x4e00, 0x9fff }, { 0xa000, 0xa4cf }, { 0xa960, 0xa97f }, { 0xac00, 0xd7a3 },
	{ 0xf900, 0xfaff }, { 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f }, { 0xff00, 0xff60 },
	{ 0xffe0, 0xffe6 }, { 0x16fe0, 0x16fe4 }, { 0x17000, 0x18cff }, { 0x1b000, 0x1b2ff },
	{ 0x1f004, 0x1f004 }, { 0x1f0cf, 0x1f0cf }, { 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a },
	{ 0x1f200, 0x1f251 }, { 0x1f300, 0x1f320 }, { 0x1f32d, 0x1f335 }, { 0x1f337, 0x1f37c },
	{ 0x1f37e, 0x1f393 }, { 0x1f3a0, 0x1f3ca }, { 0x1f3cf, 0x1f3d3 }, { 0x1f3e0, 0x1f3f0 },
	{ 0x1f3f4, 0x1f3f4 }, { 0x1f3f8, 0x1f3fa }, { 0x1f400, 0x1f43e }, { 0x1f440, 0x1f440 },
	{ 0x1f442, 0x1f4fc }, { 0x1f4ff, 0x1f53d }, { 0x1f54b, 0x1f54e }, { 0x1f550, 0x1f567 },
	{ 0x1f57a, 0x1f57a }, { 0x1f595, 0x1f596 }, { 0x1f5a4, 0x1f5a4 }, { 0x1f5fb, 0x1f64f },
	{ 0x1f680, 0x1f6c5 }, { 0x1f6cc, 0x1f6cc }, { 0x1f6d0, 0x1f6d2 }, { 0x1f6d5, 0x1f6d7 },
	{ 0x1f6dc, 0x1f6df }, { 0x1f6eb, 0x1f6ec }, { 0x1f6f4, 0x1f6fc }, { 0x1f7e0, 0x1f7eb },
	{ 0x1f7f0, 0x1f7f0 }, { 0x1f90c, 0x1f93a }, { 0x1f93c, 0x1f945 }, { 0x1f947, 0x1f9ff },
	{ 0x1fa70, 0x1faff }, { 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

static int in_ranges(unsigned cp, const cp_range *r, size_t n)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < r[mid].lo)
			hi = mid;
		else if (cp > r[mid].hi)
			lo = mid + 1;
		else
			return 1;
	}
	return 0;
}

size_t pops_utf8_width(const char *s, size_t len)
{
	size_t i = 0, w = 0;

	while (i < len) {
		unsigned cp;

		i += pops_utf8_decode(s + i, len - i, &cp);
		if (cp == POPS_UTF8_INVALID || cp < 0x300)
			w++;
		else if (in_ranges(cp, zero_width, POPS_ARRAY_SIZE(zero_width)))
			continue;
		else
			w += in_ranges(cp, wide, POPS_ARRAY_SIZE(wide)) ? 2 : 1;
	}
	return w;
}

uint64_t pops_fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void pops_hex_encode(char *out, const unsigned char *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * n] = '\0';
}
