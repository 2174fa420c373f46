/*
 * Promotion gates: the target environment's `require` in pops.yaml,
 * checked against the ledger and the eval evidence notes.
 */
#include "common.h"
#include "promote_src.h"
#include "evidence.h"
#include "fileio.h"
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

	if (!v)
		return pops_error_set(POPS_ERROR, "out of memory");
	item->unmet = v;
	va_start(ap, fmt);
	pops_buf_vprintf(&what, fmt, ap);
	va_end(ap);
	v[item->nunmet].what = pops_buf_detach(&what);
	v[item->nunmet].fix = pops_strdup(fix);
	if (!v[item->nunmet].what || (fix && !v[item->nunmet].fix)) {
		free(v[item->nunmet].what);
		free(v[item->nunmet].fix);
		return pops_error_set(POPS_ERROR, "out of memory");
	}
	item->nunmet++;
	return POPS_OK;
}

static int strv_add(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return pops_error_set(POPS_ERROR, "out of memory");
	*v = nv;
	if (!(nv[*n] = pops_strdup(s)))
		return pops_error_set(POPS_ERROR, "out of memory");
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
 * The suite's blob id (the working tree file, hashed as git would store
 * it) and the prompt it evaluates (NULL when it does not say).
 */
static int suite_info(git_oid *blob_out, char **prompt_out, const pops_config *cfg,
                      const char *suite)
{
	pops_buf path = POPS_BUF_INIT, data = POPS_BUF_INIT;
	pops_yaml_doc *doc = NULL;
	const cJSON *p;
	int error;

	*prompt_out = NULL;
	if ((error = pops_path_join(&path, cfg->root ? cfg->root : ".", suite)) < 0 ||
	    (error = pops_file_read(&data, path.ptr, POPS_CONFIG_MAX_BYTES)) < 0)
		goto done;
	if ((error = git_odb_hash(blob_out, data.ptr, data.size, GIT_OBJECT_BLOB)) < 0) {
		error = pops_git_error(error, suite);
		goto done;
	}
	if (pops_yaml_parse(&doc, data.ptr, data.size, suite, 0, NULL) == 0) {
		p = cJSON_GetObjectItemCaseSensitive(pops_yaml_root(doc), "prompt");
		if (cJSON_IsString(p))
			*prompt_out = pops_strndup(p->valuestring, strcspn(p->valuestring, "@:#"));
	}
	pops_error_clear();
	error = POPS_OK;
done:
	pops_yaml_free(doc);
	pops_buf_dispose(&data);
	pops_buf_dispose(&path);
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

static int gate_suite(pops_promote_item *item, git_repository *repo,
                      const pops_config *cfg, const pops_env_cfg *env,
                      const char *suite)
{
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;
	pops_buf fix = POPS_BUF_INIT;
	cJSON *r = NULL, *base = NULL;
	char *suite_prompt = NULL;
	char hex[GIT_OID_HEXSZ + 1], shex[GIT_OID_HEXSZ + 1], what[300];
	git_oid suite_blob;
	const pops_release_entry *e = item->entry;
	const char *fp;
	double rate;
	int error;

	error = suite_info(&suite_blob, &suite_prompt, cfg, suite);
	if (error == POPS_ENOTFOUND) {
		pops_buf_printf(&fix, "create %s or remove it from '%s' in pops.yaml", suite, env->name);
		error = pops_promote__add_unmet(item, fix.ptr, "requires suite %s, which does not exist",
		                                suite);
		goto done;
	} else if (error < 0) {
		goto done;
	}
	/* a suite for another prompt says nothing about this one */
	if (suite_prompt && *suite_prompt && strcmp(suite_prompt, e->prompt)) {
		error = POPS_OK;
		goto done;
	}
	q.prompt_blob = git_oid_tostr(hex, sizeof(hex), &e->blob);
	q.suite_blob = git_oid_tostr(shex, sizeof(shex), &suite_blob);
	q.model = e->model;
	pops_buf_printf(&fix, "pops eval run %s", suite);
	error = pops_evidence_find(&r, NULL, repo, &q);
	if (error == POPS_ENOTFOUND) {
		error = pops_promote__add_unmet(item, fix.ptr,
		                                "requires a passing eval of %s with %s%s%s: none recorded for this exact prompt, suite and model",
		                                label(e, what, sizeof(what)), suite,
		                                e->model ? " on " : "", e->model ? e->model : "");
		goto done;
	} else if (error < 0) {
		goto done;
	}
	rate = pops_json_num(r, "pass_rate", -1);
	if (env->min_pass_rate >= 0 ? rate < env->min_pass_rate :
	    strcmp(pops_json_str(r, "verdict", ""), "pass")) {
		if (env->min_pass_rate >= 0)
			error = pops_promote__add_unmet(item, fix.ptr,
			                                "requires min_pass_rate %.2f on %s: %s passed %.2f (%s)",
			                                env->min_pass_rate, suite, label(e, what, sizeof(what)),
			                                rate, pops_json_str(r, "date", "undated"));
		else
			error = pops_promote__add_unmet(item, fix.ptr,
			                                "requires %s to pass: %s failed it with pass rate %.2f (%s)",
			                                suite, label(e, what, sizeof(what)), rate,
			                                pops_json_str(r, "date", "undated"));
		if (error < 0)
			goto done;
	}
	fp = pops_json_str(r, "fingerprint", NULL);
	if (fp && (error = strv_add(&item->evidence, &item->nevidence, fp)) < 0)
		goto done;
	if (env->no_regression && item->current &&
	    !git_oid_equal(&item->current->blob, &e->blob)) {
		size_t b, c;
		char chex[GIT_OID_HEXSZ + 1];

		q.prompt_blob = git_oid_tostr(chex, sizeof(chex), &item->current->blob);
		q.model = item->current->model;
		error = pops_evidence_find(&base, NULL, repo, &q);
		pops_buf_clear(&fix);
		pops_buf_printf(&fix, "pops eval run %s --baseline %s", suite, env->name);
		if (error == POPS_ENOTFOUND) {
			error = pops_promote__add_unmet(item, fix.ptr,
			                                "requires no_regression on %s: no eval result for what %s has now (@%ld) to compare with",
			                                suite, env->name, item->current->version);
		} else if (error == 0 && is_regression(r, base, &b, &c)) {
			error = pops_promote__add_unmet(item, "improve the prompt, then pops eval run again",
			                                "requires no_regression on %s: %s is a significant regression from @%ld (pass rate %.2f -> %.2f, %zu cases got worse, %zu better)",
			                                suite, label(e, what, sizeof(what)),
			                                item->current->version, pops_json_num(base, "pass_rate", 0),
			                                rate, b, c);
		}
	}
done:
	cJSON_Delete(base);
	cJSON_Delete(r);
	free(suite_prompt);
	pops_buf_dispose(&fix);
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
	if (env->approvals > 0 || tip)
		error = gate_approvals(item, repo, env);
	return error;
}
