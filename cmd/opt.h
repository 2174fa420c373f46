#ifndef POPS_CMD_OPT_H
#define POPS_CMD_OPT_H

#include <stddef.h>
#include <stdio.h>

/*
 * Option tables. One table per (sub)command drives parsing, -h, usage
 * errors, the man page check and `pops __complete`. Each row writes into
 * the command's options struct at `offset`:
 *
 *   BOOL     int          --x / --no-x
 *   STRING   const char * (PATH and ENUM too; ENUM checks `choices`)
 *   INT      long         range-checked against min..max
 *   NUMBER   double       NAN when absent; min..max checked when max > min
 *   DURATION long         milliseconds; accepts 250ms, 30s, 2m, 1h, or seconds
 *   LIST     pops_strv    repeatable STRING
 *   SHARD    pops_opt_shard  "i/n" with 1 <= i <= n (n is 0 when absent)
 *   OPTIONAL const char * an optional value, given only as --x=value
 *                         (the next word stays an argument): NULL when
 *                         absent, "" for a bare --x
 *   ARG      const char * next positional argument
 *   ARGS     pops_strv    all remaining positional arguments
 *
 * Strings point into argv; lists are allocated and freed by the parser.
 */

typedef enum {
	POPS_OPT_END = 0,
	POPS_OPT_BOOL,
	POPS_OPT_STRING,
	POPS_OPT_PATH,
	POPS_OPT_ENUM,
	POPS_OPT_INT,
	POPS_OPT_NUMBER,
	POPS_OPT_DURATION,
	POPS_OPT_LIST,
	POPS_OPT_SHARD,
	POPS_OPT_OPTIONAL,
	POPS_OPT_ARG,
	POPS_OPT_ARGS
} pops_opt_type;

/* what `pops __complete` offers for a value */
typedef enum {
	POPS_COMPLETE_NONE = 0,
	POPS_COMPLETE_FILE,
	POPS_COMPLETE_DIR,
	POPS_COMPLETE_PROMPT,   /* prompt names */
	POPS_COMPLETE_ADDRESS,  /* name, name@N, name:env */
	POPS_COMPLETE_ENV,
	POPS_COMPLETE_MODEL,
	POPS_COMPLETE_SUITE,
	POPS_COMPLETE_COMMAND   /* a pops command name */
} pops_complete_kind;

enum {
	POPS_OPTF_REQUIRED = 1 << 0,
	POPS_OPTF_HIDDEN = 1 << 1
};

typedef struct pops_opt {
	pops_opt_type type;
	const char *name;        /* long name without "--"; placeholder for ARG(S) */
	char short_name;
	size_t offset;
	const char *value_name;  /* e.g. "file"; printed as <file> */
	const char *help;
	unsigned flags;
	const char *const *choices; /* ENUM */
	long min, max;           /* INT */
	pops_complete_kind complete;
} pops_opt;

typedef struct pops_opt_shard {
	unsigned i, n;
} pops_opt_shard;

typedef struct pops_strv {
	const char **v;
	size_t n;
} pops_strv;

/*
 * One row per line, as git's OPT_* macros: S is the options struct
 * (files write `#define O struct render_opts` above their table), f its
 * field, then the long name, the value's name where it takes one, and
 * the help; any other member (.short_name, .flags, .complete, .choices)
 * follows as a designated initializer.
 */
#define OPT_BOOL(S, f, lname, h, ...) \
	{ .type = POPS_OPT_BOOL, .name = lname, .offset = offsetof(S, f), .help = h, __VA_ARGS__ }
#define OPT_STRING(S, f, lname, val, h, ...) \
	{ .type = POPS_OPT_STRING, .name = lname, .offset = offsetof(S, f), .value_name = val, \
	  .help = h, __VA_ARGS__ }
#define OPT_PATH(S, f, lname, val, h, ...) \
	{ .type = POPS_OPT_PATH, .name = lname, .offset = offsetof(S, f), .value_name = val, \
	  .help = h, __VA_ARGS__ }
