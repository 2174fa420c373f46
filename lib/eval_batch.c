#include "common.h"
#include <dirent.h>
#include <sys/stat.h>
#include "eval_batch.h"
#include "eval_affected.h"
#include "eval_flips.h"
#include "metrics_class.h"
#include "evidence.h"
#include "fileio.h"
#include "jsonget.h"
#include "strutil.h"

/* ---- suites ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* append `s` (owned) to a growing array; POPS_ERROR (s freed) out of memory */
static int push(char ***v, size_t *n, size_t *cap, char *s)
{
	if (!s)
		return pops_error_oom();
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		char **nv = realloc(*v, nc * sizeof(**v));

		if (!nv) {
			free(s);
			return pops_error_oom();
		}
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = s;
	return 0;
}

int pops_eval_default_suites(char ***out, size_t *n, char ***skipped, size_t *nskipped,
                             const pops_config *cfg)
{
	const char *evals = cfg->evals_dir ? cfg->evals_dir : "evals";
	pops_buf dir = POPS_BUF_INIT, p = POPS_BUF_INIT;
	size_t cap = 0, scap = 0;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int error = 0;

	*out = *skipped = NULL;
	*n = *nskipped = 0;
	pops_path_join(&dir, cfg->root, evals);
	if (!(d = opendir(dir.ptr))) {
		error = pops_error_set(POPS_ENOTFOUND, "no suites: the evals directory '%s' does not exist",
		                       evals);
		goto done;
	}
	while (!error && (e = readdir(d))) {
		if (e->d_name[0] == '.' || (!pops_ends_with(e->d_name, ".yaml") &&
		                            !pops_ends_with(e->d_name, ".yml")))
			continue;
		pops_buf_clear(&p);
		pops_path_join(&p, dir.ptr, e->d_name);
		if (stat(p.ptr, &st) < 0 || !S_ISREG(st.st_mode)) {
			pops_buf_clear(&p);
			pops_buf_printf(&p, "%s/%s", evals, e->d_name);
			error = push(skipped, nskipped, &scap, pops_buf_detach(&p));
			continue;
		}
		error = push(out, n, &cap, pops_buf_detach(&p));
	}
	closedir(d);
	if (!error && *n == 0)
		error = pops_error_set(POPS_ENOTFOUND, "no suites in '%s'", evals);
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_str);
done:
	pops_buf_dispose(&dir);
	pops_buf_dispose(&p);
	return error;
}

/* a path as the project names it: relative to the root when inside it */
static char *project_path(const char *path, const char *root)
{
	char *real = realpath(path, NULL), *rroot = realpath(root, NULL), *out;
	size_t n = rroot ? strlen(rroot) : 0;

	if (real && rroot && !strncmp(real, rroot, n) && real[n] == '/')
		out = pops_strdup(real + n + 1);
	else
		out = pops_strdup(path);
	free(real);
	free(rroot);
	return out;
}

int pops_eval_load_suite(pops_suite **out, const char *path, const char *root)
{
	pops_buf b = POPS_BUF_INIT;
	char *name = project_path(path, root);
	int error;

	*out = NULL;
	POPS_CHECK_ALLOC(name);
	error = pops_file_read_regular(&b, path, POPS_CONFIG_MAX_BYTES);
	if (error == POPS_ENOTFOUND)
		error = pops_error_set(POPS_ENOTFOUND, "suite '%s' not found", path);
	if (!error)
		error = pops_suite_parse(out, b.ptr, b.size, name);
	free(name);
	pops_buf_dispose(&b);
	return error;
}

char *pops_eval_cassette_path(const char *suite_file)
{
	pops_buf b = POPS_BUF_INIT;
	size_t n = strlen(suite_file);

	if (pops_ends_with(suite_file, ".yaml"))
		n -= 5;
	else if (pops_ends_with(suite_file, ".yml"))
		n -= 4;
	pops_buf_put(&b, suite_file, n);
	pops_buf_puts(&b, ".cassette.jsonl");
	return pops_buf_detach(&b);
}

/* ---- evidence and the baseline ---- */

/* the git repository of the runs, NULL when they have no pops_repo */
static git_repository *git_of(const pops_eval_options *eo)
{
	return eo->repo ? pops_repo_git(eo->repo) : NULL;
}

int pops_eval_record_evidence(git_repository *repo, const git_oid *head, cJSON *e,
                              const char *version)
{
	cJSON_DeleteItemFromObjectCaseSensitive(e, "pops_version");
	if (!cJSON_AddStringToObject(e, "pops_version", version))
		return pops_error_oom();
	return pops_evidence_record(repo, head, e);
}

