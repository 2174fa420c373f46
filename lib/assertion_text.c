#define _GNU_SOURCE /* memmem */
#include "common.h"
#include <stdint.h>
#include "assertion_int.h"
#include "jsonschema.h"
#include "strutil.h"

/*
 * Searching the output as text: case folding, JSON inside the output,
 * and the list assertions promptfoo users bring (contains-any/-all,
 * icontains-any/-all, contains-json), words (word-count, rouge-n's
 * n-grams), and the json-path lookup and one-line reasons the checks
 * share. Split from assertion.c, which holds
 * the type table (compile and check of every other type).
 */

#define QUOTE_MAX 60

/*
 * ASCII case folding by table: tolower() goes through the locale on
 * every byte. word[]: 1 for the bytes of rouge-n's words (ASCII letters
 * and digits, every byte of a UTF-8 sequence).
 */
static unsigned char fold[256], word[256];

static void fold_init(void)
{
	int i;

	if (fold['A'])
		return;
	for (i = 0; i < 256; i++) {
		int alnum = (i >= '0' && i <= '9') || (i >= 'a' && i <= 'z') || (i >= 'A' && i <= 'Z');

		word[i] = (unsigned char)(alnum || i >= 0x80);
		fold[i] = (unsigned char)(i >= 'A' && i <= 'Z' ? i + 32 : i);
	}
}

const char *pops_assert__memcasemem(const char *h, size_t hl, const char *n, size_t nl)
{
	const unsigned char *hp = (const unsigned char *)h, *np = (const unsigned char *)n;
	size_t i, j;
	unsigned char first;

	if (nl == 0)
		return h;
	if (nl > hl)
		return NULL;
	fold_init();
	first = fold[np[0]];
	for (i = 0; i + nl <= hl; i++) {
		if (fold[hp[i]] != first)
			continue;
		for (j = 1; j < nl; j++)
			if (fold[hp[i + j]] != fold[np[j]])
				break;
		if (j == nl)
			return h + i;
	}
	return NULL;
}

cJSON *pops_assert__parse_output_json(const char *s, size_t len)
{
	const char *e = s + len;

	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	if (e - s > 6 && !strncmp(s, "```", 3) && !strncmp(e - 3, "```", 3)) {
		const char *nl = memchr(s, '\n', (size_t)(e - s));

		if (nl && nl < e - 3) {
			s = nl + 1;
			e -= 3;
		}
	}
	return cJSON_ParseWithLength(s, (size_t)(e - s));
}

cJSON *pops_assert__list_value(const pops_assert *a, const cJSON *value)
{
	cJSON *list = cJSON_CreateArray();
	const cJSON *v;

	if (!list) {
		pops_error_oom();
		return NULL;
	}
	if (cJSON_IsString(value)) {
		/* promptfoo splits a string value at commas */
		const char *p = value->valuestring;

		while (*p) {
			size_t n = strcspn(p, ",");
			const char *s = p, *e = p + n;
			char *item;

			while (s < e && isspace((unsigned char)*s))
				s++;
			while (e > s && isspace((unsigned char)e[-1]))
				e--;
			if (e > s) {
				if (!(item = pops_strndup(s, (size_t)(e - s))))
					goto oom;
				cJSON_AddItemToArray(list, cJSON_CreateString(item));
				free(item);
			}
			p += n + (p[n] == ',');
		}
	} else if (cJSON_IsArray(value)) {
		cJSON_ArrayForEach(v, value) {
			char *t = cJSON_IsString(v) ? pops_strdup(v->valuestring) :
			          cJSON_IsNumber(v) || cJSON_IsBool(v) ? cJSON_PrintUnformatted(v) : NULL;

			if (!t) {
				cJSON_Delete(list);
				pops_error_set(POPS_EINVALID, "%s:%u: '%s' values must be strings",
				               a->file, a->line, a->name);
				return NULL;
			}
			cJSON_AddItemToArray(list, cJSON_CreateString(t));
			free(t);
		}
	}
	if (!cJSON_GetArraySize(list)) {
		cJSON_Delete(list);
		pops_error_set(POPS_EINVALID, "%s:%u: '%s' needs 'value': a list of strings "
		               "(or one string of comma-separated ones)", a->file, a->line, a->name);
		return NULL;
	}
	return list;
oom:
	cJSON_Delete(list);
	pops_error_oom();
	return NULL;
}

