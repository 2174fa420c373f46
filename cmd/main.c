#include "common.h"
#include "cmd.h"
#include "config.h"
#include "git.h"
#include "repo.h"
#include "strutil.h"
#include "version.h"

#include <git2.h>
#include <unistd.h>

/*
 * The command table: dispatch, `pops -h`, `pops help`, "did you mean"
 * and `pops __complete` all read it. Sorted by name.
 */
const pops_cmd pops_commands[] = {
	POPS_CMD_ROW("__complete", complete, POPS_CMD_HIDDEN,
	             "Print completion candidates (used by the shell scripts)"),
	POPS_CMD_ROW("__parse", parse_check, POPS_CMD_HIDDEN,
	             "Check that a command line parses, without running it (used by the tests)"),
	POPS_CMD_ROW("approve", approve, POPS_CMD_NEEDS_CONFIG,
	             "Approve a prompt version for an environment (promotion gate)"),
	POPS_GROUP_ROW("cache", cache, 0, "Inspect or clear the response cache (.pops/cache)"),
	POPS_CMD_ROW("config", config, POPS_CMD_NEEDS_CONFIG,
	             "Check pops.yaml and show what pops understood from it"),
	POPS_GROUP_ROW("dataset", dataset, 0, "Grow golden datasets from production records"),
	POPS_GROUP_ROW("eval", eval, 0, "Run eval suites, gate on thresholds and regressions"),
	POPS_CMD_ROW("export", export, POPS_CMD_NEEDS_CONFIG,
	             "Write an environment's released prompts and a manifest to a directory"),
	POPS_CMD_ROW("help", help, 0, "Show help for pops or one of its commands"),
	POPS_GROUP_ROW("import", import, 0, "Import prompts and tests from promptfoo, dotprompt, Langfuse, GitHub Models"),
	POPS_CMD_ROW("init", init, 0, "Create a pops project: pops.yaml, prompts/, evals/"),
	POPS_GROUP_ROW("judge", judge, 0, "Check an LLM judge against human labels"),
	POPS_GROUP_ROW("model", model, 0, "Pin, list, check and ping model aliases"),
	POPS_CMD_ROW("promote", promote, POPS_CMD_NEEDS_CONFIG,
	             "Release prompts to an environment, checking its gates"),
	POPS_GROUP_ROW("prompt", prompt, 0, "Add, lint, list, show, diff and log versioned prompts"),
	POPS_CMD_ROW("pull", pull, POPS_CMD_NEEDS_REPO,
	             "Fetch and merge releases and eval evidence from a remote"),
	POPS_CMD_ROW("push", push, POPS_CMD_NEEDS_REPO,
	             "Publish releases and eval evidence to a remote"),
	POPS_GROUP_ROW("release", release, 0, "Inspect releases: the ledger's list and log"),
	POPS_CMD_ROW("render", render, 0, "Render a prompt's messages for some variables"),
	POPS_CMD_ROW("report", report, 0,
	             "Re-render a JSON eval report as HTML, Markdown or JUnit"),
	POPS_CMD_ROW("rollback", rollback, POPS_CMD_NEEDS_CONFIG,
	             "Restore an earlier release in an environment, or end a canary rollout"),
	POPS_GROUP_ROW("rollout", rollout, 0,
	               "Canary rollouts: change the share, complete, show status"),
	POPS_CMD_ROW("status", status, POPS_CMD_NEEDS_CONFIG,
	             "Show what each environment has released and whether HEAD is ahead"),
	POPS_CMD_END
};

/* pops's own options, before the command word: parsed, listed and completed from here */
#define O struct pops_global_opts
const pops_opt pops_global_opts[] = {
	OPT_LIST(O, dirs, "directory", "dir",
	         "run as if pops was started in <dir> (repeatable, each relative to the last)",
	         .short_name = 'C', .complete = POPS_COMPLETE_DIR),
	OPT_BOOL(O, version, "version", "print the version and exit"),
	OPT_ARG(O, command, "command", "the command to run",
	        .flags = POPS_OPTF_REQUIRED, .complete = POPS_COMPLETE_COMMAND),
	OPT_ARGS(O, args, "args", "its options and arguments"),
	OPT_END
};
#undef O

const pops_cmd *pops_cmd_find(const pops_cmd *table, const char *name)
{
	for (; table->name; table++)
		if (!strcmp(table->name, name))
			return table;
	return NULL;
}

