#include "common.h"
#include "cmd.h"

/*
 * `pops __parse -- <command> [<subcommand>] [args...]`: parse a command
 * line exactly as pops would, through the same lookup and option table,
 * and stop before the command runs: exit 0 when it parses (-h prints the
 * usage, as it would), or the usage error and exit 2. Nothing is opened
 * or read. It lets tests/cli/t0015 check that every example the manual
 * and the README show is a command line pops accepts.
 */

struct parse_opts {
	pops_strv words;
};

POPS_CMD_OPTS_SIZE(parse_check, struct parse_opts);
#define O struct parse_opts
const pops_opt cmd_parse_check_opts[] = {
	OPT_ARGS(O, words, "word",
	         "the command line after 'pops' (put '--' first)", .flags = POPS_OPTF_REQUIRED),
	OPT_END
};
#undef O

int cmd_parse_check(pops_ctx *ctx, void *o)
{
	struct parse_opts *opts = o;
	const pops_cmd *cmd = NULL;
	pops_buf path = POPS_BUF_INIT;
	char **argv = (char **)opts->words.v;
	int argc = (int)opts->words.n, i = 0, ret;
	void *inner = NULL;

	(void)ctx;
	if ((ret = pops_cmd_lookup(&cmd, &path, argc, argv, &i)) != POPS_EXIT_OK || !cmd)
		goto done;
	if (!(inner = calloc(1, *cmd->opts_size))) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		goto done;
	}
	switch (pops_opt_parse(inner, cmd->opts, path.ptr, argc - i, argv + i)) {
	case POPS_OPT_HELP:
		pops_cmd_print_help(stdout, cmd, path.ptr);
		break;
	case POPS_OPT_USAGE:
		ret = POPS_EXIT_USAGE;
		break;
	}
	pops_opt_dispose(inner, cmd->opts);
done:
	free(inner);
	pops_buf_dispose(&path);
	return ret;
}