static void quote(pops_buf *b, const char *s)
{
	size_t len = strlen(s);

	pops_buf_putc(b, '\'');
	pops_buf_put_sanitized(b, s, len > QUOTE_MAX ? QUOTE_MAX : len, 0);
	if (len > QUOTE_MAX)
		pops_buf_puts(b, "...");
	pops_buf_putc(b, '\'');
}

/*
 * contains-json: some '{' or '[' of the output starts a JSON value (that
 * matches the schema, when there is one). Each start is tried once, and
 * cJSON stops at the end of the value, so prose around it is fine.
 */
static int check_contains_json(pops_assert_result *res, const pops_assert *a,
                               const char *out, size_t len, int *pass)
{
	pops_buf why = POPS_BUF_INIT;
	const char *p = out, *end = out + len, *stop;
	int found = 0, r, error = POPS_OK;

	*pass = 0;
	while (!*pass && p < end) {
		const char *o = memchr(p, '{', (size_t)(end - p)), *q = memchr(p, '[', (size_t)(end - p));
		cJSON *j;

		if (!o || (q && q < o))
			o = q;
		if (!o)
			break;
		j = cJSON_ParseWithLengthOpts(o, (size_t)(end - o), &stop, 0);
		p = o + 1;
		if (!j)
			continue;
		found = 1;
		if (!a->json) {
			*pass = 1;
		} else if ((r = pops_jsonschema_validate(a->json, j, &why)) < 0) {
			res->error = 1;
			pops_buf_printf(&res->reason, "%s:%u: %s", a->file, a->line, pops_error_last());
			cJSON_Delete(j);
			goto done;
		} else {
			*pass = r;
		}
		cJSON_Delete(j);
	}
	if (*pass == a->negate) {
		if (a->negate)
			pops_buf_puts(&res->reason, a->json ? "output contains JSON matching the schema" :
			              "output contains JSON");
		else if (!found)
			pops_buf_puts(&res->reason, "output contains no JSON");
		else
			pops_buf_printf(&res->reason, "no JSON in the output matches the schema "
			                "(last: %s)", why.ptr);
	}
done:
	pops_buf_dispose(&why);
	return error;
}

int pops_assert__check_text(pops_assert_result *res, const pops_assert *a,
                            const pops_assert_input *in, int *pass)
{
	const char *out = in->output ? in->output : "";
	size_t len = in->output ? in->len : 0;
	int icase = a->type == POPS_ASSERT_ICONTAINS_ANY || a->type == POPS_ASSERT_ICONTAINS_ALL;
	int all = a->type == POPS_ASSERT_CONTAINS_ALL || a->type == POPS_ASSERT_ICONTAINS_ALL;
	pops_buf item = POPS_BUF_INIT, missing = POPS_BUF_INIT, hit = POPS_BUF_INIT;
	const cJSON *v;
	int error = POPS_OK, nmissing = 0;

	if (a->type == POPS_ASSERT_CONTAINS_JSON)
		return check_contains_json(res, a, out, len, pass);
	*pass = all;
	cJSON_ArrayForEach(v, a->json) {
		int found;

		pops_buf_clear(&item);
		if (strstr(v->valuestring, "{{")) {
			if ((error = pops_assert_expand(&item, v->valuestring, in->scope)) < 0)
				goto done;
		} else {
			pops_buf_sets(&item, v->valuestring);
		}
		found = icase ? pops_assert__memcasemem(out, len, item.ptr, item.size) != NULL :
		        memmem(out, len, item.ptr, item.size) != NULL;
		if (found && !hit.size)
			quote(&hit, item.ptr);
		if (!found) {
			if (nmissing++)
				pops_buf_puts(&missing, ", ");
			quote(&missing, item.ptr);
		}
		if (all && !found)
			*pass = 0;
		if (!all && found)
			*pass = 1;
	}
	if (*pass == a->negate) {
		if (!a->negate && all)
			pops_buf_printf(&res->reason, "output does not contain %s", missing.ptr);
		else if (!a->negate)
			pops_buf_printf(&res->reason, "output contains none of %s", missing.ptr);
		else if (all)
			pops_buf_puts(&res->reason, "output contains every value");
		else
			pops_buf_printf(&res->reason, "output contains %s", hit.ptr);
		if (icase)
			pops_buf_puts(&res->reason, " (ignoring case)");
	}
done:
	pops_buf_dispose(&hit);
	pops_buf_dispose(&missing);
	pops_buf_dispose(&item);
	return error;
}

