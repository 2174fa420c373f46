#ifndef POPS_CMD_H
#define POPS_CMD_H

#include "common.h"
#include "opt.h"

struct git_repository;
struct pops_config;
struct pops_repo;

/*
 * Exit codes (pops(1), EXIT STATUS). Every command returns one of these.
 */
enum {
	POPS_EXIT_OK = 0,
	POPS_EXIT_NEGATIVE = 1,   /* a negative answer: threshold, regression, gate */
	POPS_EXIT_USAGE = 2,      /* usage, invalid input or config */
	POPS_EXIT_RUNTIME = 3,    /* git, I/O, failed write to stdout */
	POPS_EXIT_PROVIDER = 4,   /* provider or network failure after retries */
	POPS_EXIT_INTERRUPTED = 130
};

/* what the dispatcher prepares before a command runs */
enum {
	POPS_CMD_NEEDS_REPO = 1 << 0,    /* open the git repository (ctx->repo) */
	POPS_CMD_NEEDS_CONFIG = 1 << 1,  /* load pops.yaml (ctx->config); implies repo lookup */
	POPS_CMD_HIDDEN = 1 << 2         /* not listed in help or completion */
};

typedef struct pops_ctx {
	const char *cmdpath;            /* "prompt list": for messages */
	struct git_repository *repo;    /* NEEDS_REPO: borrowed for the run */
	struct pops_config *config;     /* NEEDS_CONFIG: borrowed for the run */
	struct pops_repo *project;      /* NEEDS_CONFIG: repo + pops.yaml (lib/repo.h) */
	int color_out, color_err;       /* colour allowed on stdout / stderr */
	int stdout_tty, stderr_tty;
} pops_ctx;

typedef struct pops_cmd pops_cmd;

struct pops_cmd {
	const char *name;
	int (*run)(pops_ctx *ctx, void *opts);
	unsigned flags;
	const char *summary;
	const pops_opt *opts;     /* NULL for groups */
	const size_t *opts_size;  /* sizeof the struct `opts` writes into; NULL for groups */
	const pops_cmd *sub;      /* groups: subcommand table, ended by a NULL name */
};

/*
 * Each command file defines `cmd_<id>`, its table `cmd_<id>_opts` and,
 * with POPS_CMD_OPTS_SIZE(<id>, struct <its options>), the size the
 * dispatcher allocates for that struct; groups define
 * `cmd_<id>_subcommands`. The size is stated, not inferred from the rows,
 * because a field no row writes (state the command keeps there) would
 * lie past the last row's end; a command without it fails to link.
 * These macros keep the declarations and the table rows in one shape.
 */
#define POPS_CMD_DECLARE(id) \
	int cmd_##id(pops_ctx *ctx, void *opts); \
	extern const pops_opt cmd_##id##_opts[]; \
	extern const size_t cmd_##id##_opts_size
#define POPS_CMD_OPTS_SIZE(id, type) const size_t cmd_##id##_opts_size = sizeof(type)
#define POPS_GROUP_DECLARE(id) extern const pops_cmd cmd_##id##_subcommands[]

