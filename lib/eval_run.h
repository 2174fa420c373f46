#ifndef POPS_EVAL_RUN_H
#define POPS_EVAL_RUN_H
#include <signal.h>
#include <stdio.h>
#include <cjson/cJSON.h>
#include "config.h"
#include "fingerprint.h"
#include "provider.h"
#include "repo.h"
#include "suite.h"
/*
 * The eval runner: one suite on one model ("a group"). Cases stream from
 * the dataset through the provider batch engine (at most -j requests in
 * flight), are scored as they complete and written to a spool file of
 * case records (lib/report.h), so memory stays flat whatever the number
 * of cases. Judge assertions run in a second streamed pass over the
 * spool, through the same engine.
 *
 * Provider errors are errors: never passes, never failures. The pass
 * rate is passed / (passed + failed), with a Wilson 95% interval.
 */
typedef int (*pops_eval_engine)(const pops_provider_options *opts,
                                pops_provider_next_fn next,
                                pops_provider_done_fn done, void *payload);

typedef struct pops_eval_progress {
	size_t total, done, passed, failed, errors;
	double cost_usd;
	int unpriced;
} pops_eval_progress;

typedef struct pops_eval_options {
	const pops_config *config;   /* models, providers, pricing; required */
	pops_repo *repo;             /* resolves prompt addresses; may be NULL */
	const char *root;            /* project root: dataset paths are relative to it */
	const char *model;           /* alias overriding the suite's; NULL = suite's */
	int release_model;           /* a name:env prompt runs on its released model even
	                                over `model` (a --baseline env's own run) */
	const char *prompt;          /* address overriding the suite's; NULL = suite's */
	const char *env;             /* --env: the suite's prompt as this env serves it
	                                (ENV, ENV~canary, ENV~stable), on its released model */
	const char *dataset;         /* overriding the suite's; NULL = suite's */
	long repeat;                 /* 0 = suite's */
	double threshold;            /* < 0 = suite's */
	const char *filter;          /* PCRE2 on case ids; NULL = all */
	unsigned shard, nshards;     /* run shard `shard` (1-based) of `nshards`; 0 = all */
	size_t sample;               /* --sample: this many cases (lib/eval_sample.h); 0 = all */
	long seed;                   /* --seed of the sample */
	const char *stratify;        /* --stratify: the row field whose proportions it keeps */
	double max_cost;             /* USD; < 0 = no budget */
	const char *baseline;        /* env or rev whose outputs 'pairwise' compares with; NULL = none */
	int skip_pairwise;           /* the baseline's own run: 'pairwise' assertions left out */
	pops_provider_options popts; /* concurrency, cache, cassette, cancel, ... */
	int no_cache_judge;          /* judges ignore cached verdicts (and refresh them) */
	pops_eval_engine engine;     /* pops_provider_run, or a fake in tests */
	void (*progress)(void *payload, const pops_eval_progress *p);
	void *progress_payload;
	/* --batch (lib/batch.h): requests through the providers' Batch APIs */
	int batch;
	const char *batch_state;     /* the state file (lib/batch_state.h) */
	long batch_poll_ms, batch_poll_max_ms; /* 0 = lib/batch.h's */
	unsigned batch_max_polls;    /* 0 = until the batch ends */
	size_t batch_max_requests;   /* 0 = the provider's limit */
	void (*batch_note)(void *payload, const char *line);  /* progress lines */
	void *batch_note_payload;
} pops_eval_options;

typedef struct pops_eval_group {
	cJSON *summary;      /* lib/report.h summary, plus "complete" and "stopped" */
	FILE *spool;         /* final case records */
	cJSON *evidence;     /* the evidence record (pops-suite(5) EVIDENCE), with case_results */
	int complete;        /* 0: interrupted or stopped by the budget */
	int interrupted;     /* the cancel flag stopped it */
	int over_budget;     /* --max-cost stopped it */
	int no_baseline;     /* --baseline has no release (or revision) of this prompt */
	double spent;        /* what counts against --max-cost: paid by this run, its judges
	                        and its pairwise baseline (estimated where replies had no usage) */
	struct pops_eval_group *baseline; /* the baseline run 'pairwise' compared with, or NULL */
	cJSON *reused;       /* --affected: the stored evidence that answered it instead of a
	                        run (lib/eval_affected.h; evidence NULL, nothing to record) */
} pops_eval_group;

