#include "common.h"
#include <stdint.h>
#include "eval_sample.h"
#include "strutil.h"

struct item {
	char *id;
	char *stratum;
	uint64_t key;
	int chosen;
};

struct pops_sample {
	size_t n;
	long seed;
	struct item *v;
	size_t nv, cap;
	char **chosen;          /* sorted ids in the sample */
	size_t nchosen, nstrata;
};

pops_sample *pops_sample_new(size_t n, long seed)
{
	pops_sample *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->n = n;
	s->seed = seed;
	return s;
}

/* FNV-1a over the seed and the id, then splitmix64's finalizer: an even spread */
static uint64_t key_of(long seed, const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	char sd[32];
	const char *p;

	snprintf(sd, sizeof(sd), "%ld:", seed);
	for (p = sd; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (p = id; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

int pops_sample_add(pops_sample *s, const char *id, const char *stratum)
{
	struct item *it;

	if (s->nv == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 64;
		struct item *nv = realloc(s->v, nc * sizeof(*nv));

		if (!nv)
			return pops_error_oom();
		s->v = nv;
		s->cap = nc;
	}
	it = &s->v[s->nv];
	it->id = pops_strdup(id);
	it->stratum = pops_strdup(stratum ? stratum : "");
	if (!it->id || !it->stratum) {
		free(it->id);
		free(it->stratum);
		return pops_error_oom();
	}
	it->key = key_of(s->seed, id);
	it->chosen = 0;
	s->nv++;
	return 0;
}

/* by stratum, then key, then id (equal keys stay deterministic) */
static int cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->stratum, y->stratum);

	if (c)
		return c;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->id, y->id);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct stratum {
	size_t first, count, take;
	double quota;
};

/* the largest-remainder allocation of s->n over the strata (header comment) */
static void allocate(struct stratum *st, size_t ns, size_t n, size_t total)
{
	size_t sum = 0, i;

	for (i = 0; i < ns; i++) {
		st[i].quota = (double)n * (double)st[i].count / (double)total;
		st[i].take = (size_t)st[i].quota;
		if (n >= ns && st[i].take == 0)
			st[i].take = 1;
		sum += st[i].take;
	}
	/* the minimum of one may overshoot: take back where most is over the quota */
	while (sum > n) {
		size_t best = ns;

		for (i = 0; i < ns; i++)
			if (st[i].take > 1 && (best == ns || st[i].take - st[i].quota >
			                                         st[best].take - st[best].quota))
				best = i;
		if (best == ns)
			break;
		st[best].take--;
		sum--;
	}
	while (sum < n) {
		size_t best = ns;

		for (i = 0; i < ns; i++)
			if (st[i].take < st[i].count && (best == ns || st[i].quota - st[i].take >
			                                                   st[best].quota - st[best].take))
				best = i;
		if (best == ns)
			break;
		st[best].take++;
		sum++;
	}
}

int pops_sample_choose(pops_sample *s)
{
	struct stratum *st = NULL;
	size_t ns = 0, i, k;

	if (s->nv)
		qsort(s->v, s->nv, sizeof(*s->v), cmp_item);
	for (i = 0; i < s->nv; i++)
		if (!i || strcmp(s->v[i].stratum, s->v[i - 1].stratum))
			ns++;
	if (ns && !(st = calloc(ns, sizeof(*st))))
		return pops_error_oom();
	for (i = 0, k = 0; i < s->nv; i++) {
		if (i && strcmp(s->v[i].stratum, s->v[i - 1].stratum))
			k++;
		if (!st[k].count)
			st[k].first = i;
		st[k].count++;
	}
	s->nstrata = ns;
	if (ns)
		allocate(st, ns, s->n < s->nv ? s->n : s->nv, s->nv);
	if (s->nv && !(s->chosen = malloc(s->nv * sizeof(*s->chosen)))) {
		free(st);
		return pops_error_oom();
	}
	for (k = 0; k < ns; k++)
		for (i = 0; i < st[k].take; i++) {
			s->v[st[k].first + i].chosen = 1;
			s->chosen[s->nchosen++] = s->v[st[k].first + i].id;
		}
	if (s->nchosen)
		qsort(s->chosen, s->nchosen, sizeof(*s->chosen), cmp_str);
	free(st);
	return 0;
}

int pops_sample_has(const pops_sample *s, const char *id)
{
	return s->nchosen && bsearch(&id, s->chosen, s->nchosen, sizeof(*s->chosen), cmp_str);
}

size_t pops_sample_total(const pops_sample *s)
{
	return s->nv;
}

size_t pops_sample_chosen(const pops_sample *s)
{
	return s->nchosen;
}

size_t pops_sample_nstrata(const pops_sample *s)
{
	return s->nstrata;
}

char *pops_sample_stratum(char *buf, size_t size, const cJSON *vars, const cJSON *metadata,
                          const cJSON *meta, const char *field)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(vars, field);

	if (!v)
		v = cJSON_GetObjectItemCaseSensitive(metadata, field);
	if (!v)
		v = cJSON_GetObjectItemCaseSensitive(meta, field);
	buf[0] = 0;
	if (cJSON_IsString(v)) {
		snprintf(buf, size, "%s", v->valuestring);
	} else if (v) {
		char *p = cJSON_PrintUnformatted(v);

		snprintf(buf, size, "%s", p ? p : "");
		cJSON_free(p);
	}
	return buf;
}

void pops_sample_free(pops_sample *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nv; i++) {
		free(s->v[i].id);
		free(s->v[i].stratum);
	}
	free(s->v);
	free(s->chosen);
	free(s);
}
