#include "common.h"
#include "eval_flips.h"
#include "report.h"
#include "stats.h"
#include "strutil.h"

struct kv {
	const char *k;
	int v;
};

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->k, ((const struct kv *)b)->k);
}

static struct kv *sorted(const cJSON *obj, size_t *n)
{
	const cJSON *it;
	struct kv *v;
	size_t i = 0;

	*n = cJSON_IsObject(obj) ? (size_t)cJSON_GetArraySize(obj) : 0;
	if (!(v = calloc(*n + 1, sizeof(*v))))
		return NULL;
	if (!*n)
		return v;
	cJSON_ArrayForEach(it, obj) {
		v[i].k = it->string;
		v[i++].v = cJSON_IsTrue(it);
	}
	qsort(v, i, sizeof(*v), cmp_kv);
	*n = i;
	return v;
}

static const struct kv *find_kv(const struct kv *v, size_t n, const char *key)
{
	struct kv probe = { key, 0 };

	return n ? bsearch(&probe, v, n, sizeof(*v), cmp_kv) : NULL;
}

/* {"id","repeat","from","to"} of the case results key "id#repeat"; 0 or POPS_ERROR */
static int add_flip(cJSON *list, const char *key, int was)
{
	const char *hash = strrchr(key, '#');
	cJSON *f = cJSON_CreateObject();
	char *id = hash ? pops_strndup(key, (size_t)(hash - key)) : pops_strdup(key);
	int ok = f && id && cJSON_AddStringToObject(f, "id", id) &&
	         cJSON_AddNumberToObject(f, "repeat", hash ? strtod(hash + 1, NULL) : 0) &&
	         cJSON_AddStringToObject(f, "from", was ? "pass" : "fail") &&
	         cJSON_AddStringToObject(f, "to", was ? "fail" : "pass") &&
	         cJSON_AddItemToArray(list, f);

	free(id);
	if (!ok) {
		cJSON_Delete(f);
		return pops_error_oom();
	}
	return 0;
}

/*
 * The walk both entry points share: `after` in its own order (the run's
 * case order) against `before` sorted, so the flips listed come in case
 * order. With `list`, the first `max` flips are appended to it.
 */
static int walk(const cJSON *before, const cJSON *after, size_t *paired, size_t *nf,
                size_t *np, cJSON *list, size_t max)
{
	size_t na = 0;
	struct kv *a = sorted(before, &na);
	const cJSON *it;
	int error = 0;

	*paired = *nf = *np = 0;
	if (!a)
		return pops_error_oom();
	if (cJSON_IsObject(after))
		cJSON_ArrayForEach(it, after) {
			const struct kv *hit = it->string ? find_kv(a, na, it->string) : NULL;
			int now = cJSON_IsTrue(it);

			if (!hit)
				continue;
			(*paired)++;
			if (hit->v == now)
				continue;
			if (hit->v)
				(*nf)++;
			else
				(*np)++;
			if (list && !error && *nf + *np <= max)
				error = add_flip(list, it->string, hit->v);
		}
	free(a);
	return error;
}

void pops_eval_flips(const cJSON *before, const cJSON *after, size_t *paired,
                     size_t *newly_failing, size_t *newly_passing)
{
	if (walk(before, after, paired, newly_failing, newly_passing, NULL, 0) < 0) {
		*paired = *newly_failing = *newly_passing = 0;
		pops_error_clear();
	}
}

