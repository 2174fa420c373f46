#ifndef POPS_FINGERPRINT_H
#define POPS_FINGERPRINT_H

/*
 * The evidence fingerprint (pops-suite(5) EVIDENCE): the
 * SHA-256 of everything that decides an eval run's requests and their
 * scoring. The eval runner computes it when it records evidence and the
 * promotion gate computes it for the release it checks, both with
 * pops_fingerprint_compute, so the two can never disagree about what
 * "this exact prompt, model, suite and data" means.
 *
 * The fields (each kept in the evidence record, so a gate can say what
 * changed):
 *
 *   prompt, prompt_blob        the prompt's name and blob
 *   partial_blobs              {"style": blob}: every partial it reaches
 *   provider_type, model,      the resolved model: provider type, id and
 *   model_config               the effective request config
 *   suite, suite_blob          the suite's path and blob
 *   dataset, dataset_blob      the dataset as the run named it, its blob
 *   judge_model, judge_config, the judges of judge/pairwise assertions
 *   judge_prompt_blob          (suite, inline tests and dataset rows):
 *                              model id, effective request config, and
 *                              the judge prompt's blob (a file's, or the
 *                              blob of the built-in prompt's text). One
 *                              judge: values; none: null; several
 *                              distinct ones: arrays, sorted
 *   exec_blobs                 {"checks/x.sh": blob}: every word of an
 *                              exec assertion's command that names a
 *                              file inside the project
 *   pairwise_baseline_blob     the prompt pairwise compared with, or null
 *   tools                      the prompt's tool definitions and toolChoice
 *                              ({"definitions","choice"}): only when the
 *                              prompt declares tools, so the fingerprints
 *                              of prompts without tools are as before
 *   scoring_version            POPS_SCORING_VERSION
 *
 * The hash is of the canonical form: keys sorted at every level, compact
 * JSON (cJSON's printing of numbers and strings), SHA-256, 64 hex digits.
 */

#include <cjson/cJSON.h>
#include "buf.h"
#include "config.h"
#include "suite.h"

/*
 * The meaning of a score: bump it whenever pops changes how outputs are
 * scored (assertion semantics, pass rate, verdict rules), so evidence
 * scored by the old rules stops satisfying gates. 2: evidence with kinds
 * and the full fingerprint.
 */
#define POPS_SCORING_VERSION 2

typedef struct pops_fingerprint_input {
	const pops_config *cfg;      /* resolves judge aliases; required */
	const char *root;            /* project root: dataset, judge prompt and
	                                exec paths are relative to it; NULL: "." */
	const pops_suite *suite;     /* required */
	const char *dataset;         /* the dataset as named (the suite's, or
	                                --dataset); NULL: none */
	const char *prompt;          /* the prompt's name */
	const char *prompt_blob;     /* hex; required */
	const cJSON *partials;       /* {"name":"blob"}; NULL: none */
	const char *provider_type;   /* or NULL (unknown) */
	const char *model_id;        /* or NULL */
	const cJSON *model_config;   /* effective request config; NULL: {} */
	const char *pairwise_baseline_blob; /* hex, or NULL */
	const cJSON *tools;          /* the prompt's tools as the closure has them
	                                ({"definitions","choice"?}), or NULL: none */
} pops_fingerprint_input;

#define POPS_FINGERPRINT_INPUT_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
	NULL, NULL, NULL }

typedef struct pops_fingerprint {
	cJSON *fields;     /* the fields above (an object), owned */
	char hex[65];      /* the hash of their canonical form */
	int has_pairwise;  /* the suite or a row has a pairwise assertion */
} pops_fingerprint;

#define POPS_FINGERPRINT_INIT { NULL, { 0 }, 0 }

/*
 * Compute the fingerprint of `in` into `out` (disposed first). Reads the
 * dataset (its blob, and every row's assertions for judges and exec
 * commands), judge prompt files and exec scripts; sends nothing.
 *
 * Returns 0; POPS_ENOTFOUND when a field cannot be computed because a
 * file is missing (the dataset, a judge prompt, an exec program given
 * as a path), naming it ("evals/x.yaml: dataset 'd.jsonl' not found");
 * POPS_EINVALID (a bad dataset row, an unknown judge model alias, a
 * judge prompt that does not parse), with file:line; POPS_ERROR.
 */
int pops_fingerprint_compute(pops_fingerprint *out, const pops_fingerprint_input *in);

void pops_fingerprint_dispose(pops_fingerprint *fp);

/*
 * The judge of assertion `a` (judge or pairwise) asked through model
 * `alias` (NULL: the assertion's own), exactly as the evidence
 * fingerprint records each judge: `out` gets {"model": the model id,
 * "config": the effective request config, "prompt_blob": the judge
 * prompt's blob (a file relative to `root`, or the built-in prompt's)}.
 * Judge calibrations (lib/judge_calib.h) are keyed by it. 0;
 * POPS_EINVALID (unknown alias, a judge prompt that does not parse);
 * POPS_ENOTFOUND (the judge prompt file is missing); POPS_ERROR.
 */
int pops_fingerprint_judge(cJSON **out, const pops_config *cfg, const char *root,
                           const pops_assert *a, const char *alias);

/*
 * The hash of `fields` (any JSON value) in canonical form, into `hex`.
 * 0 or POPS_ERROR (out of memory).
 */
int pops_fingerprint_hash(char hex[65], const cJSON *fields);

/*
 * Resolve model `alias` (a pops.yaml alias or "provider/id") as the eval
 * runner does: `type_out` and `id_out` are borrowed from `cfg`;
 * `config_out` (may be NULL) gets the effective request config, a new
 * object: the alias's pops.yaml config with `prompt_config` (the
 * prompt's frontmatter config, may be NULL) over it, key by key.
 * 0 or POPS_EINVALID (unknown alias or provider), POPS_ERROR.
 */
int pops_fingerprint_model(const char **type_out, const char **id_out, cJSON **config_out,
                           const pops_config *cfg, const char *alias,
                           const cJSON *prompt_config);

/*
 * 1 when evidence record `r` is about the fingerprint `want`: the same
 * "fingerprint" when `keys` is NULL, else the same value (null and
 * absent alike) for every field named in `keys`, for a release that
 * knows only some of its fields. Else 0.
 */
int pops_fingerprint_matches(const cJSON *r, const pops_fingerprint *want,
                             const char *const *keys);

/*
 * The field names every record has, NULL-terminated, in the order
 * pops-suite(5) lists them ("tools", present only for prompts with
 * tools, is not among them; describe with keys NULL compares it too).
 */
extern const char *const pops_fingerprint_keys[];

/*
 * What differs from evidence record `old` to the fingerprint fields
 * `want`, comparing the fields named in `keys` (NULL: every field),
 * appended to `out` as a comma separated list of parts a person reads:
 * "the dataset datasets/x.jsonl changed", "partial _style changed",
 * "model config changed (max_tokens)", "judge prompt changed", "exec
 * script checks/x.sh changed", "model m-1 -> m-2". Evidence from an
 * older scoring_version gets one part saying so. Appends nothing when
 * the compared fields are equal. 0 or POPS_ERROR.
 */
int pops_fingerprint_describe(pops_buf *out, const cJSON *old, const cJSON *want,
                              const char *const *keys);

#endif