int pops_assert_one_line(pops_buf *reason)
{
	pops_buf b = POPS_BUF_INIT;
	size_t i;
	int error = 0;

	/* most reasons are one line already: nothing to copy */
	for (i = 0; i < reason->size; i++)
		if ((unsigned char)reason->ptr[i] < 0x20 || reason->ptr[i] == 0x7f)
			break;
	if (i == reason->size)
		return 0;
	for (i = 0; i < reason->size; i++) {
		unsigned char c = (unsigned char)reason->ptr[i];

		if (c == '\n')
			pops_buf_puts(&b, "\\n");
		else if (c == '\r')
			pops_buf_puts(&b, "\\r");
		else if (c == '\t')
			pops_buf_puts(&b, "\\t");
		else if (c < 0x20 || c == 0x7f)
			pops_buf_printf(&b, "\\x%02x", c);
		else
			pops_buf_putc(&b, (char)c);
	}
	if (pops_buf_oom(&b))
		error = pops_error_oom();
	else
		pops_buf_sets(reason, b.ptr);
	pops_buf_dispose(&b);
	return error;
}

/* "$.a.b[0]", "a.b[0]", "$['k']" */
const cJSON *pops_assert__json_path(const cJSON *root, const char *path)
{
	const cJSON *cur = root;
	const char *p = path;

	if (*p == '$')
		p++;
	while (cur && *p) {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			p++;
			if (*p == '\'' || *p == '"') {
				char q = *p++;
				const char *end = strchr(p, q);
				char *k;

				if (!end)
					return NULL;
				k = pops_strndup(p, (size_t)(end - p));
				cur = k ? cJSON_GetObjectItemCaseSensitive(cur, k) : NULL;
				free(k);
				p = end + 1;
			} else {
				char *end;
				long i = strtol(p, &end, 10);

				if (end == p)
					return NULL;
				if (i < 0)
					i += cJSON_GetArraySize(cur);
				cur = cJSON_IsArray(cur) && i >= 0 ? cJSON_GetArrayItem(cur, (int)i) : NULL;
				p = end;
			}
			if (*p != ']')
				return NULL;
			p++;
			continue;
		}
		{
			size_t n = strcspn(p, ".[");
			char *k = pops_strndup(p, n);

			cur = k && cJSON_IsObject(cur) ? cJSON_GetObjectItemCaseSensitive(cur, k) : NULL;
			free(k);
			p += n;
		}
	}
	return cur;
}

#define HIGH8 0x8080808080808080ull
#define LOW7 0x7f7f7f7f7f7f7f7full
#define BYTES(c) (0x0101010101010101ull * (c))

/* 8 bytes at once: the high bit of each byte that is ASCII white space */
static inline uint64_t space8(uint64_t x)
{
	uint64_t x7 = x & LOW7, t = x ^ BYTES(' ');
	uint64_t sp = ~(((t & LOW7) + LOW7) | t) & HIGH8;                   /* == ' ' */
	uint64_t range = (x7 + BYTES(0x80 - '\t')) & ~(x7 + BYTES(0x80 - '\r' - 1)) & ~x;

	return (sp | range) & HIGH8;                                         /* '\t'..'\r' */
}

static inline uint64_t load8(const unsigned char *p)
{
	uint64_t x;

	memcpy(&x, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	x = __builtin_bswap64(x);
#endif
	return x;
}

static inline int is_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

size_t pops_assert__word_count(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint64_t prev = HIGH8; /* "a space before the start" */
	size_t i = 0, n = 0;

	/* a word starts at each byte that is not a space after one that is */
	for (; i + 8 <= len; i += 8) {
		uint64_t sp = space8(load8(p + i));

		uint64_t starts = ~sp & HIGH8 & ((sp << 8) | (prev >> 56));

		/* count the high bits: summed into the top byte (no popcount instruction needed) */
		n += (size_t)(((starts >> 7) * BYTES(1)) >> 56);
		prev = sp;
	}
	for (; i < len; i++) {
		int sp = is_space(p[i]), before = i ? is_space(p[i - 1]) : 1;

		n += !sp && before;
	}
	return n;
}

/* 8 bytes with ASCII A-Z lowercased, all at once */
static inline uint64_t lower8(uint64_t x)
{
	uint64_t x7 = x & LOW7;
	uint64_t ge_a = x7 + BYTES(0x80 - 'A');       /* high bit: byte >= 'A' */
	uint64_t gt_z = x7 + BYTES(0x80 - 'Z' - 1);   /* high bit: byte > 'Z' */

	return x | ((ge_a & ~gt_z & ~x & HIGH8) >> 2);
}

static inline uint64_t mix(uint64_t h, uint64_t x)
{
	h = (h ^ x) * 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 31);
}