int pops_eval_add_baseline(cJSON *summary, const cJSON *current, const cJSON *baseline,
                           const char *ref, const char *source, double baseline_rate)
{
	size_t paired, nf, np;
	double p;
	const char *verdict;
	cJSON *b, *list = cJSON_CreateArray();

	if (!list || walk(baseline, current, &paired, &nf, &np, list, POPS_EVAL_FLIPS_MAX) < 0) {
		cJSON_Delete(list);
		pops_error_clear();
		return 0;
	}
	p = pops_stats_mcnemar(nf, np);
	verdict = p < 0.05 && nf > np ? "regression" :
	          p < 0.05 && np > nf ? "improvement" : "no significant change";
	if (!(b = cJSON_AddObjectToObject(summary, "baseline"))) {
		cJSON_Delete(list);
		return 0;
	}
	cJSON_AddStringToObject(b, "ref", ref);
	cJSON_AddStringToObject(b, "source", source);
	if (baseline_rate >= 0)
		cJSON_AddNumberToObject(b, "pass_rate", baseline_rate);
	cJSON_AddNumberToObject(b, "paired", (double)paired);
	cJSON_AddNumberToObject(b, "newly_failing", (double)nf);
	cJSON_AddNumberToObject(b, "newly_passing", (double)np);
	cJSON_AddNumberToObject(b, "p_value", p);
	cJSON_AddStringToObject(b, "verdict", verdict);
	cJSON_AddNumberToObject(b, "min_detectable_drop", pops_stats_min_detectable_drop(paired));
	if (!cJSON_AddItemToObject(b, "flips", list))
		cJSON_Delete(list);
	cJSON_AddNumberToObject(b, "flips_count", (double)(nf + np));
	return !strcmp(verdict, "regression");
}

/* ---- per case: the baseline's result in each case record ---- */

/* a record's key as case_results has it: "id#repeat"; NULL out of memory */
static char *rec_key(const cJSON *rec, pops_buf *tmp)
{
	const cJSON *rep = cJSON_GetObjectItemCaseSensitive(rec, "repeat");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");

	pops_buf_clear(tmp);
	pops_buf_printf(tmp, "%s#%d", cJSON_IsString(id) ? id->valuestring : "",
	                cJSON_IsNumber(rep) ? rep->valueint : 0);
	return pops_buf_oom(tmp) ? NULL : pops_strdup(tmp->ptr);
}

struct boff {
	char *key;
	long off;
};

struct bindex {
	struct boff *v;
	size_t n;
};

static int cmp_boff(const void *a, const void *b)
{
	return strcmp(((const struct boff *)a)->key, ((const struct boff *)b)->key);
}

static void bindex_dispose(struct bindex *ix)
{
	for (size_t i = 0; i < ix->n; i++)
		free(ix->v[i].key);
	free(ix->v);
}

/* the offset of each record of `f` by key, sorted; 0 or POPS_ERROR */
static int bindex_build(struct bindex *ix, FILE *f, pops_buf *line)
{
	cJSON *rec = NULL;
	size_t cap = 0;
	long off;
	int got = 0, error = 0;

	rewind(f);
	while (!error && (off = ftell(f)) >= 0 && (got = pops_report_spool_next(f, &rec, line)) == 1) {
		if (ix->n == cap) {
			struct boff *v = realloc(ix->v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!v) {
				error = pops_error_oom();
				break;
			}
			ix->v = v;
		}
		if (!(ix->v[ix->n].key = rec_key(rec, line)))
			error = pops_error_oom();
		else
			ix->v[ix->n++].off = off;
	}
	cJSON_Delete(rec);
	if (!error && off < 0)
		error = pops_error_os("baseline spool");
	else if (!error && got < 0)
		error = got;
	if (!error && ix->n)
		qsort(ix->v, ix->n, sizeof(*ix->v), cmp_boff);
	return error;
}

/* {"status","output","score"} of a baseline run's record: what it kept */
static cJSON *from_record(const cJSON *brec)
{
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(brec, "status");
	const cJSON *out = cJSON_GetObjectItemCaseSensitive(brec, "output");
	const cJSON *score = cJSON_GetObjectItemCaseSensitive(brec, "score");
	cJSON *b = cJSON_CreateObject();

	if (b && (!cJSON_AddStringToObject(b, "status", cJSON_IsString(st) ? st->valuestring : "error") ||
	          (cJSON_IsString(out) && !cJSON_AddStringToObject(b, "output", out->valuestring)) ||
	          (cJSON_IsNumber(score) && !cJSON_AddNumberToObject(b, "score", score->valuedouble)))) {
		cJSON_Delete(b);
		return NULL;
	}
	return b;
}

