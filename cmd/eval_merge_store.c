#include "common.h"
#include "jsonget.h"
#include <git2.h>
#include <time.h>
#include "eval_merge.h"
#include "eval_out.h"
#include "evidence.h"
#include "git.h"
#include "strutil.h"
#include "version.h"

/*
 * eval merge records evidence only for a whole, consistent shard set, so
 * a lone shard (or shards of different runs) never looks like a full run.
 */

static int record_all(git_repository *repo, const cJSON *parts, const pops_report_group *g,
                      size_t ng, size_t *recorded)
{
	const cJSON *first = parts->child, *r0;
	git_oid commit;
	int error = 0;

	if (git_oid_fromstr(&commit, pops_json_str(first, "commit", NULL)) < 0)
		return pops_error_set(POPS_EINVALID, "%s: bad commit id", pops_json_str(first, "file", "?"));
	cJSON_ArrayForEach(r0, cJSON_GetObjectItemCaseSensitive(first, "evidence")) {
		cJSON *r = pops_eval_merge_result(r0, parts, g, ng, POPS_VERSION);

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
	if (!pops_eval_merge_shard_set(parts, &why)) {
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
