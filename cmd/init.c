#include "common.h"
#include "cmd.h"
#include "project.h"

struct init_opts {
	const char *dir;
	int force;
};

POPS_CMD_OPTS_SIZE(init, struct init_opts);
#define O struct init_opts
const pops_opt cmd_init_opts[] = {
	OPT_BOOL(O, force, "force",
	         "overwrite an existing pops.yaml, or nest a project in another",
	         .short_name = 'f'),
	OPT_ARG(O, dir, "dir",
	        "project directory (default: the current directory)",
	        .complete = POPS_COMPLETE_DIR),
	OPT_END
};
#undef O

int cmd_init(pops_ctx *ctx, void *o)
{
	struct init_opts *opts = o;
	pops_init_options io = POPS_INIT_OPTIONS_INIT;
	pops_init_result res;
	int error;

	(void)ctx;
	if (opts->dir)
		io.dir = opts->dir;
	io.force = opts->force;
	if ((error = pops_project_init(&res, &io)) < 0) {
		int ret = cmd_fail(error);

		if (error == POPS_EEXISTS && res.nested)
			cmd_hint("run pops there, or use 'pops init --force' to start a separate, "
			         "nested project");
		else if (error == POPS_EEXISTS)
			cmd_hint("use 'pops init --force' to replace it");
		return ret;
	}
	if (res.created_repo)
		printf("Initialized empty git repository in %s\n", io.dir);
	printf("%s pops project in %s\n",
	       res.replaced_config ? "Reinitialized" : "Initialized", io.dir);
	printf("next: write a prompt in prompts/, then 'pops prompt add' it\n");
	return POPS_EXIT_OK;
}
