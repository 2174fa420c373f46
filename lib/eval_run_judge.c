#include "common.h"
#include "jsonget.h"
#include "confine.h"
#include "eval_run_int.h"
#include "fileio.h"
#include "judge.h"
#include "closure.h"
#include "pairwise.h"
#include "report.h"
#include "stats.h"
#include "strutil.h"

/* The judge pass: a second streamed batch over the records that wait for judges. */

struct jholder {
	cJSON *rec;
	int pending;
	int dropped;           /* a judge call was cancelled: the record is not counted */
};

struct jreq {
	struct jholder *h;
	cJSON *entry;
	cJSON *messages;
	cJSON *schema;
	cJSON *config;         /* the judge alias's config under the judge prompt's */
	int pass_score;
	int order;             /* pairwise: 0 = the current output as A, 1 = as B; judge: -1 */
	int sub;               /* judge: which of the entry's requests (jury judge x rewording) */
	int nreq;              /* judge: how many the entry makes (1: a plain judge) */
	int scale_max;         /* judge: 0, 5 or 10 */
	char *rubric;          /* judge: the rubric reworded (self_consistency), or NULL */
};

/*
 * The judge prompt at `path` (relative to the root, and confined to it:
 * a suite's judge prompt symlinked to /proc/self/environ would send the
 * keys to the judge and echo them in a parse error), or the built-in one
 * (`pairwise` 1: pops-pairwise, 2: the RAG presets' pops-context-judge,
 * 0: pops-judge); parsed once
 */
int pops_eval__judge_prompt(pops_eval_prompt **out, struct runner *r, const char *path,
                            int pairwise)
{
	struct judge_prompt *jp;
	pops_buf b = POPS_BUF_INIT, full = POPS_BUF_INIT;
	int error = 0;

	for (jp = r->jprompts; jp; jp = jp->next)
		if ((!path && !jp->path && jp->pairwise == pairwise) ||
		    (path && jp->path && !strcmp(path, jp->path))) {
			*out = jp->p;
			return 0;
		}
	jp = calloc(1, sizeof(*jp));
	POPS_CHECK_ALLOC(jp);
	jp->pairwise = pairwise;
	if (!path) {
		const char *t = pairwise == 1 ? pops_pairwise_default_prompt() :
		                pairwise == 2 ? pops_judge_context_prompt() : pops_judge_default_prompt();

		error = pops_eval_prompt_parse(&jp->p, t, strlen(t), pairwise == 1 ? "pops-pairwise" :
		                               pairwise == 2 ? "pops-context-judge" : "pops-judge");
	} else {
		if (path[0] != '/' && r->o->root)
			pops_path_join(&full, r->o->root, path);
		else
			pops_buf_puts(&full, path);
		if (!(jp->path = pops_strdup(path)))
			error = pops_error_oom();
		else if ((error = r->o->root ? pops_confine_project_read(&b, full.ptr, r->o->root, path,
		                                                         POPS_PROMPT_MAX_BYTES)
		                             : pops_file_read(&b, full.ptr, POPS_PROMPT_MAX_BYTES)) == 0)
			error = pops_eval_prompt_parse(&jp->p, b.ptr, b.size, path);
	}
	if (error < 0) {
		free(jp->path);
		free(jp);
	} else {
		jp->next = r->jprompts;
		r->jprompts = jp;
		*out = jp->p;
	}
	pops_buf_dispose(&b);
	pops_buf_dispose(&full);
	return error;
}

void pops_eval__judge_free(struct runner *r)
{
	struct judge_prompt *jp, *n;

	for (jp = r->jprompts; jp; jp = n) {
		n = jp->next;
		pops_eval_prompt_free(jp->p);
		free(jp->path);
		free(jp);
	}
	r->jprompts = NULL;
	if (r->jcur) {
		cJSON_Delete(r->jcur->rec);
		free(r->jcur);
		r->jcur = NULL;
	}
}

static void jreq_free(struct jreq *q)
{
	if (!q)
		return;
	cJSON_Delete(q->messages);
	cJSON_Delete(q->schema);
	cJSON_Delete(q->config);
	free(q->rubric);
	free(q);
}

static int is_pairwise(const cJSON *entry)
{
	const char *t = pops_json_str(entry, "type", NULL);

	return t && !strcmp(t, "pairwise");
}

