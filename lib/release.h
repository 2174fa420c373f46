#ifndef POPS_RELEASE_H
#define POPS_RELEASE_H

/*
 * The release ledger (docs/architecture.md, pops-promote(1)):
 * refs/pops/releases points at a chain of commits whose tree holds, per
 * environment and prompt,
 *
 *   <env>/<prompt>.prompt   the exact released blob
 *   <env>/<prompt>.json     {"schema_version":2,"prompt","version","blob",
 *                            "source_commit","model","model_alias",
 *                            "resolved_model":{alias,provider,type,id,config},
 *                            "partials":[{name,file,version,blob}],
 *                            "evidence","ledger_reason"}
 *   <env>/<prompt>@partials/<file>
 *                           the blob of each partial of that release (file
 *                           as under the prompts dir: "_style.prompt"), so
 *                           a release renders from the ledger alone; '@'
 *                           is never part of a prompt name, so nothing collides
 *
 * During a canary rollout (pops-rollout(1)) the entry is schema 3: the
 * schema 2 fields describe the STABLE side, and
 *   "rollout": {"percent","salt","since" (ISO 8601 UTC),
 *               "canary":{version,blob,source_commit,model,model_alias,
 *                         resolved_model,partials,evidence}}
 * describes the canary, whose files sit beside the stable ones:
 *   <env>/<prompt>@canary.prompt, <env>/<prompt>@canary@partials/<file>
 * An entry without a rollout is written exactly as schema 2.
 *
 * A schema 1 entry (pops before release closures) has no partials or
 * resolved model: it reads with closure_known 0, its partials come from
 * its source commit, and the next promote writes schema 2.
 *
 * Every promote, rollback and approval is one commit with a readable
 * subject and trailers (Pops-Env, Pops-Prompt, Pops-Version, Pops-Blob,
 * Pops-Source, Pops-Model, Pops-Provider, Pops-Partial, Pops-Closure,
 * Pops-Evidence, Pops-Reason, Pops-Forced, Approved-by; for rollouts
 * Pops-Rollout, Pops-Canary, Pops-Salt), so `git log refs/pops/releases`
 * is the audit trail.
 * Writers move the ref with compare-and-swap only (lib/casref).
 */

#include <stddef.h>
#include <git2.h>
#include "buf.h"
#include "closure.h"

#define POPS_RELEASE_REF "refs/pops/releases"

typedef struct pops_release_entry {
	char *env;
	char *prompt;
	long version;            /* 0 when unknown */
	git_oid blob;            /* the released .prompt blob */
	git_oid source_commit;   /* all zero when unknown */
	char *model;             /* model id, or NULL */
	char *model_alias;       /* or NULL */
	char *evidence;          /* eval result fingerprint, or NULL */
	char *reason;            /* ledger_reason (forced or rollback), or NULL */
	/*
	 * The whole release (lib/closure.h). closure.blob, .model_id and
	 * .model_alias equal blob, model and model_alias above (set both with
	 * pops_release_entry_set_closure). closure_known is 0 for an entry
	 * written before closures (schema 1): only blob and model are known.
	 */
	pops_closure closure;
	int closure_known;
	/*
	 * NULL: no rollout. Else the canary side (same env/prompt, its own
	 * version/blob/closure/evidence, always closure_known; canary->canary
	 * is NULL) and the fields above are the stable side.
	 */
	struct pops_release_entry *canary;
	unsigned rollout_percent;   /* 1..99 when canary != NULL */
	char rollout_salt[17];      /* 16 hex + NUL */
	long long rollout_since;    /* seconds since the epoch, UTC */
} pops_release_entry;

/*
 * Give `e` the closure `c` (copied): also sets blob, model and
 * model_alias from it, and closure_known. 0 or POPS_ERROR.
 */
int pops_release_entry_set_closure(pops_release_entry *e, const pops_closure *c);

/* Frees `e` and its canary side. NULL is fine. */
void pops_release_entry_free(pops_release_entry *e);

/* A deep copy (with the canary side); NULL on out of memory. */
pops_release_entry *pops_release_entry_dup(const pops_release_entry *e);

typedef struct pops_release_list {
	pops_release_entry **v;  /* sorted by env order of the tree, then prompt */
	size_t n;
} pops_release_list;

void pops_release_list_dispose(pops_release_list *l);