struct bsource {
	FILE *spool;           /* a baseline run's records, or NULL */
	struct bindex ix;
	struct kv *cases;      /* else stored case_results: pass or fail only */
	size_t ncases;
	pops_buf line;
};

/* the "baseline" object for `key`: 1 with *out set, 0 when the baseline has no such case */
static int lookup(struct bsource *src, const char *key, cJSON **out)
{
	*out = NULL;
	if (src->spool) {
		struct boff probe = { (char *)key, 0 }, *hit;
		cJSON *brec = NULL;
		int got;

		hit = src->ix.n ? bsearch(&probe, src->ix.v, src->ix.n, sizeof(*src->ix.v), cmp_boff) : NULL;
		if (!hit)
			return 0;
		if (fseek(src->spool, hit->off, SEEK_SET) != 0)
			return pops_error_os("baseline spool");
		if ((got = pops_report_spool_next(src->spool, &brec, &src->line)) <= 0)
			return got < 0 ? got : pops_error_set(POPS_ERROR, "baseline spool: record vanished");
		*out = from_record(brec);
		cJSON_Delete(brec);
	} else {
		const struct kv *hit = find_kv(src->cases, src->ncases, key);

		if (!hit)
			return 0;
		if ((*out = cJSON_CreateObject()) &&
		    !cJSON_AddStringToObject(*out, "status", hit->v ? "pass" : "fail")) {
			cJSON_Delete(*out);
			*out = NULL;
		}
	}
	return *out ? 1 : pops_error_oom();
}

/* copy `in` to `out`, each record with its "baseline" where the baseline has the case */
static int annotate(FILE *in, FILE *out, struct bsource *src)
{
	pops_buf line = POPS_BUF_INIT;
	cJSON *rec = NULL, *b;
	char *key;
	int got, error = 0;

	rewind(in);
	while (!error && (got = pops_report_spool_next(in, &rec, &line)) == 1) {
		if (!(key = rec_key(rec, &line))) {
			error = pops_error_oom();
			break;
		}
		error = lookup(src, key, &b);
		free(key);
		/* one from an earlier comparison is not this baseline's */
		cJSON_DeleteItemFromObjectCaseSensitive(rec, "baseline");
		if (error == 1) {
			error = 0;
			if (!cJSON_AddItemToObject(rec, "baseline", b)) {
				cJSON_Delete(b);
				error = pops_error_oom();
			}
		}
		if (error < 0)
			break;
		error = pops_report_spool_write(out, rec);
	}
	if (!error && got < 0)
		error = got;
	if (!error && fflush(out) != 0)
		error = pops_error_os("result spool");
	cJSON_Delete(rec);
	pops_buf_dispose(&line);
	return error;
}

int pops_eval_baseline_cases(FILE **spool, FILE *baseline_spool, const cJSON *baseline_cases)
{
	struct bsource src;
	pops_buf init = POPS_BUF_INIT;
	FILE *out = NULL;
	int error = 0;

	memset(&src, 0, sizeof(src));
	src.line = init;
	if (!*spool || (!baseline_spool && !cJSON_IsObject(baseline_cases)))
		return 0;
	if ((src.spool = baseline_spool))
		error = bindex_build(&src.ix, baseline_spool, &src.line);
	else if (!(src.cases = sorted(baseline_cases, &src.ncases)))
		error = pops_error_oom();
	if (!error && !(out = tmpfile()))
		error = pops_error_os("temporary result spool");
	if (!error)
		error = annotate(*spool, out, &src);
	if (!error) {
		fclose(*spool);
		*spool = out;
		out = NULL;
	} else {
		/* the records stay as they were, without the baseline's */
		fseek(*spool, 0, SEEK_END);
	}
	if (out)
		fclose(out);
	bindex_dispose(&src.ix);
	free(src.cases);
	pops_buf_dispose(&src.line);
	return error;
}