void pops_eval__judge_entry(cJSON *e, const pops_assert *a)
{
	cJSON *m;
	size_t i;

	if (a->type != POPS_ASSERT_JUDGE)
		return;
	if (a->nmodels && (m = cJSON_AddArrayToObject(e, "models"))) {
		for (i = 0; i < a->nmodels; i++)
			cJSON_AddItemToArray(m, cJSON_CreateString(a->models[i]));
		cJSON_AddStringToObject(e, "aggregate", pops_jury_aggregate_name(a->aggregate));
	}
	if (a->scale_max)
		cJSON_AddStringToObject(e, "scale", a->scale_max == 10 ? "1-10" : "1-5");
	if (a->self_consistency > 1)
		cJSON_AddNumberToObject(e, "self_consistency", a->self_consistency);
}

/* an entry's self_consistency (1 or 2) */
static int times_asked(const cJSON *e)
{
	double n = pops_json_num(e, "self_consistency", 1);

	return n >= 2 ? 2 : 1;
}

/* the requests one pending entry makes: pairwise 2, a judge one per jury judge and rewording */
static int requests_of(const cJSON *e)
{
	int n = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "models"));

	if (is_pairwise(e))
		return 2;
	return (n > 0 ? n : 1) * times_asked(e);
}

/* the judge alias of request `sub` of entry `e` */
static const char *sub_model(const cJSON *e, int sub)
{
	const cJSON *m = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(e, "models"),
	                                    sub / times_asked(e));

	return cJSON_IsString(m) ? m->valuestring : pops_json_str(e, "model", NULL);
}

/* the judge's messages and answer schema for `q` */
static int judge_messages(struct jreq *q, pops_eval_prompt *jp)
{
	const struct jholder *h = q->h;
	const cJSON *expected = cJSON_GetObjectItemCaseSensitive(h->rec, "expected");
	int error;

	if (q->order >= 0) {
		const char *cur = pops_json_str(h->rec, "output", NULL),
		           *base = pops_json_str(q->entry, "baseline_output", NULL);

		error = pops_pairwise_messages(&q->messages, jp, pops_json_str(q->entry, "rubric", NULL),
		                               pops_json_str(h->rec, "input", NULL), q->order ? base : cur,
		                               q->order ? cur : base, expected);
		q->schema = pops_pairwise_output_schema();
	} else if (pops_json_str(q->entry, "context", NULL)) {
		int smax = q->scale_max ? q->scale_max : q->pass_score ? 5 : 0;

		/* a RAG preset: the retrieved context beside the output */
		error = pops_judge_messages_context(&q->messages, jp, q->rubric ? q->rubric :
		                                    pops_json_str(q->entry, "rubric", NULL),
		                                    pops_json_str(h->rec, "input", NULL),
		                                    pops_json_str(h->rec, "output", NULL), expected,
		                                    pops_json_str(q->entry, "context", NULL),
		                                    q->pass_score, smax);
		q->schema = pops_judge_output_schema_scale(smax);
	} else if (q->scale_max || q->rubric) {
		error = pops_judge_messages_scale(&q->messages, jp, q->rubric ? q->rubric :
		                                  pops_json_str(q->entry, "rubric", NULL),
		                                  pops_json_str(h->rec, "input", NULL),
		                                  pops_json_str(h->rec, "output", NULL), expected,
		                                  q->pass_score, q->scale_max ? q->scale_max :
		                                  q->pass_score ? 5 : 0);
		q->schema = pops_judge_output_schema_scale(q->scale_max ? q->scale_max :
		                                           q->pass_score ? 5 : 0);
	} else {
		pops_buf conv = POPS_BUF_INIT;
		const char *out = pops_json_str(h->rec, "output", NULL);

		/* scope: conversation: the judge grades every turn, the final reply last */
		if (!strcmp(pops_json_str(q->entry, "scope", ""), "conversation")) {
			if (pops_judge_conversation(&conv, cJSON_GetObjectItemCaseSensitive(h->rec,
			                            "messages"), out) < 0)
				return POPS_ERROR;
			out = conv.ptr;
		}
		error = pops_judge_messages(&q->messages, jp,
		                            pops_json_str(q->entry, "rubric", NULL),
		                            pops_json_str(h->rec, "input", NULL), out, expected,
		                            q->pass_score);
		pops_buf_dispose(&conv);
		q->schema = pops_judge_output_schema(q->pass_score > 0);
	}
	if (error == 0 && !q->schema)
		error = pops_error_oom();
	return error;
}