#define POPS_CMD_ROW(name, id, flags, summary) \
	{ name, cmd_##id, flags, summary, cmd_##id##_opts, &cmd_##id##_opts_size, NULL }
#define POPS_GROUP_ROW(name, id, flags, summary) \
	{ name, NULL, flags, summary, NULL, NULL, cmd_##id##_subcommands }
#define POPS_CMD_END { NULL, NULL, 0, NULL, NULL, NULL, NULL }

/* The top-level table (main.c) and group tables (one per cmd/<group>.c). */
extern const pops_cmd pops_commands[];

/* pops's own options, before the command word (-C, --version) */
struct pops_global_opts {
	pops_strv dirs;
	int version;
	const char *command;
	pops_strv args;
};
extern const pops_opt pops_global_opts[];

/* Look a command up in a table; NULL if absent. */
const pops_cmd *pops_cmd_find(const pops_cmd *table, const char *name);

/* Print the commands of `table` with their summaries. */
void pops_cmd_print_list(FILE *f, const pops_cmd *table);

/*
 * The help of a command or group as `pops <cmdpath> -h` and
 * `pops help <cmdpath>` both print it (help.c): the synopsis, the
 * summary, then the options or, for a group, its subcommands.
 */
void pops_cmd_print_help(FILE *f, const pops_cmd *cmd, const char *cmdpath);

/*
 * The (sub)command argv[*i] names (main.c): advances *i past its words
 * and appends its path ("prompt list") to `cmdpath`. Returns
 * POPS_EXIT_OK with *out set; or, with *out NULL, POPS_EXIT_OK after a
 * group's -h, or POPS_EXIT_USAGE after an unknown name or a bare group
 * (the message printed). The dispatcher and `pops __parse` share it, so
 * the check of documented examples parses exactly as pops does.
 */
int pops_cmd_lookup(const pops_cmd **out, pops_buf *cmdpath, int argc, char **argv, int *i);

/* ---- commands and groups, one line each ---- */
POPS_GROUP_DECLARE(cache);
POPS_CMD_DECLARE(cache_clear);
POPS_CMD_DECLARE(cache_stats);
POPS_CMD_DECLARE(complete);
POPS_CMD_DECLARE(parse_check);
POPS_GROUP_DECLARE(dataset);
POPS_CMD_DECLARE(dataset_add);
POPS_GROUP_DECLARE(eval);
POPS_CMD_DECLARE(eval_batches);
POPS_CMD_DECLARE(eval_merge);
POPS_CMD_DECLARE(eval_run);
POPS_CMD_DECLARE(eval_trend);
POPS_CMD_DECLARE(eval_score);
POPS_GROUP_DECLARE(judge);
POPS_CMD_DECLARE(judge_calibrate);
POPS_CMD_DECLARE(config);
POPS_CMD_DECLARE(help);
POPS_CMD_DECLARE(init);
POPS_GROUP_DECLARE(import);
POPS_CMD_DECLARE(import_dotprompt);
POPS_CMD_DECLARE(import_github_models);
POPS_CMD_DECLARE(import_langfuse);
POPS_CMD_DECLARE(import_promptfoo);
POPS_GROUP_DECLARE(model);
POPS_CMD_DECLARE(model_check);
POPS_CMD_DECLARE(model_list);
POPS_CMD_DECLARE(model_pin);
POPS_CMD_DECLARE(model_ping);
POPS_GROUP_DECLARE(prompt);
POPS_CMD_DECLARE(prompt_add);
POPS_CMD_DECLARE(prompt_diff);
POPS_CMD_DECLARE(prompt_list);
POPS_CMD_DECLARE(prompt_log);
POPS_CMD_DECLARE(prompt_show);
POPS_CMD_DECLARE(prompt_lint);
POPS_CMD_DECLARE(render);
POPS_CMD_DECLARE(report);

/* render.c: a .prompt file or address -> parsed prompt (lib error code) */
struct pops_prompt;
int cmd_render_open(struct pops_prompt **out, const char *arg);
/* releases (issue 6) */
POPS_CMD_DECLARE(approve);
POPS_CMD_DECLARE(export);
POPS_CMD_DECLARE(pull);
POPS_CMD_DECLARE(push);
POPS_CMD_DECLARE(promote);
POPS_CMD_DECLARE(rollback);
POPS_CMD_DECLARE(status);
POPS_GROUP_DECLARE(release);
POPS_CMD_DECLARE(release_list);
POPS_CMD_DECLARE(release_log);
/* canary rollouts (issue 19) */
POPS_GROUP_DECLARE(rollout);
POPS_CMD_DECLARE(rollout_complete);
POPS_CMD_DECLARE(rollout_set);
POPS_CMD_DECLARE(rollout_status);

/* ---- exit codes and stderr lines (exitcode.c) ---- */

/* Map a POPS_E* code to a POPS_EXIT_* code. */
int pops_exit_code(int error);

/* Print "error: <last lib message>" and return the exit code for `error`. */
int cmd_fail(int error);

/* Print "error: <fmt>" and return `exit_code`. */
int cmd_error(int exit_code, const char *fmt, ...) POPS_PRINTF(2, 3);

/* "warning: ", "hint: " and "pops: " lines on stderr. */
void cmd_warning(const char *fmt, ...) POPS_PRINTF(1, 2);
void cmd_hint(const char *fmt, ...) POPS_PRINTF(1, 2);
void cmd_note(const char *fmt, ...) POPS_PRINTF(1, 2);

/*
 * The author or committer (`who`: "AUTHOR" or "COMMITTER") as git would
 * record it: GIT_<who>_NAME/EMAIL/DATE, else user.name and user.email
 * (prompt_add.c). 0, POPS_EINVALID (nobody configured, a bad date).
 */
struct git_signature;
int cmd_signature(struct git_signature **out, struct git_repository *repo, const char *who);

/* Read POPS_DEBUG and set the trace sinks it asks for (cmd/debug.c). */
void cmd_debug_init(void);

/* Colour escapes, empty strings when colour is off. */
const char *cmd_color(const pops_ctx *ctx, int on_stdout, const char *which);

#endif