static void event(const pops_eval_batch_options *o, pops_eval_event_kind kind,
                  const pops_suite *s, const pops_eval_group *g, const pops_eval_run_plan *p,
                  const char *note)
{
	pops_eval_event ev;

	if (!o->on_event)
		return;
	ev.kind = kind;
	ev.suite = s;
	ev.group = g;
	ev.plan = p;
	ev.note = note;
	o->on_event(o->payload, &ev);
}

/* a --baseline run's own evidence on HEAD: what a no_regression gate compares with next time */
static int store_baseline(const pops_eval_batch_options *o, cJSON *e)
{
	git_repository *repo = git_of(&o->eo);
	pops_buf note = POPS_BUF_INIT;
	git_oid head;
	int error;

	if (!o->store || !e || !repo || git_reference_name_to_id(&head, repo, "HEAD") < 0)
		return 0;
	error = pops_eval_record_evidence(repo, &head, e, o->version);
	/* an errored run kept out is only news */
	if (error == POPS_EEXISTS) {
		pops_buf_printf(&note, "%s: %s", pops_json_str(e, "suite", "?"), pops_error_last());
		event(o, POPS_EVAL_NOTE, NULL, NULL, NULL, note.ptr);
		error = 0;
	}
	pops_buf_dispose(&note);
	return error;
}

/* stored complete, scored evidence of the baseline's exact fingerprint: 1 compared, 0 none */
static int baseline_from_evidence(pops_eval_group *g, const pops_suite *s,
                                  const pops_eval_options *bo, const char *ref)
{
	const cJSON *cur = cJSON_GetObjectItemCaseSensitive(g->evidence, "case_results");
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;
	pops_fingerprint bfp = POPS_FINGERPRINT_INIT;
	cJSON *found = NULL;
	int error;

	if ((error = pops_eval_fingerprint(&bfp, s, bo)) < 0) {
		error = pops_error_prefix(error, "--baseline %s: ", ref);
		goto done;
	}
	q.fingerprint = bfp.hex;
	q.kind = "complete";
	error = git_of(bo) ? pops_evidence_find(&found, NULL, git_of(bo), &q) : POPS_ENOTFOUND;
	if (error == 0 && strcmp(pops_json_str(found, "verdict", ""), "error") &&
	    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(found, "case_results"))) {
		const cJSON *rate = cJSON_GetObjectItemCaseSensitive(found, "pass_rate");

		pops_eval_add_baseline(g->summary, cur,
		                       cJSON_GetObjectItemCaseSensitive(found, "case_results"), ref,
		                       "evidence", cJSON_IsNumber(rate) ? rate->valuedouble : -1);
		error = pops_class_add_baseline(g->summary, found) < 0 ||
		        pops_eval_baseline_cases(&g->spool, NULL,
		                                 cJSON_GetObjectItemCaseSensitive(found, "case_results")) < 0 ?
		        POPS_ERROR : 1;
	} else if (error == POPS_ENOTFOUND || error == 0) {
		error = 0;
	}
done:
	cJSON_Delete(found);
	pops_fingerprint_dispose(&bfp);
	return error;
}

/*
 * --baseline: compare with stored complete evidence of the baseline's
 * exact fingerprint (a run of it on this suite and model), or run it
 * fresh within what is left of the budget; *spent gets what that cost.
 */
