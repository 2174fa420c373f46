/*
 * pops status: where the project stands: the releases (pops release list),
 * and a warning for each gate input (pops.yaml, a required suite, its
 * dataset or prompt) that HEAD does not hold as the work tree has it.
 */
#include "common.h"
#include "cmd.h"
#include "release.h"
#include "inputs.h"

#include <git2.h>

struct status_opts {
	int json;
};

POPS_CMD_OPTS_SIZE(status, struct status_opts);
#define O struct status_opts
const pops_opt cmd_status_opts[] = {
	OPT_BOOL(O, json, "json", "print the releases as JSON (same as pops release list --json)"),
	OPT_END
};
#undef O

int cmd_status(pops_ctx *ctx, void *o)
{
	struct status_opts *opts = o;
	char hex[GIT_OID_HEXSZ + 1];
	git_oid tip;
	int error;

	if (!opts->json) {
		error = pops_release_tip(&tip, ctx->repo);
		if (error == 0)
			printf("ledger %s at %.12s\n\n", POPS_RELEASE_REF,
			       git_oid_tostr(hex, sizeof(hex), &tip));
		else if (error != POPS_ENOTFOUND)
			return cmd_fail(error);
		pops_error_clear();
	}
	/* the same options struct layout: one bool `json` */
	error = cmd_release_list(ctx, o);
	if (!opts->json && error == POPS_EXIT_OK)
		cmd_warn_uncommitted_gates(ctx, ctx->project);
	return error;
}
