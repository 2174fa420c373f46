#include "common.h"
#include <time.h>
#include "eval_run_int.h"
#include "eval_score.h"
#include "evidence.h"
#include "jsonget.h"
#include "rollout.h"
#include "strutil.h"

/*
 * `pops eval score` (eval_score.h): the runner of lib/eval_run, with the
 * records file in place of the dataset and of the model under test.
 * Setup, exec and judge passes, finalize and the summary are the run's.
 */

static int two(const char *p, int *out)
{
	if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
		return -1;
	*out = (p[0] - '0') * 10 + (p[1] - '0');
	return 0;
}

int pops_eval_score_time(long long *out, const char *s)
{
	char base[21];
	const char *p;
	int oh, om;
	long long off = 0;

	if (!s || !*s)
		return POPS_EINVALID;
	if (strspn(s, "0123456789") == strlen(s) && strlen(s) < 20) {
		long long v = strtoll(s, NULL, 10);

		/* seconds, milliseconds, microseconds or nanoseconds since the epoch */
		while (v > 100000000000LL)
			v /= 1000;
		*out = v;
		return 0;
	}
	if (strlen(s) < 19)
		return POPS_EINVALID;
	memcpy(base, s, 19);
	if (base[10] == ' ' || base[10] == 't')
		base[10] = 'T';
	base[19] = 'Z';
	base[20] = '\0';
	p = s + 19;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && two(p + 1, &oh) == 0 && p[3] == ':' &&
	           two(p + 4, &om) == 0) {
		off = (long long)(oh * 3600 + om * 60) * (*p == '+' ? 1 : -1);
		p += 6;
	} else if (*p) {
		return POPS_EINVALID;
	}
	if (*p || pops_rollout_parse_time(out, base) < 0)
		return POPS_EINVALID;
	*out -= off;
	return 0;
}

/* what the first pass over the records finds */
struct scan {
	size_t records;
	long long from, to;       /* window; from > to: no timestamp seen */
	char *served;             /* the first served version met */
	int mixed;                /* and another one too */
};

static int scan_records(struct scan *sc, const pops_eval_score_options *o)
{
	pops_records *rs = NULL;
	pops_record rec = POPS_RECORD_INIT;
	int got, error;

	sc->from = 1;
	sc->to = 0;
	if ((error = pops_records_open(&rs, o->outputs, o->format)) < 0)
		return error;
	while ((got = pops_records_next(rs, &rec)) == 1) {
		long long t;

		sc->records++;
		if (rec.timestamp && pops_eval_score_time(&t, rec.timestamp) == 0) {
			if (sc->from > sc->to || t < sc->from)
				sc->from = t;
			if (sc->from > sc->to || t > sc->to)
				sc->to = t;
			if (sc->from > sc->to)
				sc->from = sc->to = t;
		}
		if (rec.served && !sc->served && !(sc->served = pops_strdup(rec.served))) {
			got = pops_error_oom();
			break;
		}
		if (rec.served && strcmp(rec.served, sc->served))
			sc->mixed = 1;
	}
	pops_record_dispose(&rec);
	pops_records_free(rs);
	return got < 0 ? got : 0;
}

/* the prompt name of the suite's address ("triage", "triage@3", "triage:prod" -> "triage") */
static int suite_prompt_name(pops_buf *out, const pops_suite *s, const char *what)
{
	pops_address a;

	if (pops_address_parse(&a, s->prompt) < 0)
		return pops_error_set(POPS_EINVALID,
		                      "%s: %s needs the suite's prompt named by name, not '%s'", s->path,
		                      what, s->prompt);
	pops_buf_sets(out, a.name);
	pops_address_dispose(&a);
	return pops_buf_oom(out) ? pops_error_oom() : 0;
}

