#ifndef POPS_EVAL_RUN_INT_H
#define POPS_EVAL_RUN_INT_H
/*
 * Internals shared by eval_run.c (setup, streaming, scoring) and
 * eval_run_judge.c (the judge pass) and eval_run_summary.c (aggregates). Not a
 * public header.
 */
#include <stdint.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include "eval_prompt.h"
#include "eval_run.h"
#include "fingerprint.h"

struct rcase {
	pops_case c;
	pops_assert **ca;      /* the row's own assertions */
	size_t nca;
	cJSON *scope;          /* vars + expected, for templates */
	cJSON *messages;       /* rendered prompt */
	char *input_text;      /* the messages' text, for judges */
	size_t ordinal;        /* index among selected cases */
	int inline_row;        /* one of the suite's own tests: (file, line) is in the suite */
	int refs;
};

struct rreq {
	struct rcase *rc;
	unsigned repeat;
};

struct judge_prompt {
	char *path;            /* NULL = built-in */
	int pairwise;          /* built-in: the pairwise one */
	pops_eval_prompt *p;
	struct judge_prompt *next;
};

struct runner {
	const pops_suite *s;
	const pops_eval_options *o;
	pops_eval_prompt *prompt;
	const char *alias;           /* model alias (or provider/id) */
	const pops_provider_cfg *prov;
	char *model_id;
	cJSON *config;               /* merged request config */
	const cJSON *output_schema;
	cJSON *tools;                /* the prompt's tools, {"definitions","choice"?} as the
	                                closure has them (lib/closure.h), or NULL */
	char *dataset_path;          /* resolved, or NULL for inline tests */
	pops_dataset *ds;
	int ds_done;
	const cJSON *inline_row;
	pcre2_code *filter;
	pcre2_match_data *filter_md;
	long repeat;
	double threshold;
	int has_judges;              /* any judge assertion in suite or rows */
	int has_pairwise;            /* any pairwise one: the baseline runs first */
	int has_exec;                /* any exec assertion: an exec pass follows the requests */
	int has_similar;             /* any similar assertion: a similar pass follows the requests */
	size_t embed_requests;       /* embeddings requests the similar pass sent */
	int no_baseline;             /* --baseline has no such prompt (new): a note */
	struct judge_model {         /* the judges' providers, checked after the prepass */
		const pops_provider_cfg *prov;
		const char *alias;       /* borrowed from the suite or a row: copied */
	} *judges;
	size_t njudges;
	int skip_pairwise;           /* the baseline's own run, or no baseline: 'pairwise' left out */
	double max_cost;             /* budget left for this run; < 0 = none */
	pops_eval_group *bg;         /* the baseline run (pairwise) */
	struct bkey *bidx;           /* its records by "id#repeat", sorted */
	size_t nbidx;
	const char *dataset_name;    /* the dataset as named (suite's or --dataset), or NULL */
	size_t filtered_out;         /* rows --filter left out */
	struct pops_sample *sample;  /* --sample: the chosen cases (prepass), or NULL */
	pops_fingerprint fp;         /* what this run's evidence is about (setup) */
	/* phase 1 cursor */
	struct rcase *cur;
	unsigned next_repeat;
	size_t ordinal;
	size_t total_cases;          /* selected cases */
	/* spools */
	FILE *spool_s;               /* records waiting for their similar assertions */
	FILE *spool_x;               /* records waiting for their exec assertions */
	FILE *spool1;                /* records waiting for judges */
	FILE *spool;                 /* final records */
	/* phase 2 */
	struct jholder *jcur;
	size_t jnext;
	int jorder;                  /* pairwise: the second order of the entry is next */
	pops_buf line;
	struct judge_prompt *jprompts;
	/* stats */
	size_t inflight, produced;
	size_t done, passed, failed, errors;
	size_t priced_done;
	size_t estimated_done;       /* results without usage, costed from characters */
	double cost;
	int unpriced;
	long in_tok, out_tok;
	double *lat;
	size_t nlat, alat;
	double batch_wall_ms;        /* --batch: wall time of the Batch API passes (submit/resume
	                                to the last result), model and judges */
	cJSON *batch_ids;            /* --batch: ids of this run's batches (state file), or NULL */
	double *ttft;                /* streamed replies' time to first token */
	size_t nttft, attft;
	long cached_tok;             /* input tokens the provider's prompt cache served */
	uint16_t *runs_per_case, *pass_per_case;
	int interrupted, over_budget;
	size_t cached, sent, unsent; /* runs answered by the cache, sent, not sent (provider down) */
	size_t rate_limited;         /* 429 answers met, judges' included */
	double spent, saved;         /* priced cost paid now / answered by the cache (judges too) */
	double budget_spent;         /* what counts against --max-cost: paid now, priced or
	                                estimated from characters (no usage), judges too */
	double judge_spent;          /* of which the judges' */
	size_t judge_costed;         /* judge results in judge_spent */
	size_t jinflight;            /* judge requests in flight */
	double judge_fixed;          /* --max-cost: the judges' estimated cost per case, */
	double judge_per_reply;      /* plus this per token of the model's reply */
	size_t judge_requests;       /* judge requests per case */
	double judge_each;           /* one judge request's estimate, until judges have answered */
	size_t replies;              /* model results with token counts (for the reply length) */
	double reply_tokens;         /* their output tokens */
	char *down;                  /* why a provider was taken to be down, or NULL */
	double est_request;          /* --max-cost: estimated cost of one request */
	pops_buf tmp;
	struct pops_class_metrics *cls;  /* metrics.classification counts, or NULL */
	unsigned *jury;              /* per jury verdict: judges passing, failing (Fleiss' kappa) */
	size_t njury, ajury;
	size_t cls_unlabelled;       /* records whose expected label was empty */
	int production;              /* eval score: evidence of kind production, built there */
};

