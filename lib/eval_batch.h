#ifndef POPS_EVAL_BATCH_H
#define POPS_EVAL_BATCH_H

/*
 * `pops eval run` without its terminal: every suite on every model
 * (lib/eval_run.h runs one), one --max-cost budget over all of them, the
 * --baseline comparison after each complete run, and the --dry-run plans.
 * The command parses options, calls pops_eval_batch_run and prints what
 * the events and the result say.
 */

#include <git2.h>
#include "eval_run.h"
#include "report.h"

/* a suite file, read as a regular file and named relative to `root` when inside it */
int pops_eval_load_suite(pops_suite **out, const char *path, const char *root);

/* the suite's cassette, beside it: "x.yaml" -> "x.cassette.jsonl"; NULL out of memory */
char *pops_eval_cassette_path(const char *suite_file);

/*
 * Every *.yaml / *.yml in the evals directory of `cfg` (default
 * "evals"), sorted, as paths under cfg->root, in `*out` (`*n` of them;
 * free each and the array). Entries that are not regular files (a FIFO
 * would block the run on its first read) are left out and named, as
 * "<evals dir>/<name>" in directory order, in `*skipped` (`*nskipped`;
 * the caller frees them, also on error). Returns 0, POPS_ENOTFOUND when
 * the directory is missing or holds no suite, or POPS_ERROR.
 */
int pops_eval_default_suites(char ***out, size_t *n, char ***skipped, size_t *nskipped,
                             const pops_config *cfg);

/*
 * Record evidence `e` as a note on `head`, its "pops_version" set to
 * `version` (the pops that ran it). Returns pops_evidence_record's codes: POPS_EEXISTS (with the
 * reason as the last error) when an errored run would replace a scored one.
 */
int pops_eval_record_evidence(git_repository *repo, const git_oid *head, cJSON *e,
                              const char *version);

typedef enum pops_eval_event_kind {
	POPS_EVAL_STARTING,   /* a run of ev->suite starts */
	POPS_EVAL_RAN,        /* it returned (ev->group NULL when it failed) */
	POPS_EVAL_GROUP,      /* a group is finished, baseline compared: ev->group */
	POPS_EVAL_PLANNED,    /* --dry-run: ev->plan */
	POPS_EVAL_NOTE        /* something to tell the user: ev->note */
} pops_eval_event_kind;

typedef struct pops_eval_event {
	pops_eval_event_kind kind;
	const pops_suite *suite;
	const pops_eval_group *group;
	const pops_eval_run_plan *plan;
	const char *note;
} pops_eval_event;

typedef struct pops_eval_batch_options {
	pops_eval_options eo;        /* for every run (its model is set per run) */
	const char *const *suites;   /* suite files */
	size_t nsuites;
	const char *const *models;   /* aliases; none: each suite's own model */
	size_t nmodels;
	int dry_run;                 /* plan, send nothing */
	int store;                   /* record a --baseline run's own evidence on HEAD */
	const char *version;         /* ... stamped with this pops version */
	int affected;                /* --affected: a suite with complete evidence of its exact
	                                fingerprint is answered by it, not run */
	const struct pops_eval_changes *changes; /* --affected BASE: what changed (run those), or NULL */
	void (*on_event)(void *payload, const pops_eval_event *ev);
	void *payload;
} pops_eval_batch_options;

typedef struct pops_eval_batch {
	pops_eval_group **runs;      /* n finished groups, suite by suite, model by model */
	pops_report_group *groups;   /* their summaries and spools, for lib/report */
	const cJSON **evidence;      /* their evidence records */
	size_t n;
	pops_eval_run_plan **plans;  /* --dry-run: nplans plans, in the same order */
	size_t nplans;
	pops_eval_plan_total total;  /* --dry-run: all plans together */
	double budget;               /* --max-cost, < 0 none */
	double spent;                /* by all runs, judges and baselines included */
	int interrupted;             /* the cancel flag stopped a run, or the batch */
	int over_budget;             /* --max-cost stopped a run */
} pops_eval_batch;

#define POPS_EVAL_BATCH_INIT { NULL, NULL, NULL, 0, NULL, 0, { 0, 0, 0, 0, 0, 0 }, -1, 0, 0, 0 }

/*
 * Run (or with dry_run plan) every suite on every model into `b`
 * (POPS_EVAL_BATCH_INIT first). With several suites or models, what each
 * run checks before its first request is checked for all of them first,
 * so a bad second suite fails before the first one spends. eo.max_cost
 * is one budget for the whole batch: what a run (judges, baselines)
 * spent is gone for the next. With eo.baseline, each complete run is
 * compared with stored complete evidence of the baseline's exact
 * fingerprint, or with a fresh run of it (pops_eval_add_baseline);
 * a dry run's plans are marked when stored evidence would answer.
 * With `affected`, a suite (on a model) whose fingerprint has complete,
 * scored evidence is not run: a group with the evidence's summary
 * (pops_eval_affected_summary), an empty spool and g->reused is added
 * and a POPS_EVAL_NOTE says so, unless `changes` says its inputs changed
 * since BASE (a note says that too); a pairwise suite always runs.
 * Stops starting runs once eo.popts.cancel is set. Returns 0 (also when
 * interrupted or over budget: see the flags) or the first run's error;
 * `b` holds what finished either way: pops_eval_batch_dispose().
 */
int pops_eval_batch_run(pops_eval_batch *b, const pops_eval_batch_options *o);

void pops_eval_batch_dispose(pops_eval_batch *b);

/*
 * A shard run's JSON report members for eval merge (lib/eval_merge.h):
 * "commit" (HEAD of `repo`, the commit evaluated) and "evidence" (the
 * evidence record of each complete group, with this shard's counts and
 * case results), added to `extra`. Nothing is added without a commit
 * (`repo` NULL or an unborn HEAD). Nothing is stored. 0 or POPS_ERROR.
 */
int pops_eval_shard_evidence(cJSON *extra, git_repository *repo, const pops_eval_batch *b);

#endif
