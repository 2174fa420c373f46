#include "common.h"
#include <git2.h>
#include <time.h>
#include "eval_run_int.h"
#include "eval_sample.h"
#include "evidence.h"
#include "report.h"
#include "jsonget.h"
#include "stats.h"
#include "strutil.h"

int pops_eval_summary_mode(pops_buf *out, const cJSON *s)
{
	const char *type = pops_json_str(s, "batch_provider", "");
	int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s, "batches"));
	double nlat;

	if (strcmp(pops_json_str(s, "mode", ""), "batch"))
		return 0;
	pops_buf_printf(out, "batch (%s, %d batch%s", !strcmp(type, "anthropic") ?
	                "Anthropic Message Batches API" : !strcmp(type, "openai") ? "OpenAI Batch API" :
	                "Batch API", n, n == 1 ? "" : "es");
	if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(s, "batch_wall_ms")))
		pops_buf_printf(out, ", %.1f s", pops_json_num(s, "batch_wall_ms", 0.0) / 1000.0);
	pops_buf_printf(out, "): %s", cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(s, "cost_usd")) ?
	                "cost at the batch price" : "cost unpriced");
	nlat = pops_json_num(s, "latency_n", 0.0);
	if (nlat == 0)
		pops_buf_puts(out, ", no per-request latency");
	else if (nlat < pops_json_num(s, "cases", 0.0) - pops_json_num(s, "errors", 0.0))
		pops_buf_printf(out, ", latency of the %.0f runs not answered by a batch", nlat);
	return 1;
}

/* pass@k / pass^k averaged over cases, for k = repeat */
static void add_pass_k(cJSON *sum, struct runner *r)
{
	double at = 0, hat = 0;
	size_t i, n = 0;

	if (!r->runs_per_case)
		return;
	for (i = 0; i < r->total_cases; i++) {
		double a, h;

		if (r->runs_per_case[i] < (unsigned)r->repeat)
			continue;
		a = pops_stats_pass_at_k(r->runs_per_case[i], r->pass_per_case[i], (size_t)r->repeat);
		h = pops_stats_pass_hat_k(r->runs_per_case[i], r->pass_per_case[i], (size_t)r->repeat);
		if (a < 0 || h < 0)
			continue;
		at += a;
		hat += h;
		n++;
	}
	if (n) {
		cJSON_AddNumberToObject(sum, "pass_at_k", at / (double)n);
		cJSON_AddNumberToObject(sum, "pass_hat_k", hat / (double)n);
	}
}

/* a path as the suite would name it: "./d.jsonl" is "d.jsonl" */
static const char *plain_path(const char *p)
{
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	return p;
}

static int reason(cJSON *reasons, const char *fmt, ...) POPS_PRINTF(2, 3);

static int reason(cJSON *reasons, const char *fmt, ...)
{
	pops_buf b = POPS_BUF_INIT;
	cJSON *v;
	va_list ap;

	va_start(ap, fmt);
	pops_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	v = pops_buf_oom(&b) ? NULL : cJSON_CreateString(b.ptr);
	pops_buf_dispose(&b);
	if (!v || !cJSON_AddItemToArray(reasons, v)) {
		cJSON_Delete(v);
		return pops_error_oom();
	}
	return 0;
}

/*
 * Why this run is not the suite as configured (every case, every
 * repeat, the suite's data and threshold), into `reasons`: an empty
 * array means complete evidence, the only kind gates accept.
 */
static int partial_reasons(cJSON *reasons, const pops_eval_group *g, const struct runner *r)
{
	const pops_eval_options *o = r->o;
	const pops_suite *s = r->s;
	int error = 0;

	if (!error && r->filtered_out)
		error = reason(reasons, "--filter");
	if (!error && o->dataset &&
	    (!s->dataset || strcmp(plain_path(o->dataset), plain_path(s->dataset))))
		error = reason(reasons, "--dataset %s", o->dataset);
	if (!error && o->threshold >= 0 && o->threshold != s->threshold)
		error = reason(reasons, "--threshold %g", o->threshold);
	if (!error && o->repeat > 0 && o->repeat != s->repeat)
		error = reason(reasons, "--repeat %ld", o->repeat);
	if (!error && o->nshards > 1)
		error = reason(reasons, "--shard %u/%u", o->shard, o->nshards);
	/* a sample that takes every case is the whole suite */
	if (!error && r->sample && pops_sample_chosen(r->sample) < pops_sample_total(r->sample))
		error = reason(reasons, "sample");
	if (!error && g->over_budget)
		error = reason(reasons, "stopped by --max-cost");
	if (!error && g->interrupted)
		error = reason(reasons, "interrupted");
	return error;
}

