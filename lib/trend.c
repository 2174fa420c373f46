/*
 * pops eval trend: evidence results -> per-suite series of windows, with
 * Fisher tests against the previous window and the release baseline,
 * Holm-corrected per window start (lib/trend.h).
 */
#include "common.h"
#include <math.h>
#include "trend.h"
#include "evidence.h"
#include "release.h"
#include "rollout.h"
#include "stats.h"
#include "jsonget.h"

/* one evidence result, as far as the trend needs it */
typedef struct item {
	char *suite, *prompt, *fingerprint;
	long long date;
	int production;
	int in_range;          /* passes --since (else only a baseline candidate) */
	size_t cases, passed, failed, errors;
	double cost, p95, judge;  /* -1 when absent */
} item;

typedef struct collect {
	const pops_trend_opts *o;
	const pops_release_list *rel;   /* with --env */
	item *v;
	size_t n, alloc;
	int error;
} collect;

static void item_dispose(item *it)
{
	free(it->suite);
	free(it->prompt);
	free(it->fingerprint);
}

static size_t count_of(const cJSON *r, const char *key)
{
	double v = pops_json_num(r, key, 0);

	return v > 0 && v < 1e15 ? (size_t)v : 0;
}

static double opt_num(const cJSON *r, const char *key)
{
	double v = -1;

	if (!pops_json_num_get(&v, r, key) || v < 0 || !isfinite(v))
		return -1;
	return v;
}

/* 1 when `r` is evidence for an entry of the release list (same prompt and blob) */
static int released(const pops_release_list *rel, const cJSON *r)
{
	const char *prompt = pops_json_str(r, "prompt", ""), *blob = pops_json_str(r, "prompt_blob", "");
	char hex[GIT_OID_HEXSZ + 1];
	size_t i;

	for (i = 0; i < rel->n; i++) {
		const pops_release_entry *e = rel->v[i];

		if (strcmp(e->prompt, prompt))
			continue;
		if (!strcmp(git_oid_tostr(hex, sizeof(hex), &e->blob), blob))
			return 1;
		if (e->canary && !strcmp(git_oid_tostr(hex, sizeof(hex), &e->canary->blob), blob))
			return 1;
	}
	return 0;
}

static int collect_one(void *payload, const git_oid *commit, const cJSON *r)
{
	collect *c = payload;
	const char *kind = pops_evidence_kind(r), *suite = pops_json_str(r, "suite", NULL);
	const char *prompt = pops_json_str(r, "prompt", NULL);
	long long date;
	item it;

	(void)commit;
	if (!strcmp(kind, "partial") || !suite || !prompt ||
	    pops_rollout_parse_time(&date, pops_json_str(r, "date", "")) < 0)
		return 0;
	if (c->o->target && strcmp(c->o->target, suite) && strcmp(c->o->target, prompt))
		return 0;
	if (c->rel && !released(c->rel, r))
		return 0;
	if (c->n == c->alloc) {
		size_t na = c->alloc ? 2 * c->alloc : 64;
		item *nv = realloc(c->v, na * sizeof(*nv));

		if (!nv)
			return c->error = pops_error_oom();
		c->v = nv;
		c->alloc = na;
	}
	memset(&it, 0, sizeof(it));
	it.suite = strdup(suite);
	it.prompt = strdup(prompt);
	it.fingerprint = strdup(pops_json_str(r, "fingerprint", ""));
	if (!it.suite || !it.prompt || !it.fingerprint) {
		item_dispose(&it);
		return c->error = pops_error_oom();
	}
	it.date = date;
	it.production = !strcmp(kind, "production");
	it.in_range = date >= c->o->since;
	it.passed = count_of(r, "passed");
	it.failed = count_of(r, "failed");
	it.errors = count_of(r, "errors");
	it.cases = count_of(r, "cases");
	it.cost = opt_num(r, "cost_usd");
	it.p95 = opt_num(r, "latency_p95_ms");
	it.judge = opt_num(r, "judge_score");
	c->v[c->n++] = it;
	return 0;
}