/* build the judge request for `entry` of the held record (`order`: see struct jreq) */
static int make_request(struct runner *r, struct jholder *h, cJSON *entry, int order, int sub,
                        pops_provider_request *req)
{
	struct jreq *q = calloc(1, sizeof(*q));
	pops_eval_prompt *jp = NULL;
	const pops_provider_cfg *prov;
	const char *id, *alias = order >= 0 ? pops_json_str(entry, "model", NULL) : sub_model(entry, sub);
	const cJSON *ps;
	int error;

	POPS_CHECK_ALLOC(q);
	q->h = h;
	q->entry = entry;
	q->order = order;
	q->sub = sub;
	q->nreq = order >= 0 ? 2 : requests_of(entry);
	q->scale_max = !strcmp(pops_json_str(entry, "scale", ""), "1-10") ? 10 :
	               pops_json_str(entry, "scale", NULL) ? 5 : 0;
	ps = cJSON_GetObjectItemCaseSensitive(entry, "pass_score");
	q->pass_score = cJSON_IsNumber(ps) ? (int)ps->valuedouble : 0;
	/* self-consistency: every second request asks with the rubric reworded */
	if (order < 0 && times_asked(entry) > 1 && sub % 2 &&
	    !(q->rubric = pops_judge_reword(pops_json_str(entry, "rubric", NULL)))) {
		jreq_free(q);
		return pops_error_oom();
	}
	if ((error = pops_eval__model(r->o->config, alias, &prov, &id)) < 0 ||
	    (error = pops_eval__judge_prompt(&jp, r, pops_json_str(entry, "prompt", NULL),
	                                     order >= 0 ? 1 : pops_json_str(entry, "context", NULL) ?
	                                     2 : 0)) < 0 ||
	    (error = judge_messages(q, jp)) < 0)
		goto done;
	/* a judge alias's pops.yaml config applies as for any model: the fingerprint has it */
	if ((error = pops_closure_model_config(&q->config, r->o->config, alias,
	                                       pops_eval_prompt_config(jp))) < 0)
		goto done;
	req->provider = prov;
	req->model_id = id;
	req->messages = q->messages;
	req->config = q->config->child ? q->config : NULL;  /* as before when there is none */
	req->output_schema = q->schema;
	req->repeat = 0;
	req->user = q;
	q = NULL;
done:
	jreq_free(q);
	return error;
}

/* a judged entry is done: the keys that rebuilt its request go */
static void settle(cJSON *e)
{
	cJSON_DeleteItemFromObjectCaseSensitive(e, "pending");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "prompt");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "rubric");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "context");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "left");
}

static void fail_entry(cJSON *e, const char *why)
{
	settle(e);
	cJSON_AddBoolToObject(e, "pass", 0);
	cJSON_AddBoolToObject(e, "error", 1);
	cJSON_AddNumberToObject(e, "score", 0);
	cJSON_AddStringToObject(e, "reason", why);
}

/*
 * Before the first of a pairwise entry's two requests: its baseline
 * output. 1 when found (kept in the entry), 0 when there is none (the
 * entry is settled as an error and its two requests are not made).
 */
static int pair_start(struct runner *r, struct jholder *h, cJSON *e)
{
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(h->rec, "id");
	const cJSON *rep = cJSON_GetObjectItemCaseSensitive(h->rec, "repeat");
	pops_buf why = POPS_BUF_INIT;
	cJSON *b = NULL;
	int got;

	if (!cJSON_IsString(id) || !cJSON_IsNumber(rep))
		return pops_error_set(POPS_ERROR, "damaged result spool");
	if ((got = pops_eval__baseline_record(r, id->valuestring, (unsigned)rep->valuedouble, &b)) < 0)
		return got;
	if (got && pops_json_str(b, "output", NULL)) {
		cJSON_AddStringToObject(e, "baseline_output", pops_json_str(b, "output", NULL));
		cJSON_AddNumberToObject(e, "left", 2);
		cJSON_Delete(b);
		return 1;
	}
	if (got)
		pops_buf_printf(&why, "no baseline output for this case: %s",
		                pops_json_str(b, "error", "the baseline run has none"));
	else
		pops_buf_puts(&why, "no baseline output for this case: the baseline run did not include it");
	fail_entry(e, why.ptr);
	h->pending -= 2;
	cJSON_Delete(b);
	pops_buf_dispose(&why);
	return 0;
}

