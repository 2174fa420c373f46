#ifndef POPS_SUITE_H
#define POPS_SUITE_H
#include <stddef.h>
#include <cjson/cJSON.h>
#include "assertion.h"
#include "dataset.h"
#include "yamldoc.h"
/*
 * Eval suites (pops-suite(5)): a YAML file naming the prompt, the
 * model, the dataset, the assertions applied to every case and the pass
 * threshold. Loading validates everything that can be validated without
 * running: unknown keys and assertion types, bad regexes, missing
 * values, each reported as "file:line: problem".
 *
 *   prompt: summarize            # any address form (required)
 *   model: fast                  # alias; --model overrides
 *   dataset: datasets/s.jsonl    # relative to the project root
 *   tests: [ {vars: ..., expected: ...} ]   # inline rows (with or instead of dataset)
 *   vars: {tone: brief}          # defaults merged under every row's vars
 *   repeat: 1
 *   threshold: 0.9               # minimum suite pass rate
 *   case_threshold: 1.0          # minimum weighted assertion score per case
 *   max_error_rate: 0            # provider errors tolerated before exit 4
 *   assert: [ {type: icontains, value: "{{expected}}"} ]
 *   score_threshold: 0.8         # promptfoo's name for case_threshold
 *   metrics:                     # classifier prompts (lib/metrics_class.h)
 *     classification:
 *       label: $.category        # json-path into the output, or a regex with a group
 *       expected: "{{expected.category}}"   # template: the true label
 *       threshold_macro_f1: 0.8  # gate beside the pass rate
 *       min_f1: {billing: 0.9}   # per-label minimums
 */
typedef struct pops_suite_class {
	const char *label;         /* NULL: the suite has no classification metrics */
	const char *expected;      /* template, default "{{expected}}" */
	double threshold_macro_f1; /* < 0: none */
	const cJSON *min_f1;       /* object label -> number, or NULL */
	void *re;                  /* the label's compiled regex (NULL for a json-path) */
} pops_suite_class;

typedef struct pops_suite {
	char *path;                /* as given, for messages and reports */
	char blob[41];             /* git blob id of the suite's bytes (hex) */
	pops_yaml_doc *doc;        /* owns the tree the pointers below borrow */
	const char *description;
	const char *prompt;
	const char *model;         /* NULL when absent */
	const char *dataset;       /* NULL when absent */
	const cJSON *tests;        /* inline rows (array) or NULL */
	const cJSON *vars;         /* default vars (object) or NULL */
	long repeat;
	double threshold;
	double case_threshold;
	double max_error_rate;
	pops_assert **asserts;
	size_t nasserts;
	pops_suite_class cls;
} pops_suite;

/*
 * Parse suite YAML from memory; `path` names it in messages. Returns 0
 * and a suite freed with pops_suite_free(), or POPS_EINVALID.
 */
int pops_suite_parse(pops_suite **out, const char *data, size_t len,
                     const char *path);

/* Read and parse the file at `path`. POPS_ENOTFOUND when missing. */
int pops_suite_load(pops_suite **out, const char *path);

/* Line of an inline test row, for messages. */
unsigned pops_suite_line(const pops_suite *s, const cJSON *node);

/*
 * Compile a case's own assertions (pops_case.asserts) into `*out` (an
 * array of `*n` assertions; free with pops_suite_asserts_free). Rows
 * without assertions give n = 0. POPS_EINVALID names the row's
 * file:line.
 */
int pops_suite_case_asserts(pops_assert ***out, size_t *n, const pops_case *c);
void pops_suite_asserts_free(pops_assert **a, size_t n);

/*
 * Merge the suite's default vars under the case's vars (case wins), in
 * place. 0 or POPS_ERROR.
 */
int pops_suite_apply_vars(const pops_suite *s, pops_case *c);

void pops_suite_free(pops_suite *s);
#endif