static int item_cmp(const void *pa, const void *pb)
{
	const item *a = pa, *b = pb;
	int d = strcmp(a->suite, b->suite);

	if (!d)
		d = strcmp(a->prompt, b->prompt);
	if (!d)
		d = (a->date > b->date) - (a->date < b->date);
	return d;
}

/* the start of the window holding `t`: weeks from Monday (1970-01-01 was a Thursday) */
static long long window_start(long long t, long days)
{
	long long day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	long long off = days == 7 ? 3 : 0, k = day + off, idx;

	idx = k >= 0 ? k / days : -((-k + days - 1) / days);
	return (idx * days - off) * 86400;
}

static int release_fingerprint(const pops_release_list *rel, const item *it)
{
	size_t i;

	for (i = 0; i < rel->n; i++) {
		const pops_release_entry *e = rel->v[i];

		if (!strcmp(e->prompt, it->prompt) &&
		    ((e->evidence && !strcmp(e->evidence, it->fingerprint)) ||
		     (e->canary && e->canary->evidence &&
		      !strcmp(e->canary->evidence, it->fingerprint))))
			return 1;
	}
	return 0;
}

/* v[0..n): one series' items by date. The baseline item, or NULL. */
static const item *baseline_of(const item *v, size_t n, const pops_release_list *rel)
{
	const item *best = NULL;
	long long first_prod = LLONG_MAX;
	size_t i;

	for (i = 0; i < n; i++) {
		if (rel) {
			if (!v[i].production && release_fingerprint(rel, &v[i]))
				best = &v[i];
		} else if (v[i].production && v[i].date < first_prod) {
			first_prod = v[i].date;
		}
	}
	if (rel)
		return best;
	for (i = 0; i < n; i++)
		if (!v[i].production && v[i].date < first_prod)
			best = &v[i];
	return first_prod == LLONG_MAX ? NULL : best;
}

static void window_add(pops_trend_window *w, const item *it, double *judge_sum,
                       double *judge_n, double *cost_sum, size_t *cost_cases)
{
	w->results++;
	w->cases += it->cases;
	w->passed += it->passed;
	w->failed += it->failed;
	w->errors += it->errors;
	w->production |= it->production;
	if (it->judge >= 0) {
		*judge_sum += it->judge * (double)it->cases;
		*judge_n += (double)it->cases;
	}
	if (it->cost >= 0) {
		*cost_sum += it->cost;
		*cost_cases += it->cases;
	}
	if (it->p95 > w->latency_p95_ms)
		w->latency_p95_ms = it->p95;
}

static void window_finish(pops_trend_window *w, double judge_sum, double judge_n,
                          double cost_sum, size_t cost_cases)
{
	size_t n = w->passed + w->failed;

	w->pass_rate = n ? (double)w->passed / (double)n : 0.0;
	pops_stats_wilson(&w->ci_low, &w->ci_high, w->passed, n);
	w->judge_score = judge_n > 0 ? judge_sum / judge_n : -1;
	w->cost_per_case = cost_cases ? cost_sum / (double)cost_cases : -1;
}

/* bucket the in-range items v[0..n) of one series into s->w */
static int series_windows(pops_trend_series *s, const item *v, size_t n, long days)
{
	double js = 0, jn = 0, cs = 0;
	size_t cc = 0, i;
	pops_trend_window *w = NULL;

	for (i = 0; i < n; i++) {
		long long start;

		if (!v[i].in_range)
			continue;
		start = window_start(v[i].date, days);
		if (!w || w->start != start) {
			if (w)
				window_finish(w, js, jn, cs, cc);
			js = jn = cs = 0;
			cc = 0;
			w = &s->w[s->n++];
			memset(w, 0, sizeof(*w));
			w->start = start;
			w->end = start + (long long)days * 86400;
			w->latency_p95_ms = -1;
			w->p_previous = w->p_release = -1;
		}
		window_add(w, &v[i], &js, &jn, &cs, &cc);
	}
	if (w)
		window_finish(w, js, jn, cs, cc);
	return 0;
}

