#ifndef POPS_EVAL_FLIPS_H
#define POPS_EVAL_FLIPS_H

/*
 * Comparing two runs of the same cases: pass/fail flips between their
 * case_results objects ({"id#r": true|false}, lib/evidence.h) and the
 * McNemar verdict a --baseline comparison adds to a run's summary.
 */

#include <stdio.h>
#include <stddef.h>
#include <cjson/cJSON.h>

/* a summary's baseline lists at most this many flips ("flips_count" has them all) */
#define POPS_EVAL_FLIPS_MAX 200

/*
 * Flips from `before` to `after`, over the cases present in both
 * (`paired`): `newly_failing` passed before and fail after,
 * `newly_passing` the other way. Members that are not objects count as
 * empty. Sorted merge: O(n log n). Out of memory counts as no pairs.
 */
void pops_eval_flips(const cJSON *before, const cJSON *after, size_t *paired,
                     size_t *newly_failing, size_t *newly_passing);

/*
 * Compare `current` case results with `baseline` ones and add a
 * "baseline" object to `summary`: {"ref","source","pass_rate" (when
 * `baseline_rate` >= 0),"paired","newly_failing","newly_passing",
 * "p_value","verdict","min_detectable_drop","flips","flips_count"}, the
 * verdict "regression" or "improvement" when McNemar's p < 0.05, else
 * "no significant change". "flips" names the paired cases whose result
 * changed, in `current`'s order: [{"id","repeat","from","to"}] with
 * from/to "pass" or "fail" (case_results has no errors), at most
 * POPS_EVAL_FLIPS_MAX of them; "flips_count" is how many there are in
 * all (newly_failing + newly_passing). Returns 1 on a significant
 * regression, else 0 (also when out of memory: then nothing is added).
 */
int pops_eval_add_baseline(cJSON *summary, const cJSON *current, const cJSON *baseline,
                           const char *ref, const char *source, double baseline_rate);

/*
 * Give each case record of the spool `*spool` (lib/report.h) the
 * baseline's result of the same case ("id" and "repeat"), as
 * "baseline": {"status","output","score"}: from `baseline_spool` (the
 * records of a baseline run made by this invocation: status
 * pass|fail|error, its output and score when it has them), or, when that
 * is NULL, from `baseline_cases` (stored evidence's case_results: only
 * "status", pass or fail; evidence keeps no outputs). A case the
 * baseline lacks gets no "baseline" (one already there is dropped or
 * replaced). The records are rewritten to a new temporary file that
 * replaces `*spool` (the old one is closed); on failure `*spool` is
 * left as it was. Both NULL: nothing to do. Streams: memory holds the
 * baseline's keys and offsets, not its records. 0 or POPS_ERROR
 * (damaged spool, I/O, out of memory).
 */
int pops_eval_baseline_cases(FILE **spool, FILE *baseline_spool, const cJSON *baseline_cases);

#endif
