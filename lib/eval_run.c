#include "common.h"
#include <math.h>
#include <time.h>
#include "eval_run_int.h"
#include "eval_sample.h"
#include "metrics_class.h"
#include "fileio.h"
#include "judge.h"
#include "strutil.h"


static void rcase_release(struct rcase *rc)
{
	if (!rc || --rc->refs > 0)
		return;
	pops_case_dispose(&rc->c);
	pops_suite_asserts_free(rc->ca, rc->nca);
	cJSON_Delete(rc->scope);
	cJSON_Delete(rc->messages);
	free(rc->input_text);
	free(rc);
}

char *pops_eval__messages_text(const cJSON *msgs)
{
	pops_buf b = POPS_BUF_INIT;
	const cJSON *m, *part;

	cJSON_ArrayForEach(m, msgs) {
		cJSON_ArrayForEach(part, cJSON_GetObjectItemCaseSensitive(m, "content")) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");

			if (cJSON_IsString(t)) {
				if (b.size)
					pops_buf_putc(&b, '\n');
				pops_buf_puts(&b, t->valuestring);
			}
		}
	}
	return pops_buf_detach(&b);
}

static cJSON *record_new(const struct rcase *rc, unsigned repeat)
{
	cJSON *rec = cJSON_CreateObject();

	if (!rec)
		return NULL;
	cJSON_AddStringToObject(rec, "id", rc->c.id);
	cJSON_AddNumberToObject(rec, "repeat", repeat);
	cJSON_AddNumberToObject(rec, "case_index", (double)rc->ordinal);
	/* where the row is, for CI annotations: the dataset's line, or the suite's for inline tests */
	if (rc->c.line)
		cJSON_AddNumberToObject(rec, "line", rc->c.line);
	if (rc->c.file && rc->inline_row)
		cJSON_AddStringToObject(rec, "file", rc->c.file);
	cJSON_AddItemToObject(rec, "vars", cJSON_Duplicate(rc->c.vars, 1));
	if (rc->c.expected)
		cJSON_AddItemToObject(rec, "expected", cJSON_Duplicate(rc->c.expected, 1));
	if (rc->c.threshold >= 0)
		cJSON_AddNumberToObject(rec, "case_threshold", rc->c.threshold);
	/* a conversation's earlier turns; the output is the final turn's reply */
	if (rc->c.messages)
		cJSON_AddItemToObject(rec, "messages", cJSON_Duplicate(rc->c.messages, 1));
	/* provenance (dataset add): kept in the reports, never rendered */
	if (rc->c.meta)
		cJSON_AddItemToObject(rec, "meta", cJSON_Duplicate(rc->c.meta, 1));
	return rec;
}

/* a case whose prompt cannot be rendered: one error record per repeat */
static int render_error(struct runner *r, struct rcase *rc)
{
	long i;
	int error = 0;

	for (i = 0; i < r->repeat && !error; i++) {
		cJSON *rec = record_new(rc, (unsigned)i);

		POPS_CHECK_ALLOC(rec);
		cJSON_AddStringToObject(rec, "status", "error");
		cJSON_AddStringToObject(rec, "error", pops_error_last());
		cJSON_AddItemToObject(rec, "asserts", cJSON_CreateArray());
		error = pops_eval__finalize(r, rec);
		cJSON_Delete(rec);
	}
	return error;
}

/*
 * --max-cost before any result: the first case's request, and what its
 * judges will cost after it, kept in reserve so that the model's calls
 * do not spend what the judge pass needs (the judge is asked about a
 * prompt and an output of about this size; pairwise asks twice)
 */
static void estimate_first(struct runner *r, const struct rcase *rc)
{
	size_t i;

	r->est_request = pops_eval__estimate(r->o->config, r->model_id, rc->messages, r->config);
	for (i = 0; i < r->s->nasserts; i++) {
		const pops_assert *a = r->s->asserts[i];
		int orders = pops_assert_judge_requests(a);
		double e0, e1;

		if (!pops_assert_needs_model(a) || (a->type == POPS_ASSERT_PAIRWISE && r->skip_pairwise) ||
		    (e0 = pops_eval__judge_estimate(r, a, rc->messages, 0)) < 0)
			continue;
		/* fixed per case, plus so much per token of the model's reply */
		e1 = pops_eval__judge_estimate(r, a, rc->messages, 1);
		r->judge_fixed += orders * e0;
		r->judge_per_reply += orders * (e1 - e0);
		r->judge_requests += (size_t)orders;
	}
}