/* both orders answered: combine them (or report the first error) */
static void pair_finish(cJSON *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "verdicts");
	pops_pair_verdict va = pops_pairwise_verdict_from(pops_json_str(v, "current_as_a", NULL));
	pops_pair_verdict vb = pops_pairwise_verdict_from(pops_json_str(v, "current_as_b", NULL));
	pops_pair_outcome o = pops_pairwise_combine(va, vb);
	int pass = o == POPS_PAIR_WIN || (o == POPS_PAIR_EVEN && !pops_json_str(e, "require", NULL));
	pops_buf why = POPS_BUF_INIT;

	if (pops_json_str(e, "judge_error", NULL)) {
		pops_buf_puts(&why, pops_json_str(e, "judge_error", NULL));
		cJSON_DeleteItemFromObjectCaseSensitive(e, "judge_error");
		fail_entry(e, why.ptr);
	} else {
		settle(e);
		pops_pairwise_reason(&why, o, va, vb);
		cJSON_AddStringToObject(e, "outcome", pops_pairwise_outcome_name(o));
		cJSON_AddBoolToObject(e, "pass", pass);
		cJSON_AddNumberToObject(e, "score", pass ? 1.0 : 0.0);
		cJSON_AddStringToObject(e, "reason", why.ptr);
	}
	pops_buf_dispose(&why);
}

/* one order of a pairwise entry came back */
static void pair_result(cJSON *e, int order, const pops_provider_result *res)
{
	const char *k = order ? "current_as_b" : "current_as_a";
	pops_buf why = POPS_BUF_INIT, reasoning = POPS_BUF_INIT;
	pops_pair_verdict v = POPS_PAIR_TIE; /* read only once parsed */
	cJSON *left = cJSON_GetObjectItemCaseSensitive(e, "left"), *o;

	if (res->status != POPS_OK)
		pops_buf_printf(&why, "pairwise judge: %s", res->error ? res->error : "provider error");
	else if (pops_pairwise_parse(&v, &reasoning, res->text) < 0)
		pops_buf_puts(&why, pops_error_last());
	/* an out-of-memory message is still a failure: v was never parsed */
	if (why.size || pops_buf_oom(&why)) {
		if (!pops_json_str(e, "judge_error", NULL))
			cJSON_AddStringToObject(e, "judge_error", why.size ? why.ptr : "out of memory");
	} else {
		if (!(o = cJSON_GetObjectItemCaseSensitive(e, "verdicts")))
			o = cJSON_AddObjectToObject(e, "verdicts");
		cJSON_AddStringToObject(o, k, pops_pairwise_verdict_name(v));
		if (!(o = cJSON_GetObjectItemCaseSensitive(e, "reasoning")))
			o = cJSON_AddObjectToObject(e, "reasoning");
		cJSON_AddStringToObject(o, k, reasoning.ptr);
	}
	if (left && cJSON_IsNumber(left) && cJSON_SetNumberValue(left, left->valuedouble - 1) <= 0)
		pair_finish(e);
	pops_buf_dispose(&why);
	pops_buf_dispose(&reasoning);
}

