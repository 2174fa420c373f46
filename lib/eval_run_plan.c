#include "common.h"
#include <math.h>
#include "eval_run_int.h"
#include "strutil.h"

/*
 * --dry-run: the plan of a run, priced as the run would spend. Every case
 * is rendered; nothing is sent. The model's requests the cache already
 * holds cost nothing; judge calls and a --baseline run are priced too.
 */

/* the baseline's own plan (pairwise runs it first; otherwise the cmd may find evidence) */
static int baseline_plan(cJSON *plan, struct runner *r)
{
	pops_eval_options bo = *r->o;
	pops_buf addr = POPS_BUF_INIT;
	cJSON *bp = NULL;
	int error;

	if (pops_address_env_ref(r->o->config, r->o->baseline, NULL))
		pops_buf_printf(&addr, "%s:%s", pops_eval_prompt_name(r->prompt), r->o->baseline);
	else
		pops_buf_printf(&addr, "%s#%s", pops_eval_prompt_name(r->prompt), r->o->baseline);
	if (pops_buf_oom(&addr))
		return pops_error_oom();
	bo.prompt = addr.ptr;
	bo.model = r->alias;
	bo.release_model = pops_address_env_ref(r->o->config, r->o->baseline, NULL);
	bo.baseline = NULL;
	bo.skip_pairwise = 1;
	if ((error = pops_eval_plan(&bp, r->s, &bo)) < 0) {
		pops_error_prefix(error, "--baseline %s: ", r->o->baseline);
	} else {
		cJSON_AddStringToObject(bp, "ref", r->o->baseline);
		cJSON_AddStringToObject(bp, "source", "run");
		cJSON_AddItemToObject(plan, "baseline", bp);
	}
	pops_buf_dispose(&addr);
	return error;
}

/* the judge calls of the current case: count and estimated cost (-1: unpriced) */
static void plan_judges(struct runner *r, pops_assert **a, size_t n, double reply,
                        double *requests, double *cost)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int orders = a[i]->type == POPS_ASSERT_PAIRWISE ? 2 : 1;
		double e;

		if (!pops_assert_needs_model(a[i]) || (a[i]->type == POPS_ASSERT_PAIRWISE && r->skip_pairwise))
			continue;
		e = pops_eval__judge_estimate(r, a[i], r->cur->messages, reply);
		*requests += orders * (double)r->repeat;
		if (e < 0 || *cost < 0)
			*cost = -1;
		else
			*cost += e * orders * (double)r->repeat;
	}
}

int pops_eval_plan(cJSON **out, const pops_suite *s, const pops_eval_options *o)
{
	struct runner r;
	cJSON *plan = NULL, *b;
	double in_chars = 0, out_tok, judge_req = 0, judge_cost = 0, reply, total;
	const cJSON *mt;
	const pops_price_cfg *price;
	size_t requests, cached = 0;
	long k;
	int error, got;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	r.line = (pops_buf)POPS_BUF_INIT;
	r.tmp = (pops_buf)POPS_BUF_INIT;
	if ((error = pops_eval__setup(&r, s, o)) < 0 || (error = pops_eval__prepass(&r)) < 0)
		goto done;
	mt = cJSON_GetObjectItemCaseSensitive(r.config, "max_tokens");
	reply = cJSON_IsNumber(mt) ? mt->valuedouble : POPS_HTTP_OUTPUT_TOKENS_GUESS;
	while ((got = pops_eval__advance(&r)) == 1) {
		char *t = pops_eval__messages_text(r.cur->messages);
		pops_provider_request req;

		/* a request the cache holds costs nothing; the rest are priced */
		memset(&req, 0, sizeof(req));
		req.provider = r.prov;
		req.model_id = r.model_id;
		req.messages = r.cur->messages;
		req.config = r.config;
		req.output_schema = r.output_schema;
		for (k = 0; k < r.repeat; k++) {
			req.repeat = (unsigned)k;
			if (pops_provider_cached(&o->popts, &req))
				cached++;
			else
				in_chars += t ? (double)strlen(t) : 0;
		}
		free(t);
		/* a pairwise assertion asks its judge twice (both orders) */
		plan_judges(&r, s->asserts, s->nasserts, reply, &judge_req, &judge_cost);
		plan_judges(&r, r.cur->ca, r.cur->nca, reply, &judge_req, &judge_cost);
	}
	if (got < 0) {
		error = got;
		goto done;
	}
	requests = r.total_cases * (size_t)r.repeat;
	out_tok = (double)(requests - cached) * reply;
	if (!(plan = cJSON_CreateObject())) {
		error = pops_error_oom();
		goto done;
	}
	cJSON_AddStringToObject(plan, "suite", s->path);
	cJSON_AddStringToObject(plan, "prompt", pops_eval_prompt_name(r.prompt));
	cJSON_AddStringToObject(plan, "model", r.alias);
	cJSON_AddStringToObject(plan, "model_id", r.model_id);
	cJSON_AddNumberToObject(plan, "cases", (double)r.total_cases);
	cJSON_AddNumberToObject(plan, "repeat", (double)r.repeat);
	cJSON_AddNumberToObject(plan, "requests", (double)requests);
	cJSON_AddNumberToObject(plan, "cached", (double)cached);
	cJSON_AddNumberToObject(plan, "judge_requests", judge_req);
	cJSON_AddNumberToObject(plan, "input_tokens_est", ceil(in_chars / 4.0));
	cJSON_AddNumberToObject(plan, "output_tokens_est", out_tok);
	price = pops_config_price(o->config, r.model_id);
	total = price ? (ceil(in_chars / 4.0) * price->input + out_tok * price->output) / 1e6 : -1;
	if (total >= 0)
		cJSON_AddNumberToObject(plan, "cost_usd_est", total);
	else
		cJSON_AddNullToObject(plan, "cost_usd_est");
	if (judge_cost >= 0)
		cJSON_AddNumberToObject(plan, "judge_cost_usd_est", judge_cost);
	else
		cJSON_AddNullToObject(plan, "judge_cost_usd_est");
	if (o->baseline && !o->skip_pairwise && !r.no_baseline &&
	    (error = baseline_plan(plan, &r)) < 0)
		goto done;
	if (r.no_baseline) {
		pops_buf_clear(&r.tmp);
		pops_buf_printf(&r.tmp, "%s: no baseline %s %s (new prompt)", pops_eval_prompt_name(r.prompt),
		                pops_address_env_ref(o->config, o->baseline, NULL) ? "in" : "at", o->baseline);
		cJSON_AddStringToObject(plan, "baseline_note", r.tmp.ptr);
	}
	cJSON_AddBoolToObject(plan, "pairwise", r.has_pairwise);
	/* what the whole run would cost: the model, its judges, its baseline */
	b = cJSON_GetObjectItemCaseSensitive(plan, "baseline");
	if (total >= 0 && judge_cost >= 0 &&
	    (!b || cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(b, "total_cost_usd_est"))))
		cJSON_AddNumberToObject(plan, "total_cost_usd_est", total + judge_cost +
		    (b ? cJSON_GetObjectItemCaseSensitive(b, "total_cost_usd_est")->valuedouble : 0));
	else
		cJSON_AddNullToObject(plan, "total_cost_usd_est");
	/* what the run's evidence would be about, so CI can look it up first */
	cJSON_AddStringToObject(plan, "fingerprint", r.fp.hex);
	cJSON_AddItemToObject(plan, "evidence", cJSON_Duplicate(r.fp.fields, 1));
	*out = plan;
	plan = NULL;
done:
	cJSON_Delete(plan);
	pops_eval__dispose(&r);
	return error;
}