static int series_make(pops_trend_series *s, const item *v, size_t n,
                       const pops_trend_opts *o, const pops_release_list *rel)
{
	const item *b = baseline_of(v, n, rel);

	memset(s, 0, sizeof(*s));
	s->suite = strdup(v[0].suite);
	s->prompt = strdup(v[0].prompt);
	s->w = calloc(n, sizeof(*s->w));
	if (!s->suite || !s->prompt || !s->w)
		return pops_error_oom();
	if (b) {
		s->has_baseline = 1;
		s->base_passed = b->passed;
		s->base_failed = b->failed;
		s->base_date = b->date;
		if (!(s->base_fingerprint = strdup(b->fingerprint)))
			return pops_error_oom();
	}
	return series_windows(s, v, n, o->window_days);
}

/* one Fisher test of the family of its window start */
typedef struct test {
	pops_trend_window *w;
	int which;          /* POPS_TREND_FLAG_* */
	double p, other_rate;
} test;

static int test_cmp(const void *pa, const void *pb)
{
	const test *a = pa, *b = pb;

	return (a->w->start > b->w->start) - (a->w->start < b->w->start);
}

static size_t plan_tests(test *t, pops_trend *tr)
{
	size_t i, j, k = 0;

	for (i = 0; i < tr->n; i++) {
		pops_trend_series *s = &tr->s[i];

		for (j = 0; j < s->n; j++) {
			pops_trend_window *w = &s->w[j];

			if (j > 0 && w->passed + w->failed && s->w[j - 1].passed + s->w[j - 1].failed) {
				t[k].w = w;
				t[k].which = POPS_TREND_FLAG_PREVIOUS;
				t[k].p = pops_stats_fisher_exact(w->passed, w->failed, s->w[j - 1].passed,
				                                 s->w[j - 1].failed);
				t[k++].other_rate = s->w[j - 1].pass_rate;
			}
			if (s->has_baseline && w->start > s->base_date && w->passed + w->failed &&
			    s->base_passed + s->base_failed) {
				t[k].w = w;
				t[k].which = POPS_TREND_FLAG_RELEASE;
				t[k].p = pops_stats_fisher_exact(w->passed, w->failed, s->base_passed,
				                                 s->base_failed);
				t[k++].other_rate = (double)s->base_passed /
				                    (double)(s->base_passed + s->base_failed);
			}
		}
	}
	return k;
}

/* run every test, Holm-correct per window start, set p-values and flags */
static int run_tests(pops_trend *tr)
{
	size_t total = 0, i, k, g;
	test *t;
	double *raw, *adj;

	for (i = 0; i < tr->n; i++)
		total += 2 * tr->s[i].n;
	if (!total)
		return 0;
	t = calloc(total, sizeof(*t));
	raw = calloc(total, sizeof(*raw));
	adj = calloc(total, sizeof(*adj));
	if (!t || !raw || !adj) {
		free(t);
		free(raw);
		free(adj);
		return pops_error_oom();
	}
	if ((k = plan_tests(t, tr)))
		qsort(t, k, sizeof(*t), test_cmp);
	for (g = 0; g < k;) {
		size_t e = g, m;

		while (e < k && t[e].w->start == t[g].w->start)
			e++;
		for (m = g; m < e; m++)
			raw[m - g] = t[m].p;
		pops_stats_holm(adj, raw, e - g);
		for (m = g; m < e; m++) {
			pops_trend_window *w = t[m].w;
			double a = adj[m - g];

			if (t[m].which == POPS_TREND_FLAG_PREVIOUS)
				w->p_previous = a;
			else
				w->p_release = a;
			if (a < tr->alpha && w->pass_rate < t[m].other_rate) {
				if (!w->flags)
					tr->flagged++;
				w->flags |= (unsigned)t[m].which;
			}
		}
		g = e;
	}
	free(t);
	free(raw);
	free(adj);
	return 0;
}