static int evidence(pops_eval_group *g, struct runner *r)
{
	cJSON *e = NULL, *cases = NULL, *rec = NULL, *reasons = NULL;
	const cJSON *s = g->summary, *it;
	pops_buf line = POPS_BUF_INIT;
	int error = 0, got;

	/* pairwise scores depend on the baseline compared with: only the run knows it */
	if (r->bg && (error = pops_eval__fingerprint(r, pops_json_str(r->bg->evidence,
	                                                              "prompt_blob", NULL))) < 0)
		goto done;
	if (!(e = cJSON_CreateObject()) || !(reasons = cJSON_CreateArray()) ||
	    (error = partial_reasons(reasons, g, r)) < 0) {
		error = error < 0 ? error : pops_error_oom();
		goto done;
	}
	cJSON_ArrayForEach(it, r->fp.fields)
		cJSON_AddItemToObject(e, it->string, cJSON_Duplicate(it, 1));
	cJSON_AddStringToObject(e, "model_alias", r->alias);
	cJSON_AddStringToObject(e, "fingerprint", r->fp.hex);
	cJSON_AddStringToObject(e, "kind", cJSON_GetArraySize(reasons) ? "partial" : "complete");
	/* --env: what that environment served, run again (nightly drift); kept as history */
	if (r->o->env)
		cJSON_AddStringToObject(e, "env", r->o->env);
	if (cJSON_GetArraySize(reasons)) {
		cJSON_AddItemToObject(e, "partial_reasons", reasons);
		reasons = NULL;
	}
	if ((error = pops_evidence_put_scores(e, s)) < 0 || (error = pops_evidence_put_date(e)) < 0)
		goto done;
	/* --baseline compares per-label F1 with stored evidence too */
	if ((it = cJSON_GetObjectItemCaseSensitive(s, "classification")) &&
	    !cJSON_AddItemToObject(e, "classification", cJSON_Duplicate(it, 1))) {
		error = pops_error_oom();
		goto done;
	}
	if (!(cases = cJSON_AddObjectToObject(e, "case_results"))) {
		error = pops_error_oom();
		goto done;
	}
	rewind(r->spool);
	while ((got = pops_report_spool_next(r->spool, &rec, &line)) == 1) {
		const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
		const cJSON *rep = cJSON_GetObjectItemCaseSensitive(rec, "repeat");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(rec, "status");

		if (!cJSON_IsString(st) || !strcmp(st->valuestring, "error"))
			continue;
		pops_buf_clear(&line);
		pops_buf_printf(&line, "%s#%d", cJSON_IsString(id) ? id->valuestring : "",
		                cJSON_IsNumber(rep) ? rep->valueint : 0);
		cJSON_AddBoolToObject(cases, line.ptr, !strcmp(st->valuestring, "pass"));
	}
	if (got < 0) {
		error = got;
		goto done;
	}
	fseek(r->spool, 0, SEEK_END);
	g->evidence = e;
	e = NULL;
done:
	cJSON_Delete(reasons);
	cJSON_Delete(rec);
	cJSON_Delete(e);
	pops_buf_dispose(&line);
	return error;
}

