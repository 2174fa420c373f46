#ifndef POPS_PROMOTE_INT_H
#define POPS_PROMOTE_INT_H

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

/*
 * 1 when `a` and `b` are the same release: their whole closures, or for
 * an entry without one (schema 1), the same blob and model id.
 */
int pops_promote__same_release(const pops_release_entry *a, const pops_release_entry *b);

/*
 * Give a schema 1 entry the closure it had: its partials and model as of
 * its source commit (with that commit's pops.yaml). Best effort: when
 * the source commit is gone, the entry stays as it is. 0 or POPS_ERROR
 * (out of memory only).
 */
int pops_promote__upgrade_legacy(pops_release_entry *e, git_repository *repo,
                                 const pops_config *cfg);

/* item->changes from item->current to item->entry, in words. 0 or POPS_ERROR. */
int pops_promote__describe(pops_promote_item *item);

/* "Name <email>" of the user, as Approved-by records it */
int pops_promote__whoami(pops_buf *out, git_repository *repo);

#endif
