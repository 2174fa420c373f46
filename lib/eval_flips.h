#ifndef POPS_EVAL_FLIPS_H
#define POPS_EVAL_FLIPS_H

/*
 * Comparing two runs of the same cases: pass/fail flips between their
 * case_results objects ({"id#r": true|false}, lib/evidence.h) and the
 * McNemar verdict a --baseline comparison adds to a run's summary.
 */

#include <stddef.h>
#include <cjson/cJSON.h>

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
 * "p_value","verdict","min_detectable_drop"}, the verdict "regression"
 * or "improvement" when McNemar's p < 0.05, else "no significant
 * change". Returns 1 on a significant regression, else 0 (also when
 * out of memory: then nothing is added).
 */
int pops_eval_add_baseline(cJSON *summary, const cJSON *current, const cJSON *baseline,
                           const char *ref, const char *source, double baseline_rate);

#endif