static int compare_baseline(const pops_eval_batch_options *o, const pops_suite *s,
                            const pops_eval_options *eo, pops_eval_group *g, double *spent)
{
	const char *ref = eo->baseline;
	const cJSON *cur = cJSON_GetObjectItemCaseSensitive(g->evidence, "case_results");
	pops_eval_group *bg = NULL;
	pops_eval_options bo;
	pops_buf addr = POPS_BUF_INIT;
	int error;

	*spent = 0;
	/* a new prompt: the run said so in its summary, and there is nothing to run */
	if (g->no_baseline)
		return 0;
	/* pairwise already ran the baseline on these cases: compare with that run */
	if (g->baseline) {
		pops_eval_add_baseline(g->summary, cur,
		                       cJSON_GetObjectItemCaseSensitive(g->baseline->evidence, "case_results"),
		                       ref, "run", pops_json_num(g->baseline->summary, "pass_rate", -1));
		if ((error = pops_eval_baseline_cases(&g->spool, g->baseline->spool, NULL)) < 0)
			return error;
		return pops_class_add_baseline(g->summary, g->baseline->summary);
	}
	/* the summary is ours, but a missing member must not crash the run */
	if ((error = pops_eval_baseline_address(&addr, eo->config,
	                                        pops_json_str(g->summary, "prompt", ""), ref)) < 0)
		goto done;
	/* what running the baseline here would be: the same suite, cases and model */
	bo = *eo;
	bo.prompt = addr.ptr;
	bo.model = pops_json_str(g->summary, "model", NULL);
	/* an environment's baseline is its release: prompt, partials and model */
	bo.release_model = pops_address_env_ref(eo->config, ref, NULL);
	bo.baseline = NULL;
	bo.skip_pairwise = 1;
	if ((error = baseline_from_evidence(g, s, &bo, ref)) != 0) {
		error = error > 0 ? 0 : error;
		goto done;
	}
	/* no stored result for that exact content: run it now on the same cases */
	if ((error = pops_eval_run(&bg, s, &bo)) < 0)
		goto done;
	*spent = bg->spent;
	if (bg->interrupted)
		g->interrupted = 1;
	/* --max-cost stopped the baseline: half a comparison is none */
	else if (bg->over_budget)
		g->over_budget = 1;
	else if ((error = store_baseline(o, bg->evidence)) == 0) {
		pops_eval_add_baseline(g->summary, cur,
		                       cJSON_GetObjectItemCaseSensitive(bg->evidence, "case_results"),
		                       ref, "run", pops_json_num(bg->summary, "pass_rate", -1));
		if ((error = pops_eval_baseline_cases(&g->spool, bg->spool, NULL)) == 0)
			error = pops_class_add_baseline(g->summary, bg->summary);
	}
done:
	pops_eval_group_free(bg);
	pops_buf_dispose(&addr);
	return error;
}

/* ---- the batch ---- */

static size_t nmodels_or_one(const pops_eval_batch_options *o)
{
	return o->nmodels ? o->nmodels : 1;
}

static int cancelled(const pops_eval_batch_options *o)
{
	return o->eo.popts.cancel && *o->eo.popts.cancel;
}

/* --affected: the stored evidence that answers one suite on one model, or none */
struct reuse {
	cJSON *ev;
	char commit[GIT_OID_HEXSZ + 1];
};

/*
 * With several suites or models, what each run checks before its first
 * request (a dataset or exec program that is missing, an unknown alias)
 * is checked for all of them first; not those stored evidence answers
 * (`reuse`, NULL without --affected). One run checks itself.
 */
static int check_all(const pops_eval_batch_options *o, const struct reuse *reuse)
{
	pops_eval_options eo = o->eo;
	size_t i, m;
	int error = 0;

	if (o->nsuites * nmodels_or_one(o) < 2)
		return 0;
	for (i = 0; i < o->nsuites && !error; i++) {
		pops_suite *s = NULL;
		char *cassette = NULL;

		if ((error = pops_eval_load_suite(&s, o->suites[i], eo.root)) < 0)
			break;
		/* --replay: each suite's own cassette must be there */
		if (eo.popts.cassette_mode != POPS_CASSETTE_NONE &&
		    !(eo.popts.cassette = cassette = pops_eval_cassette_path(o->suites[i])))
			error = pops_error_oom();
		for (m = 0; m < nmodels_or_one(o) && !error; m++) {
			eo.model = o->nmodels ? o->models[m] : NULL;
			if (!reuse || !reuse[i * nmodels_or_one(o) + m].ev)
				error = pops_eval_check(s, &eo);
		}
		eo.popts.cassette = NULL;
		free(cassette);
		pops_suite_free(s);
	}
	return error;
}

/* --dry-run: the plan of `s` on eo->model, marked where stored evidence answers its baseline */
static int plan_one(pops_eval_batch *b, const pops_eval_batch_options *o, const pops_suite *s,
                    const pops_eval_options *eo)
{
	pops_eval_run_plan *plan = NULL;
	int error;

	if ((error = pops_eval_plan(&plan, s, eo)) < 0)
		return error;
	pops_eval_plan_use_evidence(plan, git_of(eo));
	event(o, POPS_EVAL_PLANNED, s, NULL, plan, NULL);
	pops_eval_plan_add(&b->total, plan);
	b->plans[b->nplans++] = plan;
	return 0;
}

/* what is left of --max-cost for the next run */
static void charge(pops_eval_batch *b, pops_eval_options *eo, double spent)
{
	b->spent += spent;
	if (eo->max_cost >= 0)
		eo->max_cost = b->budget - b->spent > 0 ? b->budget - b->spent : 0;
}

