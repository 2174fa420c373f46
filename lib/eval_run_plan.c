#include "common.h"
#include <math.h>
#include "eval_run_int.h"
#include "evidence.h"
#include "jsonget.h"
#include "strutil.h"

/*
 * --dry-run: the plan of a run, priced as the run would spend. Every case
 * is rendered; nothing is sent. The model's requests the cache already
 * holds cost nothing; judge calls and a --baseline run are priced too.
 */

/* the baseline's own plan (pairwise runs it first; otherwise stored evidence may answer it) */
static int baseline_plan(pops_eval_run_plan *plan, struct runner *r)
{
	pops_eval_options bo = *r->o;
	pops_buf addr = POPS_BUF_INIT;
	pops_eval_run_plan *bp = NULL;
	int error;

	if ((error = pops_eval_baseline_address(&addr, r->o->config, pops_eval_prompt_name(r->prompt),
	                                        r->o->baseline)) < 0)
		goto done;
	bo.prompt = addr.ptr;
	bo.model = r->alias;
	bo.release_model = pops_address_env_ref(r->o->config, r->o->baseline, NULL);
	bo.baseline = NULL;
	bo.skip_pairwise = 1;
	if ((error = pops_eval_plan(&bp, r->s, &bo)) < 0) {
		pops_error_prefix(error, "--baseline %s: ", r->o->baseline);
	} else if (!bp || !(bp->ref = pops_strdup(r->o->baseline))) {
		pops_eval_run_plan_free(bp);
		error = pops_error_oom();
	} else {
		plan->baseline = bp;
	}
done:
	pops_buf_dispose(&addr);
	return error;
}

/* the judge calls of the current case: count and estimated cost (-1: unpriced) */
static void plan_judges(struct runner *r, pops_assert **a, size_t n, double reply,
                        double *requests, double *cost)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int orders = pops_assert_judge_requests(a[i]);
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

/* the plan's names and counts, known once every case was rendered */
static int plan_new(pops_eval_run_plan **out, struct runner *r, double in_chars, double reply,
                    size_t cached)
{
	pops_eval_run_plan *p = calloc(1, sizeof(*p));
	const pops_price_cfg *price;

	*out = p;
	if (!p)
		return pops_error_oom();
	p->suite = pops_strdup(r->s->path);
	p->prompt = pops_strdup(pops_eval_prompt_name(r->prompt));
	p->model = pops_strdup(r->alias);
	p->model_id = pops_strdup(r->model_id);
	p->fingerprint = pops_strdup(r->fp.hex);
	p->evidence = cJSON_Duplicate(r->fp.fields, 1);
	if (!p->suite || !p->prompt || !p->model || !p->model_id || !p->fingerprint ||
	    (r->fp.fields && !p->evidence))
		return pops_error_oom();
	p->cases = r->total_cases;
	p->repeat = r->repeat;
	p->requests = r->total_cases * (size_t)r->repeat;
	p->cached = cached;
	p->input_tokens_est = ceil(in_chars / 4.0);
	p->output_tokens_est = (double)(p->requests - cached) * reply;
	price = pops_config_price(r->o->config, r->model_id);
	p->cost_usd_est = price ? (p->input_tokens_est * price->input +
	                           p->output_tokens_est * price->output) / 1e6 : -1;
	return 0;
}

int pops_eval_plan(pops_eval_run_plan **out, const pops_suite *s, const pops_eval_options *o)
{
	struct runner r;
	pops_eval_run_plan *plan = NULL;
	double in_chars = 0, judge_req = 0, judge_cost = 0, reply;
	const cJSON *mt;
	size_t cached = 0;
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
		req.tools = pops_eval__tool_defs(&r);
		req.tool_choice = pops_eval__tool_choice(&r);
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
	if ((error = plan_new(&plan, &r, in_chars, reply, cached)) < 0)
		goto done;
	plan->judge_requests = judge_req;
	plan->judge_cost_usd_est = judge_cost;
	if (o->baseline && !o->skip_pairwise && !r.no_baseline &&
	    (error = baseline_plan(plan, &r)) < 0)
		goto done;
	if (r.no_baseline) {
		pops_buf_clear(&r.tmp);
		pops_buf_printf(&r.tmp, "%s: no baseline %s %s (new prompt)", pops_eval_prompt_name(r.prompt),
		                pops_address_env_ref(o->config, o->baseline, NULL) ? "in" : "at", o->baseline);
		if (pops_buf_oom(&r.tmp) || !(plan->baseline_note = pops_strdup(r.tmp.ptr))) {
			error = pops_error_oom();
			goto done;
		}
	}
	plan->pairwise = r.has_pairwise;
	/* what the whole run would cost: the model, its judges, its baseline */
	if (plan->cost_usd_est >= 0 && judge_cost >= 0 &&
	    (!plan->baseline || plan->baseline->total_cost_usd_est >= 0))
		plan->total_cost_usd_est = plan->cost_usd_est + judge_cost +
		                           (plan->baseline ? plan->baseline->total_cost_usd_est : 0);
	else
		plan->total_cost_usd_est = -1;
	*out = plan;
	plan = NULL;
done:
	pops_eval_run_plan_free(plan);
	pops_eval__dispose(&r);
	return error;
}

