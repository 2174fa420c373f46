/*
 * Promotion gates: the target environment's `require` in pops.yaml,
 * checked against the ledger and the eval evidence notes.
 */
#include "common.h"
#include "promote_int.h"
#include "evidence.h"
#include "fileio.h"
#include "fingerprint.h"
#include "judge_calib.h"
#include "suite.h"
#include "git.h"
#include "stats.h"
#include "strutil.h"
#include "yamldoc.h"
#include "jsonget.h"


int pops_promote__add_unmet(pops_promote_item *item, const char *fix,
                            const char *fmt, ...)
{
	pops_gate_unmet *v = realloc(item->unmet, (item->nunmet + 1) * sizeof(*v));
	pops_buf what = POPS_BUF_INIT;
	va_list ap;

	POPS_CHECK_ALLOC(v);
	item->unmet = v;
	va_start(ap, fmt);
	pops_buf_vprintf(&what, fmt, ap);
	va_end(ap);
	v[item->nunmet].what = pops_buf_detach(&what);
	v[item->nunmet].fix = pops_strdup(fix);
	if (!v[item->nunmet].what || (fix && !v[item->nunmet].fix)) {
		free(v[item->nunmet].what);
		free(v[item->nunmet].fix);
		return pops_error_oom();
	}
	item->nunmet++;
	return POPS_OK;
}

static int strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	POPS_CHECK_ALLOC(nv);
	*v = nv;
	POPS_CHECK_ALLOC((nv[*n] = pops_strdup(s)));
	(*n)++;
	return POPS_OK;
}

void pops_promote__item_reset(pops_promote_item *item)
{
	size_t i;

	for (i = 0; i < item->nunmet; i++) {
		free(item->unmet[i].what);
		free(item->unmet[i].fix);
	}
	free(item->unmet);
	item->unmet = NULL;
	item->nunmet = 0;
	for (i = 0; i < item->nevidence; i++)
		free(item->evidence[i]);
	free(item->evidence);
	item->evidence = NULL;
	item->nevidence = 0;
	for (i = 0; i < item->napprovers; i++)
		free(item->approvers[i]);
	free(item->approvers);
	item->approvers = NULL;
	item->napprovers = 0;
	item->forced = 0;
}

static const char *label(const pops_release_entry *e, char *buf, size_t size)
{
	char hex[GIT_OID_HEXSZ + 1];

	if (e->version > 0)
		snprintf(buf, size, "%s@%ld", e->prompt, e->version);
	else
		snprintf(buf, size, "%s (blob %.12s)", e->prompt,
		         git_oid_tostr(hex, sizeof(hex), &e->blob));
	return buf;
}

static int gate_from(pops_promote_item *item, git_repository *repo,
                     const pops_env_cfg *env, const git_oid *tip)
{
	pops_release_entry *there = NULL;
	pops_buf fix = POPS_BUF_INIT;
	char what[300];
	int error;

	error = tip ? pops_release_get(&there, repo, tip, env->from, item->entry->prompt) :
	        POPS_ENOTFOUND;
	if (error < 0 && error != POPS_ENOTFOUND)
		return error;
	error = POPS_OK;
	if (!there || !git_oid_equal(&there->blob, &item->entry->blob)) {
		pops_buf_printf(&fix, "pops promote %s %s", env->from, item->entry->prompt);
		if (there)
			error = pops_promote__add_unmet(item, fix.ptr,
			                                "requires 'from: %s': %s is not released there (%s has @%ld)",
			                                env->from, label(item->entry, what, sizeof(what)),
			                                env->from, there->version);
		else
			error = pops_promote__add_unmet(item, fix.ptr,
			                                "requires 'from: %s': %s is not released there",
			                                env->from, label(item->entry, what, sizeof(what)));
	}
	pops_release_entry_free(there);
	pops_buf_dispose(&fix);
	return error;
}