/* "name@N:env" while env still serves version N: "name:env" (the release), else "name@N" */
static int served_address(pops_buf *addr, const pops_suite *s, const pops_eval_score_options *o,
                          const char *served)
{
	char name[256], env[128];
	long version;
	int canary, error;
	pops_resolved *res = NULL;
	pops_buf want = POPS_BUF_INIT;

	if ((error = pops_served_parse(served, name, sizeof(name), &version, env, sizeof(env),
	                               &canary)) < 0)
		return pops_error_prefix(error, "%s: ", o->outputs);
	if ((error = suite_prompt_name(&want, s, "a served version")) == 0 && strcmp(want.ptr, name))
		error = pops_error_set(POPS_EINVALID,
		    "%s: the records were served by '%s', but %s evaluates '%s': pass the suite of '%s'",
		    o->outputs, served, s->path, want.ptr, name);
	pops_buf_dispose(&want);
	if (error < 0)
		return error;
	pops_buf_clear(addr);
	if (*env) {
		pops_buf_printf(addr, "%s:%s%s", name, env, canary ? "~canary" : "");
		if (o->eo.repo && pops_repo_resolve(&res, o->eo.repo, addr->ptr) == 0 &&
		    res->version == version) {
			pops_resolved_free(res);
			return 0;
		}
		pops_resolved_free(res);
		pops_error_clear();
		pops_buf_clear(addr);
	}
	pops_buf_printf(addr, "%s@%ld", name, version);
	return pops_buf_oom(addr) ? pops_error_oom() : 0;
}

/* which prompt the records are scored against: --env, their served version, or the suite's */
static int pick_address(pops_buf *addr, int *release, const pops_suite *s,
                        const pops_eval_score_options *o, const struct scan *sc)
{
	int error;

	*release = 0;
	if (o->env) {
		if (!pops_address_env_ref(o->eo.config, o->env, NULL))
			return pops_error_set(POPS_EINVALID, "--env %s: no such environment in pops.yaml",
			                      o->env);
		if ((error = suite_prompt_name(addr, s, "--env")) < 0)
			return error;
		pops_buf_printf(addr, ":%s", o->env);
		*release = 1;
		return pops_buf_oom(addr) ? pops_error_oom() : 0;
	}
	if (sc->served && !sc->mixed) {
		if ((error = served_address(addr, s, o, sc->served)) < 0)
			return error;
		*release = strchr(addr->ptr, ':') != NULL;
		return 0;
	}
	pops_buf_sets(addr, s->prompt);
	return pops_buf_oom(addr) ? pops_error_oom() : 0;
}

/* why records were skipped */
enum { SKIP_NO_OUTPUT, SKIP_MISSING_VARS, SKIP_N };
static const char *const skip_names[SKIP_N] = { "no output", "missing vars" };

struct scorer {
	struct runner r;
	const pops_eval_score_options *o;
	struct scan sc;
	size_t skipped[SKIP_N];
	char *skip_example[SKIP_N];   /* the first message of each reason */
	size_t index;
};

static int skip(struct scorer *sc, int why, const char *msg)
{
	sc->skipped[why]++;
	if (!sc->skip_example[why] && msg && !(sc->skip_example[why] = pops_strdup(msg)))
		return pops_error_oom();
	return 0;
}

/* the case id of a record: its trace id, else its index */
static char *record_id(const pops_record *pr, size_t index)
{
	pops_buf b = POPS_BUF_INIT;

	if (pr->trace_id && *pr->trace_id)
		pops_buf_puts(&b, pr->trace_id);
	else
		pops_buf_printf(&b, "record-%zu", index);
	return pops_buf_detach(&b);
}

static void put_num(cJSON *rec, const char *key, double v)
{
	if (v >= 0)
		cJSON_AddNumberToObject(rec, key, v);
}

/* "source", "model", usage, feedback and meta, copied from the production record */
static int copy_provenance(cJSON *rec, const pops_record *pr)
{
	cJSON *src = cJSON_AddObjectToObject(rec, "source");
	const cJSON *fb = pops_record_get(pr, "feedback"), *meta = pops_record_get(pr, "metadata");

	POPS_CHECK_ALLOC(src);
	cJSON_AddStringToObject(src, "file", pr->file ? pr->file : "");
	if (pr->trace_id)
		cJSON_AddStringToObject(src, "trace_id", pr->trace_id);
	if (pr->timestamp)
		cJSON_AddStringToObject(src, "timestamp", pr->timestamp);
	if (pr->served)
		cJSON_AddStringToObject(src, "served", pr->served);
	cJSON_AddNumberToObject(src, "line", pr->line);
	/* where annotations point: the record's line in the records file */
	if (pr->file && pr->line > 0) {
		cJSON_AddStringToObject(rec, "file", pr->file);
		cJSON_AddNumberToObject(rec, "line", pr->line);
	}
	if (pr->model)
		cJSON_AddStringToObject(rec, "model_id", pr->model);
	put_num(rec, "latency_ms", pr->latency_ms);
	put_num(rec, "input_tokens", pr->tokens_in);
	put_num(rec, "output_tokens", pr->tokens_out);
	if (pr->cost >= 0)
		cJSON_AddNumberToObject(rec, "cost_usd", pr->cost);
	else
		cJSON_AddNullToObject(rec, "cost_usd");
	cJSON_AddNumberToObject(rec, "attempts", 0);
	cJSON_AddBoolToObject(rec, "cached", 0);
	if (cJSON_IsObject(fb))
		cJSON_AddItemToObject(rec, "feedback", cJSON_Duplicate(fb, 1));
	if (cJSON_IsObject(meta))
		cJSON_AddItemToObject(rec, "meta", cJSON_Duplicate(meta, 1));
	return 0;
}

