#ifndef POPS_ASSERTION_INT_H
#define POPS_ASSERTION_INT_H
/*
 * Internals shared by lib/assertion.c (the type table: compile, checks)
 * and lib/assertion_text.c (text searching, JSON in output, list checks,
 * json-path lookup, one-line reasons).
 * Not part of the public API.
 */
#include <stddef.h>
#include <cjson/cJSON.h>
#include "assertion.h"

/* memmem ignoring ASCII case; NULL when `n` is not in `h` */
const char *pops_assert__memcasemem(const char *h, size_t hl, const char *n, size_t nl);

/*
 * The output parsed as JSON (one markdown code fence around the whole
 * output is accepted: models wrap JSON in them). NULL when it is not.
 */
cJSON *pops_assert__parse_output_json(const char *s, size_t len);

/*
 * The list of an *-any / *-all assertion from its `value`: an array of
 * strings (numbers and booleans as text), or a string split at commas,
 * as promptfoo reads it. Returns a new array of strings or NULL with
 * POPS_EINVALID set ("file:line: ...").
 */
cJSON *pops_assert__list_value(const pops_assert *a, const cJSON *value);

/*
 * The node at a json-path ("$.a.b[0]", "a.b[-1]", "$['k']") in `root`,
 * borrowed from it; NULL when there is none or the path is malformed.
 */
const cJSON *pops_assert__json_path(const cJSON *root, const char *path);

/*
 * Check contains-any/-all, icontains-any/-all and contains-json (before
 * negation): sets *pass and, on failure, the reason. 0 or POPS_ERROR.
 */
int pops_assert__check_text(pops_assert_result *res, const pops_assert *a,
                            const pops_assert_input *in, int *pass);

/* word-count's words: runs of bytes other than ASCII white space */
size_t pops_assert__word_count(const char *s, size_t len);

/* the largest n rouge-n takes */
#define POPS_ASSERT_ROUGE_MAX_N 8

/*
 * rouge-n's counts: the n-grams of `ref` (words: runs of ASCII letters
 * and digits and of non-ASCII bytes, ASCII lowercased) and of those, how
 * many `out` has, each counted at most as often as `out` has it (ROUGE's
 * clipped counts). n is 1..POPS_ASSERT_ROUGE_MAX_N. Sets *total (0 when
 * `ref` has fewer than n words) and *hits; 0, or POPS_ERROR (out of
 * memory).
 */
int pops_assert__rouge(size_t *hits, size_t *total, const char *out, size_t len,
                       const char *ref, size_t rlen, int n);

/*
 * lib/assertion_tools.c: tool-call, tool-calls, is-valid-tool-call.
 * compile: the types' own keys (name, arguments, schema, order), after
 * 'value' and 'path'; 0 or POPS_EINVALID ("file:line: ..."). check: sets
 * *pass (before negation) and the reason; tool-calls sets *score (F1).
 * 0 or POPS_ERROR. free: what compile kept in a->tool.
 */
int pops_assert__compile_tool(pops_assert *a, const cJSON *node);
int pops_assert__check_tool(pops_assert_result *res, const pops_assert *a,
                            const pops_assert_input *in, double *score, int *pass);
void pops_assert__tool_free(pops_assert *a);
/* similar / not-similar: 'value' (default {{expected}}), 'threshold', 'model' (assertion_similar.c) */
int pops_assert__compile_similar(pops_assert *a, const cJSON *node);
/*
 * lib/assertion_judge.c, for compile_judge: `models` (a jury; sets
 * a->model to the first), `aggregate`, `self_consistency`; then, once
 * the rubric is set, `scale` (with `threshold`, the lowest passing
 * score, into pass_score), `criteria` per level and `steps`, which are
 * appended to a->rubric as the text the judge reads. 0 or POPS_EINVALID
 * ("file:line: ...").
 */
int pops_assert__compile_jury(pops_assert *a, const cJSON *node);
int pops_assert__compile_rubric(pops_assert *a, const cJSON *node);

/*
 * context-faithfulness / context-recall: set `preset` from the type and
 * make the assertion a judge (POPS_ASSERT_JUDGE; `name` keeps the type as
 * written), so it is compiled, run and fingerprinted as one.
 */
void pops_assert__preset_begin(pops_assert *a);

/*
 * lib/assertion_set.c: assert-set. compile: `assert` (1 to 100
 * deterministic assertions: no judge, pairwise, exec or nested set, as
 * the runner checks a set in one step) and an optional `threshold`
 * (0..1). check: every member against `in`; res->pass, res->error (a
 * member's error), the reasons of failed members joined by "; ", and
 * *score the weighted mean of the members' scores (1 when they all weigh
 * 0). 0 or POPS_ERROR.
 */
int pops_assert__compile_set(pops_assert *a, const cJSON *node);
int pops_assert__check_set(pops_assert_result *res, const pops_assert *a,
                           const pops_assert_input *in, double *score);

#endif
