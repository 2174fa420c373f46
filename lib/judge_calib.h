#ifndef POPS_JUDGE_CALIB_H
#define POPS_JUDGE_CALIB_H

/*
 * Judge calibrations as evidence: `pops judge calibrate` compares a
 * judge's verdicts with human labels, and the result is kept in
 * refs/notes/pops (lib/evidence.h) beside eval results, as a result of
 * kind "calibration":
 *
 *   {"kind":"calibration","fingerprint":F,"judge_model":id,
 *    "judge_config":{...},"judge_prompt_blob":hex,"rubric":"..."|null,
 *    "pass_score":n,"scale_max":n,"suite":"evals/x.yaml","judge":"alias",
 *    "labels":"labels.jsonl","labels_blob":hex (cmd/judge.c),"n":..,"tp","tn","fp","fn","errors",
 *    "tpr","tnr","accuracy","kappa" (null when undefined),
 *    "kappa_low","kappa_high","scoring_version","date"}
 *
 * F, the judge fingerprint, is the hash (pops_fingerprint_hash) of the
 * judge as the evidence fingerprint records it (pops_fingerprint_judge:
 * model id, effective request config, judge prompt blob) plus the
 * rubric (with a scale's criteria and steps, which the suite parser
 * folds into it), pass_score and scale_max: a changed rubric, judge prompt, model or model
 * config is another judge, whose calibration is still to be done. A
 * calibration has no "prompt" or "prompt_blob", so readers of eval
 * results (prompt log, trend, gates on suites) never take it for one.
 * An environment's `require: {calibrated_judges: {min_kappa: X}}`
 * (lib/promote_gate.c) asks for one of every gating judge.
 */

#include <git2.h>
#include <cjson/cJSON.h>
#include "config.h"
#include "suite.h"

#define POPS_JUDGE_CALIB_KIND "calibration"

/*
 * The judge fingerprint of judge assertion `a` asked through `alias`
 * (NULL: the assertion's model): `hex` gets the hash; `fields_out`, when
 * not NULL, a new object of the fields hashed (judge_model,
 * judge_config, judge_prompt_blob, rubric, pass_score, scale_max,
 * scoring_version).
 * Errors as pops_fingerprint_judge.
 */
int pops_judge_calib_fingerprint(char hex[65], cJSON **fields_out, const pops_config *cfg,
                                 const char *root, const pops_assert *a, const char *alias);

/* The confusion counts of one calibration run (judge verdict vs human label). */
typedef struct pops_judge_calib_counts {
	size_t tp, tn, fp, fn, errors;
} pops_judge_calib_counts;

/*
 * The evidence result of a calibration: `fields` (from
 * pops_judge_calib_fingerprint, copied) and `hex`, the counts and the
 * rates of `k` (pops_stats_agreement), "suite", "judge" (the alias) and
 * "labels" (the file as named), dated now. A new object, or NULL (out of
 * memory).
 */
cJSON *pops_judge_calib_result(const cJSON *fields, const char *hex,
                               const pops_judge_calib_counts *k, const char *suite,
                               const char *alias, const char *labels);

/*
 * The newest calibration of judge fingerprint `hex` in any note:
 * `out` gets a copy (cJSON_Delete). 0, POPS_ENOTFOUND (never
 * calibrated), POPS_ERROR.
 */
int pops_judge_calib_find(cJSON **out, git_repository *repo, const char *hex);

/*
 * The kappa of calibration `r`; 0 and -2 in *kappa when it has none
 * (undefined: no graded outputs). 1 when it has one.
 */
int pops_judge_calib_kappa(double *kappa, const cJSON *r);

/*
 * Called by pops_judge_calib_each_case for every case that has judge
 * assertions of its own (a dataset row's or an inline test's `assert:`),
 * with those assertions compiled (`ca`, `nca`; borrowed for the call).
 * A negative return stops the walk and is returned.
 */
typedef int (*pops_judge_calib_case_fn)(void *payload, const pops_case *c,
                                        pops_assert *const *ca, size_t nca);

/*
 * Every case of suite `s` whose own assertions hold a judge: the
 * dataset's rows (the dataset named relative to `root`, confined to the
 * project) then the inline tests, in the order `pops eval run` reads
 * them. 0, POPS_ENOTFOUND (the dataset is missing), POPS_EINVALID (a bad
 * row, "file:line: ..."), POPS_ERROR, or what `fn` returned.
 */
int pops_judge_calib_each_case(const pops_suite *s, const char *root,
                               pops_judge_calib_case_fn fn, void *payload);

#endif