/*
 * Run suite `s`. Validation problems that can be found before any
 * request (unknown model alias, missing dataset, bad dataset row or row
 * assertion, a row lacking a variable the prompt reads, self-judging,
 * 'pairwise' without o->baseline, a bad --baseline, --max-cost on an
 * unpriced model, bad --filter, a provider that cannot be called: an
 * unset key variable, no cassette to replay) return
 * POPS_EINVALID/POPS_ENOTFOUND and send nothing.
 *
 * With 'pairwise' assertions, the prompt released in o->baseline (an
 * environment, else a git revision) first runs on the same cases, model
 * and repeats (the cache makes a repeated baseline free); its outputs are
 * what the pairwise judge compares with, and it is kept in g->baseline.
 * --max-cost covers both runs.
 * Otherwise returns 0 with *out set (also when interrupted or over
 * budget: see the flags), or POPS_ERROR (I/O). Side effects: network
 * calls through the engine (money spent), cache files.
 */
int pops_eval_run(pops_eval_group **out, const pops_suite *s,
                  const pops_eval_options *o);

/*
 * A --dry-run plan: what a run of one suite on one model would send and
 * cost. Counts are requests; estimates below 0 are unknown (an unpriced
 * model: null in JSON).
 */
typedef struct pops_eval_run_plan {
	char *suite, *prompt, *model, *model_id;
	size_t cases;
	long repeat;
	size_t requests;
	size_t cached;               /* of them, answered by the response cache */
	double judge_requests;
	double input_tokens_est, output_tokens_est;
	double cost_usd_est;         /* the model's requests the cache does not hold */
	double judge_cost_usd_est;
	struct pops_eval_run_plan *baseline; /* --baseline's own plan, or NULL */
	char *baseline_note;         /* a prompt new to the baseline, or NULL */
	int pairwise;                /* 'pairwise' assertions: the baseline always runs */
	double total_cost_usd_est;   /* model, judges and baseline */
	char *fingerprint;           /* the evidence fingerprint the run would record */
	cJSON *evidence;             /* its fields (lib/fingerprint.h) */
	/* a baseline's plan only */
	char *ref;                   /* the --baseline it is for */
	int from_evidence;           /* stored evidence of its fingerprint answers it: nothing runs */
} pops_eval_run_plan;

/*
 * --dry-run: validate as above, render every selected case and return
 * the plan (with --baseline, the baseline run's own plan in ->baseline,
 * or a ->baseline_note for a prompt new to the baseline). Token
 * estimates are characters / 4; output tokens are the config's
 * max_tokens or 256 per request; a judge request reads the prompt, its
 * instructions and the reply. Reads the cache; sends nothing. Free with
 * pops_eval_run_plan_free().
 */
int pops_eval_plan(pops_eval_run_plan **out, const pops_suite *s, const pops_eval_options *o);

void pops_eval_run_plan_free(pops_eval_run_plan *p);

/*
 * A plan as --dry-run --json writes it: {"suite","prompt","model",
 * "model_id","cases","repeat","requests","cached","judge_requests",
 * "input_tokens_est","output_tokens_est","cost_usd_est"|null,
 * "judge_cost_usd_est"|null,"baseline" (its own plan, plus "ref" and
 * "source": "run" or "evidence"),"baseline_note","pairwise",
 * "total_cost_usd_est"|null,"fingerprint","evidence"}. NULL when out of
 * memory.
 */
cJSON *pops_eval_run_plan_to_json(const pops_eval_run_plan *p);

/*
 * A --baseline that is not pairwise is answered by stored complete,
 * scored evidence of the baseline plan's exact fingerprint when `repo`
 * has it (as the run will be): then the baseline costs nothing and
 * p->total_cost_usd_est drops its share. Reads refs/notes/pops.
 */
void pops_eval_plan_use_evidence(pops_eval_run_plan *p, git_repository *repo);

/* all plans of a --dry-run together */
typedef struct pops_eval_plan_total {
	size_t runs;
	double requests, judge_requests, baseline_requests, cached;
	double cost_usd_est;         /* < 0: a model is unpriced */
} pops_eval_plan_total;

void pops_eval_plan_add(pops_eval_plan_total *t, const pops_eval_run_plan *p);

/* {"runs","requests","judge_requests","baseline_requests","cached","cost_usd_est"|null} */
cJSON *pops_eval_plan_total_to_json(const pops_eval_plan_total *t);

/*
 * The address of prompt `name` as --baseline `ref` has it: "name:env"
 * when `ref` is an environment of `cfg`, else "name#rev". The one place
 * a baseline address is made (the run, its plan and the comparison with
 * stored evidence). 0, or POPS_ERROR out of memory; `out` is cleared first.
 */
int pops_eval_baseline_address(pops_buf *out, const pops_config *cfg, const char *name,
                               const char *ref);

/*
 * Everything pops_eval_run checks before its first request, without
 * running: 0 or its error. Reads the dataset; sends nothing. With
 * several suites, checking all first means a bad second suite fails
 * before the first one has spent money.
 */