static int group_series(pops_trend *out, collect *c)
{
	size_t i, j, nseries = 0;
	int error;

	if (!c->n)
		return 0;
	qsort(c->v, c->n, sizeof(*c->v), item_cmp);
	for (i = 0; i < c->n; i++)
		if (!i || strcmp(c->v[i].suite, c->v[i - 1].suite) ||
		    strcmp(c->v[i].prompt, c->v[i - 1].prompt))
			nseries++;
	if (nseries && !(out->s = calloc(nseries, sizeof(*out->s))))
		return pops_error_oom();
	for (i = 0; i < c->n; i = j) {
		for (j = i + 1; j < c->n && !strcmp(c->v[i].suite, c->v[j].suite) &&
		                !strcmp(c->v[i].prompt, c->v[j].prompt); j++)
			;
		if ((error = series_make(&out->s[out->n++], c->v + i, j - i, c->o, c->rel)) < 0)
			return error;
		if (!out->s[out->n - 1].n) {
			/* only baseline candidates before --since: no series to show */
			pops_trend_series *s = &out->s[--out->n];

			free(s->suite);
			free(s->prompt);
			free(s->w);
			free(s->base_fingerprint);
		}
	}
	return 0;
}

int pops_trend_build(pops_trend *out, git_repository *repo, const pops_trend_opts *o)
{
	pops_release_list rel;
	collect c;
	size_t i;
	int error;

	memset(&rel, 0, sizeof(rel));
	memset(&c, 0, sizeof(c));
	c.o = o;
	out->window_days = o->window_days;
	out->alpha = o->alpha;
	if (o->env) {
		if ((error = pops_release_list_entries(&rel, repo, NULL, o->env)) < 0)
			goto done;
		if (!rel.n) {
			error = pops_error_set(POPS_ENOTFOUND, "nothing is released to %s: "
			                       "--env shows the evidence of what an environment serves",
			                       o->env);
			goto done;
		}
		c.rel = &rel;
	}
	if ((error = pops_evidence_foreach(repo, collect_one, &c)) < 0 || (error = c.error) < 0)
		goto done;
	if (o->target && !c.n) {
		error = pops_error_set(POPS_ENOTFOUND, "no eval evidence for suite or prompt '%s'%s%s",
		                       o->target, o->env ? " released to " : "", o->env ? o->env : "");
		goto done;
	}
	if ((error = group_series(out, &c)) < 0)
		goto done;
	error = run_tests(out);
done:
	for (i = 0; i < c.n; i++)
		item_dispose(&c.v[i]);
	free(c.v);
	pops_release_list_dispose(&rel);
	return error;
}

void pops_trend_dispose(pops_trend *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++) {
		free(t->s[i].suite);
		free(t->s[i].prompt);
		free(t->s[i].w);
		free(t->s[i].base_fingerprint);
	}
	free(t->s);
	memset(t, 0, sizeof(*t));
}

int pops_trend_parse_window(long *days_out, const char *s)
{
	char *end;
	long v;

	if (!strcmp(s, "day")) {
		*days_out = 1;
		return 0;
	}
	if (!strcmp(s, "week")) {
		*days_out = 7;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < 1 || v > 366 || !isdigit((unsigned char)*s))
		return pops_error_set(POPS_EINVALID, "--window '%s': expected day, week or a "
		                      "number of days (1 to 366)", s);
	*days_out = v;
	return 0;
}

int pops_trend_parse_date(long long *out, const char *s)
{
	char full[32];

	if (strlen(s) == 10 && snprintf(full, sizeof(full), "%sT00:00:00Z", s) == 20 &&
	    pops_rollout_parse_time(out, full) == 0)
		return 0;
	if (pops_rollout_parse_time(out, s) == 0)
		return 0;
	return pops_error_set(POPS_EINVALID, "--since '%s': expected a UTC date, YYYY-MM-DD "
	                      "or YYYY-MM-DDTHH:MM:SSZ", s);
}

