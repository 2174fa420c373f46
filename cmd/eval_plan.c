#include "common.h"
#include "eval_out.h"
#include "evidence.h"
#include "jsonget.h"
#include "strutil.h"

/* --dry-run output: one block per suite and model, one total line. */

void eval_plan_evidence(pops_ctx *ctx, cJSON *plan)
{
	cJSON *b = cJSON_GetObjectItemCaseSensitive(plan, "baseline"), *found = NULL;
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;

	/* pairwise always runs its baseline: its outputs are what is judged */
	if (!b || !ctx->repo || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(plan, "pairwise")))
		return;
	q.fingerprint = pops_json_str(b, "fingerprint", "");
	q.kind = "complete";
	/* the run would compare with stored evidence of that exact fingerprint, as eval_run_baseline */
	if (pops_evidence_find(&found, NULL, ctx->repo, &q) == 0 &&
	    strcmp(pops_json_str(found, "verdict", ""), "error") &&
	    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(found, "case_results"))) {
		cJSON_ReplaceItemInObjectCaseSensitive(b, "source", cJSON_CreateString("evidence"));
		cJSON_ReplaceItemInObjectCaseSensitive(b, "total_cost_usd_est", cJSON_CreateNumber(0));
		cJSON_ReplaceItemInObjectCaseSensitive(plan, "total_cost_usd_est",
		    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(plan, "cost_usd_est")) &&
		    cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(plan, "judge_cost_usd_est")) ?
		    cJSON_CreateNumber(pops_json_num(plan, "cost_usd_est", 0.0) +
		                       pops_json_num(plan, "judge_cost_usd_est", 0.0)) :
		    cJSON_CreateNull());
	}
	pops_error_clear();
	cJSON_Delete(found);
}

static void put_line(pops_buf *b)
{
	pops_buf safe = POPS_BUF_INIT;

	pops_buf_put_sanitized(&safe, b->ptr, b->size, 0);
	puts(safe.ptr);
	pops_buf_dispose(&safe);
	pops_buf_clear(b);
}

static void put_cost(pops_buf *b, const cJSON *c, const char *what)
{
	if (cJSON_IsNumber(c))
		pops_buf_printf(b, "$%.4f%s", c->valuedouble, what);
	else
		pops_buf_printf(b, "unknown%s (unpriced model)", what);
}

void eval_print_plan(const cJSON *plan)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(plan, "baseline");
	pops_buf l = POPS_BUF_INIT;

	pops_buf_printf(&l, "%s on %s (%s): %.0f case%s x %.0f = %.0f request%s",
	                pops_json_str(plan, "suite", ""), pops_json_str(plan, "model", ""),
	                pops_json_str(plan, "model_id", ""), pops_json_num(plan, "cases", 0.0),
	                pops_json_num(plan, "cases", 0.0) == 1 ? "" : "s",
	                pops_json_num(plan, "repeat", 0.0), pops_json_num(plan, "requests", 0.0),
	                pops_json_num(plan, "requests", 0.0) == 1 ? "" : "s");
	if (pops_json_num(plan, "cached", 0.0))
		pops_buf_printf(&l, " (%.0f in the cache)", pops_json_num(plan, "cached", 0.0));
	if (pops_json_num(plan, "judge_requests", 0.0) > 0)
		pops_buf_printf(&l, " + %.0f judge", pops_json_num(plan, "judge_requests", 0.0));
	pops_buf_printf(&l, ", ~%.0f input tokens, ~%.0f output tokens, estimated ",
	                pops_json_num(plan, "input_tokens_est", 0.0),
	                pops_json_num(plan, "output_tokens_est", 0.0));
	put_cost(&l, cJSON_GetObjectItemCaseSensitive(plan, "cost_usd_est"), "");
	if (pops_json_num(plan, "judge_requests", 0.0) > 0) {
		pops_buf_puts(&l, " + ");
		put_cost(&l, cJSON_GetObjectItemCaseSensitive(plan, "judge_cost_usd_est"), " for the judge calls");
	}
	put_line(&l);
	if (pops_json_str(plan, "baseline_note", "")[0]) {
		pops_buf_printf(&l, "  %s", pops_json_str(plan, "baseline_note", ""));
		put_line(&l);
	} else if (b && !strcmp(pops_json_str(b, "source", ""), "evidence")) {
		pops_buf_printf(&l, "  baseline %s: stored evidence of the same fingerprint, nothing to run",
		                pops_json_str(b, "ref", ""));
		put_line(&l);
	} else if (b) {
		pops_buf_printf(&l, "  baseline %s: %.0f request%s", pops_json_str(b, "ref", ""),
		                pops_json_num(b, "requests", 0.0),
		                pops_json_num(b, "requests", 0.0) == 1 ? "" : "s");
		if (pops_json_num(b, "cached", 0.0))
			pops_buf_printf(&l, " (%.0f in the cache)", pops_json_num(b, "cached", 0.0));
		pops_buf_puts(&l, ", estimated ");
		put_cost(&l, cJSON_GetObjectItemCaseSensitive(b, "total_cost_usd_est"), "");
		put_line(&l);
	}
	printf("  evidence fingerprint %s\n", pops_json_str(plan, "fingerprint", ""));
	pops_buf_dispose(&l);
}

cJSON *eval_plan_total(const cJSON *plans)
{
	const cJSON *p, *b;
	double requests = 0, cached = 0, judge = 0, base = 0, cost = 0;
	int unpriced = 0;
	size_t n = 0;
	cJSON *t = cJSON_CreateObject();
	pops_buf l = POPS_BUF_INIT;

	cJSON_ArrayForEach(p, plans) {
		n++;
		requests += pops_json_num(p, "requests", 0.0);
		cached += pops_json_num(p, "cached", 0.0);
		judge += pops_json_num(p, "judge_requests", 0.0);
		if ((b = cJSON_GetObjectItemCaseSensitive(p, "baseline")) &&
		    strcmp(pops_json_str(b, "source", ""), "evidence")) {
			base += pops_json_num(b, "requests", 0.0) + pops_json_num(b, "judge_requests", 0.0);
			cached += pops_json_num(b, "cached", 0.0);
		}
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(p, "total_cost_usd_est")))
			cost += pops_json_num(p, "total_cost_usd_est", 0.0);
		else
			unpriced = 1;
	}
	pops_buf_printf(&l, "total: %zu suite run%s, %.0f request%s", n, n == 1 ? "" : "s", requests,
	                requests == 1 ? "" : "s");
	if (judge)
		pops_buf_printf(&l, " + %.0f judge", judge);
	if (base)
		pops_buf_printf(&l, " + %.0f baseline", base);
	pops_buf_printf(&l, ", %.0f in the cache, ", cached);
	if (unpriced)
		pops_buf_puts(&l, "cost unknown (unpriced models)");
	else
		pops_buf_printf(&l, "estimated $%.4f", cost);
	put_line(&l);
	if (t) {
		cJSON_AddNumberToObject(t, "runs", (double)n);
		cJSON_AddNumberToObject(t, "requests", requests);
		cJSON_AddNumberToObject(t, "judge_requests", judge);
		cJSON_AddNumberToObject(t, "baseline_requests", base);
		cJSON_AddNumberToObject(t, "cached", cached);
		if (unpriced)
			cJSON_AddNullToObject(t, "cost_usd_est");
		else
			cJSON_AddNumberToObject(t, "cost_usd_est", cost);
	}
	pops_buf_dispose(&l);
	return t;
}