static int next2(void *payload, pops_provider_request *req)
{
	struct runner *r = payload;
	cJSON *rec = NULL;
	int got;

	for (;;) {
		if (r->jcur) {
			cJSON *arr = cJSON_GetObjectItemCaseSensitive(r->jcur->rec, "asserts"), *e;
			size_t i = 0;

			cJSON_ArrayForEach(e, arr) {
				int pair, order, sub, err;

				if (i++ < r->jnext)
					continue;
				if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pending"))) {
					r->jnext = i;
					continue;
				}
				pair = is_pairwise(e);
				if (pair && r->jorder == 0 && (err = pair_start(r, r->jcur, e)) <= 0) {
					if (err < 0)
						return err;
					r->jnext = i;    /* settled without a judge */
					continue;
				}
				/* a jury's votes come back in any order: count them down */
				if (!pair && r->jorder == 0 && requests_of(e) > 1)
					cJSON_AddNumberToObject(e, "left", requests_of(e));
				/* an entry of several requests is visited once for each: pairwise
				 * both orders, a jury each judge (and each rewording) */
				sub = r->jorder;
				order = pair ? sub : -1;
				if (sub + 1 < requests_of(e)) {
					r->jorder++;
				} else {
					r->jorder = 0;
					r->jnext = i;
				}
				if ((err = make_request(r, r->jcur, e, order, sub, req)) < 0)
					return err;
				/* --max-cost covers the judges: no call past the budget */
				/* (before any judge has answered: the estimate the model's calls
				 * kept in reserve, so that what was reserved is what is spent) */
				if (r->max_cost >= 0 && pops_eval__over_budget(r, r->judge_costed ?
				        r->judge_spent / (double)r->judge_costed : r->judge_each,
				        r->jinflight + 1)) {
					jreq_free(req->user);
					memset(req, 0, sizeof(*req));
					return 0;
				}
				r->jinflight++;
				return 1;
			}
			/* all its requests are out: done2 finishes it, unless they all came back */
			{
				struct jholder *h = r->jcur;
				int err = 0;

				r->jcur = NULL;
				if (h->pending == 0) {
					if (!h->dropped)
						err = pops_eval__finalize(r, h->rec);
					cJSON_Delete(h->rec);
					free(h);
					if (err < 0)
						return err;
				}
			}
		}
		got = pops_report_spool_next(r->spool1, &rec, &r->line);
		if (got <= 0)
			return got;
		{
			struct jholder *h = calloc(1, sizeof(*h));
			cJSON *e;

			if (!h) {
				cJSON_Delete(rec);
				return pops_error_oom();
			}
			h->rec = rec;
			rec = NULL;
			cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(h->rec, "asserts"))
				if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pending")))
					h->pending += requests_of(e);
			r->jcur = h;
			r->jnext = 0;
			r->jorder = 0;
		}
	}
}

/* a judge assertion's answer */
static void judge_result(cJSON *e, const struct jreq *q, const pops_provider_result *res)
{
	pops_buf why = POPS_BUF_INIT;
	int pass = 0;
	double score = 0;

	settle(e);
	if (res->status != POPS_OK) {
		cJSON_AddBoolToObject(e, "pass", 0);
		cJSON_AddBoolToObject(e, "error", 1);
		pops_buf_printf(&why, "judge: %s", res->error ? res->error : "provider error");
		cJSON_AddStringToObject(e, "reason", why.ptr);
	} else if (pops_judge_parse_scale(&pass, &score, &why, res->text, q->pass_score,
	                                  q->scale_max) < 0) {
		cJSON_AddBoolToObject(e, "pass", 0);
		cJSON_AddBoolToObject(e, "error", 1);
		cJSON_AddStringToObject(e, "reason", pops_error_last());
	} else {
		/* the judge's reasoning is the reason: one line like every other */
		pops_assert_one_line(&why);
		cJSON_AddBoolToObject(e, "pass", pass);
		cJSON_AddNumberToObject(e, "score", score);
		cJSON_AddStringToObject(e, "reason", why.ptr);
	}
	pops_buf_dispose(&why);
}

/* one more jury verdict (judges passing, failing), for Fleiss' kappa */
static int note_jury(struct runner *r, unsigned pass, unsigned fail)
{
	if (r->njury == r->ajury) {
		size_t na = r->ajury ? r->ajury * 2 : 256;
		unsigned *n = realloc(r->jury, na * 2 * sizeof(*n));

		POPS_CHECK_ALLOC(n);
		r->jury = n;
		r->ajury = na;
	}
	r->jury[2 * r->njury] = pass;
	r->jury[2 * r->njury + 1] = fail;
	r->njury++;
	return 0;
}

/*
 * One judge of a jury (or a self-consistency pair) from its votes `a`
 * and, asked twice, `b` (the rubric reworded): a new {"model","pass",
 * "score","reason"} or {"model","pass":false,"error":true,"reason"}.
 */
static cJSON *one_judge(const char *model, const cJSON *a, const cJSON *b)
{
	cJSON *o = cJSON_CreateObject();
	int pa = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "pass"));
	int pb = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "pass"));
	const cJSON *bad = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "error")) ? a :
	                   b && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(b, "error")) ? b : NULL;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "model", model ? model : "");
	if (bad || (b && pa != pb)) {
		/* a judge that contradicts itself decides nothing: an error, not a pass */
		cJSON_AddBoolToObject(o, "pass", 0);
		cJSON_AddBoolToObject(o, "error", 1);
		cJSON_AddNumberToObject(o, "score", 0);
		cJSON_AddStringToObject(o, "reason", bad ? pops_json_str(bad, "reason", "judge error") :
		                        pa ? "self-consistency: pass with the rubric as written, fail "
		                             "with it reworded" :
		                             "self-consistency: fail with the rubric as written, pass "
		                             "with it reworded");
		return o;
	}
	cJSON_AddBoolToObject(o, "pass", pa);
	cJSON_AddNumberToObject(o, "score", b ? (pops_json_num(a, "score", 0) +
	                                         pops_json_num(b, "score", 0)) / 2 :
	                                        pops_json_num(a, "score", 0));
	cJSON_AddStringToObject(o, "reason", pops_json_str(a, "reason", ""));
	return o;
}