/*
 * Is `now` a significant drop from `before`? With per-case outcomes on
 * both sides, count the flips (pass->fail b, fail->pass c) and call it a
 * regression when b > c and the exact two-sided McNemar test
 * (pops_stats_mcnemar) gives p < 0.05. Otherwise the 95% intervals must
 * not separate downwards.
 */
static int is_regression(const cJSON *now, const cJSON *before, size_t *b_out,
                         size_t *c_out)
{
	const cJSON *cn = cJSON_GetObjectItemCaseSensitive(now, "case_results");
	const cJSON *cb = cJSON_GetObjectItemCaseSensitive(before, "case_results");
	const cJSON *it;
	size_t b = 0, c = 0;

	*b_out = *c_out = 0;
	if (cJSON_IsObject(cn) && cJSON_IsObject(cb)) {
		cJSON_ArrayForEach(it, cn) {
			const cJSON *old = cJSON_GetObjectItemCaseSensitive(cb, it->string);

			if (!cJSON_IsBool(old) || !cJSON_IsBool(it))
				continue;
			if (cJSON_IsTrue(old) && cJSON_IsFalse(it))
				b++;
			else if (cJSON_IsFalse(old) && cJSON_IsTrue(it))
				c++;
		}
		*b_out = b;
		*c_out = c;
		if (b <= c)
			return 0;
		return pops_stats_mcnemar(b, c) < 0.05;
	}
	return pops_json_num(now, "ci_high", 1) < pops_json_num(before, "ci_low", 0);
}

/* the suite as the working tree has it, named as pops.yaml names it */
static int load_suite(pops_suite **out, const pops_config *cfg, const char *suite)
{
	pops_buf path = POPS_BUF_INIT, data = POPS_BUF_INIT;
	int error;

	*out = NULL;
	if ((error = pops_path_join(&path, cfg->root ? cfg->root : ".", suite)) == 0 &&
	    (error = pops_file_read(&data, path.ptr, POPS_CONFIG_MAX_BYTES)) == 0)
		error = pops_suite_parse(out, data.ptr, data.size, suite);
	pops_buf_dispose(&data);
	pops_buf_dispose(&path);
	return error;
}

/* the fields an entry from before closures knows: no partials, provider type or config */
static const char *const legacy_keys[] = {
	"prompt", "prompt_blob", "model", "suite", "suite_blob", "dataset", "dataset_blob",
	"judge_model", "judge_config", "judge_prompt_blob", "exec_blobs", "pairwise_baseline_blob",
	"scoring_version", NULL
};

/* the same without the pairwise baseline, for pairwise suites whose baseline is open */
static const char *const full_keys_any_baseline[] = {
	"prompt", "prompt_blob", "partial_blobs", "provider_type", "model", "model_config",
	"suite", "suite_blob", "dataset", "dataset_blob", "judge_model", "judge_config",
	"judge_prompt_blob", "exec_blobs", "scoring_version", NULL
};
static const char *const legacy_keys_any_baseline[] = {
	"prompt", "prompt_blob", "model", "suite", "suite_blob", "dataset", "dataset_blob",
	"judge_model", "judge_config", "judge_prompt_blob", "exec_blobs", "scoring_version", NULL
};

static const char *const *any_baseline(const char *const *keys)
{
	return keys ? legacy_keys_any_baseline : full_keys_any_baseline;
}

/*
 * The fingerprint evidence for release `e` on suite `s` must have: the
 * release's closure (partials, resolved model) through the function the
 * runner records with. The model is the release's when its prompt names
 * one, else the suite's alias resolved through `cfg`. `keys_out` gets
 * NULL (compare the whole fingerprint) or the fields an entry from
 * before closures knows (blob and model id only).
 */
