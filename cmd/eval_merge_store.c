#include "common.h"
#include "jsonget.h"
#include <git2.h>
#include <time.h>
#include "eval_out.h"
#include "evidence.h"
#include "git.h"
#include "strutil.h"
#include "version.h"

/*
 * eval merge records evidence only for a whole, consistent shard set, so
 * a lone shard (or shards of different runs) never looks like a full run.
 */

static const cJSON *find_fp(const cJSON *evidence, const char *fp)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, evidence) {
		const char *f = pops_json_str(r, "fingerprint", NULL);

		if (f && !strcmp(f, fp))
			return r;
	}
	return NULL;
}

static int same_fingerprints(const cJSON *a, const cJSON *b)
{
	const cJSON *ea = cJSON_GetObjectItemCaseSensitive(a, "evidence");
	const cJSON *eb = cJSON_GetObjectItemCaseSensitive(b, "evidence"), *r;

	if (cJSON_GetArraySize(ea) != cJSON_GetArraySize(eb))
		return 0;
	cJSON_ArrayForEach(r, ea)
		if (!pops_json_str(r, "fingerprint", NULL) || !find_fp(eb, pops_json_str(r, "fingerprint", NULL)))
			return 0;
	return 1;
}

/* 1 when `parts` is a complete, consistent shard set; else 0 with `why` */
static int shard_set(const cJSON *parts, pops_buf *why)
{
	const cJSON *p, *first = parts ? parts->child : NULL;
	unsigned i, n = 0, ni;
	unsigned char *seen = NULL;
	int ok = 0;

	cJSON_ArrayForEach(p, parts) {
		const char *f = pops_json_str(p, "file", "?"),
		           *c = pops_json_str(p, "commit", NULL),
		           *c0 = pops_json_str(first, "commit", NULL);

		if (pops_shard_parse(&i, &ni, pops_json_str(p, "shard", NULL)) < 0) {
			pops_buf_printf(why, "%s is not a shard report (pops eval run --shard i/n --json)", f);
			goto done;
		}
		if (!seen) {
			n = ni;
			if (!(seen = calloc(n + 1, 1))) {
				pops_buf_puts(why, "out of memory");
				goto done;
			}
		}
		if (ni != n) {
			pops_buf_printf(why, "%s is shard %u/%u, not one of %u", f, i, ni, n);
			goto done;
		}
		if (seen[i]++) {
			pops_buf_printf(why, "shard %u/%u is given twice (%s)", i, n, f);
			goto done;
		}
		if (!c || !c0) {
			pops_buf_printf(why, "%s names no commit (it ran before the first commit)",
			                c ? pops_json_str(first, "file", "?") : f);
			goto done;
		}
		if (strcmp(c, c0)) {
			pops_buf_printf(why, "the shards evaluated different commits (%.12s in %s, %.12s in %s)",
			                c0, pops_json_str(first, "file", "?"), c, f);
			goto done;
		}
		if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "complete"))) {
			pops_buf_printf(why, "%s is incomplete (interrupted or stopped by --max-cost)", f);
			goto done;
		}
		/* the same suites, prompts, models and datasets: the same fingerprints */
		if (!same_fingerprints(first, p)) {
			pops_buf_printf(why, "%s and %s did not evaluate the same content (suite, prompt, model or dataset differ)",
			                pops_json_str(first, "file", "?"), f);
			goto done;
		}
	}
	for (i = 1; seen && i <= n; i++)
		if (!seen[i]) {
			pops_buf_printf(why, "shard %u/%u is missing: merge every shard to record the run", i, n);
			goto done;
		}
	ok = seen != NULL;
done:
	free(seen);
	return ok;
}

/*
 * The merged result's kind: every shard was partial by "--shard i/n"
 * alone when the set is whole, so it is complete unless a shard had
 * another reason (--filter, --dataset, ...): those stay, from every shard.
 */
static int merged_kind(cJSON *r, const cJSON *parts, const char *fp)
{
	cJSON *reasons = cJSON_CreateArray();
	const cJSON *p, *it, *have;

	if (!reasons)
		return -1;
	cJSON_ArrayForEach(p, parts)
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(
		                       find_fp(cJSON_GetObjectItemCaseSensitive(p, "evidence"), fp),
		                       "partial_reasons")) {
			if (!cJSON_IsString(it) || !strncmp(it->valuestring, "--shard ", 8))
				continue;
			cJSON_ArrayForEach(have, reasons)
				if (!strcmp(have->valuestring, it->valuestring))
					break;
			if (!have)
				cJSON_AddItemToArray(reasons, cJSON_CreateString(it->valuestring));
		}
	cJSON_DeleteItemFromObjectCaseSensitive(r, "kind");
	cJSON_DeleteItemFromObjectCaseSensitive(r, "partial_reasons");
	cJSON_AddStringToObject(r, "kind", cJSON_GetArraySize(reasons) ? "partial" : "complete");
	if (cJSON_GetArraySize(reasons))
		cJSON_AddItemToObject(r, "partial_reasons", reasons);
	else
		cJSON_Delete(reasons);
	return 0;
}

