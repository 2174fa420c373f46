#ifndef POPS_TREND_H
#define POPS_TREND_H

/*
 * Drift over time (pops-eval(1) TREND): the eval evidence under
 * refs/notes/pops (lib/evidence.h) as a series per suite and prompt,
 * bucketed into calendar windows by each result's "date", with the pass
 * rate, its Wilson interval and, where results carry them, the judge
 * score ("judge_score", case-weighted mean), latency p95
 * ("latency_p95_ms": the highest of the window) and cost per case
 * ("cost_usd" summed over "cases" summed).
 *
 * Which results count: complete ones and kind "production" (recorded
 * from served outputs); partial runs are subsets and never count.
 *
 * Each window is tested, two-sided Fisher exact (lib/stats.h), against
 *   - the previous window of its series, and
 *   - the release baseline: the pre-release evidence the gate used. With
 *     an environment that is the result whose fingerprint the release
 *     entry names (Pops-Evidence); without, the newest non-production
 *     result dated before the series' first production result (no
 *     production results: no release baseline). Only windows after the
 *     baseline's own are tested against it.
 * The tests on windows that start at the same time (across suites, both
 * comparisons) form one family, Holm-corrected. A window is flagged when
 * an adjusted p-value is below alpha and its pass rate is below the one
 * it was compared with.
 */

#include <stddef.h>
#include <git2.h>
#include <cjson/cJSON.h>
#include "buf.h"

typedef struct pops_trend_opts {
	const char *target;   /* suite path or prompt name, or NULL = every one */
	const char *env;      /* only evidence of what is released there, or NULL */
	long long since;      /* epoch seconds: results dated before are left out */
	long window_days;     /* 1 (day), 7 (week, from Monday) or N days */
	double alpha;         /* 0.05 */
} pops_trend_opts;

#define POPS_TREND_OPTS_INIT { NULL, NULL, 0, 1, 0.05 }

/* which comparisons flagged a window */
enum {
	POPS_TREND_FLAG_PREVIOUS = 1 << 0,
	POPS_TREND_FLAG_RELEASE = 1 << 1
};

typedef struct pops_trend_window {
	long long start, end;         /* epoch seconds, [start, end) */
	size_t results;               /* evidence results in the window */
	size_t cases, passed, failed, errors;
	int production;               /* 1 when a result is of kind production */
	double pass_rate;             /* passed / (passed + failed); 0 when none */
	double ci_low, ci_high;       /* Wilson 95% */
	double judge_score;           /* -1 when no result has one */
	double latency_p95_ms;        /* -1 when unknown */
	double cost_per_case;         /* -1 when unknown */
	double p_previous, p_release; /* Holm-adjusted; -1 when not tested */
	unsigned flags;               /* POPS_TREND_FLAG_* */
} pops_trend_window;

typedef struct pops_trend_series {
	char *suite, *prompt;
	pops_trend_window *w;         /* by start, windows without evidence left out */
	size_t n;
	int has_baseline;
	size_t base_passed, base_failed;
	long long base_date;
	char *base_fingerprint;
} pops_trend_series;

typedef struct pops_trend {
	pops_trend_series *s;         /* sorted by suite, then prompt */
	size_t n;
	size_t flagged;               /* windows flagged, over all series */
	long window_days;
	double alpha;
} pops_trend;

/*
 * Build the trend of `repo`'s evidence as `o` asks into `out` (zero it
 * first; pops_trend_dispose it whatever the result). Returns 0 (possibly
 * no series); POPS_ENOTFOUND when `o->target` matches no evidence, or
 * `o->env` has nothing released (the message names it); POPS_ERROR
 * (git, a corrupt ledger, memory). Reads only.
 */
int pops_trend_build(pops_trend *out, git_repository *repo, const pops_trend_opts *o);

void pops_trend_dispose(pops_trend *t);

/*
 * --window: "day" -> 1, "week" -> 7, or a whole number of days 1..366.
 * 0, or POPS_EINVALID with a message naming the value.
 */
int pops_trend_parse_window(long *days_out, const char *s);

/*
 * --since: "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SSZ", as
 * epoch seconds. 0, or POPS_EINVALID with a message naming the value.
 */
int pops_trend_parse_date(long long *out, const char *s);

/*
 * The trend as JSON (pops-eval(1) TREND describes the shape):
 * {"schema_version":1,"window_days","alpha","flagged",
 *  "series":[{"suite","prompt","baseline":null|{...},"windows":[...]}]}.
 * NULL on out of memory.
 */
cJSON *pops_trend_to_json(const pops_trend *t);

/*
 * The sparkline of `s`'s pass rates, one character per window on an
 * absolute 0..100% scale: the eight block elements U+2581..U+2588 when
 * `utf8`, else the ASCII ramp "_.-:=+*#"; a flagged window is followed
 * by nothing special here (the caller marks it). 0 or POPS_ERROR.
 */
int pops_trend_sparkline(pops_buf *out, const pops_trend_series *s, int utf8);

#endif