void pops_eval_summary_read(pops_eval_summary *out, const cJSON *s)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(s, "baseline");
	const cJSON *cost = cJSON_GetObjectItemCaseSensitive(s, "cost_usd");

	memset(out, 0, sizeof(*out));
	out->suite = pops_json_str(s, "suite", "");
	out->prompt = pops_json_str(s, "prompt", "");
	out->model = pops_json_str(s, "model", "");
	out->model_id = pops_json_str(s, "model_id", "");
	out->repeat = pops_json_num(s, "repeat", 0.0);
	out->cases = pops_json_num(s, "cases", 0.0);
	out->passed = pops_json_num(s, "passed", 0.0);
	out->failed = pops_json_num(s, "failed", 0.0);
	out->errors = pops_json_num(s, "errors", 0.0);
	out->cached = pops_json_num(s, "cached", 0.0);
	out->sent = pops_json_num(s, "sent", 0.0);
	out->unsent = pops_json_num(s, "unsent", 0.0);
	out->rate_limited = pops_json_num(s, "rate_limited", 0.0);
	out->pass_rate = pops_json_num(s, "pass_rate", 0.0);
	out->ci_low = pops_json_num(s, "ci_low", 0.0);
	out->ci_high = pops_json_num(s, "ci_high", 0.0);
	out->threshold = pops_json_num(s, "threshold", 0.0);
	out->verdict = pops_json_str(s, "verdict", "");
	out->reason = pops_json_str(s, "reason", "");
	out->priced = cJSON_IsNumber(cost);
	out->cost_usd = out->priced ? cost->valuedouble : 0.0;
	out->cost_spent_usd = pops_json_num(s, "cost_spent_usd", 0.0);
	out->cost_saved_usd = pops_json_num(s, "cost_saved_usd", 0.0);
	out->input_tokens = pops_json_num(s, "input_tokens", 0.0);
	out->output_tokens = pops_json_num(s, "output_tokens", 0.0);
	out->latency_p50 = pops_json_num(s, "latency_p50", 0.0);
	out->latency_p95 = pops_json_num(s, "latency_p95", 0.0);
	out->latency_p99 = pops_json_num(s, "latency_p99", 0.0);
	out->duration_s = pops_json_num(s, "duration_s", 0.0);
	out->has_ttft = cJSON_GetObjectItemCaseSensitive(s, "ttft_p50") != NULL;
	out->ttft_p50 = pops_json_num(s, "ttft_p50", 0.0);
	out->ttft_p95 = pops_json_num(s, "ttft_p95", 0.0);
	out->ttft_p99 = pops_json_num(s, "ttft_p99", 0.0);
	out->has_cached_share = cJSON_GetObjectItemCaseSensitive(s, "cached_input_share") != NULL;
	out->cached_input_tokens = pops_json_num(s, "cached_input_tokens", 0.0);
	out->cached_input_share = pops_json_num(s, "cached_input_share", 0.0);
	out->incomplete = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(s, "complete"));
	out->has_pass_k = cJSON_GetObjectItemCaseSensitive(s, "pass_at_k") != NULL;
	out->pass_at_k = pops_json_num(s, "pass_at_k", 0.0);
	out->pass_hat_k = pops_json_num(s, "pass_hat_k", 0.0);
	if ((out->baseline.present = cJSON_IsObject(b))) {
		out->baseline.ref = pops_json_str(b, "ref", "");
		out->baseline.source = pops_json_str(b, "source", "");
		out->baseline.verdict = pops_json_str(b, "verdict", "");
		out->baseline.note = pops_json_str(b, "note", "");
		out->baseline.paired = pops_json_num(b, "paired", 0.0);
		out->baseline.newly_failing = pops_json_num(b, "newly_failing", 0.0);
		out->baseline.newly_passing = pops_json_num(b, "newly_passing", 0.0);
		out->baseline.p_value = pops_json_num(b, "p_value", 0.0);
		out->baseline.min_detectable_drop = pops_json_num(b, "min_detectable_drop", 0.0);
	} else {
		out->baseline.ref = out->baseline.source = out->baseline.verdict = "";
		out->baseline.note = "";
	}
}