/* eval_run_score.c: what a provider result says about the run (cache, sends, 429s, down) */
void pops_eval__count(struct runner *r, const pops_provider_result *res, int judge);
/*
 * The estimated cost of one request to `model_id` with `messages` and
 * `config`: characters / 4 input tokens, max_tokens (else 256) output
 * tokens, at pops.yaml's price; -1 when the model has no price.
 */
double pops_eval__estimate(const pops_config *cfg, const char *model_id, const cJSON *messages,
                           const cJSON *config);
/*
 * One request of judge assertion `a` (pairwise: each of its two) for a
 * case with `messages` and a reply of about `reply` tokens, in USD; -1
 * when the judge has no price.
 */
double pops_eval__judge_estimate(const struct runner *r, const pops_assert *a,
                                 const cJSON *messages, double reply);
/*
 * --max-cost: would `n` more requests of about `each` pass the budget
 * left? Sets r->over_budget when they would. 0 or 1.
 */
int pops_eval__over_budget(struct runner *r, double each, size_t n);
/* score a finished record and append it to the final spool */
int pops_eval__finalize(struct runner *r, cJSON *rec);
/*
 * eval_run.c: the assertions `list` on output `in` into `arr`; judges and
 * exec assertions are added pending (counted in *pending, *xpending)
 */
int pops_eval__score_list(const struct runner *r, cJSON *arr, pops_assert **list, size_t n,
                          const pops_assert_input *in, int *pending, int *xpending,
                          int *spending);
/* one compact JSON line; 0, POPS_ERROR */
int pops_eval__write_record(FILE *f, const cJSON *rec);

/* eval_run.c */
void pops_eval__progress(struct runner *r);
/* load the next selected case into r->cur, rendered: 1, 0 at the end, or an error */
int pops_eval__advance(struct runner *r);
/* the text parts of messages, joined by newlines; NULL on out of memory */
char *pops_eval__messages_text(const cJSON *msgs);
/* free what the runner holds (not the runner itself) */
void pops_eval__dispose(struct runner *r);

/*
 * eval_run_setup.c: before the first request. setup() resolves the
 * prompt, model, provider, judges, filter and dataset and computes r->fp;
 * prepass() reads every row once (count, checks), then rewinds. Each is 0
 * or the error that stops the run with nothing sent.
 */
int pops_eval__setup(struct runner *r, const pops_suite *s, const pops_eval_options *o);
int pops_eval__prepass(struct runner *r);
/* the next row from the dataset, then the inline tests: 1, 0 at the end, or an error */
int pops_eval__source_next(struct runner *r, pops_case *c);
/* in --filter and this --shard */
int pops_eval__selected(struct runner *r, const pops_case *c);
/* the request's tool definitions and tool choice from r->tools (NULL when none) */
const cJSON *pops_eval__tool_defs(const struct runner *r);
const char *pops_eval__tool_choice(const struct runner *r);
/* r->fp for this run, with the pairwise baseline's blob (or NULL) */
int pops_eval__fingerprint(struct runner *r, const char *pairwise_baseline_blob);
int pops_eval__model(const pops_config *cfg, const char *alias,
                     const pops_provider_cfg **prov, const char **id);

