#include "common.h"
#include "cmd.h"

#include <unistd.h>

struct help_opts {
	pops_strv words;
};

POPS_CMD_OPTS_SIZE(help, struct help_opts);
#define O struct help_opts
const pops_opt cmd_help_opts[] = {
	OPT_ARGS(O, words, "command",
	         "the command (and subcommand) to explain", .complete = POPS_COMPLETE_COMMAND),
	OPT_END
};
#undef O

void pops_cmd_print_help(FILE *f, const pops_cmd *cmd, const char *cmdpath)
{
	if (cmd->sub) {
		fprintf(f, "usage: pops %s <command> [<args>]\n\n%s\n\ncommands:\n", cmdpath,
		        cmd->summary);
		pops_cmd_print_list(f, cmd->sub);
	} else {
		pops_opt_print_usage(f, cmd->opts, cmdpath, cmd->summary);
	}
}

/*
 * On a terminal, show the manual page the way git does; everywhere else
 * (pipes, CI logs, tests) print the -h text, which needs no man.
 */
static void try_man(const pops_ctx *ctx, const char *page)
{
	if (!ctx->stdout_tty || getenv("POPS_NO_MAN"))
		return;
	fflush(stdout);
	execlp("man", "man", page, (char *)NULL);
	/* man is not installed: fall back to -h */
}

int cmd_help(pops_ctx *ctx, void *o)
{
	struct help_opts *opts = o;
	const pops_cmd *cmd, *sub = NULL;
	pops_buf page = POPS_BUF_INIT, path = POPS_BUF_INIT;

	if (!opts->words.n) {
		pops_opt_print_synopsis(stdout, pops_global_opts, "");
		fputs("\ncommands:\n", stdout);
		pops_cmd_print_list(stdout, pops_commands);
		fputs("\nSee 'pops help <command>' or 'man pops' for more.\n", stdout);
		return POPS_EXIT_OK;
	}
	cmd = pops_cmd_find(pops_commands, opts->words.v[0]);
	if (!cmd || (cmd->flags & POPS_CMD_HIDDEN))
		return cmd_error(POPS_EXIT_USAGE, "no help for '%s': not a pops command",
		                 opts->words.v[0]);
	if (cmd->sub && opts->words.n > 1) {
		sub = pops_cmd_find(cmd->sub, opts->words.v[1]);
		if (!sub)
			return cmd_error(POPS_EXIT_USAGE, "'%s' is not a pops %s command",
			                 opts->words.v[1], cmd->name);
	}
	pops_buf_printf(&page, "pops-%s", cmd->name);
	try_man(ctx, page.ptr);

	if (sub) {
		pops_buf_printf(&path, "%s %s", cmd->name, sub->name);
		pops_cmd_print_help(stdout, sub, path.ptr);
	} else {
		pops_cmd_print_help(stdout, cmd, cmd->name);
	}
	pops_buf_dispose(&path);
	pops_buf_dispose(&page);
	return POPS_EXIT_OK;
}