/* one run of `s` on eo->model, then its baseline comparison */
static int run_one(pops_eval_batch *b, const pops_eval_batch_options *o, const pops_suite *s,
                   pops_eval_options *eo)
{
	pops_eval_group *g;
	double bspent = 0;
	int error;

	event(o, POPS_EVAL_STARTING, s, NULL, NULL, NULL);
	error = pops_eval_run(&b->runs[b->n], s, eo);
	event(o, POPS_EVAL_RAN, s, error < 0 ? NULL : b->runs[b->n], NULL, NULL);
	if (error < 0)
		return error;
	g = b->runs[b->n];
	b->groups[b->n].summary = g->summary;
	b->groups[b->n].spool = g->spool;
	b->evidence[b->n] = g->evidence;
	charge(b, eo, g->spent);
	if (eo->baseline && g->complete && (error = compare_baseline(o, s, eo, g, &bspent)) < 0)
		return error;
	/* the comparison rewrote the records, each with its baseline's result */
	b->groups[b->n].spool = g->spool;
	charge(b, eo, bspent);
	b->over_budget |= g->over_budget;
	b->interrupted |= g->interrupted;
	event(o, POPS_EVAL_GROUP, s, g, NULL, NULL);
	b->n++;
	return 0;
}

/* --affected: a group answered by stored evidence `ev` from `commit` */
static int add_reused(pops_eval_batch *b, const pops_eval_batch_options *o, const pops_suite *s,
                      const pops_eval_options *eo, cJSON *ev, const char *commit)
{
	pops_eval_group *g = calloc(1, sizeof(*g));
	pops_buf note = POPS_BUF_INIT;

	if (!g || !(g->spool = tmpfile()) ||
	    !(g->summary = pops_eval_affected_summary(ev, commit, eo->model))) {
		int error = g && !g->spool ? pops_error_os("temporary spool") : pops_error_oom();

		pops_eval_group_free(g);
		cJSON_Delete(ev);
		return error;
	}
	g->reused = ev;
	g->complete = 1;
	b->runs[b->n] = g;
	b->groups[b->n].summary = g->summary;
	b->groups[b->n].spool = g->spool;
	b->evidence[b->n] = g->reused;
	b->n++;
	pops_eval_affected_note(&note, g->summary, o->nmodels > 1 ? eo->model : NULL);
	event(o, POPS_EVAL_NOTE, s, NULL, NULL, note.ptr ? note.ptr : "evidence reused");
	pops_buf_dispose(&note);
	return 0;
}

/*
 * --affected: into `out`, stored complete evidence of the exact
 * fingerprint of `s` on eo->model, unless its inputs changed since BASE
 * (said in a note) or it is pairwise; out->ev NULL: it runs. 0 or an error.
 */
static int affected_one(struct reuse *out, const pops_eval_batch_options *o,
                        const pops_suite *s, const pops_eval_options *eo, const cJSON *index)
{
	pops_fingerprint fp = POPS_FINGERPRINT_INIT;
	pops_buf why = POPS_BUF_INIT, note = POPS_BUF_INIT;
	int error;

	if (!git_of(eo) || (error = pops_eval_fingerprint(&fp, s, eo)) < 0) {
		/* the run (or the check before it) says what is wrong, as without --affected */
		pops_error_clear();
		error = 0;
		goto done;
	}
	/* a pairwise score depends on the baseline's blob: only a run learns it */
	if (fp.has_pairwise)
		goto done;
	if (o->changes && pops_eval_changes_touch(&why, o->changes, &fp, eo->config,
	                                          eo->model ? eo->model : s->model)) {
		pops_buf_printf(&note, "%s: changed since %s (%s), run", s->path, o->changes->base,
		                why.ptr);
		event(o, POPS_EVAL_NOTE, s, NULL, NULL, note.ptr);
		goto done;
	}
	error = pops_eval_affected_lookup(&out->ev, out->commit, index, fp.hex);
	error = error > 0 ? 0 : error;
done:
	pops_fingerprint_dispose(&fp);
	pops_buf_dispose(&why);
	pops_buf_dispose(&note);
	return error;
}

/* --affected: every suite and model decided before anything is checked or run */
static int affected_all(struct reuse *reuse, const pops_eval_batch_options *o)
{
	pops_eval_options eo = o->eo;
	cJSON *index = NULL;
	size_t i, m;
	int error = 0;

	/* no repository: nothing is stored, everything runs */
	if (!git_of(&eo))
		return 0;
	/* one pass over the notes, however many suites */
	if ((error = pops_eval_affected_index(&index, git_of(&eo))) < 0)
		return error;
	for (i = 0; i < o->nsuites && !error; i++) {
		pops_suite *s = NULL;

		/* a suite that does not load fails in the check or the run, as always */
		if (pops_eval_load_suite(&s, o->suites[i], eo.root) < 0 || !s) {
			pops_error_clear();
			continue;
		}
		for (m = 0; m < nmodels_or_one(o) && !error; m++) {
			eo.model = o->nmodels ? o->models[m] : NULL;
			error = affected_one(&reuse[i * nmodels_or_one(o) + m], o, s, &eo, index);
		}
		pops_suite_free(s);
	}
	cJSON_Delete(index);
	return error;
}