static cJSON *num_or_null(double v)
{
	return v < 0 ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

static cJSON *window_json(const pops_trend_window *w)
{
	cJSON *o = cJSON_CreateObject(), *flags;
	char date[21];

	if (!o)
		return NULL;
	pops_rollout_format_time(date, w->start);
	cJSON_AddStringToObject(o, "start", date);
	pops_rollout_format_time(date, w->end);
	cJSON_AddStringToObject(o, "end", date);
	cJSON_AddNumberToObject(o, "results", (double)w->results);
	cJSON_AddBoolToObject(o, "production", w->production);
	cJSON_AddNumberToObject(o, "cases", (double)w->cases);
	cJSON_AddNumberToObject(o, "passed", (double)w->passed);
	cJSON_AddNumberToObject(o, "failed", (double)w->failed);
	cJSON_AddNumberToObject(o, "errors", (double)w->errors);
	cJSON_AddNumberToObject(o, "pass_rate", w->pass_rate);
	cJSON_AddNumberToObject(o, "ci_low", w->ci_low);
	cJSON_AddNumberToObject(o, "ci_high", w->ci_high);
	cJSON_AddItemToObject(o, "judge_score", num_or_null(w->judge_score));
	cJSON_AddItemToObject(o, "latency_p95_ms", num_or_null(w->latency_p95_ms));
	cJSON_AddItemToObject(o, "cost_per_case", num_or_null(w->cost_per_case));
	cJSON_AddItemToObject(o, "p_previous", num_or_null(w->p_previous));
	cJSON_AddItemToObject(o, "p_release", num_or_null(w->p_release));
	cJSON_AddBoolToObject(o, "flagged", w->flags != 0);
	flags = cJSON_AddArrayToObject(o, "flags");
	if (flags && (w->flags & POPS_TREND_FLAG_PREVIOUS))
		cJSON_AddItemToArray(flags, cJSON_CreateString("previous"));
	if (flags && (w->flags & POPS_TREND_FLAG_RELEASE))
		cJSON_AddItemToArray(flags, cJSON_CreateString("release"));
	return o;
}

static cJSON *series_json(const pops_trend_series *s)
{
	cJSON *o = cJSON_CreateObject(), *ws, *b;
	char date[21];
	size_t i, n = s->base_passed + s->base_failed;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "suite", s->suite);
	cJSON_AddStringToObject(o, "prompt", s->prompt);
	if (s->has_baseline && (b = cJSON_AddObjectToObject(o, "baseline"))) {
		pops_rollout_format_time(date, s->base_date);
		cJSON_AddStringToObject(b, "fingerprint", s->base_fingerprint);
		cJSON_AddStringToObject(b, "date", date);
		cJSON_AddNumberToObject(b, "passed", (double)s->base_passed);
		cJSON_AddNumberToObject(b, "failed", (double)s->base_failed);
		cJSON_AddNumberToObject(b, "pass_rate", n ? (double)s->base_passed / (double)n : 0);
	} else {
		cJSON_AddNullToObject(o, "baseline");
	}
	if ((ws = cJSON_AddArrayToObject(o, "windows")))
		for (i = 0; i < s->n; i++)
			cJSON_AddItemToArray(ws, window_json(&s->w[i]));
	return o;
}

cJSON *pops_trend_to_json(const pops_trend *t)
{
	cJSON *o = cJSON_CreateObject(), *ss;
	size_t i;

	if (!o)
		return NULL;
	cJSON_AddNumberToObject(o, "schema_version", 1);
	cJSON_AddNumberToObject(o, "window_days", (double)t->window_days);
	cJSON_AddNumberToObject(o, "alpha", t->alpha);
	cJSON_AddNumberToObject(o, "flagged", (double)t->flagged);
	if ((ss = cJSON_AddArrayToObject(o, "series")))
		for (i = 0; i < t->n; i++)
			cJSON_AddItemToArray(ss, series_json(&t->s[i]));
	if (!ss) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int pops_trend_sparkline(pops_buf *out, const pops_trend_series *s, int utf8)
{
	static const char *const blocks[] = { "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
		"\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88" };
	static const char ascii[] = "_.-:=+*#";
	size_t i;

	for (i = 0; i < s->n; i++) {
		long lvl = lround(s->w[i].pass_rate * 7.0);

		if (lvl < 0)
			lvl = 0;
		if (lvl > 7)
			lvl = 7;
		if (utf8 ? pops_buf_puts(out, blocks[lvl]) : pops_buf_putc(out, ascii[lvl]))
			return pops_error_oom();
	}
	return 0;
}