/*
 * --max-cost: what the judges of one case will cost, by the replies seen
 * so far (until then the reply the model may give: max_tokens, or 256)
 */
static double judge_reserve(const struct runner *r)
{
	const cJSON *mt = cJSON_GetObjectItemCaseSensitive(r->config, "max_tokens");
	double reply = r->replies ? r->reply_tokens / (double)r->replies :
	               cJSON_IsNumber(mt) ? mt->valuedouble : POPS_HTTP_OUTPUT_TOKENS_GUESS;

	return r->judge_fixed + r->judge_per_reply * reply;
}

int pops_eval__advance(struct runner *r)
{
	struct rcase *rc;
	int got, error;

	rcase_release(r->cur);
	r->cur = NULL;
	for (;;) {
		rc = calloc(1, sizeof(*rc));
		POPS_CHECK_ALLOC(rc);
		rc->c.threshold = -1;
		rc->refs = 1;
		if ((got = pops_eval__source_next(r, &rc->c)) != 1 || !pops_eval__selected(r, &rc->c)) {
			rcase_release(rc);
			if (got != 1)
				return got;
			continue;
		}
		rc->ordinal = r->ordinal++;
		rc->inline_row = !r->ds || r->ds_done;
		if ((error = pops_suite_case_asserts(&rc->ca, &rc->nca, &rc->c)) < 0 ||
		    (error = pops_suite_apply_vars(r->s, &rc->c)) < 0 ||
		    !(rc->scope = pops_case_scope(&rc->c))) {
			rcase_release(rc);
			return error < 0 ? error : pops_error_oom();
		}
		if ((error = pops_eval_prompt_render_turns(&rc->messages, r->prompt, rc->c.vars,
		                                         rc->c.messages)) < 0) {
			if (error == POPS_ERROR) {
				rcase_release(rc);
				return error;
			}
			error = render_error(r, rc);
			rcase_release(rc);
			if (error < 0)
				return error;
			continue;
		}
		if (r->o->max_cost >= 0 && r->ordinal == 1)
			estimate_first(r, rc);
		if (r->has_judges && !(rc->input_text = pops_eval__messages_text(rc->messages))) {
			rcase_release(rc);
			return pops_error_oom();
		}
		r->cur = rc;
		r->next_repeat = 0;
		return 1;
	}
}

static int next1(void *payload, pops_provider_request *req)
{
	struct runner *r = payload;
	struct rreq *rq;
	int got;

	if (r->over_budget)
		return 0;
	while (!r->cur || r->next_repeat >= (unsigned)r->repeat)
		if ((got = pops_eval__advance(r)) <= 0)
			return got;
	rq = calloc(1, sizeof(*rq));
	POPS_CHECK_ALLOC(rq);
	rq->rc = r->cur;
	rq->repeat = r->next_repeat++;
	r->cur->refs++;
	req->provider = r->prov;
	req->model_id = r->model_id;
	req->messages = r->cur->messages;
	req->config = r->config;
	req->output_schema = r->output_schema;
	req->tools = pops_eval__tool_defs(r);
	req->tool_choice = pops_eval__tool_choice(r);
	req->repeat = rq->repeat;
	req->user = rq;
	r->inflight++;
	r->produced++;
	return 1;
}

static void add_assert_result(cJSON *arr, const pops_assert *a, const pops_assert_result *res)
{
	cJSON *e = cJSON_CreateObject();

	if (!e)
		return;
	cJSON_AddStringToObject(e, "type", a->name);
	cJSON_AddBoolToObject(e, "pass", res->pass);
	if (res->error)
		cJSON_AddBoolToObject(e, "error", 1);
	cJSON_AddNumberToObject(e, "score", res->score);
	if (a->weight != 1.0)
		cJSON_AddNumberToObject(e, "weight", a->weight);
	if (res->reason.size)
		cJSON_AddStringToObject(e, "reason", res->reason.ptr);
	cJSON_AddItemToArray(arr, e);
}