static int want_fingerprint(pops_fingerprint *out, const char *const **keys_out,
                            const pops_release_entry *e, const pops_config *cfg,
                            const pops_suite *s, const char *baseline_blob)
{
	pops_fingerprint_input in = POPS_FINGERPRINT_INPUT_INIT;
	const pops_closure *c = &e->closure;
	cJSON *partials = NULL, *config = NULL;
	char hex[GIT_OID_HEXSZ + 1], phex[GIT_OID_HEXSZ + 1];
	size_t i;
	int error = 0;

	*keys_out = e->closure_known ? NULL : legacy_keys;
	in.cfg = cfg;
	in.root = cfg->root;
	in.suite = s;
	in.dataset = s->dataset;
	in.prompt = e->prompt;
	in.prompt_blob = git_oid_tostr(hex, sizeof(hex), &e->blob);
	in.pairwise_baseline_blob = baseline_blob;
	if (e->closure_known) {
		if (!(partials = cJSON_CreateObject())) {
			error = pops_error_oom();
			goto done;
		}
		for (i = 0; i < c->npartials; i++)
			cJSON_AddStringToObject(partials, c->partials[i].name,
			                        git_oid_tostr(phex, sizeof(phex), &c->partials[i].blob));
		in.partials = partials;
		in.tools = c->tools;
	}
	if (e->closure_known && c->model_id) {
		in.provider_type = c->provider_type;
		in.model_id = c->model_id;
		in.model_config = c->model_config;
	} else if (!e->closure_known && e->model) {
		in.model_id = e->model;
	} else if (s->model) {
		/* the prompt names no model: the suite's, with the prompt's own config over it */
		if ((error = pops_fingerprint_model(&in.provider_type, &in.model_id, &config, cfg,
		                                    s->model, c->model_config)) < 0) {
			error = pops_error_prefix(error, "%s: ", s->path);
			goto done;
		}
		in.model_config = config;
	}
	error = pops_fingerprint_compute(out, &in);
done:
	cJSON_Delete(config);
	cJSON_Delete(partials);
	return error;
}

/* what one pass over the notes finds for a release on a suite */
struct search {
	const char *prompt, *suite;
	const pops_fingerprint *want;
	const char *const *keys;
	cJSON *best;      /* complete, this fingerprint: pops_evidence_prefer */
	cJSON *same;      /* any kind, this fingerprint */
	cJSON *newest;    /* this prompt and suite, by date */
};

static int keep(cJSON **slot, const cJSON *r)
{
	cJSON *copy = cJSON_Duplicate(r, 1);

	POPS_CHECK_ALLOC(copy);
	cJSON_Delete(*slot);
	*slot = copy;
	return 0;
}

static int search_cb(void *payload, const git_oid *commit, const cJSON *r)
{
	struct search *st = payload;
	const char *prompt = pops_json_str(r, "prompt", NULL);
	int error = 0;

	(void)commit;
	/* production results (eval score) are not pre-release evidence: never a gate's */
	if (!prompt || strcmp(prompt, st->prompt) || strcmp(pops_json_str(r, "suite", ""), st->suite) ||
	    !strcmp(pops_evidence_kind(r), "production"))
		return 0;
	if (!st->newest || strcmp(pops_json_str(r, "date", ""), pops_json_str(st->newest, "date", "")) >= 0)
		error = keep(&st->newest, r);
	if (error || !pops_fingerprint_matches(r, st->want, st->keys))
		return error;
	if (pops_evidence_prefer(r, st->same))
		error = keep(&st->same, r);
	if (!error && !strcmp(pops_evidence_kind(r), "complete") && pops_evidence_prefer(r, st->best))
		error = keep(&st->best, r);
	return error;
}

static void search_dispose(struct search *st)
{
	cJSON_Delete(st->best);
	cJSON_Delete(st->same);
	cJSON_Delete(st->newest);
}

static int search(struct search *st, git_repository *repo, const char *prompt, const char *suite,
                  const pops_fingerprint *want, const char *const *keys)
{
	memset(st, 0, sizeof(*st));
	st->prompt = prompt;
	st->suite = suite;
	st->want = want;
	st->keys = keys;
	return pops_evidence_foreach(repo, search_cb, st);
}

/* "2026-11-24" of a result's date */
static void date_of(char out[11], const cJSON *r)
{
	snprintf(out, 11, "%s", pops_json_str(r, "date", "undated"));
}

