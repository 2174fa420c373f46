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
 * The signature of a commit pops writes, by git's precedence so that pops
 * and git agree on who made a commit: GIT_<who>_NAME, GIT_<who>_EMAIL and
 * GIT_<who>_DATE ("@<seconds> <+hhmm>") first, each on its own; then the
 * repository's user.name / user.email (`repo` may be NULL: none); then
 * "pops <pops@localhost>", so a machine without a git identity (CI) can
 * still record releases. `who` is "AUTHOR" or "COMMITTER". `*out` is the
 * caller's, freed with git_signature_free(). Returns 0, POPS_EINVALID for
 * a GIT_<who>_DATE pops cannot read, or POPS_ERROR.
 */
int pops_git_signature(git_signature **out, git_repository *repo, const char *who);

/* pops_git_signature(out, repo, "AUTHOR"): author and committer of ledger commits. */
int pops_casref_signature(git_signature **out, git_repository *repo);

/*
 * Sleep a short, growing, jittered time before retry number `attempt`
 * (0-based) so that racing processes spread out.
 */
void pops_casref_backoff(unsigned attempt);

/*
 * Retry policy for a read-modify-write that lost a race (POPS_EMODIFIED).
 * A lost race means another writer moved the ref, so the system as a
 * whole made progress: a writer keeps retrying as long as the ref keeps
 * moving, sleeping a random time below a doubling cap (full jitter, so
 * one process is not always the unlucky one), for up to
 * POPS_CAS_RETRY_MS. When the ref stops moving yet updates still fail (a
 * lock left behind, a writer stuck), it gives up after
 * POPS_CAS_MAX_ATTEMPTS such tries. Under heavy load many writers then
 * all get through instead of running out of a fixed number of retries.
 */
typedef struct pops_casref_retry {
	unsigned attempts;     /* races lost so far */
	unsigned stalled;      /* of them in a row with the ref not moving */
	long long start_ms;
	git_oid last;          /* the ref's target when last seen */
	int have_last;
	unsigned seed;
} pops_casref_retry;

void pops_casref_retry_init(pops_casref_retry *r);

/*
 * Call after a lost race on `refname`: sleeps and returns 1 to try
 * again, or returns 0 (without sleeping) when the budget is spent; the
 * caller then reports POPS_EMODIFIED with r->attempts.
 */
int pops_casref_retry_again(pops_casref_retry *r, git_repository *repo, const char *refname);

/*
 * Between attempts at updating `refname`: 0 (stop retrying) when a lock
 * file for it is older than POPS_CAS_STALE_LOCK_S, since no live writer
 * holds one that long; else sleep like pops_casref_backoff() and 1.
 */
int pops_casref_wait(git_repository *repo, const char *refname, unsigned attempt);

/*
 * The error for a ref update that failed `attempts` times. When a lock
 * file for `refname` (or packed-refs) is there, it names it: a writer
 * killed between taking the lock and renaming it leaves one behind, as
 * git leaves index.lock, and only a person can tell it is stale. Else it
 * says the ref kept moving. Always returns POPS_EMODIFIED.
 */
int pops_casref_gave_up(git_repository *repo, const char *refname, int attempts);

#endif