/* a judge assertion waiting for the judge pass: enough to rebuild the request */
static void add_pending(cJSON *arr, const pops_assert *a)
{
	cJSON *e = cJSON_CreateObject();

	if (!e)
		return;
	cJSON_AddStringToObject(e, "type", a->name);
	cJSON_AddBoolToObject(e, "pending", 1);
	cJSON_AddStringToObject(e, "model", a->model);
	cJSON_AddStringToObject(e, "rubric", a->rubric);
	if (a->require_win)
		cJSON_AddStringToObject(e, "require", "win");
	if (a->prompt)
		cJSON_AddStringToObject(e, "prompt", a->prompt);
	if (a->pass_score)
		cJSON_AddNumberToObject(e, "pass_score", a->pass_score);
	if (a->conversation)
		cJSON_AddStringToObject(e, "scope", "conversation");
	if (a->weight != 1.0)
		cJSON_AddNumberToObject(e, "weight", a->weight);
	pops_eval__judge_entry(e, a);
	cJSON_AddItemToArray(arr, e);
}

/*
 * a RAG preset: pending with the case's `context` for the judge to read;
 * a case without one (or context-recall's without `expected`) gets an
 * error entry instead, never a pass. 1 when pending, 0 when not.
 */
static int add_pending_preset(cJSON *arr, const pops_assert *a, const pops_assert_input *in)
{
	const cJSON *ctx = cJSON_GetObjectItemCaseSensitive(in->scope, "context");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(in->scope, "expected");
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	char *text = NULL;

	if (ctx && !cJSON_IsNull(ctx)) {
		text = cJSON_IsString(ctx) ? NULL : cJSON_PrintUnformatted(ctx);
		if (!pops_judge_preset_needs_expected(a->preset) || (exp && !cJSON_IsNull(exp))) {
			add_pending(arr, a);
			cJSON_AddStringToObject(cJSON_GetArrayItem(arr, cJSON_GetArraySize(arr) - 1),
			                        "context", text ? text : cJSON_IsString(ctx) ? ctx->valuestring : "");
			free(text);
			return 1;
		}
		free(text);
		pops_buf_printf(&res.reason, "%s:%u: %s compares the context with the case's expected "
		                "answer: case '%s' has no 'expected'", a->file, a->line, a->name,
		                in->case_id ? in->case_id : "");
	} else {
		pops_buf_printf(&res.reason, "%s:%u: %s grades against the case variable 'context' (the "
		                "retrieved text): case '%s' has none; add 'context' to its dataset row",
		                a->file, a->line, a->name, in->case_id ? in->case_id : "");
	}
	res.error = 1;
	add_assert_result(arr, a, &res);
	pops_buf_dispose(&res.reason);
	return 0;
}

/* an exec assertion waiting for the exec pass: its command and timeout */
static void add_pending_exec(cJSON *arr, const pops_assert *a)
{
	cJSON *e = cJSON_CreateObject(), *cmd;
	size_t i;

	if (!e)
		return;
	cJSON_AddStringToObject(e, "type", a->name);
	cJSON_AddBoolToObject(e, "pending_exec", 1);
	if ((cmd = cJSON_AddArrayToObject(e, "command")))
		for (i = 0; a->argv[i]; i++)
			cJSON_AddItemToArray(cmd, cJSON_CreateString(a->argv[i]));
	cJSON_AddNumberToObject(e, "timeout_ms", (double)a->timeout_ms);
	if (a->weight != 1.0)
		cJSON_AddNumberToObject(e, "weight", a->weight);
	cJSON_AddItemToArray(arr, e);
}