/* the reasons of a partial result: "--filter, --shard 1/2" */
static void reasons_text(pops_buf *out, const cJSON *r)
{
	const cJSON *it;
	size_t start = out->size;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(r, "partial_reasons"))
		if (cJSON_IsString(it))
			pops_buf_printf(out, "%s%s", out->size > start ? ", " : "", it->valuestring);
	if (out->size == start)
		pops_buf_puts(out, "partial");
}

/*
 * The command that records the evidence the gate asks for: the suite,
 * plus --model when the suite would pick another model than the
 * release's, plus --prompt when the work tree has another version.
 */
static int fix_command(pops_buf *out, git_repository *repo, const pops_config *cfg,
                       const pops_release_entry *e, const pops_suite *s, const char *extra)
{
	const char *alias = e->closure_known ? e->closure.model_alias : e->model_alias;
	pops_buf path = POPS_BUF_INIT, full = POPS_BUF_INIT;
	git_oid wt;
	int error;

	pops_buf_printf(out, "pops eval run %s", s->path);
	if (s->model && alias && strcmp(s->model, alias))
		pops_buf_printf(out, " --model %s", alias);
	/* the path is the repository's: the work tree, not pops.yaml's directory, is its root */
	if ((error = pops_promote__prompt_path(&path, repo, cfg, e->prompt)) < 0 ||
	    (error = pops_path_join(&full, git_repository_workdir(repo) ? git_repository_workdir(repo) :
	                                   ".", path.ptr)) < 0)
		goto done;
	if (e->version > 0 && (git_odb_hashfile(&wt, full.ptr, GIT_OBJECT_BLOB) < 0 ||
	                       !git_oid_equal(&wt, &e->blob)))
		pops_buf_printf(out, " --prompt %s@%ld", e->prompt, e->version);
	if (extra)
		pops_buf_printf(out, " %s", extra);
	error = pops_buf_oom(out) ? pops_error_oom() : 0;
done:
	pops_buf_dispose(&full);
	pops_buf_dispose(&path);
	return error;
}

/* no complete evidence for the exact fingerprint: say what the evidence there is lacks */
static int no_evidence(pops_promote_item *item, const struct search *st, const char *fix,
                       const char *suite)
{
	const pops_release_entry *e = item->entry;
	pops_buf why = POPS_BUF_INIT;
	char what[300], date[11];
	int error;

	if (st->same || (st->newest && strcmp(pops_evidence_kind(st->newest), "complete"))) {
		/* partial evidence: its reasons say more than a field that differs */
		const cJSON *r = st->same ? st->same : st->newest;

		date_of(date, r);
		pops_buf_printf(&why, "the evidence of %s is partial (", date);
		reasons_text(&why, r);
		pops_buf_puts(&why, "): gates take only complete runs of the suite");
	} else if (st->newest) {
		date_of(date, st->newest);
		if ((error = pops_fingerprint_describe(&why, st->newest, st->want->fields, st->keys)) < 0)
			goto done;
		if (!why.size)
			pops_buf_puts(&why, "the evaluated content differs");
		pops_buf_printf(&why, " since the evidence of %s", date);
	} else {
		pops_buf_puts(&why, "none recorded for this exact prompt, suite and model");
	}
	error = pops_promote__add_unmet(item, fix, "requires a passing eval of %s with %s%s%s: %s",
	                                label(e, what, sizeof(what)), suite, e->model ? " on " : "",
	                                e->model ? e->model : "", why.ptr);
done:
	pops_buf_dispose(&why);
	return error;
}

