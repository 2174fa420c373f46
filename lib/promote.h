#ifndef POPS_PROMOTE_H
#define POPS_PROMOTE_H

/*
 * Promote, roll back and approve: the policy layer over the ledger
 * (lib/release). Sources come from the previous environment's release,
 * from HEAD for the first environment, or from --from; gates come from
 * the target environment's `require` in pops.yaml (lib/config) and eval
 * evidence notes (lib/evidence).
 *
 * Every write is compare-and-swap on refs/pops/releases: when another
 * writer moved the ledger, the plan is rebuilt from the new tip, the
 * gates are checked again, and the write retried (POPS_CAS_MAX_ATTEMPTS).
 */

#include <stddef.h>
#include <git2.h>
#include "config.h"
#include "release.h"

/* one requirement the candidate does not meet, and what would meet it */
typedef struct pops_gate_unmet {
	char *what;    /* "no passing eval result for evals/full.yaml ..." */
	char *fix;     /* "pops eval run evals/full.yaml" */
} pops_gate_unmet;

typedef struct pops_promote_item {
	pops_release_entry *entry;    /* the candidate: what the environment would get */
	pops_release_entry *current;  /* what the environment has now, or NULL */
	int up_to_date;               /* the environment already has this closure: skipped */
	char *changes;                /* what differs from `current` ("model a -> b, partial
	                                 _style@1 -> @2"), or NULL when new or up to date */
	pops_gate_unmet *unmet;
	size_t nunmet;
	char **evidence;              /* fingerprints of the results the gates used */
	size_t nevidence;
	char **approvers;             /* distinct Approved-by for this blob */
	size_t napprovers;
	int forced;                   /* recorded past unmet requirements */
	git_oid ledger_commit;        /* when recorded */
	int recorded;
	/*
	 * The rollout step the item records (release.h), POPS_ROLLOUT_NONE
	 * for a plain promote or rollback. START: entry is the new canary,
	 * current the stable it runs beside (and any canary it replaces);
	 * SET: entry is the running canary; COMPLETE: entry is the canary
	 * becoming stable; ABORT: entry is the stable kept. current is the
	 * entry as it is, with its rollout.
	 */
	pops_release_rollout rollout;
	unsigned canary_percent;      /* START, SET: the share recorded */
} pops_promote_item;

typedef struct pops_promote_result {
	const char *env;              /* borrowed from the options */
	const char *source;           /* "HEAD", an environment or a revision (borrowed) */
	pops_promote_item *v;
	size_t n;
	unsigned attempts;            /* ledger writes tried (races lost + 1) */
} pops_promote_result;

void pops_promote_result_dispose(pops_promote_result *r);

typedef struct pops_promote_options {
	const char *env;
	const char *const *prompts;   /* names; none: every prompt that differs */
	size_t nprompts;
	const char *from;             /* environment or revision; NULL: the default */
	int dry_run;
	int force;
	const char *reason;           /* required with force */
	unsigned canary;              /* 1..99: promote as a canary at this share; 0: stable */
} pops_promote_options;

#define POPS_PROMOTE_OPTIONS_INIT { NULL, NULL, 0, NULL, 0, 0, NULL, 0 }

/*
 * Plan and (unless dry_run) record promotions of prompts into opts->env.
 * Every candidate is checked against every requirement first; when one
 * fails and force is off, nothing is recorded. Otherwise each prompt gets
 * its own ledger commit and the ledger ref moves once for all of them.
 *
 * opts->from is an environment (its stable side during a rollout), a
 * revision, or "ENV~canary" / "ENV~stable" (POPS_ENOTFOUND "NAME has no
 * rollout in ENV" when ENV~canary has none).
 *
 * With opts->canary (pops-rollout(1)) each prompt is recorded as the
 * canary of a rollout beside env's current release, which stays stable:
 * POPS_EREFUSED when env has no release of it ("nothing to keep as
 * stable") or the candidate is that stable release; a running rollout's
 * canary is replaced and its salt kept (the same canary again: up to
 * date). The gates apply to the canary as to any promote. Without
 * opts->canary, a prompt with a running rollout in env is refused
 * (POPS_EREFUSED: complete it, roll it back, or promote --canary).
 *
 * Returns 0 (recorded, or would be for dry_run, or nothing to do: every
 * item up_to_date, so a re-run CI job succeeds); POPS_EREFUSED when a
 * requirement is unmet (the items say which) or there is no prompt to
 * promote at all; POPS_EINVALID for an unknown environment
 * or prompt, a bad --from, force without reason; POPS_ENOTFOUND when a
 * named prompt is not in the source; POPS_EMODIFIED when every retry
 * lost a race; POPS_ERROR (git, corrupt ledger). `out` is filled in every
 * case where items were planned (dispose it always).
 */
int pops_promote(pops_promote_result *out, git_repository *repo,
                 const pops_config *cfg, const pops_promote_options *opts);

