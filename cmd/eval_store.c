#include "common.h"
#include <git2.h>
#include "eval_out.h"
#include "eval_batch.h"
#include "jsonget.h"
#include "strutil.h"
#include "version.h"

/* record one run's evidence on `head`; an errored run kept out is only news */
static int store_one(pops_ctx *ctx, const git_oid *head, cJSON *e)
{
	int error;

	error = pops_eval_record_evidence(ctx->repo, head, e, POPS_VERSION);
	if (error == POPS_EEXISTS) {
		cmd_note("%s: %s", pops_json_str(e, "suite", "?"), pops_error_last());
		error = 0;
	}
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
