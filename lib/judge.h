#ifndef POPS_JUDGE_H
#define POPS_JUDGE_H
#include <cjson/cJSON.h>
#include "assertion.h"
#include "buf.h"
#include "eval_prompt.h"
/*
 * LLM-as-judge. The judge prompt is a .prompt file (the built-in one
 * below, or the assertion's `prompt:` path) rendered with
 * {rubric, input, output, expected, format}; it asks for reasoning
 * first and a verdict last, as strict JSON:
 *   {"reasoning": "...", "verdict": "pass"|"fail"}   or
 *   {"reasoning": "...", "score": 1-5}               (pass_score set)
 * Only the final JSON object of the reply is read. No verdict, a
 * malformed one, or one outside the allowed values is an error: a judge
 * that does not answer never passes a case.
 */

/* The built-in judge prompt (.prompt text). */
const char *pops_judge_default_prompt(void);

/*
 * RAG presets: assertion types that are judges with a rubric shipped
 * with pops (pops-suite(5) "RAG presets"). context-faithfulness: every
 * claim of the output is supported by the case's `context`;
 * context-recall: every fact of `expected` appears in the context. They
 * render the built-in pops-context-judge prompt (below), or the
 * assertion's `prompt:` file, with {rubric, input, output, expected,
 * context, format}; a `rubric:` replaces the shipped one.
 */
enum { POPS_PRESET_NONE = 0, POPS_PRESET_FAITHFULNESS, POPS_PRESET_RECALL, POPS_PRESET_COUNT };

/* The built-in prompt of the presets (.prompt text, with {{context}}). */
const char *pops_judge_context_prompt(void);

/* A preset's type name and shipped rubric (static strings), NULL for none. */
const char *pops_judge_preset_name(int preset);
const char *pops_judge_preset_rubric(int preset);

/* 1 when the preset grades against the case's `expected` too (context-recall). */
int pops_judge_preset_needs_expected(int preset);

/*
 * As pops_judge_messages_scale with `context` (NULL is "") added to the
 * variables, and the presets' prompt when `jp` is NULL.
 */
int pops_judge_messages_context(cJSON **out, const pops_eval_prompt *jp, const char *rubric,
                                const char *input, const char *output, const cJSON *expected,
                                const char *context, int pass_score, int scale_max);

/* The verdict line the prompt asks for ({{format}}). Static string. */
const char *pops_judge_format(int scored);

/* The JSON Schema for structured-output mode. Caller frees. */
cJSON *pops_judge_output_schema(int scored);

/*
 * Render judge prompt `jp` (NULL: the built-in one is parsed and used)
 * for one output: vars {rubric, input, output, expected, format,
 * pass_score}. `input` and `expected` may be NULL. New messages array in
 * *out. 0, POPS_EINVALID (a bad judge prompt) or POPS_ERROR.
 */
int pops_judge_messages(cJSON **out, const pops_eval_prompt *jp, const char *rubric,
                        const char *input, const char *output, const cJSON *expected,
                        int pass_score);

/*
 * What every judge prompt sees: {rubric, input, expected} (`expected`
 * only when given; `input` NULL is ""). New object for the caller to add
 * its own variables to and delete; NULL when out of memory.
 */
cJSON *pops_judge_vars(const char *rubric, const char *input, const cJSON *expected);

/*
 * Render judge prompt `jp`, or when it is NULL the built-in .prompt text
 * `fallback` (named `name` in its error messages), with `vars`. New
 * messages array in *out. 0, POPS_EINVALID (a bad prompt) or POPS_ERROR.
 */
int pops_judge_render(cJSON **out, const pops_eval_prompt *jp, const char *fallback,
                      const char *name, const cJSON *vars);

/*
 * What a judge with `scope: conversation` grades as the output: the
 * whole conversation, each earlier turn of `turns` (a case record's
 * "messages", [{"role","content"}]; may be NULL) as "<role>: <content>"
 * and then the final reply as "assistant: <output>", separated by blank
 * lines (appended to `out`). 0 or POPS_ERROR.
 */
int pops_judge_conversation(pops_buf *out, const cJSON *turns, const char *output);

/*
 * The last JSON object in `text`: it must close at the end of the reply
 * (whitespace and a closing code fence allowed after it). New object
 * (caller deletes) or NULL.
 */
cJSON *pops_judge_last_object(const char *text);

/*
 * pops_judge_last_object() of a judge's reply, or NULL with the
 * POPS_EINVALID message "<who> gave no verdict: its reply does not end in
 * a JSON object (ends '...')" quoting the reply's last 60 characters.
 */
cJSON *pops_judge_reply_object(const char *text, const char *who);

/*
 * Read the verdict at the end of `text`. On success fills *pass and
 * *score (0..1: 1/0 for verdicts, (s-1)/4 for scores) and the judge's
 * reasoning into `reasoning` (may be NULL). Returns 0 or POPS_EINVALID
 * ("judge gave no verdict: ...").
 */
int pops_judge_parse(int *pass, double *score, pops_buf *reasoning,
                     const char *text, int pass_score);

/*
 * Scored rubrics (`scale: 1-5` or `1-10`): as pops_judge_format,
 * pops_judge_output_schema, pops_judge_messages and pops_judge_parse with
 * scores 1..`scale_max` (5 or 10; 0 means a pass/fail verdict, and
 * pops_judge_parse_scale then reads "verdict"). A score passes at
 * `pass_score` or above and is reported as (s - 1) / (scale_max - 1).
 */
const char *pops_judge_format_scale(int scale_max);
cJSON *pops_judge_output_schema_scale(int scale_max);
int pops_judge_messages_scale(cJSON **out, const pops_eval_prompt *jp, const char *rubric,
                              const char *input, const char *output, const cJSON *expected,
                              int pass_score, int scale_max);
int pops_judge_parse_scale(int *pass, double *score, pops_buf *reasoning,
                           const char *text, int pass_score, int scale_max);

/*
 * The rubric as the second of a self-consistency pair asks it: the same
 * criteria, framed the other way round (an output fails unless it meets
 * them in full), so a judge that agrees with whatever it is told shows
 * it. New string or NULL (out of memory).
 */
char *pops_judge_reword(const char *rubric);
#endif