#define OPT_ENUM(S, f, lname, val, ch, h, ...) \
	{ .type = POPS_OPT_ENUM, .name = lname, .offset = offsetof(S, f), .value_name = val, \
	  .choices = ch, .help = h, __VA_ARGS__ }
#define OPT_INT(S, f, lname, val, lo, hi, h, ...) \
	{ .type = POPS_OPT_INT, .name = lname, .offset = offsetof(S, f), .value_name = val, \
	  .min = lo, .max = hi, .help = h, __VA_ARGS__ }
#define OPT_NUMBER(S, f, lname, val, lo, hi, h, ...) \
	{ .type = POPS_OPT_NUMBER, .name = lname, .offset = offsetof(S, f), .value_name = val, \
	  .min = lo, .max = hi, .help = h, __VA_ARGS__ }
#define OPT_SHARD(S, f, lname, h, ...) \
	{ .type = POPS_OPT_SHARD, .name = lname, .offset = offsetof(S, f), .value_name = "i/n", \
	  .help = h, __VA_ARGS__ }
#define OPT_OPTIONAL(S, f, lname, val, h, ...) \
	{ .type = POPS_OPT_OPTIONAL, .name = lname, .offset = offsetof(S, f), .value_name = val, \
	  .help = h, __VA_ARGS__ }
#define OPT_DURATION(S, f, lname, val, h, ...) \
	{ .type = POPS_OPT_DURATION, .name = lname, .offset = offsetof(S, f), .value_name = val, \
	  .help = h, __VA_ARGS__ }
#define OPT_LIST(S, f, lname, val, h, ...) \
	{ .type = POPS_OPT_LIST, .name = lname, .offset = offsetof(S, f), .value_name = val, \
	  .help = h, __VA_ARGS__ }
#define OPT_ARG(S, f, lname, h, ...) \
	{ .type = POPS_OPT_ARG, .name = lname, .offset = offsetof(S, f), .help = h, __VA_ARGS__ }
#define OPT_ARGS(S, f, lname, h, ...) \
	{ .type = POPS_OPT_ARGS, .name = lname, .offset = offsetof(S, f), .help = h, __VA_ARGS__ }
#define OPT_END { 0 }

/* results of pops_opt_parse besides 0 */
#define POPS_OPT_HELP  1   /* -h/--help was given: nothing printed, the caller shows help */
#define POPS_OPT_USAGE 2   /* bad usage: message and usage printed to stderr */

/*
 * Parse argv[0..argc) into `out` following `opts`. `cmdpath` is the
 * command as typed ("prompt list") for messages. Returns 0, POPS_OPT_HELP
 * or POPS_OPT_USAGE (message already printed).
 */
int pops_opt_parse(void *out, const pops_opt *opts, const char *cmdpath,
                   int argc, char **argv);

/*
 * The same for options that come before a command word (pops's own
 * -C and --version): parsing stops at the first positional argument or
 * after "--", whose index in argv is put in *used. Messages name no
 * command.
 */
int pops_opt_parse_prefix(void *out, const pops_opt *opts, int argc, char **argv, int *used);

/* Free what the parser allocated inside `out` (lists). */
void pops_opt_dispose(void *out, const pops_opt *opts);

/* "usage: pops <cmdpath> [<options>] <arg>..." */
void pops_opt_print_synopsis(FILE *f, const pops_opt *opts, const char *cmdpath);

/* The synopsis and one line per option, as -h prints it. */
void pops_opt_print_usage(FILE *f, const pops_opt *opts, const char *cmdpath,
                          const char *summary);

/* One line per option (no positional arguments), as -h lists them. */
void pops_opt_print_options(FILE *f, const pops_opt *opts);

/* Does the row take a value (so the next word is its argument)? An OPTIONAL one does not. */
int pops_opt_takes_value(const pops_opt *o);

#endif