static int gate_regression(pops_promote_item *item, git_repository *repo,
                           const pops_config *cfg, const pops_env_cfg *env,
                           const pops_suite *s, const pops_fingerprint *want,
                           const cJSON *now)
{
	pops_fingerprint cur = POPS_FINGERPRINT_INIT;
	const char *const *keys;
	struct search st;
	pops_buf fix = POPS_BUF_INIT;
	char what[300];
	size_t b, c;
	int error;

	memset(&st, 0, sizeof(st));
	if ((error = want_fingerprint(&cur, &keys, item->current, cfg, s, NULL)) < 0)
		goto done;
	if (!keys && !strcmp(cur.hex, want->hex))
		goto done;   /* the same content: nothing can have regressed */
	/* its own pairwise evidence compared with whatever came before it */
	if (cur.has_pairwise)
		keys = any_baseline(keys);
	if ((error = search(&st, repo, item->current->prompt, s->path, &cur, keys)) < 0)
		goto done;
	pops_buf_printf(&fix, "pops eval run %s --baseline %s", s->path, env->name);
	if (!st.best || !strcmp(pops_json_str(st.best, "verdict", ""), "error")) {
		error = pops_promote__add_unmet(item, fix.ptr,
		                                "requires no_regression on %s: no eval result for what %s has now (@%ld) to compare with",
		                                s->path, env->name, item->current->version);
	} else if (is_regression(now, st.best, &b, &c)) {
		error = pops_promote__add_unmet(item, "improve the prompt, then pops eval run again",
		                                "requires no_regression on %s: %s is a significant regression from @%ld (pass rate %.1f%% -> %.1f%%, %zu case%s got worse, %zu better)",
		                                s->path, label(item->entry, what, sizeof(what)),
		                                item->current->version, 100 * pops_json_num(st.best, "pass_rate", 0),
		                                100 * pops_json_num(now, "pass_rate", 0), b, b == 1 ? "" : "s", c);
	}
done:
	search_dispose(&st);
	pops_fingerprint_dispose(&cur);
	pops_buf_dispose(&fix);
	return error;
}

