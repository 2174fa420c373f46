#ifndef POPS_PROMOTE_SRC_H
#define POPS_PROMOTE_SRC_H

/*
 * lib-internal helpers of the promote module (lib/promote*.c): where a
 * prompt's bytes, version and model come from. Not a public API.
 */

#include <git2.h>
#include "config.h"
#include "release.h"
#include "promote.h"

/* the prompt's path in the repository (relative to the work tree root) */
int pops_promote__prompt_path(pops_buf *out, git_repository *repo,
                              const pops_config *cfg, const char *name);

/*
 * The blob of version `version` of `name` (1-based, HEAD's first-parent
 * history). POPS_ENOTFOUND when out of range.
 */
int pops_promote__version_blob(git_oid *blob_out, git_oid *commit_out,
                               git_repository *repo, const pops_config *cfg,
                               const char *name, long version);

/* check every requirement of `env` for the item (fills unmet/evidence/approvers) */
int pops_promote__check_gates(pops_promote_item *item, git_repository *repo,
                              const pops_config *cfg, const pops_env_cfg *env,
                              const git_oid *tip);

int pops_promote__add_unmet(pops_promote_item *item, const char *fix,
                            const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 3, 4)))
#endif
	;

void pops_promote__item_reset(pops_promote_item *item);

/*
 * Write one ledger commit per item that is not up_to_date, chained on
 * `tip`, without moving the ledger ref; `head_out` gets the last one and
 * each item its ledger_commit. Promote records the gates' evidence.
 */
int pops_promote__write_chain(git_oid *head_out, int *any, git_repository *repo,
                              pops_promote_result *r, const git_oid *tip,
                              pops_release_action action, const char *reason, int force);

/* "Name <email>" of the user, as Approved-by records it */
int pops_promote__whoami(pops_buf *out, git_repository *repo);

#endif
