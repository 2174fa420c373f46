#ifndef POPS_PAIRWISE_H
#define POPS_PAIRWISE_H
#include <cjson/cJSON.h>
#include "buf.h"
#include "eval_prompt.h"
/*
 * Pairwise judging: a judge model compares the output under test with
 * the baseline's output for the same case and repeat. It is asked twice,
 * with the current output as response A and then as response B, so a
 * judge that prefers a position cannot decide the result: the current
 * output wins only when it is preferred in both orders, loses only when
 * the baseline is preferred in both, and anything else (disagreement, or
 * a "tie" answer) is a tie. A pairwise assertion passes on a win or a
 * tie, or only on a win with `require: win`.
 *
 * The judge prompt is a .prompt file (the built-in one below, or the
 * assertion's `prompt:` path) rendered with {rubric, input, output_a,
 * output_b, expected, format}; it asks for reasoning first and
 *   {"reasoning": "...", "verdict": "A" | "B" | "tie"}
 * last. Only that final object is read; anything else is an error.
 */
typedef enum {
	POPS_PAIR_A = 1,     /* response A is better */
	POPS_PAIR_B,         /* response B is better */
	POPS_PAIR_TIE        /* the judge called it even */
} pops_pair_verdict;

typedef enum {
	POPS_PAIR_LOSS = -1, /* the baseline preferred in both orders */
	POPS_PAIR_EVEN = 0,  /* tie: disagreement between the orders, or ties */
	POPS_PAIR_WIN = 1    /* the current output preferred in both orders */
} pops_pair_outcome;

/* The built-in pairwise judge prompt (.prompt text). */
const char *pops_pairwise_default_prompt(void);

/* The verdict line the prompt asks for ({{format}}). Static string. */
const char *pops_pairwise_format(void);

/* The JSON Schema for structured-output mode. Caller frees; NULL on OOM. */
cJSON *pops_pairwise_output_schema(void);

/*
 * Render pairwise prompt `jp` (NULL: the built-in one) with the two
 * responses in the given positions. `input` and `expected` may be NULL.
 * New messages array in *out. 0, POPS_EINVALID (bad judge prompt) or
 * POPS_ERROR.
 */
int pops_pairwise_messages(cJSON **out, const pops_eval_prompt *jp, const char *rubric,
                           const char *input, const char *output_a, const char *output_b,
                           const cJSON *expected);

/*
 * Read the final verdict of a pairwise judge reply into *v and its
 * reasoning into `reasoning` (may be NULL). 0, or POPS_EINVALID ("pairwise
 * judge gave no verdict: ..."): prose, no final object, or a verdict other
 * than "A", "B" or "tie".
 */
int pops_pairwise_parse(pops_pair_verdict *v, pops_buf *reasoning, const char *text);

/*
 * Combine the verdict with the current output as A (`cur_as_a`) and the
 * one with it as B (`cur_as_b`) into the current output's outcome.
 */
pops_pair_outcome pops_pairwise_combine(pops_pair_verdict cur_as_a, pops_pair_verdict cur_as_b);

/* "A", "B", "tie"; "win", "tie", "loss". Static strings. */
const char *pops_pairwise_verdict_name(pops_pair_verdict v);
const char *pops_pairwise_outcome_name(pops_pair_outcome o);

/* Parse a verdict name back ("A", "B", "tie"); 0 when unknown. */
pops_pair_verdict pops_pairwise_verdict_from(const char *name);

/*
 * The one-line reason for an outcome: "win against the baseline (verdict
 * 'A' with this output as A, 'B' with it as B)". Appended to `out`.
 */
void pops_pairwise_reason(pops_buf *out, pops_pair_outcome o, pops_pair_verdict cur_as_a,
                          pops_pair_verdict cur_as_b);
#endif
