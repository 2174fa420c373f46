#include "common.h"
#include "cmd.h"
#include "config.h"
#include "releasecmd.h"

struct approve_opts {
	const char *env;
	const char *address;
};

POPS_CMD_OPTS_SIZE(approve, struct approve_opts);
#define O struct approve_opts
const pops_opt cmd_approve_opts[] = {
	OPT_ARG(O, env, "env",
	        "the environment the approval is for", .flags = POPS_OPTF_REQUIRED,
	        .complete = POPS_COMPLETE_ENV),
	OPT_ARG(O, address, "prompt@N",
	        "what is approved: name@N, name:env, or name (the version at HEAD)",
	        .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_ADDRESS),
	OPT_END
};
#undef O

int cmd_approve(pops_ctx *ctx, void *o)
{
	struct approve_opts *opts = o;
	pops_release_entry *e = NULL;
	pops_buf label = POPS_BUF_INIT;
	int error, ret = POPS_EXIT_OK;

	if ((error = pops_approve(&e, ctx->repo, ctx->config, opts->env, opts->address)) < 0) {
		ret = cmd_fail(error);
		goto done;
	}
	cmd_release_label(&label, e);
	printf("approved %s for %s\n", label.ptr, e->env);
done:
	pops_buf_dispose(&label);
	pops_release_entry_free(e);
	return ret;
}
