#ifndef POPS_SYNC_H
#define POPS_SYNC_H

/*
 * `pops push` / `pops pull`: exchange the release ledger (refs/pops/...)
 * and eval evidence notes (refs/notes/pops*) with a git remote through
 * libgit2 (file://, paths, ssh and https as libgit2 supports them).
 * Credentials come from ssh-agent, libgit2's defaults, or `git credential
 * fill` (the user's configured helpers); they are never printed or stored.
 *
 * Pull fetches the remote's refs into refs/pops-remote/<remote>/ and then
 * integrates each one: create, fast-forward, keep (local is ahead), or
 * merge diverged histories with a merge commit that keeps both sides.
 * Ledger entries changed differently on both sides are not guessed at:
 * the pull refuses and changes nothing. Diverged evidence notes on the
 * same commit are united by result fingerprint. Nothing is ever dropped.
 */

#include <stddef.h>
#include <git2.h>

typedef enum {
	POPS_SYNC_UP_TO_DATE,
	POPS_SYNC_CREATED,
	POPS_SYNC_FAST_FORWARD,
	POPS_SYNC_MERGED,
	POPS_SYNC_LOCAL_AHEAD,     /* pull: this clone has more; push to publish */
	POPS_SYNC_PUSHED
} pops_sync_status;

typedef struct pops_sync_ref {
	char *ref;                 /* local name, e.g. refs/pops/releases */
	pops_sync_status status;
	git_oid old_id, new_id;
} pops_sync_ref;

typedef struct pops_sync_result {
	char *remote;              /* the remote's name or URL */
	pops_sync_ref *v;
	size_t n;
} pops_sync_result;

void pops_sync_result_dispose(pops_sync_result *r);

/*
 * Push every local refs/pops/... and refs/notes/pops* ref to `remote`
 * (a configured remote's name, a URL or a path; NULL: "origin") without
 * forcing. Returns 0; POPS_EREFUSED when the remote has ledger or notes
 * history this clone lacks (pull first) or there is nothing to push;
 * POPS_EINVALID for an unknown remote; POPS_ERROR when the remote cannot
 * be reached or git fails. Side effects: network, remote refs.
 */
int pops_sync_push(pops_sync_result *out, git_repository *repo, const char *remote);

/*
 * Fetch and integrate the remote's refs/pops/... and refs/notes/pops*.
 * Returns 0; POPS_EREFUSED when ledgers diverged with conflicting entries
 * (the message lists them; local refs unchanged); POPS_EINVALID unknown
 * remote; POPS_EMODIFIED when local refs kept moving; POPS_ERROR (network,
 * git). Side effects: network, refs/pops-remote/<remote>/..., local refs
 * moved compare-and-swap.
 */
int pops_sync_pull(pops_sync_result *out, git_repository *repo, const char *remote);

#endif
