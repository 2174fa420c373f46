#ifndef POPS_CMD_IMPORTCMD_H
#define POPS_CMD_IMPORTCMD_H

/*
 * Shared by the `pops import` subcommands (cmd/import.c: promptfoo,
 * dotprompt, github-models; cmd/import_langfuse.c).
 */

#include <stddef.h>
#include "buf.h"
#include "config.h"
#include "import.h"

struct import_opts {
	const char *source;
	int force;
	int dry_run;
	int allow_floating;
};

#define IMPORT_COMMON_OPTS \
	{ .type = POPS_OPT_BOOL, .name = "force", .short_name = 'f', \
	  .offset = offsetof(struct import_opts, force), \
	  .help = "overwrite files that already exist" }, \
	{ .type = POPS_OPT_BOOL, .name = "dry-run", .short_name = 'n', \
	  .offset = offsetof(struct import_opts, dry_run), \
	  .help = "list what would be written and what cannot be imported" }

/* for importers that pin models in pops.yaml, as `pops model pin` does */
#define IMPORT_MODEL_OPTS \
	{ .type = POPS_OPT_BOOL, .name = "allow-floating", \
	  .offset = offsetof(struct import_opts, allow_floating), \
	  .help = "pin model ids that move (like gpt-4o), recorded as allow_floating" }

/*
 * The dispatcher allocates only as much of the options struct as the
 * table reaches (dotprompt's stops before allow_floating): copy the
 * `have` bytes it has into `all`, the rest zero. Returns `all`.
 */
struct import_opts *cmd_import_whole_opts(struct import_opts *all, const void *o, size_t have);

/* Where the project keeps prompts, suites and datasets. */
void cmd_import_options(pops_import_options *io, const pops_config *cfg);

/* A line from a file or export, with control characters as '?'. */
void cmd_import_put_line(const char *prefix, const char *s);

/* Each line of `text` under `heading`, indented (nothing when empty). */
void cmd_import_put_lines(const char *heading, const char *text);

/* "not imported (N):" and the notes, and the warning that counts them. */
void cmd_import_print_notes(const pops_import *imp);

/*
 * pops.yaml with what the import needs (providers, models, environments),
 * checked the way `pops model pin` checks it: a file pops would reject
 * is never written. `text` is left empty when nothing changes; `report`
 * gets a line per change. 0 or the POPS_E* of the refusal.
 */
int cmd_import_config(pops_buf *text, pops_buf *report, const pops_config *cfg,
                      const pops_import *imp, const struct import_opts *opts);

#endif
