#include "common.h"
#include "eval_out.h"
#include "strutil.h"

/* --dry-run output: one block per suite and model, one total line. */

static void put_line(pops_buf *b)
{
	pops_buf safe = POPS_BUF_INIT;

	pops_buf_put_sanitized(&safe, b->ptr, b->size, 0);
	puts(safe.ptr);
	pops_buf_dispose(&safe);
	pops_buf_clear(b);
}

static void put_cost(pops_buf *b, double c, const char *what)
{
	if (c >= 0)
		pops_buf_printf(b, "$%.4f%s", c, what);
	else
		pops_buf_printf(b, "unknown%s (unpriced model)", what);
}

void eval_print_plan(const pops_eval_run_plan *plan)
{
	const pops_eval_run_plan *b = plan->baseline;
	pops_buf l = POPS_BUF_INIT;

	pops_buf_printf(&l, "%s on %s (%s): %zu case%s x %ld = %zu request%s", plan->suite,
	                plan->model, plan->model_id, plan->cases, plan->cases == 1 ? "" : "s",
	                plan->repeat, plan->requests, plan->requests == 1 ? "" : "s");
	if (plan->cached)
		pops_buf_printf(&l, " (%zu in the cache)", plan->cached);
	if (plan->judge_requests > 0)
		pops_buf_printf(&l, " + %.0f judge", plan->judge_requests);
	pops_buf_printf(&l, ", ~%.0f input tokens, ~%.0f output tokens, estimated ",
	                plan->input_tokens_est, plan->output_tokens_est);
	put_cost(&l, plan->cost_usd_est, "");
	if (plan->judge_requests > 0) {
		pops_buf_puts(&l, " + ");
		put_cost(&l, plan->judge_cost_usd_est, " for the judge calls");
	}
	put_line(&l);
	if (plan->baseline_note && plan->baseline_note[0]) {
		pops_buf_printf(&l, "  %s", plan->baseline_note);
		put_line(&l);
	} else if (b && b->from_evidence) {
		pops_buf_printf(&l, "  baseline %s: stored evidence of the same fingerprint, nothing to run",
		                b->ref ? b->ref : "");
		put_line(&l);
	} else if (b) {
		pops_buf_printf(&l, "  baseline %s: %zu request%s", b->ref ? b->ref : "", b->requests,
		                b->requests == 1 ? "" : "s");
		if (b->cached)
			pops_buf_printf(&l, " (%zu in the cache)", b->cached);
		pops_buf_puts(&l, ", estimated ");
		put_cost(&l, b->total_cost_usd_est, "");
		put_line(&l);
	}
	printf("  evidence fingerprint %s\n", plan->fingerprint);
	pops_buf_dispose(&l);
}

void eval_print_plan_total(const pops_eval_plan_total *t)
{
	pops_buf l = POPS_BUF_INIT;

	pops_buf_printf(&l, "total: %zu suite run%s, %.0f request%s", t->runs, t->runs == 1 ? "" : "s",
	                t->requests, t->requests == 1 ? "" : "s");
	if (t->judge_requests)
		pops_buf_printf(&l, " + %.0f judge", t->judge_requests);
	if (t->baseline_requests)
		pops_buf_printf(&l, " + %.0f baseline", t->baseline_requests);
	pops_buf_printf(&l, ", %.0f in the cache, ", t->cached);
	if (t->cost_usd_est < 0)
		pops_buf_puts(&l, "cost unknown (unpriced models)");
	else
		pops_buf_printf(&l, "estimated $%.4f", t->cost_usd_est);
	put_line(&l);
	pops_buf_dispose(&l);
}