static int gate_suite(pops_promote_item *item, git_repository *repo,
                      const pops_config *cfg, const pops_env_cfg *env,
                      const char *suite)
{
	pops_fingerprint want = POPS_FINGERPRINT_INIT;
	const char *const *keys = NULL;
	struct search st;
	pops_suite *s = NULL;
	pops_buf fix = POPS_BUF_INIT, extra = POPS_BUF_INIT;
	const pops_release_entry *e = item->entry;
	char what[300], date[11], bhex[GIT_OID_HEXSZ + 1];
	const char *fp, *baseline = NULL;
	size_t plen;
	double rate;
	int error;

	memset(&st, 0, sizeof(st));
	error = load_suite(&s, cfg, suite);
	if (error == POPS_ENOTFOUND) {
		pops_buf_printf(&fix, "create %s or remove it from '%s' in pops.yaml", suite, env->name);
		error = pops_promote__add_unmet(item, fix.ptr, "requires suite %s, which does not exist",
		                                suite);
		goto done;
	} else if (error == POPS_EINVALID) {
		pops_buf_printf(&fix, "fix %s", suite);
		error = pops_promote__add_unmet(item, fix.ptr, "requires suite %s, which is invalid: %s",
		                                suite, pops_error_last());
		goto done;
	} else if (error < 0) {
		goto done;
	}
	/* a suite for another prompt says nothing about this one */
	plen = s->prompt ? strcspn(s->prompt, "@:#") : 0;
	if (plen && (strlen(e->prompt) != plen || strncmp(s->prompt, e->prompt, plen))) {
		error = POPS_OK;
		goto done;
	}
	error = want_fingerprint(&want, &keys, e, cfg, s, NULL);
	/*
	 * pairwise scores against a baseline: what the environment has now
	 * (pops eval run --baseline env), or any when it has nothing yet
	 */
	if (error == 0 && want.has_pairwise && item->current) {
		baseline = git_oid_tostr(bhex, sizeof(bhex), &item->current->blob);
		pops_buf_printf(&extra, "--baseline %s", env->name);
		error = want_fingerprint(&want, &keys, e, cfg, s, baseline);
	} else if (error == 0 && want.has_pairwise) {
		keys = any_baseline(keys);
	}
	if (error == POPS_EINVALID || error == POPS_ENOTFOUND) {
		pops_buf_printf(&fix, "fix %s", suite);
		error = pops_promote__add_unmet(item, fix.ptr,
		                                "requires a passing eval of %s with %s, whose evidence fingerprint cannot be computed: %s",
		                                label(e, what, sizeof(what)), suite, pops_error_last());
		goto done;
	} else if (error < 0) {
		goto done;
	}
	if ((error = fix_command(&fix, repo, cfg, e, s, extra.size ? extra.ptr : NULL)) < 0)
		goto done;
	if ((error = search(&st, repo, e->prompt, s->path, &want, keys)) < 0)
		goto done;
	if (!st.best) {
		error = no_evidence(item, &st, fix.ptr, suite);
		goto done;
	}
	date_of(date, st.best);
	rate = pops_json_num(st.best, "pass_rate", -1);
	if (!strcmp(pops_json_str(st.best, "verdict", ""), "error")) {
		/* an outage says nothing about the prompt: never call it a failure */
		error = pops_promote__add_unmet(item, fix.ptr,
		                                "requires %s to pass: %s errored (provider failures) in the run of %s (%.0f of %.0f runs errored): rerun %s",
		                                suite, label(e, what, sizeof(what)), date,
		                                pops_json_num(st.best, "errors", 0),
		                                pops_json_num(st.best, "cases", 0), fix.ptr);
		goto done;
	}
	if (env->min_pass_rate >= 0 ? rate < env->min_pass_rate :
	    strcmp(pops_json_str(st.best, "verdict", ""), "pass")) {
		pops_buf min = POPS_BUF_INIT;

		/* the minimum as it was written, the rate as a percentage like every report */
		pops_buf_put_percent(&min, env->min_pass_rate);
		if (env->min_pass_rate >= 0)
			error = pops_promote__add_unmet(item, fix.ptr,
			                                "requires min_pass_rate %s on %s: %s passed %.1f%% (%s)",
			                                min.ptr, suite, label(e, what, sizeof(what)),
			                                100 * rate, pops_json_str(st.best, "date", "undated"));
		else
			error = pops_promote__add_unmet(item, fix.ptr,
			                                "requires %s to pass: %s failed it with pass rate %.1f%% (%s)",
			                                suite, label(e, what, sizeof(what)), 100 * rate,
			                                pops_json_str(st.best, "date", "undated"));
		pops_buf_dispose(&min);
		if (error < 0)
			goto done;
	}
	fp = pops_json_str(st.best, "fingerprint", NULL);
	if (fp && (error = strv_add(&item->evidence, &item->nevidence, fp)) < 0)
		goto done;
	if (env->no_regression && item->current)
		error = gate_regression(item, repo, cfg, env, s, &want, st.best);
done:
	search_dispose(&st);
	pops_fingerprint_dispose(&want);
	pops_suite_free(s);
	pops_buf_dispose(&extra);
	pops_buf_dispose(&fix);
	return error;
}

/* one calibrated_judges check of a suite: where its judges are and which were seen */
struct calgate {
	pops_promote_item *item;
	git_repository *repo;
	const pops_config *cfg;
	const pops_env_cfg *env;
	const char *suite;
	const pops_case *c;     /* the dataset row or inline test of case judges, else NULL */
	char **seen;            /* judge fingerprints checked already: each refused once */
	size_t nseen;
};

/* the exact calibrate command for judge `alias` of the `nth` judge of `a` (of g->c) */
static void calib_fix(pops_buf *fix, const struct calgate *g, const pops_assert *a,
                      size_t nth, const char *alias)
{
	pops_buf_printf(fix, "pops judge calibrate %s --labels FILE", g->suite);
	if (g->c)
		pops_buf_printf(fix, " --case %s", g->c->id);
	if (nth > 1)
		pops_buf_printf(fix, " --assert %zu", nth);
	if (strcmp(alias, a->model))
		pops_buf_printf(fix, " --model %s", alias);
}

/*
 * require.calibrated_judges: judge `alias` of the `nth` judge assertion
 * `a` (of the suite, or of case g->c) needs a calibration of its exact
 * judge fingerprint (lib/judge_calib.h) with kappa >= min_kappa. A
 * fingerprint already checked for this suite is not checked again.
 */