/* does the jury pass? `npass` of `n` judges passed, their mean score `mean` */
static int jury_pass(const cJSON *e, size_t npass, size_t n, double mean)
{
	const char *agg = pops_json_str(e, "aggregate", "majority");
	double need = 0.5;
	int max = !strcmp(pops_json_str(e, "scale", ""), "1-10") ? 10 : 5;

	if (!strcmp(agg, "all"))
		return npass == n;
	if (!strcmp(agg, "any"))
		return npass > 0;
	if (!strcmp(agg, "mean")) {
		/* the scale's threshold, on the 0..1 scores */
		if (pops_json_num(e, "pass_score", 0) > 0)
			need = (pops_json_num(e, "pass_score", 0) - 1) / (double)(max - 1);
		return mean >= need - 1e-9;
	}
	return 2 * npass > n;
}

/* every vote of a jury entry is in: the judges, their aggregate, the reason */
static int jury_finish(struct runner *r, cJSON *e)
{
	cJSON *votes = cJSON_GetObjectItemCaseSensitive(e, "votes"), *judges = cJSON_CreateArray(), *o;
	int k = times_asked(e), nj = requests_of(e) / k, j;
	int jury = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(e, "models"));
	pops_buf why = POPS_BUF_INIT, fails = POPS_BUF_INIT;
	size_t npass = 0, nerr = 0;
	double ssum = 0;
	int pass, error = 0;

	POPS_CHECK_ALLOC(judges);
	for (j = 0; j < nj; j++) {
		if (!(o = one_judge(sub_model(e, j * k), cJSON_GetArrayItem(votes, j * k),
		                    k > 1 ? cJSON_GetArrayItem(votes, j * k + 1) : NULL)) ||
		    !cJSON_AddItemToArray(judges, o)) {
			cJSON_Delete(o);
			error = pops_error_oom();
			goto done;
		}
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "error"))) {
			if (!nerr++)
				pops_buf_printf(&why, "%s%s%s", jury ? pops_json_str(o, "model", "") : "",
				                jury ? ": " : "", pops_json_str(o, "reason", ""));
			continue;
		}
		npass += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "pass"));
		ssum += pops_json_num(o, "score", 0);
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "pass")))
			pops_buf_printf(&fails, "; %s: %s", pops_json_str(o, "model", ""),
			                pops_json_str(o, "reason", ""));
	}
	cJSON_DeleteItemFromObjectCaseSensitive(e, "votes");
	if (nerr) {
		/* a judge that gave no usable verdict: the entry is an error, never a pass */
		fail_entry(e, why.ptr);
	} else {
		settle(e);
		pass = jury ? jury_pass(e, npass, (size_t)nj, ssum / nj) :
		       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(judges, 0), "pass"));
		pops_buf_clear(&why);
		if (jury)
			pops_buf_printf(&why, "%zu of %d judges pass (%s)%s", npass, nj,
			                pops_json_str(e, "aggregate", "majority"), fails.size ? fails.ptr : "");
		else
			pops_buf_puts(&why, pops_json_str(cJSON_GetArrayItem(judges, 0), "reason", ""));
		pops_assert_one_line(&why);
		cJSON_AddBoolToObject(e, "pass", pass);
		cJSON_AddNumberToObject(e, "score", jury && strcmp(pops_json_str(e, "aggregate", ""), "mean") ?
		                        (pass ? 1.0 : 0.0) : ssum / nj);
		cJSON_AddStringToObject(e, "reason", why.ptr);
		if (jury && (error = note_jury(r, (unsigned)npass, (unsigned)(nj - (int)npass))) < 0)
			goto done;
	}
	cJSON_AddItemToObject(e, "judges", judges);
	judges = NULL;
	if (pops_buf_oom(&why) || pops_buf_oom(&fails))
		error = pops_error_oom();
