#ifndef POPS_METRICS_CLASS_H
#define POPS_METRICS_CLASS_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "buf.h"
/*
 * Classification metrics for classifier prompts (a suite's
 * `metrics: {classification: ...}`, pops-suite(5)). Each scored case
 * gives one predicted label (read from the output) and one expected
 * label; the accumulator keeps a confusion matrix of at most
 * POPS_CLASS_MAX_LABELS distinct labels, so a 100,000-case run costs no
 * more memory than a 10-case one and records are streamed once.
 *
 * Per label: support (cases expecting it), precision (of the cases
 * predicted as it, the share that expected it), recall (of the cases
 * expecting it, the share predicted as it) and F1 (their harmonic mean;
 * 0 when both are 0). Precision with no prediction and recall with no
 * support are 0. Macro F1 is the mean F1 of the labels with support
 * (a label only ever predicted lowers the precision it steals from,
 * not the average twice); micro F1 is computed from the summed counts,
 * which for one label per case equals accuracy (correct / cases).
 */

#define POPS_CLASS_MAX_LABELS 200
/* the predicted label of an output no label could be read from */
#define POPS_CLASS_NONE "(none)"

typedef struct pops_class_metrics pops_class_metrics;

/* A new, empty accumulator in *out. 0 or POPS_ERROR (out of memory). */
int pops_class_new(pops_class_metrics **out);
void pops_class_free(pops_class_metrics *m);

/*
 * Count one case. Labels are compared byte for byte. 0, POPS_ERROR (out
 * of memory) or POPS_EINVALID when a new label would pass
 * POPS_CLASS_MAX_LABELS ("more than 200 distinct labels: ...").
 */
int pops_class_add(pops_class_metrics *m, const char *expected, const char *predicted);

/* Cases counted so far. */
size_t pops_class_cases(const pops_class_metrics *m);

/*
 * The summary object of the contract:
 * {"labels":[{"label","precision","recall","f1","support"}],"macro_f1",
 *  "micro_f1","accuracy","confusion":{"labels":[...],"matrix":[[n..]]}}.
 * Labels sorted by name (bytes); matrix rows are expected labels,
 * columns predicted ones, in that order. New object or NULL (out of
 * memory).
 */
cJSON *pops_class_summary(const pops_class_metrics *m);

/*
 * Read the predicted label from `output`: with `spec` starting with '$'
 * a json-path into the output parsed as JSON (one code fence around it
 * accepted; strings as they are, numbers and booleans as JSON text);
 * otherwise a PCRE2 regex whose first capturing group (or the whole
 * match when it has none) is the label. Trimmed of ASCII white space.
 * 1 with the label in `out` (replaced), 0 when none is found,
 * POPS_ERROR (out of memory). `re` is the compiled regex of
 * pops_class_compile (NULL for a json-path).
 */
int pops_class_extract(pops_buf *out, const char *spec, const void *re,
                       const char *output, size_t len);

/*
 * Compile a label spec: a json-path ("$.a.b[0]", as json-path
 * assertions read it) needs nothing (*re = NULL); a regex is compiled
 * (new pcre2_code in *re, freed with pops_class_spec_free) and must have
 * at most one capturing group. `where` ("evals/t.yaml:7") starts the
 * POPS_EINVALID message.
 */
int pops_class_compile(void **re, const char *spec, const char *where);
void pops_class_spec_free(void *re);

/*
 * The gate of a summary object from pops_class_summary: macro F1 at least
 * `min_macro` (< 0: no minimum) and each label named in `min_f1` (an
 * object label -> number, may be NULL) at least its F1 (a label with no
 * cases has F1 0). 1 when it holds; 0 with the first shortfall in `why`
 * ("macro F1 0.62 is below threshold_macro_f1 0.80").
 */
int pops_class_gate(pops_buf *why, const cJSON *summary, double min_macro, const cJSON *min_f1);

/*
 * Per-label F1 of `now` against the baseline's `before` (two summary
 * objects): a new array of {"label","f1","baseline_f1","delta"} for the
 * labels of either, or NULL (out of memory). A label one side lacks has
 * F1 0 there.
 */
cJSON *pops_class_compare(const cJSON *now, const cJSON *before);

/*
 * --baseline: when `summary` has a "classification" and `baseline` (the
 * baseline run's summary or stored evidence) has one too, add
 * pops_class_compare of the two as summary.baseline.classification
 * (creating "baseline" when absent). 0, or POPS_ERROR (out of memory).
 */
int pops_class_add_baseline(cJSON *summary, const cJSON *baseline);

/*
 * Markdown for the summaries of groups that have "classification": per
 * suite x model a heading, macro/micro F1 and accuracy, the per-label
 * table (with the baseline's F1 delta when there is one) and the
 * confusion matrix. Appends to `out`; nothing for other summaries.
 * Cells are escaped (| and newlines), labels made valid UTF-8.
 */
void pops_class_md(pops_buf *out, const cJSON *summary);
#endif
