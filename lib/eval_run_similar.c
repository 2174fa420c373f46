#include "common.h"
#include "embed.h"
#include "eval_run_int.h"
#include "jsonget.h"
#include "report.h"
#include "strutil.h"

/*
 * The similar pass: after the requests and before the exec and judge
 * passes, every record with similar / not-similar entries waiting
 * ("pending_similar") gets them settled. Records are read
 * POPS_SIMILAR_CHUNK at a time; the chunk's outputs and values (each
 * distinct text once) are embedded together, so one embeddings request
 * carries up to POPS_EMBED_BATCH texts: the chunk's outputs and as
 * many values, so 10,000 outputs take at most one request per 100. Values are pinned: a value that
 * comes back (the same expected text in every repeat, or row after row)
 * is embedded once per run, whatever the cache says.
 */

#define POPS_SIMILAR_CHUNK 128

struct model {
	char *alias;
	pops_embedder *e;
	struct model *next;
};

struct pend {
	cJSON *rec, *entry;
	pops_embedder *e;
	size_t out_id, val_id;
};

struct spass {
	struct runner *r;
	pops_provider_options po;   /* the run's, with its pricing */
	struct model *models;
	cJSON *recs[POPS_SIMILAR_CHUNK];
	size_t nrecs;
	struct pend *p;
	size_t np, ap;
};

/* the embedder of model alias `alias`, made on first use */
static int embedder_of(struct spass *s, const char *alias, pops_embedder **out)
{
	struct model *m;
	pops_embed_options eo;
	const pops_provider_cfg *prov;
	const char *id;

	for (m = s->models; m; m = m->next)
		if (!strcmp(m->alias, alias)) {
			*out = m->e;
			return 0;
		}
	/* checked in setup: a failure here is a damaged spool */
	if (pops_eval__model(s->r->o->config, alias, &prov, &id) < 0)
		return pops_error_set(POPS_ERROR, "damaged result spool (embeddings model '%s')", alias);
	POPS_CHECK_ALLOC((m = calloc(1, sizeof(*m))));
	memset(&eo, 0, sizeof(eo));
	eo.provider = prov;
	eo.model_id = id;
	eo.popts = &s->po;
	if (!(m->alias = pops_strdup(alias)) || pops_embedder_new(&m->e, &eo) < 0) {
		free(m->alias);
		free(m);
		return pops_error_oom();
	}
	m->next = s->models;
	s->models = m;
	*out = m->e;
	return 0;
}

static int add_pend(struct spass *s, cJSON *rec, cJSON *entry)
{
	const char *out = pops_json_str(rec, "output", "");
	const char *val = pops_json_str(entry, "value", "");
	struct pend *p;
	int error;

	if (s->np == s->ap) {
		size_t na = s->ap ? s->ap * 2 : 256;
		struct pend *nv = realloc(s->p, na * sizeof(*nv));

		POPS_CHECK_ALLOC(nv);
		s->p = nv;
		s->ap = na;
	}
	p = &s->p[s->np];
	p->rec = rec;
	p->entry = entry;
	if ((error = embedder_of(s, pops_json_str(entry, "model", ""), &p->e)) < 0 ||
	    (error = pops_embedder_add(p->e, out, strlen(out), 0, &p->out_id)) < 0 ||
	    (error = pops_embedder_add(p->e, val, strlen(val), 1, &p->val_id)) < 0)
		return error;
	s->np++;
	return 0;
}

