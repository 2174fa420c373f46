#include "common.h"
#include <git2.h>
#include <time.h>
#include "eval_run_int.h"
#include "report.h"
#include "jsonget.h"
#include "stats.h"
#include "strutil.h"

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
	size_t i;
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
	if (cJSON_GetArraySize(reasons)) {
		cJSON_AddItemToObject(e, "partial_reasons", reasons);
		reasons = NULL;
	}
	{
		static const char *const copy[] = { "cases", "passed", "failed", "errors", "pass_rate",
			"ci_low", "ci_high", "threshold", "verdict", "cost_usd", NULL };

		for (i = 0; copy[i]; i++)
			cJSON_AddItemToObject(e, copy[i],
			    cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(s, copy[i]), 1));
	}
	{
		time_t now = time(NULL);
		struct tm tm;
		char date[32];

		gmtime_r(&now, &tm);
		strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", &tm);
		cJSON_AddStringToObject(e, "date", date);
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

int pops_eval__summary(pops_eval_group *g, struct runner *r, double duration_s)
{
	cJSON *s = cJSON_CreateObject();
	pops_buf why = POPS_BUF_INIT;
	double lo, hi, rate, err_rate;
	size_t scored = r->passed + r->failed;
	const char *verdict;

	POPS_CHECK_ALLOC(s);
	rate = scored ? (double)r->passed / (double)scored : 0.0;
	pops_stats_wilson(&lo, &hi, r->passed, scored);
	err_rate = r->done ? (double)r->errors / (double)r->done : 0.0;
	if (r->unsent && r->down) {
		/* one line for the outage, not one per case */
		verdict = "error";
		pops_buf_printf(&why, "%s; stopped after %zu request%s, %zu case%s not sent", r->down,
		                r->sent, r->sent == 1 ? "" : "s", r->unsent, r->unsent == 1 ? "" : "s");
	} else if (r->done && err_rate > r->s->max_error_rate) {
		verdict = "error";
		pops_buf_printf(&why, "%zu of %zu runs failed with errors (%.1f%%), above max_error_rate ",
		                r->errors, r->done, 100 * err_rate);
		pops_buf_put_percent(&why, r->s->max_error_rate);
	} else if (!scored) {
		verdict = "fail";
		pops_buf_puts(&why, "no case was scored");
	} else if (rate + 1e-12 < r->threshold) {
		verdict = "fail";
		pops_buf_printf(&why, "pass rate %.1f%% is below the threshold ", 100 * rate);
		pops_buf_put_percent(&why, r->threshold);
	} else {
		verdict = "pass";
	}
	cJSON_AddStringToObject(s, "suite", r->s->path);
	cJSON_AddStringToObject(s, "prompt", pops_eval_prompt_name(r->prompt));
	cJSON_AddStringToObject(s, "model", r->alias);
	cJSON_AddStringToObject(s, "model_id", r->model_id);
	cJSON_AddNumberToObject(s, "repeat", (double)r->repeat);
	cJSON_AddNumberToObject(s, "planned", (double)(r->total_cases * (size_t)r->repeat));
	cJSON_AddNumberToObject(s, "cases", (double)r->done);
	cJSON_AddNumberToObject(s, "passed", (double)r->passed);
	cJSON_AddNumberToObject(s, "failed", (double)r->failed);
	cJSON_AddNumberToObject(s, "errors", (double)r->errors);
	cJSON_AddNumberToObject(s, "pass_rate", rate);
	cJSON_AddNumberToObject(s, "ci_low", lo);
	cJSON_AddNumberToObject(s, "ci_high", hi);
	cJSON_AddNumberToObject(s, "threshold", r->threshold);
	cJSON_AddNumberToObject(s, "max_error_rate", r->s->max_error_rate);
	cJSON_AddStringToObject(s, "verdict", verdict);
	if (why.size)
		cJSON_AddStringToObject(s, "reason", why.ptr);
	if (r->unpriced)
		cJSON_AddNullToObject(s, "cost_usd");
	else
		cJSON_AddNumberToObject(s, "cost_usd", r->cost);
	if (!r->unpriced) {
		cJSON_AddNumberToObject(s, "cost_spent_usd", r->spent);
		cJSON_AddNumberToObject(s, "cost_saved_usd", r->saved);
	}
	cJSON_AddNumberToObject(s, "cached", (double)r->cached);
	cJSON_AddNumberToObject(s, "sent", (double)r->sent);
	if (r->unsent)
		cJSON_AddNumberToObject(s, "unsent", (double)r->unsent);
	cJSON_AddNumberToObject(s, "rate_limited", (double)r->rate_limited);
	cJSON_AddNumberToObject(s, "input_tokens", (double)r->in_tok);
	cJSON_AddNumberToObject(s, "output_tokens", (double)r->out_tok);
	cJSON_AddNumberToObject(s, "latency_p50", pops_stats_percentile(r->lat, r->nlat, 50));
	cJSON_AddNumberToObject(s, "latency_p95", pops_stats_percentile(r->lat, r->nlat, 95));
	cJSON_AddNumberToObject(s, "latency_p99", pops_stats_percentile(r->lat, r->nlat, 99));
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
	cJSON_AddNumberToObject(s, "duration_s", duration_s);
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
		int env = pops_config_env(r->o->config, r->o->baseline, NULL) != NULL;

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
	return evidence(g, r);
}