static int gate_judge(struct calgate *g, const pops_assert *a, size_t nth, const char *alias)
{
	pops_buf fix = POPS_BUF_INIT, found = POPS_BUF_INIT, where = POPS_BUF_INIT;
	cJSON *r = NULL, *fields = NULL;
	char hex[65];
	double kappa = -2;
	size_t i;
	int error;

	calib_fix(&fix, g, a, nth, alias);
	if (g->c)
		pops_buf_printf(&where, " at %s:%u (case %s)", g->c->file ? g->c->file : "dataset",
		                g->c->line, g->c->id);
	error = pops_judge_calib_fingerprint(hex, &fields, g->cfg, g->cfg->root, a, alias);
	if (error == POPS_EINVALID || error == POPS_ENOTFOUND) {
		error = pops_promote__add_unmet(g->item, fix.ptr,
		                                "requires calibrated judges: judge %s%s of %s cannot be fingerprinted: %s",
		                                alias, where.size ? where.ptr : "", g->suite,
		                                pops_error_last());
		goto done;
	} else if (error < 0) {
		goto done;
	}
	for (i = 0; i < g->nseen && strcmp(g->seen[i], hex); i++)
		;
	if (i < g->nseen || (error = strv_add(&g->seen, &g->nseen, hex)) < 0)
		goto done;
	error = pops_judge_calib_find(&r, g->repo, hex);
	if (error < 0 && error != POPS_ENOTFOUND)
		goto done;
	if (!r)
		pops_buf_puts(&found, "never calibrated");
	else if (!pops_judge_calib_kappa(&kappa, r))
		pops_buf_printf(&found, "calibrated %s with no graded outputs (kappa undefined)",
		                pops_json_str(r, "date", "undated"));
	else
		pops_buf_printf(&found, "kappa %.3f (95%% CI %.3f-%.3f, n=%.0f, %s)", kappa,
		                pops_json_num(r, "kappa_low", 0), pops_json_num(r, "kappa_high", 0),
		                pops_json_num(r, "n", 0), pops_json_str(r, "date", "undated"));
	error = POPS_OK;
	if (!r || kappa < g->env->min_kappa)
		error = pops_promote__add_unmet(g->item, fix.ptr,
		                                "requires calibrated judges (min_kappa %g): suite %s, judge %s (%s)%s: %s",
		                                g->env->min_kappa, g->suite, alias,
		                                pops_json_str(fields, "judge_model", alias),
		                                where.size ? where.ptr : "", found.ptr);
done:
	cJSON_Delete(fields);
	cJSON_Delete(r);
	pops_buf_dispose(&where);
	pops_buf_dispose(&found);
	pops_buf_dispose(&fix);
	return error;
}

/*
 * Every judge (a jury's each) of assertions `as`, numbered as `pops judge
 * calibrate --assert` numbers them: the judges that are not RAG presets.
 */
static int gate_asserts(struct calgate *g, pops_assert *const *as, size_t n)
{
	size_t i, j, nth = 0;
	int error = 0;

	for (i = 0; i < n && !error; i++) {
		const pops_assert *a = as[i];

		if (a->type != POPS_ASSERT_JUDGE)
			continue;
		if (!a->preset)
			nth++;
		if (!a->nmodels)
			error = gate_judge(g, a, nth, a->model);
		for (j = 0; j < a->nmodels && !error; j++)
			error = gate_judge(g, a, nth, a->models[j]);
	}
	return error;
}

/* pops_judge_calib_each_case: the judges a dataset row or inline test decides with */
static int gate_case(void *payload, const pops_case *c, pops_assert *const *ca, size_t nca)
{
	struct calgate *g = payload;
	int error;

	g->c = c;
	error = gate_asserts(g, ca, nca);
	g->c = NULL;
	return error;
}

/*
 * Every judge that decides a case of the suite: its own judge assertions
 * and those of its dataset rows and inline tests. A suite (or dataset)
 * that is missing or invalid is gate_suite's to report; one for another
 * prompt gates nothing.
 */