/* 8 bytes at once: the high bit of each byte of a word (ASCII letter or digit, non-ASCII) */
static inline uint64_t word8(uint64_t x)
{
	uint64_t x7 = x & LOW7, u = x7 | BYTES(0x20);
	uint64_t letter = (u + BYTES(0x80 - 'a')) & ~(u + BYTES(0x80 - 'z' - 1));
	uint64_t digit = (x7 + BYTES(0x80 - '0')) & ~(x7 + BYTES(0x80 - '9' - 1));

	return (letter | digit | x) & HIGH8;
}

/*
 * The n-grams of a text, one hash each. Words are found from a bitmap
 * of word bytes (8 bytes a step, no branch per byte); each word's bytes
 * are lowercased 8 at a time and mixed into 64 bits, and the last n
 * words' hashes mixed again. Two different n-grams of one short
 * reference share a hash with odds of about 2^-50.
 */
struct ngrams {
	const unsigned char *s;
	size_t len;
	uint64_t *bits;              /* bit i: byte i is a word byte */
	uint64_t ring[POPS_ASSERT_ROUGE_MAX_N];
	size_t words, run;           /* words hashed; of them, how many in a row */
	size_t cw;                   /* the bitmap word `starts` comes from */
	uint64_t starts;             /* its word starts not yet read */
	uint64_t keys, first[4];     /* the word keys and first bytes seen (the reference's) */
	uint64_t filter, *ffirst;    /* 0/NULL, or: skip a word whose key/first byte is not in them */
	int n;
	uint64_t local[64];          /* the bitmap of a text up to 4 KB (last: not cleared) */
};

/*
 * A 6-bit key of a word, its first byte folded and its length: a word of
 * the output whose key no word of the reference has cannot be in an
 * n-gram of the reference, and is neither hashed nor looked up.
 */
static inline unsigned word_key(const unsigned char *w, size_t wl)
{
	return ((unsigned)fold[*w] * 7u + (unsigned)(wl < 63 ? wl : 63)) & 63u;
}

/* 0, or POPS_ERROR (out of memory); free with ngrams_free */
static int ngrams_init(struct ngrams *g, const char *s, size_t len, int n)
{
	size_t nw = (len + 63) / 64, i;

	memset(g, 0, offsetof(struct ngrams, local));
	g->s = (const unsigned char *)s;
	g->len = len;
	g->n = n;
	g->ffirst = NULL;
	g->cw = SIZE_MAX; /* the first next_start moves to bitmap word 0 */
	g->bits = nw <= POPS_ARRAY_SIZE(g->local) ? g->local : calloc(nw, sizeof(uint64_t));
	if (!g->bits)
		return pops_error_oom();
	if (g->bits == g->local)
		memset(g->local, 0, nw * sizeof(uint64_t));
	for (i = 0; i + 8 <= len; i += 8) {
		/* the 8 high bits gathered into one byte, byte j of the text as bit j */
		uint64_t b = ((word8(load8(g->s + i)) >> 7) * 0x0102040810204080ull) >> 56;

		g->bits[i / 64] |= b << (i % 64);
	}
	for (; i < len; i++)
		if (word[g->s[i]])
			g->bits[i / 64] |= 1ull << (i % 64);
	return 0;
}

static void ngrams_free(struct ngrams *g)
{
	if (g->bits != g->local)
		free(g->bits);
}

/* the first position at or after `pos` whose bit is `set`, or len */
static size_t next_bit(const struct ngrams *g, size_t pos, int set)
{
	size_t w = pos / 64, nw = (g->len + 63) / 64;
	uint64_t x;

	if (pos >= g->len)
		return g->len;
	x = (set ? g->bits[w] : ~g->bits[w]) & (~0ull << (pos % 64));
	while (!x) {
		if (++w >= nw)
			return g->len;
		x = set ? g->bits[w] : ~g->bits[w];
	}
	pos = w * 64 + (size_t)__builtin_ctzll(x);
	return pos < g->len ? pos : g->len;
}