int pops_eval_summary_scores(cJSON *s, const pops_eval_tally *t, int limits)
{
	pops_buf why = POPS_BUF_INIT;
	size_t scored = t->passed + t->failed;
	double lo, hi, rate = scored ? (double)t->passed / (double)scored : 0.0;
	double err_rate = t->cases ? (double)t->errors / (double)t->cases : 0.0;
	const char *verdict;
	int ok;

	pops_stats_wilson(&lo, &hi, t->passed, scored);
	if (t->unsent && t->down) {
		/* one line for the outage, not one per case */
		verdict = "error";
		pops_buf_printf(&why, "%s; stopped after %zu request%s, %zu case%s not sent", t->down,
		                t->sent, t->sent == 1 ? "" : "s", t->unsent, t->unsent == 1 ? "" : "s");
	} else if (t->cases && err_rate > t->max_error_rate) {
		verdict = "error";
		pops_buf_printf(&why, "%zu of %zu runs failed with errors (%.1f%%), above max_error_rate ",
		                t->errors, t->cases, 100 * err_rate);
		pops_buf_put_percent(&why, t->max_error_rate);
	} else if (!scored) {
		verdict = "fail";
		pops_buf_puts(&why, "no case was scored");
	} else if (rate + 1e-12 < t->threshold) {
		verdict = "fail";
		pops_buf_printf(&why, "pass rate %.1f%% is below the threshold ", 100 * rate);
		pops_buf_put_percent(&why, t->threshold);
	} else {
		verdict = "pass";
	}
	ok = cJSON_AddNumberToObject(s, "cases", (double)t->cases) &&
	     cJSON_AddNumberToObject(s, "passed", (double)t->passed) &&
	     cJSON_AddNumberToObject(s, "failed", (double)t->failed) &&
	     cJSON_AddNumberToObject(s, "errors", (double)t->errors) &&
	     cJSON_AddNumberToObject(s, "pass_rate", rate) &&
	     cJSON_AddNumberToObject(s, "ci_low", lo) &&
	     cJSON_AddNumberToObject(s, "ci_high", hi) &&
	     (!limits || (cJSON_AddNumberToObject(s, "threshold", t->threshold) &&
	                  cJSON_AddNumberToObject(s, "max_error_rate", t->max_error_rate))) &&
	     cJSON_AddStringToObject(s, "verdict", verdict) &&
	     (!why.size || cJSON_AddStringToObject(s, "reason", why.ptr)) && !pops_buf_oom(&why);
	pops_buf_dispose(&why);
	return ok ? 0 : pops_error_oom();
}

int pops_eval_summary_usage(cJSON *s, double in_tok, double out_tok, double *lat,
                            size_t nlat, double duration_s)
{
	int ok = cJSON_AddNumberToObject(s, "input_tokens", in_tok) &&
	         cJSON_AddNumberToObject(s, "output_tokens", out_tok) &&
	         cJSON_AddNumberToObject(s, "latency_p50", pops_stats_percentile(lat, nlat, 50)) &&
	         cJSON_AddNumberToObject(s, "latency_p95", pops_stats_percentile(lat, nlat, 95)) &&
	         cJSON_AddNumberToObject(s, "latency_p99", pops_stats_percentile(lat, nlat, 99)) &&
	         cJSON_AddNumberToObject(s, "duration_s", duration_s);

	return ok ? 0 : pops_error_oom();
}

/*
 * --batch: "mode": "batch", the batches' ids, their provider's type and
 * wall time; how many answers came with a latency is "latency_n" (a
 * Batch API answer has none, and is out of the percentiles).
 */
static int batch_summary(cJSON *s, const struct runner *r)
{
	cJSON *ids = r->batch_ids ? cJSON_Duplicate(r->batch_ids, 1) : cJSON_CreateArray();

	if (!ids || !cJSON_AddItemToObject(s, "batches", ids)) {
		cJSON_Delete(ids);
		return pops_error_oom();
	}
	return cJSON_AddStringToObject(s, "mode", "batch") &&
	       cJSON_AddStringToObject(s, "batch_provider", r->prov && r->prov->type ? r->prov->type : "") &&
	       cJSON_AddNumberToObject(s, "batch_wall_ms", r->batch_wall_ms) &&
	       cJSON_AddNumberToObject(s, "latency_n", (double)r->nlat) ? 0 : pops_error_oom();
}

