#ifndef POPS_SYNC_INT_H
#define POPS_SYNC_INT_H

/*
 * lib/sync internals: the three-way merge of flat trees (lib/sync_merge.c)
 * that pull (lib/sync.c) uses to integrate a remote's ledger or notes ref.
 */

#include <git2.h>
#include "buf.h"

/* What a ref holds: the release ledger, or eval evidence notes. */
enum pops_sync__merge_kind { POPS_SYNC__LEDGER, POPS_SYNC__NOTES };

/*
 * Merge `theirs` into `ours` relative to `base` (any may be NULL: empty).
 * The result tree goes to `out`. Ledger paths changed differently on both
 * sides are listed in `conflicts` and POPS_EREFUSED returned; notes
 * changed on both sides are united (every fingerprint from both, the
 * newer result on a tie). Returns 0, POPS_EREFUSED or POPS_ERROR.
 */
int pops_sync__merge_trees(git_oid *out, pops_buf *conflicts, git_repository *repo,
                           const git_oid *base, const git_oid *ours, const git_oid *theirs,
                           enum pops_sync__merge_kind kind);

#endif