/*
 * eval_run_check.c: one selected row before the run. The suite's vars
 * are merged into `c` (in place); then the row must have every variable
 * the prompt reads outside a guard and every required input field
 * ("datasets/x.jsonl:7: row 'noq' lacks 'question' (did you mean
 * 'questoin'?)"), render, and give each assertion value ('ca' and the
 * suite's) what it reads. 0, POPS_EINVALID (that message) or POPS_ERROR.
 */
int pops_eval__check_row(struct runner *r, pops_case *c, pops_assert **ca, size_t nca);
/*
 * Can model `alias` on provider `p` be called at all? A known type; in
 * replay mode (--replay, or a `type: replay` provider) a cassette that
 * exists; otherwise the API key variable set (named, never its value).
 * Checked once before the first request rather than failing every case.
 * 0 or POPS_EINVALID.
 */
int pops_eval__check_provider(const struct runner *r, const pops_provider_cfg *p,
                              const char *alias);
/* remember a judge's provider for pops_eval__check_providers; 0 or POPS_ERROR */
int pops_eval__note_judge(struct runner *r, const pops_provider_cfg *p, const char *alias);
/* the model's and every noted judge's provider (after the rows: data problems first) */
int pops_eval__check_providers(struct runner *r);

/*
 * eval_run_exec.c: the exec pass, after the requests and before the
 * judges: every record in spool_x gets its exec assertions run, at most
 * -j commands at once, then goes on to spool1 (judges pending) or is
 * finalized. Sets r->interrupted on cancel. 0 or an error.
 */
int pops_eval__exec_pass(struct runner *r);

/*
 * eval_run_similar.c: the similar pass, after the requests and before
 * the exec pass: every record in spool_s gets its similar entries
 * settled (outputs and values embedded in batches), then goes on to
 * spool_x, spool1 or is finalized. Sets r->interrupted on cancel. 0 or
 * an error.
 */
int pops_eval__similar_pass(struct runner *r);

/* eval_run_judge.c */
int pops_eval__judge_pass(struct runner *r);
/*
 * A pending judge entry's jury and rubric keys from `a` ("models",
 * "aggregate", "scale", "self_consistency"), for the judge pass to
 * rebuild its requests from the spooled record.
 */
void pops_eval__judge_entry(cJSON *e, const pops_assert *a);
/* the summary's "kappa" (Fleiss', over the jury verdicts) and "jury_cases"; 0 or POPS_ERROR */
int pops_eval__jury_summary(cJSON *summary, const struct runner *r);
/* the judge prompt at `path` (confined to the root; NULL: the built-in one), loaded once */
int pops_eval__judge_prompt(pops_eval_prompt **out, struct runner *r, const char *path,
                            int pairwise);
void pops_eval__judge_free(struct runner *r);

/*
 * eval_run_baseline.c. --baseline for a main run (not the baseline's own):
 * the ref must be an environment or a revision (POPS_EINVALID before
 * anything is sent); when the baseline has no such prompt (a pull request
 * that adds it) r->no_baseline is set: a note, and 'pairwise' has
 * nothing to compare with, so it is left out. 0 or an error.
 */
int pops_eval__baseline_probe(struct runner *r);
/* run the baseline for pairwise and index its records */
int pops_eval__baseline_start(struct runner *r);
/*
 * The baseline's record for case `id`, repeat `repeat`: 1 with a new
 * object in *out, 0 when it has none. POPS_ERROR on a damaged spool.
 */
int pops_eval__baseline_record(struct runner *r, const char *id, unsigned repeat, cJSON **out);
void pops_eval__baseline_free(struct runner *r);

/*
 * eval_run_batch.c: --batch. check() refuses, before anything is sent, a
 * model or judge whose provider has no Batch API; send() is where every
 * request of the run leaves: o->engine, or with --batch pops_batch_run
 * keyed by the run's fingerprint and `judge` (the judges' second batch).
 */
int pops_eval__batch_check(const struct runner *r);
int pops_eval__send(struct runner *r, const pops_provider_options *po, pops_provider_next_fn next,
                    pops_provider_done_fn done, int judge);
/*
 * eval_run_class.c: metrics.classification. classify(): a scored record's
 * "label" and "expected_label", counted (errors are not); class_summary():
 * the summary's "classification" and its gate (a passing verdict turns
 * "fail" with the shortfall as reason). 0 or an error.
 */
int pops_eval__classify(struct runner *r, cJSON *rec);
int pops_eval__class_summary(cJSON *summary, struct runner *r);

/* eval_run_summary.c */
int pops_eval__summary(pops_eval_group *g, struct runner *r, double duration_s);
#endif