/*
 * The tip of the ledger in `out`. POPS_ENOTFOUND when nothing was ever
 * released, POPS_ERROR otherwise.
 */
int pops_release_tip(git_oid *out, git_repository *repo);

/*
 * The entry for `prompt` in `env` as of ledger commit `ledger` (NULL: the
 * tip). Returns 0; POPS_ENOTFOUND (never released there, or no ledger);
 * POPS_ERROR when the entry is corrupt (bad JSON, missing fields, or the
 * .json and .prompt disagree): the message names the ledger path and
 * commit. `out` is the caller's (pops_release_entry_free).
 */
int pops_release_get(pops_release_entry **out, git_repository *repo,
                     const git_oid *ledger, const char *env, const char *prompt);

/*
 * Every entry of `env` (NULL: every environment) as of `ledger` (NULL:
 * tip) appended to `out` (initialise it to zeroes). No ledger yet is not
 * an error: the list stays empty. Corrupt entries: POPS_ERROR.
 */
int pops_release_list_entries(pops_release_list *out, git_repository *repo,
                              const git_oid *ledger, const char *env);

/* The released .prompt bytes of `e` into `out`. 0 or POPS_ERROR. */
int pops_release_read_blob(pops_buf *out, git_repository *repo,
                           const pops_release_entry *e);

/*
 * The bytes of partial `name` ("style", "team/style") as released with
 * `e`: the blob its closure records; for a schema 1 entry, the partial
 * file at the entry's source commit (under cfg's prompts dir). Returns
 * 0; POPS_ENOTFOUND when the release has no such partial (or a schema 1
 * entry's source commit lacks it); POPS_ERROR when a recorded blob is
 * missing from the repository (a corrupt ledger) or the source commit
 * is not here.
 */
int pops_release_read_partial(pops_buf *out, git_repository *repo, const pops_config *cfg,
                              const pops_release_entry *e, const char *name);

/* what a ledger commit records */
typedef enum {
	POPS_RELEASE_PROMOTE,
	POPS_RELEASE_ROLLBACK,
	POPS_RELEASE_APPROVE
} pops_release_action;

/* which step of a canary rollout a commit is (Pops-Rollout) */
typedef enum {
	POPS_ROLLOUT_NONE = 0,
	POPS_ROLLOUT_START,     /* promote --canary: entry->canary is the new canary */
	POPS_ROLLOUT_SET,       /* a new share: entry->canary, before = the old state */
	POPS_ROLLOUT_COMPLETE,  /* entry = the former canary as stable, before = the rollout */
	POPS_ROLLOUT_ABORT      /* rollback: entry = the kept stable, before = the rollout */
} pops_release_rollout;

typedef struct pops_release_change {
	pops_release_action action;
	const pops_release_entry *entry; /* the new state (approve: what is approved) */
	const char *reason;        /* Pops-Reason, or NULL */
	int forced;                /* promote past unmet gates */
	const char *const *approvers; /* Approved-by values ("Name <email>") */
	size_t napprovers;
	const char *const *evidence;  /* every Pops-Evidence fingerprint */
	size_t nevidence;
	const char *changes;       /* what differs from the replaced release ("model a -> b,
	                              partial _style@1 -> @2"), or NULL */
	pops_release_rollout rollout;
	/*
	 * The entry as it was, with its rollout: needed for SET (old share),
	 * COMPLETE and ABORT (salt, canary version). NULL otherwise.
	 */
	const pops_release_entry *before;
} pops_release_change;

/*
 * Write one ledger commit on top of `tip` (NULL: the ledger does not exist
 * yet) recording `change`, and move refs/pops/releases to it only if it
 * still points at `tip`. Promote and rollback replace the entry's files
 * in its environment (the .json, the .prompt, the @partials directory
 * and, with a rollout, the @canary files; a canary no longer there is
 * removed); approve leaves the tree as it is. With change->rollout the
 * subject and trailers say which rollout step it is (release.h top);
 * POPS_EINVALID when the entry's rollout fields are out of range (share,
 * salt) or SET/COMPLETE/ABORT come without `before`. The author
 * is the user's git identity. `out` (may be NULL) gets the new commit.
 * Returns 0; POPS_EMODIFIED when another writer moved the ledger first
 * (nothing was changed: re-read, re-check, retry); POPS_ERROR.
 */
int pops_release_commit(git_oid *out, git_repository *repo, const git_oid *tip,
                        const pops_release_change *change);

