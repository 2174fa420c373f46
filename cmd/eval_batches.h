#ifndef POPS_CMD_EVAL_BATCHES_H
#define POPS_CMD_EVAL_BATCHES_H
/*
 * `pops eval run --batch` glue (cmd/eval_batches.c) for cmd/eval.c, and
 * `pops eval batches`.
 */
#include "cmd.h"
#include "eval_out.h"
#include "eval_run.h"

/*
 * --batch with an option it cannot honour (--record, --replay: a
 * cassette answers one request at a time; --stream: a batch answer is
 * never streamed; --max-cost: a batch cannot be stopped halfway):
 * an error naming both, else POPS_EXIT_OK. `max_cost` is NaN when not given.
 */
int eval_batch_refuse(int batch, int record, int replay, int stream, double max_cost);

/*
 * Turn --batch on in `eo`: the state file under the project's .pops/
 * (eo->batch_state, the caller frees it), progress lines on stderr
 * (clearing `bar` first), and the test knobs POPS_BATCH_POLL_MS,
 * POPS_BATCH_MAX_POLLS and POPS_BATCH_MAX_REQUESTS from the environment.
 */
void eval_batch_setup(pops_eval_options *eo, pops_ctx *ctx, int batch, eval_bar *bar);

#endif