/* the next word's first byte, or len: word starts are word bytes after a non-word byte */
static size_t next_start(struct ngrams *g)
{
	size_t nw = (g->len + 63) / 64;

	while (!g->starts) {
		uint64_t b, before;

		if (++g->cw >= nw)
			return g->len;
		b = g->bits[g->cw];
		before = (b << 1) | (g->cw ? g->bits[g->cw - 1] >> 63 : 0);
		g->starts = b & ~before;
	}
	{
		size_t p = g->cw * 64 + (size_t)__builtin_ctzll(g->starts);

		g->starts &= g->starts - 1;
		return p;
	}
}

static int ngram_next(struct ngrams *g, uint64_t *out)
{
	for (;;) {
		size_t start = next_start(g), end, wl;
		const unsigned char *w;
		uint64_t h;
		unsigned c;
		int k;

		if (start >= g->len)
			break;
		w = g->s + start;
		c = fold[*w];
		if (g->ffirst && !((g->ffirst[c >> 6] >> (c & 63)) & 1)) {
			g->run = 0;
			continue;
		}
		end = next_bit(g, start, 0);
		wl = end - start;
		k = (int)word_key(w, wl);
		if (g->filter && !((g->filter >> k) & 1)) {
			g->run = 0;
			continue;
		}
		g->first[c >> 6] |= 1ull << (c & 63);
		g->keys |= 1ull << k;
		h = 0x9e3779b97f4a7c15ull ^ wl;
		for (; wl >= 8; w += 8, wl -= 8)
			h = mix(h, lower8(load8(w)));
		if (wl && w + 8 <= g->s + g->len) {
			/* the bytes after the word are in the text: load 8, keep wl */
			h = mix(h, lower8(load8(w) & (~0ull >> (64 - 8 * wl))));
		} else if (wl) {
			unsigned char tail[8] = { 0 };

			memcpy(tail, w, wl);
			h = mix(h, lower8(load8(tail)));
		}
		g->ring[g->words++ % POPS_ASSERT_ROUGE_MAX_N] = h;
		if (++g->run < (size_t)g->n)
			continue;
		if (g->n > 1)
			for (h = 0x9e3779b97f4a7c15ull, k = g->n; k > 0; k--)
				h = mix(h, g->ring[(g->words - (size_t)k) % POPS_ASSERT_ROUGE_MAX_N]);
		*out = h ? h : 1; /* 0 marks an empty slot */
		return 1;
	}
	return 0;
}

struct slot {
	uint64_t h;
	size_t count;
};

/* open addressing; `cap` a power of two, at least twice the n-grams put in */
static struct slot *slot_of(struct slot *t, size_t cap, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (t[i].h && t[i].h != h)
		i = (i + 1) & (cap - 1);
	return &t[i];
}

int pops_assert__rouge(size_t *hits, size_t *total, const char *out, size_t len,
                       const char *ref, size_t rlen, int n)
{
	struct slot local[128], *t = local, *s;
	struct ngrams g;
	size_t cap = 16;
	uint64_t h, keys, first[4];

	*hits = *total = 0;
	fold_init();
	/* a reference of rlen bytes has at most rlen / 2 + 1 words */
	while (cap < rlen + 4)
		cap *= 2;
	if (cap > POPS_ARRAY_SIZE(local)) {
		if (!(t = calloc(cap, sizeof(*t))))
			return pops_error_oom();
	} else {
		memset(local, 0, cap * sizeof(*t));
	}
	if (ngrams_init(&g, ref, rlen, n) < 0)
		goto oom;
	while (ngram_next(&g, &h)) {
		s = slot_of(t, cap, h);
		s->h = h;
		s->count++;
		(*total)++;
	}
	ngrams_free(&g);
	keys = g.keys;
	memcpy(first, g.first, sizeof(first));
	if (ngrams_init(&g, out, len, n) < 0)
		goto oom;
	g.filter = keys;
	g.ffirst = first;
	while (*hits < *total && ngram_next(&g, &h)) {
		s = slot_of(t, cap, h);
		if (s->h && s->count) {
			s->count--;
			(*hits)++;
		}
	}
	ngrams_free(&g);
	if (t != local)
		free(t);
	return 0;
oom:
	if (t != local)
		free(t);
	return pops_error_oom();
}
