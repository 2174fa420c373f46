#ifndef POPS_CMD_PROMPT_H
#define POPS_CMD_PROMPT_H

/*
 * Helpers shared by the `pops prompt` subcommands (cmd/prompt*.c).
 */

#include <stddef.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "buf.h"

/* ISO 8601 with offset, like `git log --format=%aI`. */
void cmd_prompt_isodate(pops_buf *out, long long t, int offset_minutes);

/* Print `data` to stdout unchanged; POPS_EXIT_RUNTIME on a write error. */
int cmd_prompt_write(const void *data, size_t len);

struct pops_resolved;
struct git_repository;

/*
 * --evals: compare the stored eval results (refs/notes/pops) of the two
 * sides' exact prompt contents: pass rate per suite and model, and cases
 * that flipped. Text appended to `out`, or a "evals" member of `root`.
 * Sides without a resolved blob (NULL) have no results.
 */
void cmd_prompt_evals_text(struct git_repository *repo, pops_buf *out,
                           const struct pops_resolved *a, const struct pops_resolved *b,
                           const char *bold, const char *reset);
void cmd_prompt_evals_json(struct git_repository *repo, cJSON *root,
                           const struct pops_resolved *a, const struct pops_resolved *b);

#endif