static int gate_calibrated(pops_promote_item *item, git_repository *repo,
                           const pops_config *cfg, const pops_env_cfg *env, const char *suite)
{
	struct calgate g = { item, repo, cfg, env, suite, NULL, NULL, 0 };
	pops_suite *s = NULL;
	size_t i, plen;
	int error;

	if ((error = load_suite(&s, cfg, suite)) < 0)
		return error == POPS_ENOTFOUND || error == POPS_EINVALID ? POPS_OK : error;
	plen = s->prompt ? strcspn(s->prompt, "@:#") : 0;
	if (plen && (strlen(item->entry->prompt) != plen || strncmp(s->prompt, item->entry->prompt, plen)))
		goto done;
	if ((error = gate_asserts(&g, s->asserts, s->nasserts)) < 0)
		goto done;
	error = pops_judge_calib_each_case(s, cfg->root, gate_case, &g);
	if (error == POPS_ENOTFOUND || error == POPS_EINVALID)
		error = POPS_OK;
done:
	for (i = 0; i < g.nseen; i++)
		free(g.seen[i]);
	free(g.seen);
	pops_suite_free(s);
	return error;
}

/* distinct Approved-by for this blob in env, from the ledger's approvals */
static int gate_approvals(pops_promote_item *item, git_repository *repo,
                          const pops_env_cfg *env)
{
	pops_release_events log = { NULL, 0 };
	pops_buf fix = POPS_BUF_INIT;
	char what[300];
	size_t i, j, k;
	int error;

	if ((error = pops_release_log(&log, repo, env->name, item->entry->prompt, 0)) < 0)
		goto done;
	for (i = 0; i < log.n; i++) {
		const pops_release_event *ev = &log.v[i];

		/* an approval is for one exact release: prompt, partials and model */
		if (!pops_release_event_approves(ev, item->entry))
			continue;
		for (j = 0; j < ev->napprovers; j++) {
			for (k = 0; k < item->napprovers; k++)
				if (!strcmp(item->approvers[k], ev->approvers[j]))
					break;
			if (k == item->napprovers &&
			    (error = strv_add(&item->approvers, &item->napprovers, ev->approvers[j])) < 0)
				goto done;
		}
	}
	if (item->napprovers < (size_t)env->approvals) {
		/* name the exact release: with 'from', what that environment has is it */
		if (env->from)
			pops_buf_printf(&fix, "pops approve %s %s:%s", env->name, item->entry->prompt,
			                env->from);
		else if (item->entry->version > 0)
			pops_buf_printf(&fix, "pops approve %s %s@%ld", env->name, item->entry->prompt,
			                item->entry->version);
		else
			pops_buf_printf(&fix, "pops approve %s %s", env->name, item->entry->prompt);
		error = pops_promote__add_unmet(item, fix.ptr,
		                                "requires %d approval%s of %s for %s: %zu so far",
		                                env->approvals, env->approvals == 1 ? "" : "s",
		                                label(item->entry, what, sizeof(what)), env->name,
		                                item->napprovers);
	}
done:
	pops_buf_dispose(&fix);
	pops_release_events_dispose(&log);
	return error;
}

int pops_promote__check_gates(pops_promote_item *item, git_repository *repo,
                              const pops_config *cfg, const pops_env_cfg *env,
                              const git_oid *tip)
{
	size_t i;
	int error = POPS_OK;

	pops_promote__item_reset(item);
	if (env->from && (error = gate_from(item, repo, env, tip)) < 0)
		return error;
	for (i = 0; i < env->nsuites; i++)
		if ((error = gate_suite(item, repo, cfg, env, env->suites[i])) < 0)
			return error;
	for (i = 0; env->calibrated_judges && i < env->nsuites; i++)
		if ((error = gate_calibrated(item, repo, cfg, env, env->suites[i])) < 0)
			return error;
	if (env->approvals > 0 || tip)
		error = gate_approvals(item, repo, env);
	return error;
}