/* a similar assertion waiting for the similar pass: its model, value (expanded), threshold */
static int add_pending_similar(const struct runner *r, cJSON *arr, const pops_assert *a,
                               const pops_assert_input *in)
{
	pops_buf v = POPS_BUF_INIT;
	cJSON *e = cJSON_CreateObject();
	int error = a->templated ? pops_assert_expand(&v, a->value, in->scope) :
	            pops_buf_sets(&v, a->value);

	if (!error && e) {
		cJSON_AddStringToObject(e, "type", a->name);
		cJSON_AddBoolToObject(e, "pending_similar", 1);
		cJSON_AddStringToObject(e, "model", a->model ? a->model : r->o->config->embeddings);
		cJSON_AddStringToObject(e, "value", v.ptr ? v.ptr : "");
		cJSON_AddNumberToObject(e, "threshold", a->threshold);
		if (a->weight != 1.0)
			cJSON_AddNumberToObject(e, "weight", a->weight);
		if (!cJSON_AddItemToArray(arr, e))
			error = pops_error_oom();
		e = NULL;
	}
	cJSON_Delete(e);
	pops_buf_dispose(&v);
	return error < 0 ? error : 0;
}

int pops_eval__score_list(const struct runner *r, cJSON *arr, pops_assert **list, size_t n,
                          const pops_assert_input *in, int *pending, int *xpending,
                          int *spending)
{
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < n && !error; i++) {
		if (list[i]->type == POPS_ASSERT_PAIRWISE && r->skip_pairwise)
			continue;
		if (list[i]->preset) {
			*pending += add_pending_preset(arr, list[i], in);
			continue;
		}
		if (pops_assert_needs_model(list[i])) {
			add_pending(arr, list[i]);
			(*pending)++;
			continue;
		}
		/* commands run later, side by side: here they would hold up the
		 * requests in flight (and their latency) while they run */
		if (list[i]->type == POPS_ASSERT_EXEC) {
			add_pending_exec(arr, list[i]);
			(*xpending)++;
			continue;
		}
		/* embedded later, many outputs per request */
		if (pops_assert_needs_embeddings(list[i])) {
			error = add_pending_similar(r, arr, list[i], in);
			(*spending)++;
			continue;
		}
		if ((error = pops_assert_check(&res, list[i], in)) == 0)
			add_assert_result(arr, list[i], &res);
	}
	pops_buf_dispose(&res.reason);
	return error;
}

