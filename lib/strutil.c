#include "common.h"
#include "strutil.h"

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