/*
 * Can record `c` be scored? Judges read the rendered prompt: it must
 * render from the record's vars (into *input); templates of assertions
 * must find what they read. 1 yes, 0 skipped (counted), or an error.
 */
static int usable(struct scorer *sc, pops_case *c, cJSON **scope, char **input)
{
	struct runner *r = &sc->r;
	cJSON *msgs = NULL;
	int error = 0;
	size_t i;

	if (r->has_judges && (error = pops_eval__check_row(r, c, NULL, 0)) == 0 &&
	    (error = pops_eval_prompt_render(&msgs, r->prompt, c->vars)) == 0 &&
	    !(*input = pops_eval__messages_text(msgs)))
		error = pops_error_oom();
	cJSON_Delete(msgs);
	/* spans and traces without the app's vars carry what the user said: the judges' input */
	if ((error == POPS_EINVALID || error == POPS_ENOTFOUND) &&
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(c->vars, "input"))) {
		pops_error_clear();
		error = (*input = pops_strdup(cJSON_GetObjectItemCaseSensitive(c->vars,
		                                                              "input")->valuestring)) ?
		        0 : pops_error_oom();
	}
	if (!error && !r->has_judges)
		error = pops_suite_apply_vars(r->s, c);
	if (!error && !(*scope = pops_case_scope(c)))
		error = pops_error_oom();
	for (i = 0; !error && i < r->s->nasserts; i++)
		error = pops_assert_check_scope(r->s->asserts[i], *scope);
	if (error == POPS_EINVALID || error == POPS_ENOTFOUND) {
		error = skip(sc, SKIP_MISSING_VARS, pops_error_last());
		pops_error_clear();
		return error < 0 ? error : 0;
	}
	return error < 0 ? error : 1;
}

/* one production record: skipped, or a case record on its way to the spools */
static int score_one(struct scorer *sc, const pops_record *pr)
{
	struct runner *r = &sc->r;
	pops_case c = POPS_CASE_INIT;
	cJSON *rec = NULL, *scope = NULL, *arr;
	char *input = NULL;
	int error, pending = 0, xpending = 0, spending = 0;

	sc->index++;
	if (!pr->output)
		return skip(sc, SKIP_NO_OUTPUT, NULL);
	c.id = record_id(pr, sc->index);
	c.vars = pr->vars ? cJSON_Duplicate(pr->vars, 1) : cJSON_CreateObject();
	c.file = pr->file;
	c.line = pr->line;
	if (!c.id || !c.vars) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = usable(sc, &c, &scope, &input)) <= 0)
		goto done;
	if (!(rec = cJSON_CreateObject()) || !cJSON_AddStringToObject(rec, "id", c.id) ||
	    !cJSON_AddNumberToObject(rec, "repeat", 0) ||
	    !cJSON_AddNumberToObject(rec, "case_index", (double)(sc->index - 1)) ||
	    !cJSON_AddItemToObject(rec, "vars", cJSON_Duplicate(c.vars, 1)) ||
	    !cJSON_AddStringToObject(rec, "output", pr->output) ||
	    !(arr = cJSON_AddArrayToObject(rec, "asserts"))) {
		error = pops_error_oom();
		goto done;
	}
	{
		pops_assert_input in = { pr->output, strlen(pr->output), scope,
		                         pr->latency_ms >= 0 ? pr->latency_ms : 0, pr->cost, c.id,
		                         r->o->root, -1.0 };

		if ((error = pops_eval__score_list(r, arr, r->s->asserts, r->s->nasserts, &in,
		                                   &pending, &xpending, &spending)) < 0)
			goto done;
	}
	if (pending)
		cJSON_AddStringToObject(rec, "input", input ? input : "");
	if ((error = copy_provenance(rec, pr)) < 0)
		goto done;
	error = spending ? pops_eval__write_record(r->spool_s, rec) :
	        xpending ? pops_eval__write_record(r->spool_x, rec) :
	        pending ? pops_eval__write_record(r->spool1, rec) : pops_eval__finalize(r, rec);