/*
 * The two halves of pops_release_commit, for writing several ledger
 * commits in a chain and publishing them with one ref update:
 * pops_release_write creates the commit on top of `tip` (NULL: a root)
 * without moving any ref; pops_release_publish moves refs/pops/releases
 * from `tip` (NULL: must not exist) to `commit`, compare-and-swap,
 * with `what` in the reflog. Same returns as pops_release_commit.
 */
int pops_release_write(git_oid *out, git_repository *repo, const git_oid *tip,
                       const pops_release_change *change);
int pops_release_publish(git_repository *repo, const git_oid *commit,
                         const git_oid *tip, const char *what);

/* One ledger commit, as `pops release log` shows it. */
typedef struct pops_release_event {
	git_oid commit;
	char *action;         /* "promote", "rollback", "approve", "merge", or the subject's first word */
	char *subject;
	char *env, *prompt;   /* NULL when the commit has no such trailer */
	long version;
	char *blob, *source, *model, *reason;
	int forced;
	char **evidence;      /* Pops-Evidence values */
	size_t nevidence;
	char **approvers;     /* Approved-by values */
	size_t napprovers;
	char **partials;      /* Pops-Partial values ("_style@2 <blob>") */
	size_t npartials;
	char *provider;       /* Pops-Provider, or NULL */
	char *closure;        /* Pops-Closure (pops_closure_digest), or NULL before closures */
	char *changes;        /* the body's line of what changed, or NULL */
	char *rollout;        /* Pops-Rollout ("start", "set", "complete", "abort"), or NULL */
	int canary_percent;   /* Pops-Canary, 0: none */
	char *salt;           /* Pops-Salt, or NULL */
	char *author_name, *author_email;
	long long time;       /* seconds since the epoch */
	int tz_offset;        /* minutes */
} pops_release_event;

typedef struct pops_release_events {
	pops_release_event *v;  /* newest first */
	size_t n;
} pops_release_events;

void pops_release_events_dispose(pops_release_events *l);

/*
 * The ledger's history, newest first, keeping commits whose Pops-Env is
 * `env` and Pops-Prompt is `prompt` (each NULL: any). `first_parent`
 * follows only the first parent (the order changes were made in this
 * clone). No ledger: an empty list. 0 or POPS_ERROR.
 */
int pops_release_log(pops_release_events *out, git_repository *repo,
                     const char *env, const char *prompt, int first_parent);

/*
 * 1 when `ev` is an approval of exactly the release `e`: the same closure
 * digest (Pops-Closure), or for an approval written before closures, the
 * same prompt blob. 0 otherwise (and for any other action).
 */
int pops_release_event_approves(const pops_release_event *ev, const pops_release_entry *e);

/*
 * Parse a ledger revision (a commit id, a unique prefix, or anything
 * git_revparse understands like refs/pops/releases~2) into a commit id
 * that is part of the ledger's history. POPS_ENOTFOUND / POPS_EINVALID.
 */
int pops_release_resolve_rev(git_oid *out, git_repository *repo, const char *rev);

/*
 * Parse the bytes of a ledger `.json` entry for env/prompt (no
 * repository needed: the ledger reader and its fuzz target share it).
 * Returns 0 with `out` set; POPS_EINVALID with `what` saying what is
 * wrong (not JSON, a field of the wrong shape, an unsafe partial name);
 * POPS_ERROR (memory).
 */
int pops_release_parse_entry(pops_release_entry **out, const char *data, size_t len,
                             const char *env, const char *prompt, pops_buf *what);

/*
 * 1 if a tree entry `name` with git file `mode` under directory `root`
 * ("" at the ledger's top, "dev/" or "dev/x@partials/" below) is one pops
 * writes: environment and prompt-name directories, "<name>@partials" and
 * "<name>@canary@partials" directories, .json/.prompt files,
 * "<name>@canary.prompt" files and _partial.prompt files, all plain
 * blobs (no symlink, executable or submodule). A pushed ledger is
 * untrusted: everything read from it passes this first.
 */
int pops_release_tree_name_ok(const char *root, const char *name, unsigned mode);

/*
 * 1 if `name` is a valid prompt name: the one rule of
 * pops_repo_name_problem (lib/repo.h), which also keeps every ledger path
 * safe (no empty, '.'-leading or over-long segment, no control, invisible
 * or '/'-like characters).
 */
int pops_release_name_ok(const char *name);

#endif
