#include "common.h"
#include <git2.h>
#include "eval_out.h"
#include "eval_prompt.h"
#include "evidence.h"
#include "jsonget.h"
#include "strutil.h"
#include "version.h"

/* record one run's evidence on `head`; an errored run kept out is only news */
static int store_one(pops_ctx *ctx, const git_oid *head, cJSON *e)
{
	int error;

	cJSON_DeleteItemFromObjectCaseSensitive(e, "pops_version");
	cJSON_AddStringToObject(e, "pops_version", POPS_VERSION);
	error = pops_evidence_record(ctx->repo, head, e);
	if (error == POPS_EEXISTS) {
		cmd_note("%s: %s", pops_json_str(e, "suite", "?"), pops_error_last());
		error = 0;
	}
	return error;
}

int eval_run_baseline(pops_ctx *ctx, const pops_suite *s,
                      const pops_eval_options *eo, pops_eval_group *g, const char *ref,
                      int store, double *spent)
{
	/* the summary is ours, but a missing member must not crash the run */
	const char *name = pops_json_str(g->summary, "prompt", "");
	const cJSON *cur = cJSON_GetObjectItemCaseSensitive(g->evidence, "case_results");
	pops_evidence_query q = POPS_EVIDENCE_QUERY_INIT;
	pops_eval_group *bg = NULL;
	pops_eval_options bo;
	pops_fingerprint bfp = POPS_FINGERPRINT_INIT;
	pops_buf addr = POPS_BUF_INIT;
	cJSON *found = NULL;
	git_oid head;
	int error;

	*spent = 0;
	/* a new prompt: the run said so in its summary, and there is nothing to run */
	if (g->no_baseline)
		return 0;
	/* pairwise already ran the baseline on these cases: compare with that run */
	if (g->baseline) {
		eval_add_baseline(g->summary, cur,
		                  cJSON_GetObjectItemCaseSensitive(g->baseline->evidence, "case_results"), ref,
		                  "run", pops_json_num(g->baseline->summary, "pass_rate", -1));
		return 0;
	}
	if (pops_address_env_ref(ctx->config, ref, NULL))
		pops_buf_printf(&addr, "%s:%s", name, ref);
	else
		pops_buf_printf(&addr, "%s#%s", name, ref);
	/* what running the baseline here would be: the same suite, cases and model */
	bo = *eo;
	bo.prompt = addr.ptr;
	bo.model = pops_json_str(g->summary, "model", NULL);
	/* an environment's baseline is its release: prompt, partials and model */
	bo.release_model = pops_address_env_ref(ctx->config, ref, NULL);
	bo.baseline = NULL;
	bo.skip_pairwise = 1;
	if ((error = pops_eval_fingerprint(&bfp, s, &bo)) < 0) {
		error = pops_error_prefix(error, "--baseline %s: ", ref);
		goto done;
	}
	/* stored evidence counts only for that exact fingerprint, complete and scored */
	q.fingerprint = bfp.hex;
	q.kind = "complete";
	error = pops_evidence_find(&found, NULL, ctx->repo, &q);
	if (error == 0 && strcmp(pops_json_str(found, "verdict", ""), "error") &&
	    cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(found, "case_results"))) {
		const cJSON *rate = cJSON_GetObjectItemCaseSensitive(found, "pass_rate");

		eval_add_baseline(g->summary, cur, cJSON_GetObjectItemCaseSensitive(found, "case_results"),
		                  ref, "evidence", cJSON_IsNumber(rate) ? rate->valuedouble : -1);
		error = 0;
		goto done;
	}
	if (error < 0 && error != POPS_ENOTFOUND)
		goto done;
	/* no stored result for that exact content: run it now on the same cases */
	if ((error = pops_eval_run(&bg, s, &bo)) < 0)
		goto done;
	*spent = bg->spent;
	if (bg->interrupted) {
		g->interrupted = 1;
		goto done;
	}
	/* --max-cost stopped the baseline: half a comparison is none */
	if (bg->over_budget) {
		g->over_budget = 1;
		goto done;
	}
	/* its evidence is what a no_regression gate compares with next time */
	if (store && bg->evidence && git_reference_name_to_id(&head, ctx->repo, "HEAD") == 0 &&
	    (error = store_one(ctx, &head, bg->evidence)) < 0)
		goto done;
	eval_add_baseline(g->summary, cur, cJSON_GetObjectItemCaseSensitive(bg->evidence, "case_results"),
	                  ref, "run", pops_json_num(bg->summary, "pass_rate", -1));
done:
	cJSON_Delete(found);
	pops_fingerprint_dispose(&bfp);
	pops_eval_group_free(bg);
	pops_buf_dispose(&addr);
	return error;
}

int eval_store_evidence(pops_ctx *ctx, pops_eval_group *const *runs, size_t n)
{
	git_oid head;
	size_t i;
	int error = 0;

	if (git_reference_name_to_id(&head, ctx->repo, "HEAD") < 0) {
		cmd_warning("no commit yet: evidence not recorded (commit, then run again)");
		return 0;
	}
	/*
	 * Partial runs (--filter, one shard, stopped by --max-cost) are
	 * recorded too, marked by their kind: prompt log shows them, gates
	 * never take them. An interrupted run is not recorded at all: Ctrl-C
	 * means stop now, not start writing refs, and the rerun resumes from
	 * the cache for free.
	 */
	for (i = 0; i < n && !error; i++)
		if (!runs[i]->interrupted && runs[i]->evidence)
			error = store_one(ctx, &head, runs[i]->evidence);
	return error;
}

void eval_shard_evidence(pops_ctx *ctx, cJSON *extra, pops_eval_group *const *runs, size_t n)
{
	git_oid head;
	char hex[GIT_OID_HEXSZ + 1];
	cJSON *arr;
	size_t i;

	if (!ctx->repo || git_reference_name_to_id(&head, ctx->repo, "HEAD") < 0)
		return;
	git_oid_tostr(hex, sizeof(hex), &head);
	cJSON_AddStringToObject(extra, "commit", hex);
	if (!(arr = cJSON_AddArrayToObject(extra, "evidence")))
		return;
	for (i = 0; i < n; i++)
		if (runs[i]->complete && runs[i]->evidence)
			cJSON_AddItemToArray(arr, cJSON_Duplicate(runs[i]->evidence, 1));
}