done:
	free(input);
	cJSON_Delete(scope);
	cJSON_Delete(rec);
	pops_case_dispose(&c);
	return error;
}

/* the second pass: every record scored or skipped */
static int score_records(struct scorer *sc)
{
	const pops_eval_score_options *o = sc->o;
	pops_records *rs = NULL;
	pops_record rec = POPS_RECORD_INIT;
	int got, error;

	if ((error = pops_records_open(&rs, o->outputs, o->format)) < 0)
		return error;
	while ((got = pops_records_next(rs, &rec)) == 1) {
		if (o->eo.popts.cancel && *o->eo.popts.cancel) {
			sc->r.interrupted = 1;
			break;
		}
		if ((got = score_one(sc, &rec)) < 0)
			break;
	}
	pops_record_dispose(&rec);
	pops_records_free(rs);
	return got < 0 ? got : 0;
}

static void put_time(cJSON *obj, const char *key, long long t)
{
	char buf[21];

	pops_rollout_format_time(buf, t);
	cJSON_AddStringToObject(obj, key, buf);
}

/* what a production summary and its evidence say beyond a run's */
static int put_production(cJSON *obj, const struct scorer *sc, int counts)
{
	cJSON *w, *sk;
	int i;

	cJSON_DeleteItemFromObjectCaseSensitive(obj, "source");
	if (!cJSON_AddStringToObject(obj, "source", "production"))
		return pops_error_oom();
	if (sc->sc.from <= sc->sc.to) {
		if (!(w = cJSON_AddObjectToObject(obj, "window")))
			return pops_error_oom();
		put_time(w, "from", sc->sc.from);
		put_time(w, "to", sc->sc.to);
	}
	if (sc->sc.served && !sc->sc.mixed)
		cJSON_AddStringToObject(obj, "served", sc->sc.served);
	if (sc->o->env)
		cJSON_AddStringToObject(obj, "env", sc->o->env);
	if (!counts)
		return 0;
	cJSON_AddNumberToObject(obj, "records", (double)sc->sc.records);
	if (!(sk = cJSON_AddObjectToObject(obj, "skipped")))
		return pops_error_oom();
	for (i = 0; i < SKIP_N; i++)
		if (sc->skipped[i])
			cJSON_AddNumberToObject(sk, skip_names[i], (double)sc->skipped[i]);
	for (i = 0; i < SKIP_N; i++)
		if (sc->skip_example[i]) {
			cJSON *ex = cJSON_GetObjectItemCaseSensitive(obj, "skipped_example");

			if (!ex)
				ex = cJSON_AddObjectToObject(obj, "skipped_example");
			cJSON_AddStringToObject(ex, skip_names[i], sc->skip_example[i]);
		}
	return 0;
}

/*
 * Evidence of kind production: the scored closure's fingerprint fields,
 * the scores, the window (its end is the result's "date", so trend puts
 * it in the window production answered in) and no case_results.
 */