/* the entry's result in place of the pending one */
static int settle(struct pend *p)
{
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	const char *why = NULL, *why2 = NULL, *name = pops_json_str(p->entry, "type", "similar");
	const float *a, *b;
	size_t da, db;
	double w = pops_json_num(p->entry, "weight", 1.0);
	cJSON *e = cJSON_CreateObject();
	int error = 0;

	POPS_CHECK_ALLOC(e);
	a = pops_embedder_vector(p->e, p->out_id, &da, &why);
	b = pops_embedder_vector(p->e, p->val_id, &db, &why2);
	if (a && b) {
		error = pops_assert_similar_result(&res, !strncmp(name, "not-", 4),
		                                   pops_json_num(p->entry, "threshold",
		                                                 POPS_SIMILAR_THRESHOLD),
		                                   pops_json_str(p->entry, "value", ""),
		                                   pops_embed_cosine(a, b, da));
	} else {
		res.error = 1;
		pops_buf_printf(&res.reason, "embeddings: %s", why ? why : why2);
		error = pops_assert_one_line(&res.reason);
	}
	cJSON_AddStringToObject(e, "type", name);
	cJSON_AddBoolToObject(e, "pass", res.pass);
	if (res.error)
		cJSON_AddBoolToObject(e, "error", 1);
	cJSON_AddNumberToObject(e, "score", res.score);
	if (w != 1.0)
		cJSON_AddNumberToObject(e, "weight", w);
	if (res.reason.size)
		cJSON_AddStringToObject(e, "reason", res.reason.ptr);
	pops_buf_dispose(&res.reason);
	if (error < 0 || !cJSON_ReplaceItemViaPointer(
	                     cJSON_GetObjectItemCaseSensitive(p->rec, "asserts"), p->entry, e)) {
		cJSON_Delete(e);
		return error < 0 ? error : pops_error_oom();
	}
	return 0;
}

/* on to the exec pass, the judges, or scored */
static int route(struct runner *r, cJSON *rec)
{
	const cJSON *e;
	int judges = 0, execs = 0;

	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(rec, "asserts")) {
		judges |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pending"));
		execs |= cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pending_exec"));
	}
	if (execs)
		return pops_eval__write_record(r->spool_x, rec);
	return judges ? pops_eval__write_record(r->spool1, rec) : pops_eval__finalize(r, rec);
}

/* embed and settle the chunk read, route its records */
static int flush(struct spass *s)
{
	struct model *m;
	size_t i;
	int error = 0;

	for (m = s->models; m && !error; m = m->next)
		error = pops_embedder_run(m->e);
	if (error == POPS_EINTR) {
		s->r->interrupted = 1;
		error = 0;
	}
	for (i = 0; i < s->np && !error; i++)
		error = settle(&s->p[i]);
	for (i = 0; i < s->nrecs && !error; i++)
		error = route(s->r, s->recs[i]);
	for (i = 0; i < s->nrecs; i++)
		cJSON_Delete(s->recs[i]);
	for (m = s->models; m; m = m->next)
		pops_embedder_forget(m->e);
	s->nrecs = s->np = 0;
	return error;
}

static int read_all(struct spass *s)
{
	cJSON *rec = NULL, *e;
	int got = 0, error = 0;

	while (!error && !s->r->interrupted &&
	       (got = pops_report_spool_next(s->r->spool_s, &rec, &s->r->line)) == 1) {
		s->recs[s->nrecs++] = rec;
		cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(rec, "asserts"))
			if (!error && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "pending_similar")))
				error = add_pend(s, rec, e);
		rec = NULL;
		if (!error && s->nrecs == POPS_SIMILAR_CHUNK)
			error = flush(s);
	}
	if (!error && got < 0)
		error = got;
	if (!error && s->nrecs)
		error = flush(s);
	return error;
}

/* what the embeddings cost: in the run's cost, what it spent and what the cache saved */
static void account(struct spass *s)
{
	struct runner *r = s->r;
	struct model *m;

	for (m = s->models; m; m = m->next) {
		const pops_embed_stats *st = pops_embedder_stats(m->e);

		r->embed_requests += st->requests;
		if (!st->priced)
			continue;
		r->cost += st->cost_usd;
		r->spent += st->cost_usd;
		r->budget_spent += st->cost_usd;
		r->saved += st->saved_usd;
	}
}

int pops_eval__similar_pass(struct runner *r)
{
	struct spass s;
	struct model *m, *next;
	size_t i;
	int error;

	memset(&s, 0, sizeof(s));
	s.r = r;
	s.po = r->o->popts;
	s.po.config = r->o->config;
	if (fflush(r->spool_s) != 0)
		return pops_error_os("temporary file");
	rewind(r->spool_s);
	error = read_all(&s);
	account(&s);
	for (i = 0; i < s.nrecs; i++)
		cJSON_Delete(s.recs[i]);
	for (m = s.models; m; m = next) {
		next = m->next;
		pops_embedder_free(m->e);
		free(m->alias);
		free(m);
	}
	free(s.p);
	return error;
}
