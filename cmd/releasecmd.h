#ifndef POPS_CMD_RELEASECMD_H
#define POPS_CMD_RELEASECMD_H

/* Shared by the release commands (promote, rollback, approve, release, export). */

#include <cjson/cJSON.h>
#include "promote.h"

/* JSON of one release entry (schema of the ledger's .json plus env); NULL on OOM */
cJSON *cmd_release_entry_json(const pops_release_entry *e);

/*
 * `pops promote/rollback --json` output: {"schema_version":1,"action",
 * "env","source","status","dry_run","prompts":[...]} printed to stdout.
 */
int cmd_release_print_result_json(const pops_promote_result *r, const char *action,
                                  const char *status, int dry_run);

/* "summarize@4" (or "summarize (blob abc123)" when the version is unknown) */
void cmd_release_label(pops_buf *out, const pops_release_entry *e);

/* print cJSON to stdout with a newline and free it; POPS_EXIT_RUNTIME on OOM */
int cmd_release_print_json(cJSON *doc);

#endif