static int done1(void *payload, pops_provider_result *res)
{
	struct runner *r = payload;
	struct rreq *rq = res->user;
	struct rcase *rc = rq->rc;
	cJSON *rec = NULL, *arr;
	int error = 0, pending = 0, xpending = 0, spending = 0;

	r->inflight--;
	pops_eval__count(r, res, 0);
	if (res->status == POPS_EINTR) {
		/* cancelled before it finished: not run, so not counted */
		r->interrupted = 1;
		goto done;
	}
	/* in the engine's `spent` by estimate (no usage): part of the average too */
	if (res->status == POPS_OK && !res->priced && res->cost_estimate > 0 && !res->cache_hit)
		r->estimated_done++;
	if (!(rec = record_new(rc, rq->repeat)) || !(arr = cJSON_AddArrayToObject(rec, "asserts"))) {
		error = pops_error_oom();
		goto done;
	}
	if (res->status != POPS_OK) {
		cJSON_AddStringToObject(rec, "status", "error");
		cJSON_AddStringToObject(rec, "error", res->error ? res->error : "provider error");
	} else {
		pops_assert_input in = { res->text, strlen(res->text), rc->scope, res->latency_ms,
		                         res->priced ? res->cost_usd : -1.0, rc->c.id, r->o->root,
		                         res->streamed ? res->ttft_ms : -1.0, res->tool_calls,
		                         pops_eval__tool_defs(r) };

		cJSON_AddStringToObject(rec, "output", res->text);
		if (res->tool_calls)
			cJSON_AddItemToObject(rec, "tool_calls", cJSON_Duplicate(res->tool_calls, 1));
		if (res->finish_reason)
			cJSON_AddStringToObject(rec, "finish_reason", res->finish_reason);
		if ((error = pops_eval__score_list(r, arr, r->s->asserts, r->s->nasserts, &in, &pending,
		                        &xpending, &spending)) < 0 ||
		    (error = pops_eval__score_list(r, arr, rc->ca, rc->nca, &in, &pending, &xpending,
		                        &spending)) < 0)
			goto done;
		if (pending)
			cJSON_AddStringToObject(rec, "input", rc->input_text ? rc->input_text : "");
	}
	/* a Batch API answer has no latency of its own: null, out of the percentiles */
	if (res->latency_ms >= 0)
		cJSON_AddNumberToObject(rec, "latency_ms", res->latency_ms);
	else
		cJSON_AddNullToObject(rec, "latency_ms");
	if (res->streamed)
		cJSON_AddNumberToObject(rec, "ttft_ms", res->ttft_ms);
	if (res->cached_tokens > 0)
		cJSON_AddNumberToObject(rec, "cached_tokens", (double)res->cached_tokens);
	if (res->input_tokens >= 0)
		cJSON_AddNumberToObject(rec, "input_tokens", (double)res->input_tokens);
	if (res->output_tokens >= 0)
		cJSON_AddNumberToObject(rec, "output_tokens", (double)res->output_tokens);
	if (res->priced)
		cJSON_AddNumberToObject(rec, "cost_usd", res->cost_usd);
	else
		cJSON_AddNullToObject(rec, "cost_usd");
	cJSON_AddNumberToObject(rec, "attempts", res->attempts);
	cJSON_AddBoolToObject(rec, "cached", res->cache_hit);
	if (r->o->batch && res->status == POPS_OK && !res->cache_hit)
		cJSON_AddTrueToObject(rec, "batch");
	if (spending)
		error = pops_eval__write_record(r->spool_s, rec);
	else if (xpending)
		error = pops_eval__write_record(r->spool_x, rec);
	else if (pending)
		error = pops_eval__write_record(r->spool1, rec);
	else
		error = pops_eval__finalize(r, rec);
done:
	cJSON_Delete(rec);
	rcase_release(rc);
	free(rq);
	return error;
}

void pops_eval__progress(struct runner *r)
{
	pops_eval_progress p;

	if (!r->o->progress)
		return;
	p.total = r->total_cases * (size_t)r->repeat;
	p.done = r->done;
	p.passed = r->passed;
	p.failed = r->failed;
	p.errors = r->errors;
	p.cost_usd = r->cost;
	p.unpriced = r->unpriced;
	r->o->progress(r->o->progress_payload, &p);
}

static int budget(void *payload, double spent)
{
	struct runner *r = payload;
	double avg;

	if (r->max_cost < 0)
		return 0;
	/* before any priced (or estimated) result, the estimate from the rendered prompt;
	 * `spent` is this batch's, the runner's budget_spent the same here */
	avg = r->priced_done + r->estimated_done ?
	      spent / (double)(r->priced_done + r->estimated_done) : r->est_request;
	/* the judges of every case taken so far, and of the next, are spoken for */
	r->judge_each = r->judge_requests ? judge_reserve(r) / (double)r->judge_requests : 0;
	return pops_eval__over_budget(r, 0, 0) ||
	       r->budget_spent + judge_reserve(r) * (double)(r->produced + 1) +
	       avg * (double)(r->inflight + 1) > r->max_cost ? (r->over_budget = 1) : 0;
}

