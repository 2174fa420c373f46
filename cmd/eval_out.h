#ifndef POPS_CMD_EVAL_OUT_H
#define POPS_CMD_EVAL_OUT_H
/*
 * Shared by cmd/eval.c (run), cmd/eval_merge.c and cmd/judge.c: terminal
 * output of eval results, baselines and the exit-code decision.
 */
#include <cjson/cJSON.h>
#include "cmd.h"
#include "eval_run.h"
#include "report.h"
#include "repo.h"

/* progress bar on stderr (TTY only): state kept between calls */
typedef struct eval_bar {
	int enabled;
	double started, last;
	const char *label;
	int drawn;          /* a line is on screen: clear it before printing */
} eval_bar;

/*
 * Whether to draw the bar: stderr is a terminal, TERM is not "dumb" and
 * CI is unset (or "false"/"0"). NO_COLOR does not matter: no colour.
 */
int eval_bar_wanted(const pops_ctx *ctx);

void eval_bar_update(void *payload, const pops_eval_progress *p);
void eval_bar_clear(eval_bar *bar);

/*
 * --dry-run (cmd/eval_plan.c). eval_print_plan: the plan's lines on
 * stdout (requests, the cache's share, judge calls, the baseline, cost).
 * eval_print_plan_total: one "total:" line for all plans.
 */
void eval_print_plan(const pops_eval_run_plan *plan);
void eval_print_plan_total(const pops_eval_plan_total *t);

/*
 * The per-group block of the summary, on stdout: counts, rates, cost,
 * then the first failing cases, each with its first three failed
 * assertions ("+N more"), and with `verbose` an excerpt of the output.
 */
void eval_print_group(const pops_ctx *ctx, const cJSON *summary, FILE *spool, int verbose);

/* side-by-side table when several models ran the same suite */
void eval_print_compare(const pops_report_group *g, const cJSON *const *evidence, size_t n);

/*
 * The exit code for finished groups: 130 interrupted, 4 provider errors
 * over max_error_rate, 1 threshold/regression/incomplete, 0 otherwise.
 * Prints the one-line result with the reason.
 */
int eval_decide(const pops_ctx *ctx, const pops_report_group *g, size_t n,
                int interrupted, int over_budget);


/*
 * Record the groups' evidence as a note on HEAD, complete or partial by
 * kind; interrupted groups are left out. An errored run that would
 * replace a pass or fail is left out with a "pops:" line.
 */
int eval_store_evidence(pops_ctx *ctx, pops_eval_group *const *runs, size_t n);

/*
 * pops eval merge: `parts` is an array of {"file","shard","commit",
 * "complete","evidence"} taken from the merged reports. When they are a
 * complete and consistent shard set (every part a shard i/n of the same
 * n, each i once, the same commit, the same fingerprints, all complete),
 * record on that commit the evidence one unsharded run would have
 * recorded: each result with the merged counts (from the summaries in
 * `g`) and every shard's case results. Otherwise record nothing and say
 * why on stderr (reports that are not shards are silent: their runs
 * recorded their own). Returns 0, or an error when writing the note
 * failed.
 */
int eval_merge_store(const cJSON *parts, const pops_report_group *g, size_t ng);
#endif