int pops_eval_check(const pops_suite *s, const pops_eval_options *o);

/*
 * The evidence fingerprint (lib/fingerprint.h) a run of `s` with `o`
 * would record, after the same validation pops_eval_run does before its
 * first request (the same errors); for a suite with 'pairwise'
 * assertions, without the baseline's blob, which only the run learns.
 * `out` is disposed first. Sends nothing.
 */
int pops_eval_fingerprint(pops_fingerprint *out, const pops_suite *s, const pops_eval_options *o);

/*
 * Is `ref` (--baseline) an environment of `cfg` or a git revision of
 * `repo` (may be NULL: environments only)? 0, or POPS_EINVALID with a
 * did-you-mean among the environments. Reads refs, sends nothing.
 */
int pops_eval_baseline_ref(const pops_config *cfg, pops_repo *repo, const char *ref);

/*
 * A group's summary as the command prints and decides on it: the
 * summary object (lib/report.h; what the reports write, and what eval
 * merge reads back from JSON reports) read once, each member checked.
 * Strings are borrowed from the summary ("" when absent); numbers are
 * 0 when absent or not numbers. Counts stay doubles: a merged report is
 * input, and a count too large for an integer must not be undefined.
 */
typedef struct pops_eval_summary {
	const char *suite, *prompt, *model, *model_id;
	double repeat, cases, passed, failed, errors;
	double cached, sent, unsent, rate_limited;
	double pass_rate, ci_low, ci_high, threshold;
	const char *verdict;         /* "pass", "fail", "error" */
	const char *reason;          /* why not a pass, or "" */
	int priced;                  /* "cost_usd" is a number (else: an unpriced model) */
	double cost_usd, cost_spent_usd, cost_saved_usd;
	double input_tokens, output_tokens, latency_p50, latency_p95, latency_p99, duration_s;
	int has_ttft;           /* streamed replies: time to first token, ms */
	double ttft_p50, ttft_p95, ttft_p99;
	int has_cached_share;   /* the provider reported prompt-cache reads */
	double cached_input_tokens, cached_input_share;
	int incomplete;              /* "complete": false */
	int has_pass_k;              /* --repeat: pass@k and pass^k */
	double pass_at_k, pass_hat_k;
	struct {
		int present;             /* compared with a --baseline (or a note why not) */
		const char *ref, *source, *verdict, *note;
		double paired, newly_failing, newly_passing, p_value, min_detectable_drop;
	} baseline;
} pops_eval_summary;

/* Read `summary` (NULL: all absent) into `out`, borrowing its strings. */
void pops_eval_summary_read(pops_eval_summary *out, const cJSON *summary);

/* what a group's verdict is made of: its runs by outcome, and the suite's limits */
typedef struct pops_eval_tally {
	size_t cases;                /* runs done */
	size_t passed, failed, errors;
	double threshold, max_error_rate;
	const char *down;            /* the provider outage that stopped sending, or NULL */
	size_t sent, unsent;         /* requests sent, runs left unsent by `down` */
} pops_eval_tally;

/*
 * The one builder of a summary's scores (a run's and eval merge's):
 * adds "cases","passed","failed","errors","pass_rate" (passed / scored),
 * "ci_low","ci_high" (Wilson 95%), with `limits` "threshold" and
 * "max_error_rate", then "verdict": "error" when an outage left runs
 * unsent or errors are over max_error_rate, "fail" when nothing was
 * scored or the pass rate is below the threshold, else "pass"; and
 * "reason" saying why when it is not a pass. 0 or POPS_ERROR (memory).
 */
int pops_eval_summary_scores(cJSON *s, const pops_eval_tally *t, int limits);

/*
 * The usage members of a summary: "input_tokens","output_tokens",
 * "latency_p50","latency_p95","latency_p99" (of `lat`, milliseconds of
 * the runs that were not errors; sorted in place) and "duration_s".
 */
int pops_eval_summary_usage(cJSON *s, double in_tok, double out_tok, double *lat,
                            size_t nlat, double duration_s);

/*
 * How a group's answers were got, for every report: when `summary` has
 * "mode": "batch", appends to `out` e.g. "batch (OpenAI Batch API, 2
 * batches, 41.0 s): cost at the batch price, no per-request latency"
 * and returns 1; otherwise appends nothing and returns 0.
 */
int pops_eval_summary_mode(pops_buf *out, const cJSON *summary);

void pops_eval_group_free(pops_eval_group *g);

/* shard membership of a case id (stable hash), 1-based shard */
int pops_eval_in_shard(const char *id, unsigned shard, unsigned nshards);
#endif