/* the merged result for first-shard result `r0`: merged counts, every shard's cases */
static cJSON *merged_result(const cJSON *r0, const cJSON *parts, const pops_report_group *g,
                            size_t ng)
{
	const char *fp = pops_json_str(r0, "fingerprint", NULL);
	cJSON *r = cJSON_Duplicate(r0, 1), *cases;
	const cJSON *sum = NULL, *p, *it;
	size_t i;

	for (i = 0; i < ng && !sum; i++) {
		const char *s = pops_json_str(g[i].summary, "suite", NULL),
		           *m = pops_json_str(g[i].summary, "model", NULL);
		const char *id = pops_json_str(g[i].summary, "model_id", NULL);

		if (s && m && id && pops_json_str(r0, "suite", NULL) &&
		    pops_json_str(r0, "model_alias", NULL) && pops_json_str(r0, "model", NULL) &&
		    !strcmp(s, pops_json_str(r0, "suite", NULL)) &&
		    !strcmp(m, pops_json_str(r0, "model_alias", NULL)) &&
		    !strcmp(id, pops_json_str(r0, "model", NULL)))
			sum = g[i].summary;
	}
	if (!r || !sum || merged_kind(r, parts, fp) < 0) {
		cJSON_Delete(r);
		return NULL;
	}
	if (pops_evidence_put_scores(r, sum) < 0) {
		cJSON_Delete(r);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(r, "case_results");
	cases = cJSON_AddObjectToObject(r, "case_results");
	cJSON_ArrayForEach(p, parts)
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(
		                       find_fp(cJSON_GetObjectItemCaseSensitive(p, "evidence"), fp),
		                       "case_results"))
			cJSON_AddItemToObject(cases, it->string, cJSON_Duplicate(it, 1));
	pops_evidence_put_date(r);
	cJSON_DeleteItemFromObjectCaseSensitive(r, "pops_version");
	cJSON_AddStringToObject(r, "pops_version", POPS_VERSION);
	return r;
}

static int record_all(git_repository *repo, const cJSON *parts, const pops_report_group *g,
                      size_t ng, size_t *recorded)
{
	const cJSON *first = parts->child, *r0;
	git_oid commit;
	int error = 0;

	if (git_oid_fromstr(&commit, pops_json_str(first, "commit", NULL)) < 0)
		return pops_error_set(POPS_EINVALID, "%s: bad commit id", pops_json_str(first, "file", "?"));
	cJSON_ArrayForEach(r0, cJSON_GetObjectItemCaseSensitive(first, "evidence")) {
		cJSON *r = merged_result(r0, parts, g, ng);

		if (!r) {
			cmd_warning("evidence not recorded for %s: no merged summary matches it",
			            pops_json_str(r0, "suite", NULL) ? pops_json_str(r0, "suite", NULL) : "a suite");
			continue;
		}
		error = pops_evidence_record(repo, &commit, r);
		if (error == POPS_EEXISTS) {
			/* an errored merged run: the pass or fail of that content stays */
			cmd_note("%s: %s", pops_json_str(r, "suite", "?"), pops_error_last());
			error = 0;
			cJSON_Delete(r);
			continue;
		}
		cJSON_Delete(r);
		if (error < 0)
			break;
		(*recorded)++;
	}
	return error;
}

int eval_merge_store(const cJSON *parts, const pops_report_group *g, size_t ng)
{
	pops_buf why = POPS_BUF_INIT;
	git_repository *repo = NULL;
	const cJSON *p;
	size_t recorded = 0, shards = 0;
	int error = 0, git = 0;

	cJSON_ArrayForEach(p, parts)
		shards += pops_json_str(p, "shard", NULL) != NULL;
	if (!shards)
		goto done;     /* unsharded runs recorded their own evidence */
	if (!shard_set(parts, &why)) {
		cmd_warning("evidence not recorded: %s", why.ptr);
		goto done;
	}
	if ((error = pops_git_init()) < 0)
		goto done;
	git = 1;
	if (pops_git_open(&repo, ".") < 0) {
		cmd_warning("evidence not recorded: not in a git repository");
		goto done;
	}
	if ((error = record_all(repo, parts, g, ng, &recorded)) == 0 && recorded)
		fprintf(stderr, "evidence recorded on %.12s for %zu suite run%s\n",
		        pops_json_str(parts->child, "commit", NULL), recorded, recorded == 1 ? "" : "s");
done:
	git_repository_free(repo);
	if (git)
		pops_git_shutdown();
	pops_buf_dispose(&why);
	return error;
}
