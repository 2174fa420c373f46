#ifndef POPS_CMD_INPUTS_H
#define POPS_CMD_INPUTS_H

#include "cmd.h"

struct pops_repo;

/*
 * Evidence is keyed by the content of the files a run reads and stored
 * on HEAD; when one of them is untracked, ignored or changed since HEAD,
 * the evidence describes a file no commit holds (a teammate or CI cannot
 * reproduce it, and the gate it satisfies points at nothing reviewable).
 * These warn about such files, once each, on stderr; they never fail.
 *
 * cmd_warn_uncommitted_suites: for `eval run` with these suite files and
 * its --prompt / --dataset overrides (NULL when not given): pops.yaml,
 * each suite, its dataset and its prompt when that is a work tree file.
 * `what` says what depends on them ("the evidence of this run").
 *
 * cmd_warn_uncommitted_gates: for `status`: the same for every suite an
 * environment of pops.yaml requires.
 *
 * Both return the number of files warned about.
 */
size_t cmd_warn_uncommitted_suites(pops_ctx *ctx, struct pops_repo *repo,
                                   const char *const *suites, size_t nsuites,
                                   const char *prompt, const char *dataset, const char *what);
size_t cmd_warn_uncommitted_gates(pops_ctx *ctx, struct pops_repo *repo);

#endif