void pops_cmd_print_list(FILE *f, const pops_cmd *table)
{
	for (; table->name; table++)
		if (!(table->flags & POPS_CMD_HIDDEN))
			fprintf(f, "   %-12s %s\n", table->name, table->summary);
}

static void print_top_help(FILE *f)
{
	pops_opt_print_synopsis(f, pops_global_opts, "");
	fputs("\nPrompts as code: versioned in git, evaluated in CI, promoted with gates.\n"
	      "\ncommands:\n", f);
	pops_cmd_print_list(f, pops_commands);
	fputs("\noptions:\n", f);
	pops_opt_print_options(f, pops_global_opts);
	fprintf(f, "    %-26s%s\n", "-h, --help", "show this help");
	fputs("\nSee 'pops help <command>' or 'man pops' for more.\n", f);
}

static int unknown_command(const pops_cmd *table, const char *group,
                           const char *word)
{
	const char *names[128];
	const char *guess;
	size_t n = 0;

	for (; table->name && n + 1 < POPS_ARRAY_SIZE(names); table++)
		if (!(table->flags & POPS_CMD_HIDDEN))
			names[n++] = table->name;
	names[n] = NULL;
	guess = pops_suggest(word, names, POPS_SUGGEST_MAX_DISTANCE);
	cmd_error(POPS_EXIT_USAGE, "'%s' is not a pops%s%s command", word,
	          group ? " " : "", group ? group : "");
	if (guess)
		cmd_hint("did you mean 'pops%s%s %s'?", group ? " " : "",
		         group ? group : "", guess);
	else
		cmd_hint("see 'pops%s%s -h' for the list", group ? " " : "",
		         group ? group : "");
	return POPS_EXIT_USAGE;
}

int pops_cmd_lookup(const pops_cmd **out, pops_buf *cmdpath, int argc, char **argv, int *i)
{
	const pops_cmd *table = pops_commands, *cmd;
	const char *group;

	*out = NULL;
	if (*i >= argc)
		return cmd_error(POPS_EXIT_USAGE, "no command given");
	if (!(cmd = pops_cmd_find(table, argv[*i])))
		return unknown_command(table, NULL, argv[*i]);
	pops_buf_puts(cmdpath, cmd->name);
	(*i)++;
	if (!cmd->sub) {
		*out = cmd;
		return POPS_EXIT_OK;
	}
	group = cmd->name;
	if (*i >= argc || !strcmp(argv[*i], "-h") || !strcmp(argv[*i], "--help")) {
		pops_cmd_print_help(*i >= argc ? stderr : stdout, cmd, group);
		return *i >= argc ? POPS_EXIT_USAGE : POPS_EXIT_OK;
	}
	table = cmd->sub;
	if (!(cmd = pops_cmd_find(table, argv[*i])))
		return unknown_command(table, group, argv[*i]);
	pops_buf_printf(cmdpath, " %s", cmd->name);
	(*i)++;
	*out = cmd;
	return POPS_EXIT_OK;
}

static int setup(pops_ctx *ctx, unsigned flags, int *git_ok)
{
	pops_buf cwd = POPS_BUF_INIT, path = POPS_BUF_INIT;
	const char *workdir = NULL;
	int ret = POPS_EXIT_OK, error;

	if (!(flags & (POPS_CMD_NEEDS_REPO | POPS_CMD_NEEDS_CONFIG)))
		return POPS_EXIT_OK;
	if (pops_git_init() < 0)
		return cmd_fail(POPS_ERROR);
	*git_ok = 1;
	if (pops_buf_grow(&cwd, 4096) < 0 || !getcwd(cwd.ptr, cwd.asize - 1)) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "cannot get the current directory: %s",
		                strerror(errno));
		goto done;
	}
	cwd.size = strlen(cwd.ptr);
	error = pops_git_open(&ctx->repo, ".");
	if (error == GIT_ENOTFOUND) {
		ret = cmd_error(POPS_EXIT_USAGE,
		                "not a git repository (or any parent): '%s'", cwd.ptr);
		cmd_hint("run 'pops init' to create a pops project here");
		goto done;
	} else if (error < 0) {
		ret = cmd_fail(pops_git_error(error, "cannot open the git repository"));
		goto done;
	}
	workdir = git_repository_workdir(ctx->repo);
	if (!(flags & POPS_CMD_NEEDS_CONFIG))
		goto done;
	if (!workdir) {
		ret = cmd_error(POPS_EXIT_USAGE, "this command needs a work tree, not a bare repository");
		goto done;
	}
	if ((error = pops_config_find(&path, cwd.ptr, workdir)) < 0) {
		ret = cmd_fail(error);
		if (error == POPS_ENOTFOUND)
			cmd_hint("run 'pops init' to create one");
		goto done;
	}
	/* name the file relative to where the user is, as git does */
	if (!strncmp(path.ptr, cwd.ptr, cwd.size) && path.ptr[cwd.size] == '/')
		pops_buf_set(&path, path.ptr + cwd.size + 1, path.size - cwd.size - 1);
	if ((error = pops_config_load(&ctx->config, path.ptr)) < 0 ||
	    (error = pops_repo_from(&ctx->project, ctx->repo, ctx->config)) < 0)
		ret = cmd_fail(error);