void pops_eval__dispose(struct runner *r)
{
	rcase_release(r->cur);
	pops_eval__judge_free(r);
	pops_eval__baseline_free(r);
	pops_eval_prompt_free(r->prompt);
	free(r->model_id);
	cJSON_Delete(r->config);
	cJSON_Delete(r->tools);
	free(r->dataset_path);
	pops_dataset_free(r->ds);
	pops_fingerprint_dispose(&r->fp);
	pcre2_match_data_free(r->filter_md);
	pcre2_code_free(r->filter);
	pops_sample_free(r->sample);
	if (r->spool1)
		fclose(r->spool1);
	if (r->spool_x)
		fclose(r->spool_x);
	if (r->spool_s)
		fclose(r->spool_s);
	if (r->spool)
		fclose(r->spool);
	pops_class_free(r->cls);
	free(r->jury);
	free(r->lat);
	cJSON_Delete(r->batch_ids);
	free(r->ttft);
	free(r->runs_per_case);
	free(r->pass_per_case);
	pops_buf_dispose(&r->line);
	pops_buf_dispose(&r->tmp);
	free(r->down);
	for (size_t i = 0; i < r->njudges; i++)
		free((char *)r->judges[i].alias);
	free(r->judges);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int pops_eval_run(pops_eval_group **out, const pops_suite *s, const pops_eval_options *o)
{
	struct runner r;
	pops_eval_group *g = NULL;
	pops_provider_options po = o->popts;
	double t0 = now_s();
	int error;

	*out = NULL;
	memset(&r, 0, sizeof(r));
	r.line = (pops_buf)POPS_BUF_INIT;
	r.tmp = (pops_buf)POPS_BUF_INIT;
	if ((error = pops_eval__setup(&r, s, o)) < 0 || (error = pops_eval__prepass(&r)) < 0 ||
	    (error = pops_eval__check_providers(&r)) < 0 || (error = pops_eval__batch_check(&r)) < 0)
		goto done;
	if (!(g = calloc(1, sizeof(*g)))) {
		error = pops_error_oom();
		goto done;
	}
	if (!(r.spool = tmpfile()) || (r.has_judges && !(r.spool1 = tmpfile())) ||
	    (r.has_exec && !(r.spool_x = tmpfile())) ||
	    (r.has_similar && !(r.spool_s = tmpfile()))) {
		error = pops_error_os("temporary file");
		goto done;
	}
	if (r.repeat > 1 && r.total_cases) {
		r.runs_per_case = calloc(r.total_cases, sizeof(*r.runs_per_case));
		r.pass_per_case = calloc(r.total_cases, sizeof(*r.pass_per_case));
		if (!r.runs_per_case || !r.pass_per_case) {
			error = pops_error_oom();
			goto done;
		}
	}
	po.config = o->config;
	po.budget = budget;
	pops_eval__progress(&r);
	if (r.has_pairwise && (error = pops_eval__baseline_start(&r)) < 0)
		goto done;
	/* with a budget, load the first case now: its prompt gives the cost estimate */
	if (!r.interrupted && o->max_cost >= 0 && (error = pops_eval__advance(&r)) < 0)
		goto done;
	error = r.interrupted ? 0 : pops_eval__send(&r, &po, next1, done1, 0);
	if (error == POPS_EINTR) {
		r.interrupted = 1;
		error = 0;
	}
	if (error < 0)
		goto done;
	if (o->popts.cancel && *o->popts.cancel)
		r.interrupted = 1;
	if (r.has_similar && !r.interrupted && (error = pops_eval__similar_pass(&r)) < 0)
		goto done;
	if (r.has_exec && !r.interrupted && (error = pops_eval__exec_pass(&r)) < 0)
		goto done;
	if (r.has_judges && !r.interrupted && (error = pops_eval__judge_pass(&r)) < 0)
		goto done;
	g->complete = !r.interrupted && !r.over_budget;
	g->interrupted = r.interrupted;
	g->over_budget = r.over_budget;
	g->no_baseline = r.no_baseline;
	g->spent = r.budget_spent;
	if ((error = pops_eval__summary(g, &r, now_s() - t0)) < 0)
		goto done;
	g->spool = r.spool;
	r.spool = NULL;
	g->baseline = r.bg;
	r.bg = NULL;
done:
	pops_eval__dispose(&r);
	if (error < 0)
		pops_eval_group_free(g);
	else
		*out = g;
	return error;
}

void pops_eval_group_free(pops_eval_group *g)
{
	if (!g)
		return;
	cJSON_Delete(g->summary);
	cJSON_Delete(g->evidence);
	cJSON_Delete(g->reused);
	pops_eval_group_free(g->baseline);
	if (g->spool)
		fclose(g->spool);
	free(g);
}