static int production_evidence(pops_eval_group *g, struct scorer *sc)
{
	struct runner *r = &sc->r;
	cJSON *e;
	const cJSON *it;
	int error;

	if (sc->sc.mixed || r->done == 0)
		return 0;
	e = cJSON_CreateObject();
	POPS_CHECK_ALLOC(e);
	cJSON_ArrayForEach(it, r->fp.fields)
		cJSON_AddItemToObject(e, it->string, cJSON_Duplicate(it, 1));
	cJSON_AddStringToObject(e, "model_alias", r->alias);
	cJSON_AddStringToObject(e, "fingerprint", r->fp.hex);
	cJSON_AddStringToObject(e, "kind", "production");
	if ((error = pops_evidence_put_scores(e, g->summary)) < 0 ||
	    (error = put_production(e, sc, 1)) < 0) {
		cJSON_Delete(e);
		return error;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(e, "skipped_example");
	cJSON_DeleteItemFromObjectCaseSensitive(e, "source");
	cJSON_AddNumberToObject(e, "latency_p95_ms", pops_json_num(g->summary, "latency_p95", 0));
	if (sc->sc.from <= sc->sc.to)
		put_time(e, "date", sc->sc.to);
	else if ((error = pops_evidence_put_date(e)) < 0) {
		cJSON_Delete(e);
		return error;
	}
	g->evidence = e;
	return 0;
}

/* the judges' providers: the model under test is never called */
static int check_judges(struct runner *r)
{
	size_t i;
	int error;

	for (i = 0; i < r->njudges; i++)
		if ((error = pops_eval__check_provider(r, r->judges[i].prov, r->judges[i].alias)) < 0)
			return pops_error_prefix(error, "judge: ");
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* setup as a run's, on the suite without its dataset: the records are the cases */
static int score_setup(struct scorer *sc, pops_suite *bare, pops_eval_options *eo,
                       pops_buf *addr, const pops_suite *s)
{
	int release, error;

	if ((error = scan_records(&sc->sc, sc->o)) < 0 ||
	    (error = pick_address(addr, &release, s, sc->o, &sc->sc)) < 0)
		return error;
	*bare = *s;
	bare->dataset = NULL;
	bare->tests = NULL;
	*eo = sc->o->eo;
	eo->prompt = addr->ptr;
	eo->release_model = release;
	eo->model = NULL;
	eo->dataset = NULL;
	eo->filter = NULL;
	eo->repeat = 1;
	eo->baseline = NULL;
	eo->skip_pairwise = 1;
	eo->shard = eo->nshards = 0;
	eo->max_cost = -1;
	sc->r.production = 1;
	if ((error = pops_eval__setup(&sc->r, bare, eo)) < 0 || (error = check_judges(&sc->r)) < 0)
		return error;
	sc->r.total_cases = sc->sc.records;
	if (!(sc->r.spool = tmpfile()) || (sc->r.has_judges && !(sc->r.spool1 = tmpfile())) ||
	    (sc->r.has_exec && !(sc->r.spool_x = tmpfile())) ||
	    (sc->r.has_similar && !(sc->r.spool_s = tmpfile())))
		return pops_error_os("temporary file");
	return 0;
}

int pops_eval_score(pops_eval_group **out, const pops_suite *s, const pops_eval_score_options *o)
{
	struct scorer sc;
	pops_suite bare;
	pops_eval_options eo;
	pops_eval_group *g = NULL;
	pops_buf addr = POPS_BUF_INIT;
	double t0 = now_s();
	int error, i;

	*out = NULL;
	memset(&sc, 0, sizeof(sc));
	sc.o = o;
	sc.r.line = (pops_buf)POPS_BUF_INIT;
	sc.r.tmp = (pops_buf)POPS_BUF_INIT;
	if ((error = score_setup(&sc, &bare, &eo, &addr, s)) < 0)
		goto done;
	if (!(g = calloc(1, sizeof(*g)))) {
		error = pops_error_oom();
		goto done;
	}
	pops_eval__progress(&sc.r);
	if ((error = score_records(&sc)) < 0 ||
	    (sc.r.has_similar && !sc.r.interrupted && (error = pops_eval__similar_pass(&sc.r)) < 0) ||
	    (sc.r.has_exec && !sc.r.interrupted && (error = pops_eval__exec_pass(&sc.r)) < 0) ||
	    (sc.r.has_judges && !sc.r.interrupted && (error = pops_eval__judge_pass(&sc.r)) < 0))
		goto done;
	g->complete = !sc.r.interrupted;
	g->interrupted = sc.r.interrupted;
	g->spent = sc.r.budget_spent;
	if ((error = pops_eval__summary(g, &sc.r, now_s() - t0)) < 0 ||
	    (error = put_production(g->summary, &sc, 1)) < 0 ||
	    (error = production_evidence(g, &sc)) < 0)
		goto done;
	g->spool = sc.r.spool;
	sc.r.spool = NULL;
done:
	pops_eval__dispose(&sc.r);
	for (i = 0; i < SKIP_N; i++)
		free(sc.skip_example[i]);
	free(sc.sc.served);
	pops_buf_dispose(&addr);
	if (error < 0)
		pops_eval_group_free(g);
	else
		*out = g;
	return error;
}
