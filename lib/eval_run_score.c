#include "common.h"
#include "eval_run_int.h"
#include "judge.h"
#include "pairwise.h"
#include "report.h"
#include "strutil.h"

/* Scoring a finished case record: status, statistics, the final spool. */

/* the runner's name for the report's spool writer (eval_run_int.h) */
int pops_eval__write_record(FILE *f, const cJSON *rec)
{
	return pops_report_spool_write(f, rec);
}

double pops_eval__estimate(const pops_config *cfg, const char *model_id, const cJSON *messages,
                           const cJSON *config)
{
	const pops_price_cfg *pr = pops_config_price(cfg, model_id);
	const cJSON *m, *part, *t, *mt = cJSON_GetObjectItemCaseSensitive(config, "max_tokens");
	double chars = 0;

	if (!pr)
		return -1;
	cJSON_ArrayForEach(m, messages)
		cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(m, "content"))
			if (cJSON_IsString(t = cJSON_GetObjectItemCaseSensitive(part, "text")))
				chars += (double)strlen(t->valuestring);
	return (chars / 4.0 * pr->input +
	        (cJSON_IsNumber(mt) ? mt->valuedouble : POPS_HTTP_OUTPUT_TOKENS_GUESS) * pr->output) / 1e6;
}

double pops_eval__judge_estimate(const struct runner *r, const pops_assert *a,
                                 const cJSON *messages, double reply)
{
	const pops_model_cfg *mc = pops_config_model(r->o->config, a->model);
	const cJSON *mt = mc ? cJSON_GetObjectItemCaseSensitive(mc->config, "max_tokens") : NULL;
	const pops_provider_cfg *p;
	const pops_price_cfg *pr;
	const char *id, *tmpl;
	int orders = a->type == POPS_ASSERT_PAIRWISE ? 2 : 1;

	if (pops_eval__model(r->o->config, a->model, &p, &id) < 0 ||
	    !(pr = pops_config_price(r->o->config, id))) {
		pops_error_clear();
		return -1;
	}
	/* the prompt, the judge's instructions and rubric and the reply (pairwise:
	 * both), in; its answer (max_tokens, else the usual guess), out */
	tmpl = orders == 2 ? pops_pairwise_default_prompt() : pops_judge_default_prompt();
	return pops_eval__estimate(r->o->config, id, messages, mt ? mc->config : NULL) +
	       ((double)(strlen(tmpl) + strlen(a->rubric)) / 4.0 + reply * orders) * pr->input / 1e6;
}

int pops_eval__over_budget(struct runner *r, double each, size_t n)
{
	if (r->max_cost < 0)
		return 0;
	if (r->budget_spent + (each > 0 ? each : 0) * (double)n > r->max_cost) {
		r->over_budget = 1;
		return 1;
	}
	return 0;
}

void pops_eval__count(struct runner *r, const pops_provider_result *res, int judge)
{
	r->rate_limited += res->rate_limited;
	if (res->status == POPS_OK && res->priced) {
		if (res->cache_hit)
			r->saved += res->cost_usd;
		else
			r->spent += res->cost_usd;
	}
	if (res->status == POPS_OK && !res->cache_hit) {
		double c = res->priced ? res->cost_usd : res->cost_estimate;

		r->budget_spent += c;
		if (judge && (res->priced || c > 0)) {
			r->judge_spent += c;
			r->judge_costed++;
		}
	}
	if (judge)
		return;
	if (res->status == POPS_OK && res->output_tokens >= 0) {
		r->reply_tokens += (double)res->output_tokens;
		r->replies++;
	}
	if (res->cache_hit) {
		r->cached++;
	} else if (res->unsent) {
		r->unsent++;
		if (!r->down && res->error)
			r->down = pops_strdup(res->error + (strncmp(res->error, POPS_PROVIDER_UNSENT,
			                                            strlen(POPS_PROVIDER_UNSENT)) ? 0 :
			                                    strlen(POPS_PROVIDER_UNSENT)));
	} else if (res->attempts) {
		r->sent++;
	}
}

