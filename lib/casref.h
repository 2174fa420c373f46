#ifndef POPS_CASREF_H
#define POPS_CASREF_H

/*
 * Compare-and-swap reference updates and the signature pops commits
 * with. Shared by the ledger (lib/release) and eval evidence notes
 * (lib/evidence): both do read-modify-write on a ref and must never lose
 * a concurrent writer's update.
 */

#include <git2.h>

/*
 * Point `refname` at `id` only if it still points at `expected`
 * (`expected` NULL: only if the ref does not exist yet). Returns 0,
 * POPS_EMODIFIED when another writer moved (or created, or holds the
 * lock on) the ref first, so the caller re-reads and retries; or
 * POPS_ERROR. Side effect: the ref and its reflog are written.
 */
int pops_casref_update(git_repository *repo, const char *refname,
                       const git_oid *id, const git_oid *expected,
                       const char *log_message);

/*
 * Read `refname`'s target into `out`. Returns 0, POPS_ENOTFOUND when the
 * ref does not exist, or POPS_ERROR.
 */
int pops_casref_read(git_oid *out, git_repository *repo, const char *refname);

/*
 * The signature for commits pops makes: the repository's user.name and
 * user.email (git_signature_default), falling back to GIT_AUTHOR_NAME /
 * GIT_AUTHOR_EMAIL and then "pops <pops@localhost>" so that a machine
 * without git identity (CI) can still record releases. Free with
 * git_signature_free(). 0 or POPS_ERROR.
 */
int pops_casref_signature(git_signature **out, git_repository *repo);

/*
 * Sleep a short, growing, jittered time before retry number `attempt`
 * (0-based) so that racing processes spread out.
 */
void pops_casref_backoff(unsigned attempt);

#endif