int pops_eval__summary(pops_eval_group *g, struct runner *r, double duration_s)
{
	cJSON *s = cJSON_CreateObject();
	pops_buf why = POPS_BUF_INIT;
	pops_eval_tally t;

	POPS_CHECK_ALLOC(s);
	memset(&t, 0, sizeof(t));
	t.cases = r->done;
	t.passed = r->passed;
	t.failed = r->failed;
	t.errors = r->errors;
	t.threshold = r->threshold;
	t.max_error_rate = r->s->max_error_rate;
	t.down = r->down;
	t.sent = r->sent;
	t.unsent = r->unsent;
	cJSON_AddStringToObject(s, "suite", r->s->path);
	cJSON_AddStringToObject(s, "prompt", pops_eval_prompt_name(r->prompt));
	cJSON_AddStringToObject(s, "model", r->alias);
	cJSON_AddStringToObject(s, "model_id", r->model_id);
	/* the dataset as named (relative to the project root), where a record's "line" is */
	if (r->dataset_name)
		cJSON_AddStringToObject(s, "dataset", r->dataset_name);
	cJSON_AddNumberToObject(s, "repeat", (double)r->repeat);
	cJSON_AddNumberToObject(s, "planned", (double)(r->total_cases * (size_t)r->repeat));
	if (pops_eval_summary_scores(s, &t, 1) < 0 || pops_eval__class_summary(s, r) < 0 ||
	    pops_eval__jury_summary(s, r) < 0) {
		cJSON_Delete(s);
		return POPS_ERROR;
	}
	if (r->unpriced) {
		cJSON_AddNullToObject(s, "cost_usd");
	} else {
		cJSON_AddNumberToObject(s, "cost_usd", r->cost);
		cJSON_AddNumberToObject(s, "cost_spent_usd", r->spent);
		cJSON_AddNumberToObject(s, "cost_saved_usd", r->saved);
	}
	cJSON_AddNumberToObject(s, "cached", (double)r->cached);
	cJSON_AddNumberToObject(s, "sent", (double)r->sent);
	if (r->o->batch && batch_summary(s, r) < 0) {
		cJSON_Delete(s);
		return POPS_ERROR;
	}
	if (r->unsent)
		cJSON_AddNumberToObject(s, "unsent", (double)r->unsent);
	cJSON_AddNumberToObject(s, "rate_limited", (double)r->rate_limited);
	pops_eval_summary_usage(s, (double)r->in_tok, (double)r->out_tok, r->lat, r->nlat, duration_s);
	if (r->nttft) {
		cJSON_AddNumberToObject(s, "ttft_p50", pops_stats_percentile(r->ttft, r->nttft, 50));
		cJSON_AddNumberToObject(s, "ttft_p95", pops_stats_percentile(r->ttft, r->nttft, 95));
		cJSON_AddNumberToObject(s, "ttft_p99", pops_stats_percentile(r->ttft, r->nttft, 99));
	}
	if (r->cached_tok) {
		cJSON_AddNumberToObject(s, "cached_input_tokens", (double)r->cached_tok);
		cJSON_AddNumberToObject(s, "cached_input_share",
		                        r->in_tok > 0 ? (double)r->cached_tok / (double)r->in_tok : 0.0);
	}
	cJSON_AddBoolToObject(s, "complete", g->complete);
	if (g->interrupted)
		cJSON_AddStringToObject(s, "stopped", "interrupted");
	else if (g->over_budget)
		cJSON_AddStringToObject(s, "stopped", "max-cost");
	else if (r->unsent)
		cJSON_AddStringToObject(s, "stopped", "provider-down");
	add_pass_k(s, r);
	if (r->no_baseline) {
		/* a new prompt: not a regression, not an error; the thresholds decide */
		cJSON *b = cJSON_AddObjectToObject(s, "baseline");
		int env = pops_address_env_ref(r->o->config, r->o->baseline, NULL);

		pops_buf_clear(&why);
		pops_buf_printf(&why, "%s: no baseline %s %s (new prompt)", pops_eval_prompt_name(r->prompt),
		                env ? "in" : "at", r->o->baseline);
		cJSON_AddStringToObject(b, "ref", r->o->baseline);
		cJSON_AddStringToObject(b, "source", "none");
		cJSON_AddStringToObject(b, "verdict", "new prompt");
		cJSON_AddStringToObject(b, "note", why.ptr);
	}
	pops_buf_dispose(&why);
	g->summary = s;
	if (fflush(r->spool) != 0)
		return pops_error_os("result spool");
	/* eval score's evidence is of kind production, without case results */
	return r->production ? 0 : evidence(g, r);
}