/* weighted score, status and statistics; then the record goes to the final spool */
int pops_eval__finalize(struct runner *r, cJSON *rec)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(rec, "asserts"), *it, *v;
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(rec, "status");
	double wsum = 0, ssum = 0, need = r->s->case_threshold, lat;
	const char *status;
	const char *err = NULL;
	size_t idx;
	int allpass = 1;   /* every assertion that carries weight passed */

	v = cJSON_GetObjectItemCaseSensitive(rec, "case_threshold");
	if (cJSON_IsNumber(v))
		need = v->valuedouble;
	if (cJSON_IsString(st)) {
		status = st->valuestring;   /* already an error */
	} else {
		cJSON_ArrayForEach(it, arr) {
			double w = 1.0;

			v = cJSON_GetObjectItemCaseSensitive(it, "weight");
			if (cJSON_IsNumber(v))
				w = v->valuedouble;
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "error")) && !err) {
				v = cJSON_GetObjectItemCaseSensitive(it, "reason");
				err = cJSON_IsString(v) ? v->valuestring : "assertion could not be checked";
			}
			if (w > 0 && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "pass")))
				allpass = 0;
			v = cJSON_GetObjectItemCaseSensitive(it, "score");
			wsum += w;
			ssum += w * (cJSON_IsNumber(v) ? v->valuedouble : 0.0);
		}
		if (err) {
			status = "error";
			cJSON_AddStringToObject(rec, "error", err);
		} else {
			/*
			 * as promptfoo: a threshold of 1 (the default) needs every
			 * weighted assertion to pass, whatever their scores (a
			 * passing rouge-n or judge score can be under 1); a lower
			 * one, the weighted mean of the scores
			 */
			status = wsum <= 0 || (need >= 1 - 1e-9 ? allpass : ssum / wsum >= need - 1e-9) ?
			         "pass" : "fail";
		}
		cJSON_AddNumberToObject(rec, "score", wsum > 0 ? ssum / wsum : 1.0);
		/* the reports say the score and what it needed (a row's own is there already) */
		if (need < 1 - 1e-9 && !cJSON_GetObjectItemCaseSensitive(rec, "case_threshold"))
			cJSON_AddNumberToObject(rec, "case_threshold", need);
		cJSON_AddStringToObject(rec, "status", status);
	}
	if (r->s->cls.label && strcmp(status, "error") && pops_eval__classify(r, rec) < 0)
		return POPS_ERROR;
	r->done++;
	if (!strcmp(status, "pass"))
		r->passed++;
	else if (!strcmp(status, "fail"))
		r->failed++;
	else
		r->errors++;
	v = cJSON_GetObjectItemCaseSensitive(rec, "cost_usd");
	if (cJSON_IsNumber(v)) {
		r->cost += v->valuedouble;
		r->priced_done++;
	} else if (cJSON_IsNull(v))
		r->unpriced = 1;
	v = cJSON_GetObjectItemCaseSensitive(rec, "input_tokens");
	r->in_tok += cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(rec, "output_tokens");
	r->out_tok += cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(rec, "latency_ms");
	lat = cJSON_IsNumber(v) ? v->valuedouble : 0.0;
	if (cJSON_IsNumber(v) && strcmp(status, "error")) {
		if (r->nlat == r->alat) {
			size_t na = r->alat ? r->alat * 2 : 1024;
			double *nl = realloc(r->lat, na * sizeof(*nl));

			POPS_CHECK_ALLOC(nl);
			r->lat = nl;
			r->alat = na;
		}
		r->lat[r->nlat++] = lat;
	}
	v = cJSON_GetObjectItemCaseSensitive(rec, "cached_tokens");
	r->cached_tok += cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
	v = cJSON_GetObjectItemCaseSensitive(rec, "ttft_ms");
	if (cJSON_IsNumber(v) && strcmp(status, "error")) {
		if (r->nttft == r->attft) {
			size_t na = r->attft ? r->attft * 2 : 1024;
			double *nt = realloc(r->ttft, na * sizeof(*nt));

			POPS_CHECK_ALLOC(nt);
			r->ttft = nt;
			r->attft = na;
		}
		r->ttft[r->nttft++] = v->valuedouble;
	}
	v = cJSON_GetObjectItemCaseSensitive(rec, "case_index");
	idx = cJSON_IsNumber(v) ? (size_t)v->valuedouble : SIZE_MAX;
	if (r->runs_per_case && idx < r->total_cases && strcmp(status, "error")) {
		r->runs_per_case[idx]++;
		if (!strcmp(status, "pass"))
			r->pass_per_case[idx]++;
	}
	pops_eval__progress(r);
	return pops_eval__write_record(r->spool, rec);
}