done:
	pops_buf_dispose(&path);
	pops_buf_dispose(&cwd);
	return ret;
}

/* flush and close stdout so that a failed write is an error, not silence */
static int close_stdout(int ret)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0)
		failed = 1;
	if (failed && ret == POPS_EXIT_OK)
		return cmd_error(POPS_EXIT_RUNTIME, "write failure on standard output: %s",
		                 errno ? strerror(errno) : "unknown error");
	return ret;
}

static int use_color(int fd)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	if (nc && *nc)
		return 0;
	if (term && !strcmp(term, "dumb"))
		return 0;
	return isatty(fd);
}

int main(int argc, char **argv)
{
	pops_ctx ctx;
	const pops_cmd *cmd = NULL;
	pops_buf cmdpath = POPS_BUF_INIT;
	struct pops_global_opts g;
	void *opts = NULL;
	size_t k;
	int i = 1, used = 0, ret = POPS_EXIT_OK, git_ok = 0;

	memset(&ctx, 0, sizeof(ctx));
	memset(&g, 0, sizeof(g));
	ctx.stdout_tty = isatty(1);
	ctx.stderr_tty = isatty(2);
	ctx.color_out = use_color(1);
	ctx.color_err = use_color(2);

	/* global options, before the command */
	switch (pops_opt_parse_prefix(&g, pops_global_opts, argc - 1, argv + 1, &used)) {
	case POPS_OPT_HELP:
		print_top_help(stdout);
		goto done;
	case POPS_OPT_USAGE:
		ret = POPS_EXIT_USAGE;
		goto done;
	}
	i = 1 + used;
	if (g.version) {
		printf("pops %s\n", POPS_VERSION);
		goto done;
	}
	/* in order, each relative to the one before, as git -C; "" changes nothing */
	for (k = 0; k < g.dirs.n; k++) {
		if (*g.dirs.v[k] && chdir(g.dirs.v[k]) < 0) {
			ret = cmd_error(POPS_EXIT_USAGE, "cannot change to '%s': %s", g.dirs.v[k],
			                strerror(errno));
			goto done;
		}
	}
	/* like a bare group (pops eval): no command is a usage error */
	if (i >= argc) {
		print_top_help(stderr);
		ret = POPS_EXIT_USAGE;
		goto done;
	}

	if ((ret = pops_cmd_lookup(&cmd, &cmdpath, argc, argv, &i)) != POPS_EXIT_OK || !cmd)
		goto done;
	ctx.cmdpath = cmdpath.ptr;

	if (!(opts = calloc(1, *cmd->opts_size))) {
		ret = cmd_error(POPS_EXIT_RUNTIME, "out of memory");
		goto done;
	}
	switch (pops_opt_parse(opts, cmd->opts, cmdpath.ptr, argc - i, argv + i)) {
	case POPS_OPT_HELP:
		pops_cmd_print_help(stdout, cmd, cmdpath.ptr);
		goto done;
	case POPS_OPT_USAGE:
		ret = POPS_EXIT_USAGE;
		goto done;
	}
	if ((ret = setup(&ctx, cmd->flags, &git_ok)) != POPS_EXIT_OK)
		goto done;
	cmd_debug_init();
	ret = cmd->run(&ctx, opts);

done:
	pops_opt_dispose(&g, pops_global_opts);
	if (opts && cmd)
		pops_opt_dispose(opts, cmd->opts);
	free(opts);
	pops_repo_free(ctx.project);
	pops_config_free(ctx.config);
	git_repository_free(ctx.repo);
	if (git_ok)
		pops_git_shutdown();
	pops_buf_dispose(&cmdpath);
	pops_error_clear();
	return close_stdout(ret);
}