void pops_eval_run_plan_free(pops_eval_run_plan *p)
{
	if (!p)
		return;
	free(p->suite);
	free(p->prompt);
	free(p->model);
	free(p->model_id);
	pops_eval_run_plan_free(p->baseline);
	free(p->baseline_note);
	free(p->fingerprint);
	cJSON_Delete(p->evidence);
	free(p->ref);
	free(p);
}

/* a cost estimate: a number, or null when unknown */
static int add_cost(cJSON *o, const char *key, double v)
{
	return v >= 0 ? cJSON_AddNumberToObject(o, key, v) != NULL
	              : cJSON_AddNullToObject(o, key) != NULL;
}

cJSON *pops_eval_run_plan_to_json(const pops_eval_run_plan *p)
{
	cJSON *o = cJSON_CreateObject(), *b = NULL;
	int ok;

	ok = o && cJSON_AddStringToObject(o, "suite", p->suite) &&
	     cJSON_AddStringToObject(o, "prompt", p->prompt) &&
	     cJSON_AddStringToObject(o, "model", p->model) &&
	     cJSON_AddStringToObject(o, "model_id", p->model_id) &&
	     cJSON_AddNumberToObject(o, "cases", (double)p->cases) &&
	     cJSON_AddNumberToObject(o, "repeat", (double)p->repeat) &&
	     cJSON_AddNumberToObject(o, "requests", (double)p->requests) &&
	     cJSON_AddNumberToObject(o, "cached", (double)p->cached) &&
	     cJSON_AddNumberToObject(o, "judge_requests", p->judge_requests) &&
	     cJSON_AddNumberToObject(o, "input_tokens_est", p->input_tokens_est) &&
	     cJSON_AddNumberToObject(o, "output_tokens_est", p->output_tokens_est) &&
	     add_cost(o, "cost_usd_est", p->cost_usd_est) &&
	     add_cost(o, "judge_cost_usd_est", p->judge_cost_usd_est);
	if (ok && p->baseline)
		ok = (b = pops_eval_run_plan_to_json(p->baseline)) && cJSON_AddItemToObject(o, "baseline", b);
	if (!ok)
		cJSON_Delete(b);
	if (ok && p->baseline_note)
		ok = cJSON_AddStringToObject(o, "baseline_note", p->baseline_note) != NULL;
	ok = ok && cJSON_AddBoolToObject(o, "pairwise", p->pairwise) &&
	     add_cost(o, "total_cost_usd_est", p->total_cost_usd_est) &&
	     cJSON_AddStringToObject(o, "fingerprint", p->fingerprint) &&
	     (!p->evidence || cJSON_AddItemToObject(o, "evidence", cJSON_Duplicate(p->evidence, 1)));
	if (ok && p->ref)
		ok = cJSON_AddStringToObject(o, "ref", p->ref) &&
		     cJSON_AddStringToObject(o, "source", p->from_evidence ? "evidence" : "run");
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

void pops_eval_plan_use_evidence(pops_eval_run_plan *p, git_repository *repo)
{
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;
	cJSON *found = NULL;

	/* pairwise always runs its baseline: its outputs are what is judged */
	if (!p->baseline || !repo || p->pairwise)
		return;
	q.fingerprint = p->baseline->fingerprint;
	q.kind = "complete";
	/* the run compares with stored evidence of that exact fingerprint (eval_run_baseline) */
	if (pops_evidence_find(&found, NULL, repo, &q) == 0 &&
	    strcmp(pops_json_str(found, "verdict", ""), "error") &&
	    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(found, "case_results"))) {
		p->baseline->from_evidence = 1;
		p->baseline->total_cost_usd_est = 0;
		p->total_cost_usd_est = p->cost_usd_est >= 0 && p->judge_cost_usd_est >= 0 ?
		                        p->cost_usd_est + p->judge_cost_usd_est : -1;
	}
	pops_error_clear();
	cJSON_Delete(found);
}

void pops_eval_plan_add(pops_eval_plan_total *t, const pops_eval_run_plan *p)
{
	const pops_eval_run_plan *b = p->baseline;

	t->runs++;
	t->requests += (double)p->requests;
	t->cached += (double)p->cached;
	t->judge_requests += p->judge_requests;
	if (b && !b->from_evidence) {
		t->baseline_requests += (double)b->requests + b->judge_requests;
		t->cached += (double)b->cached;
	}
	if (p->total_cost_usd_est >= 0 && t->cost_usd_est >= 0)
		t->cost_usd_est += p->total_cost_usd_est;
	else
		t->cost_usd_est = -1;
}

cJSON *pops_eval_plan_total_to_json(const pops_eval_plan_total *t)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddNumberToObject(o, "runs", (double)t->runs) ||
	    !cJSON_AddNumberToObject(o, "requests", t->requests) ||
	    !cJSON_AddNumberToObject(o, "judge_requests", t->judge_requests) ||
	    !cJSON_AddNumberToObject(o, "baseline_requests", t->baseline_requests) ||
	    !cJSON_AddNumberToObject(o, "cached", t->cached) ||
	    !add_cost(o, "cost_usd_est", t->cost_usd_est)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}