typedef struct pops_rollback_options {
	const char *env;
	const char *const *prompts;   /* none: the prompts of env's latest change */
	size_t nprompts;
	long to_version;              /* > 0: the release of that version in env */
	const char *to_rev;           /* a ledger revision: env's entry there */
	const char *reason;
	int dry_run;
} pops_rollback_options;

#define POPS_ROLLBACK_OPTIONS_INIT { NULL, NULL, 0, 0, NULL, NULL, 0 }

/*
 * Restore earlier releases in opts->env as new ledger commits (history is
 * never rewritten). During a canary rollout of a prompt, rolling it back
 * ends the rollout and keeps the stable side (item rollout ABORT); a
 * target (to_version, to_rev) is then POPS_EINVALID. A restored earlier
 * state never brings a past rollout back: only its stable side. Without a target, a prompt goes back to the state it
 * had before the ledger commit that set its current state, so rolling
 * back a rollback restores what was rolled back. Items reuse
 * pops_promote_item (entry = restored state, current = replaced state).
 * Returns 0; POPS_ENOTFOUND (never released there, or nothing earlier to
 * restore, or no such version); POPS_EINVALID (unknown environment or
 * ledger revision); POPS_EREFUSED (the target equals the current state);
 * POPS_EMODIFIED; POPS_ERROR.
 */
int pops_rollback(pops_promote_result *out, git_repository *repo,
                  const pops_config *cfg, const pops_rollback_options *opts);

typedef struct pops_rollout_options {
	const char *env;
	const char *prompt;
	unsigned percent;             /* set: the new share, 1..99 */
	int force;                    /* complete: past unmet requirements */
	const char *reason;           /* required with force */
	int dry_run;
} pops_rollout_options;

#define POPS_ROLLOUT_OPTIONS_INIT { NULL, NULL, 0, 0, NULL, 0 }

/*
 * Change the share of the canary rollout of opts->prompt in opts->env
 * (one ledger commit, Pops-Rollout: set; salt and since kept). One item:
 * entry = the canary, current = the entry as it was. Returns 0 (the same
 * share: item up_to_date, nothing written); POPS_ENOTFOUND "NAME has no
 * rollout in ENV"; POPS_EINVALID (unknown environment, share not 1..99);
 * POPS_EMODIFIED; POPS_ERROR.
 */
int pops_rollout_set(pops_promote_result *out, git_repository *repo,
                     const pops_config *cfg, const pops_rollout_options *opts);

/*
 * End the rollout of opts->prompt in opts->env by making its canary the
 * stable release (Pops-Rollout: complete). The environment's gates are
 * checked again on the canary's closure (evidence gathered during the
 * canary counts), exactly as pops_promote checks them. Returns 0;
 * POPS_EREFUSED when a requirement is unmet and not forced (the item
 * says which); POPS_ENOTFOUND (no rollout); POPS_EINVALID; POPS_EMODIFIED;
 * POPS_ERROR.
 */
int pops_rollout_complete(pops_promote_result *out, git_repository *repo,
                          const pops_config *cfg, const pops_rollout_options *opts);

/*
 * Record the user's approval of `address` (prompt@N, prompt, or
 * prompt:env) for `env` as a ledger commit with an Approved-by trailer.
 * The approval is for the exact blob. POPS_EEXISTS when this user already
 * approved that blob for env; POPS_EINVALID / POPS_ENOTFOUND for bad
 * input. `out` gets the approved entry (caller frees).
 */
int pops_approve(pops_release_entry **out, git_repository *repo,
                 const pops_config *cfg, const char *env, const char *address);

/*
 * The candidate entry for `name` as found in commit `commit` (version
 * counted on HEAD's first-parent history, model from the frontmatter).
 * POPS_ENOTFOUND when the file is not in that commit. `out` is the
 * caller's (pops_release_entry_free); `env` fills its env field.
 */
int pops_promote_candidate(pops_release_entry **out, git_repository *repo,
                              const pops_config *cfg, const git_oid *commit,
                              const char *name, const char *env);

/*
 * Compare a release `current` with a candidate `cand` (both may be
 * upgraded in place: a record written before closures gets the closure
 * of its source commit). *same is 1 when they are the same release;
 * otherwise `changes` (may be NULL) gets what differs in words
 * ("model a -> b, partial _style@1 -> @2"). 0 or POPS_ERROR.
 */
int pops_promote_compare(int *same, pops_buf *changes, git_repository *repo,
                         const pops_config *cfg, pops_release_entry *current,
                         pops_release_entry *cand);

/*
 * Prompt names found under cfg->prompts_dir at `commit` (partials, whose
 * file names start with '_', are not prompts). Sorted. Free each string
 * and the array. 0 or POPS_ERROR.
 */
int pops_promote_prompt_names(char ***out, size_t *n, git_repository *repo,
                              const pops_config *cfg, const git_oid *commit);

#endif