done:
	cJSON_Delete(judges);
	pops_buf_dispose(&why);
	pops_buf_dispose(&fails);
	return error;
}

/* one vote of a jury (or of a self-consistency pair) came back */
static int jury_result(struct runner *r, const struct jreq *q, const pops_provider_result *res)
{
	cJSON *e = q->entry, *votes = cJSON_GetObjectItemCaseSensitive(e, "votes"), *v, *left;
	pops_buf why = POPS_BUF_INIT;
	int pass = 0, i;
	double score = 0;

	if (!votes && (votes = cJSON_AddArrayToObject(e, "votes")))
		for (i = 0; i < q->nreq; i++)
			cJSON_AddItemToArray(votes, cJSON_CreateNull());
	if (!votes || !(v = cJSON_CreateObject()))
		return pops_error_oom();
	if (res->status != POPS_OK) {
		pops_buf_printf(&why, "judge: %s", res->error ? res->error : "provider error");
		cJSON_AddBoolToObject(v, "error", 1);
	} else if (pops_judge_parse_scale(&pass, &score, &why, res->text, q->pass_score,
	                                  q->scale_max) < 0) {
		pops_buf_sets(&why, pops_error_last());
		cJSON_AddBoolToObject(v, "error", 1);
	}
	pops_assert_one_line(&why);
	cJSON_AddBoolToObject(v, "pass", pass);
	cJSON_AddNumberToObject(v, "score", score);
	cJSON_AddStringToObject(v, "reason", why.ptr);
	pops_buf_dispose(&why);
	if (!cJSON_ReplaceItemInArray(votes, q->sub, v)) {
		cJSON_Delete(v);
		return pops_error_oom();
	}
	left = cJSON_GetObjectItemCaseSensitive(e, "left");
	if (!cJSON_IsNumber(left))
		return 0;
	cJSON_SetNumberHelper(left, left->valuedouble - 1);
	return left->valuedouble <= 0 ? jury_finish(r, e) : 0;
}

int pops_eval__jury_summary(cJSON *summary, const struct runner *r)
{
	double k;

	if (!r->njury)
		return 0;
	k = pops_stats_fleiss_kappa(r->jury, r->njury, 2);
	if (!cJSON_AddNumberToObject(summary, "jury_cases", (double)r->njury) ||
	    !(k > -2 ? cJSON_AddNumberToObject(summary, "kappa", k) :
	               cJSON_AddNullToObject(summary, "kappa")))
		return pops_error_oom();
	return 0;
}

static int done2(void *payload, pops_provider_result *res)
{
	struct runner *r = payload;
	struct jreq *q = res->user;
	struct jholder *h = q->h;
	cJSON *cost;
	int error = 0;

	pops_eval__count(r, res, 1);
	r->jinflight--;
	if (res->status == POPS_EINTR) {
		h->dropped = 1;
		r->interrupted = 1;
	} else if (q->order >= 0) {
		pair_result(q->entry, q->order, res);
	} else if (q->nreq > 1) {
		error = jury_result(r, q, res);
	} else {
		judge_result(q->entry, q, res);
	}
	/* what the judge cost is part of what the case cost */
	cost = cJSON_GetObjectItemCaseSensitive(h->rec, "cost_usd");
	if (res->status != POPS_EINTR && cost && cJSON_IsNumber(cost)) {
		if (res->priced)
			cJSON_SetNumberValue(cost, cost->valuedouble + res->cost_usd);
		else
			cJSON_ReplaceItemInObjectCaseSensitive(h->rec, "cost_usd", cJSON_CreateNull());
	}
	if (--h->pending == 0 && r->jcur != h) {
		if (!h->dropped && !error)
			error = pops_eval__finalize(r, h->rec);
		cJSON_Delete(h->rec);
		free(h);
	}
	jreq_free(q);
	return error;
}

int pops_eval__judge_pass(struct runner *r)
{
	pops_provider_options po = r->o->popts;
	int error;

	if (fflush(r->spool1) != 0)
		return pops_error_os("result spool");
	rewind(r->spool1);
	po.config = r->o->config;
	/* --no-cache-judge: fresh verdicts, still written for the next run */
	if (r->o->no_cache_judge && po.cache == POPS_CACHE_USE)
		po.cache = POPS_CACHE_REFRESH;
	error = pops_eval__send(r, &po, next2, done2, 1);
	if (error == POPS_EINTR) {
		r->interrupted = 1;
		error = 0;
	}
	return error;
}