/* every model on suite number `i` */
static int suite_runs(pops_eval_batch *b, const pops_eval_batch_options *o, size_t i,
                      pops_eval_options *eo, struct reuse *reuse)
{
	pops_suite *s = NULL;
	char *cassette = NULL;
	size_t m;
	int error;

	if ((error = pops_eval_load_suite(&s, o->suites[i], eo->root)) < 0)
		return error;
	if (!(cassette = pops_eval_cassette_path(o->suites[i]))) {
		error = pops_error_oom();
		goto done;
	}
	eo->popts.cassette = eo->popts.cassette_mode != POPS_CASSETTE_NONE ? cassette : NULL;
	for (m = 0; m < nmodels_or_one(o) && !cancelled(o) && !error; m++) {
		eo->model = o->nmodels ? o->models[m] : NULL;
		if (reuse && reuse[m].ev) {
			error = add_reused(b, o, s, eo, reuse[m].ev, reuse[m].commit);
			reuse[m].ev = NULL;
			continue;
		}
		error = o->dry_run ? plan_one(b, o, s, eo) : run_one(b, o, s, eo);
	}
done:
	eo->popts.cassette = NULL;
	free(cassette);
	pops_suite_free(s);
	return error;
}

int pops_eval_batch_run(pops_eval_batch *b, const pops_eval_batch_options *o)
{
	pops_eval_options eo = o->eo;
	size_t cap = o->nsuites * nmodels_or_one(o) + 1, i;
	struct reuse *reuse = NULL;
	int error = 0;

	b->budget = o->eo.max_cost;
	b->groups = calloc(cap, sizeof(*b->groups));
	b->runs = calloc(cap, sizeof(*b->runs));
	b->evidence = calloc(cap, sizeof(*b->evidence));
	b->plans = calloc(cap, sizeof(*b->plans));
	if (!b->groups || !b->runs || !b->evidence || !b->plans)
		return pops_error_oom();
	if (o->affected && (!(reuse = calloc(cap, sizeof(*reuse))) ||
	                    (error = affected_all(reuse, o)) < 0)) {
		error = reuse ? error : pops_error_oom();
		goto done;
	}
	if (!o->dry_run && (error = check_all(o, reuse)) < 0)
		goto done;
	for (i = 0; i < o->nsuites && !cancelled(o) && !error; i++)
		error = suite_runs(b, o, i, &eo, reuse ? reuse + i * nmodels_or_one(o) : NULL);
	if (cancelled(o))
		b->interrupted = 1;
done:
	for (i = 0; reuse && i < cap; i++)
		cJSON_Delete(reuse[i].ev);
	free(reuse);
	return error;
}

void pops_eval_batch_dispose(pops_eval_batch *b)
{
	size_t i;

	for (i = 0; b->runs && b->runs[i]; i++)
		pops_eval_group_free(b->runs[i]);
	for (i = 0; i < b->nplans; i++)
		pops_eval_run_plan_free(b->plans[i]);
	free(b->runs);
	free(b->groups);
	free((void *)b->evidence);
	free(b->plans);
	memset(b, 0, sizeof(*b));
	b->budget = -1;
}

int pops_eval_shard_evidence(cJSON *extra, git_repository *repo, const pops_eval_batch *b)
{
	char hex[GIT_OID_HEXSZ + 1];
	git_oid head;
	cJSON *arr;
	size_t i;

	if (!repo || git_reference_name_to_id(&head, repo, "HEAD") < 0) {
		git_error_clear();
		return 0;
	}
	git_oid_tostr(hex, sizeof(hex), &head);
	if (!cJSON_AddStringToObject(extra, "commit", hex) ||
	    !(arr = cJSON_AddArrayToObject(extra, "evidence")))
		return pops_error_oom();
	for (i = 0; i < b->n; i++)
		if (b->runs[i]->complete && b->runs[i]->evidence &&
		    !cJSON_AddItemToArray(arr, cJSON_Duplicate(b->runs[i]->evidence, 1)))
			return pops_error_oom();
	return 0;
}
