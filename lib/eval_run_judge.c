#include "common.h"
#include "eval_run_int.h"
#include "fileio.h"
#include "judge.h"
#include "report.h"
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
	int pass_score;
};

static int judge_prompt(pops_eval_prompt **out, struct runner *r, const char *path)
{
	struct judge_prompt *jp;
	pops_buf b = POPS_BUF_INIT, full = POPS_BUF_INIT;
	int error = 0;

	for (jp = r->jprompts; jp; jp = jp->next)
		if ((!path && !jp->path) || (path && jp->path && !strcmp(path, jp->path))) {
			*out = jp->p;
			return 0;
		}
	if (!(jp = calloc(1, sizeof(*jp))))
		return pops_error_set(POPS_ERROR, "out of memory");
	if (!path) {
		const char *t = pops_judge_default_prompt();

		error = pops_eval_prompt_parse(&jp->p, t, strlen(t), "pops-judge");
	} else {
		if (path[0] != '/' && r->o->root)
			pops_path_join(&full, r->o->root, path);
		else
			pops_buf_puts(&full, path);
		if (!(jp->path = pops_strdup(path)))
			error = pops_error_set(POPS_ERROR, "out of memory");
		else if ((error = pops_file_read(&b, full.ptr, POPS_PROMPT_MAX_BYTES)) == 0)
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

static const char *sget(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void jreq_free(struct jreq *q)
{
	if (!q)
		return;
	cJSON_Delete(q->messages);
	cJSON_Delete(q->schema);
	free(q);
}

/* build the judge request for `entry` of the held record */
static int make_request(struct runner *r, struct jholder *h, cJSON *entry,
                        pops_provider_request *req)
{
	struct jreq *q = calloc(1, sizeof(*q));
	pops_eval_prompt *jp = NULL;
	const pops_provider_cfg *prov;
	const char *id;
	const cJSON *ps;
	int error;

	if (!q)
		return pops_error_set(POPS_ERROR, "out of memory");
	q->h = h;
	q->entry = entry;
	ps = cJSON_GetObjectItemCaseSensitive(entry, "pass_score");
	q->pass_score = cJSON_IsNumber(ps) ? (int)ps->valuedouble : 0;
	if ((error = pops_eval__model(r->o->config, sget(entry, "model"), &prov, &id)) < 0 ||
	    (error = judge_prompt(&jp, r, sget(entry, "prompt"))) < 0)
		goto done;
	if ((error = pops_judge_messages(&q->messages, jp, sget(entry, "rubric"), sget(h->rec, "input"),
	                                 sget(h->rec, "output"),
	                                 cJSON_GetObjectItemCaseSensitive(h->rec, "expected"),
	                                 q->pass_score)) < 0)
		goto done;
	if (!(q->schema = pops_judge_output_schema(q->pass_score > 0))) {
		error = pops_error_set(POPS_ERROR, "out of memory");
		goto done;
	}
	req->provider = prov;
	req->model_id = id;
	req->messages = q->messages;
	req->config = pops_eval_prompt_config(jp);
	req->output_schema = q->schema;
	req->repeat = 0;
	req->user = q;
	q = NULL;
done:
	jreq_free(q);
	return error;
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
				if (i++ < r->jnext)
					continue;
				r->jnext = i;
				if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pending"))) {
					int err = make_request(r, r->jcur, e, req);

					return err < 0 ? err : 1;
				}
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
				return pops_error_set(POPS_ERROR, "out of memory");
			}
			h->rec = rec;
			rec = NULL;
			cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(h->rec, "asserts"))
				h->pending += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pending"));
			r->jcur = h;
			r->jnext = 0;
		}
	}
}

static int done2(void *payload, pops_provider_result *res)
{
	struct runner *r = payload;
	struct jreq *q = res->user;
	struct jholder *h = q->h;
	cJSON *e = q->entry, *cost;
	pops_buf why = POPS_BUF_INIT;
	int error = 0, pass = 0;
	double score = 0;

	cJSON_DeleteItemFromObjectCaseSensitive(e, "pending");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "prompt");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "rubric");
	if (res->status == POPS_EINTR) {
		h->dropped = 1;
		r->interrupted = 1;
	} else if (res->status != POPS_OK) {
		cJSON_AddBoolToObject(e, "pass", 0);
		cJSON_AddBoolToObject(e, "error", 1);
		pops_buf_printf(&why, "judge: %s", res->error ? res->error : "provider error");
		cJSON_AddStringToObject(e, "reason", why.ptr);
	} else if (pops_judge_parse(&pass, &score, &why, res->text, q->pass_score) < 0) {
		cJSON_AddBoolToObject(e, "pass", 0);
		cJSON_AddBoolToObject(e, "error", 1);
		cJSON_AddStringToObject(e, "reason", pops_error_last());
	} else {
		cJSON_AddBoolToObject(e, "pass", pass);
		cJSON_AddNumberToObject(e, "score", score);
		cJSON_AddStringToObject(e, "reason", why.ptr);
	}
	/* what the judge cost is part of what the case cost */
	cost = cJSON_GetObjectItemCaseSensitive(h->rec, "cost_usd");
	if (res->status != POPS_EINTR && cJSON_IsNumber(cost)) {
		if (res->priced)
			cJSON_SetNumberValue(cost, cost->valuedouble + res->cost_usd);
		else
			cJSON_ReplaceItemInObjectCaseSensitive(h->rec, "cost_usd", cJSON_CreateNull());
	}
	if (--h->pending == 0 && r->jcur != h) {
		if (!h->dropped)
			error = pops_eval__finalize(r, h->rec);
		cJSON_Delete(h->rec);
		free(h);
	}
	pops_buf_dispose(&why);
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
	error = r->o->engine(&po, next2, done2, r);
	if (error == POPS_EINTR) {
		r->interrupted = 1;
		error = 0;
	}
	return error;
}
