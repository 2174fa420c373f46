#ifndef POPS_REPO_H
#define POPS_REPO_H

#include <stddef.h>
#include <git2.h>
#include "buf.h"
#include "config.h"

/*
 * The prompt repository: a git repository with pops.yaml, prompt names
 * mapped to files, versions and addresses (pops(1) ADDRESSES).
 *
 * Names. `prompts/summarize.prompt` is `summarize`; subdirectories give
 * `support/triage`. Partials are `_name.prompt` files and are not listed
 * as prompts. A valid name is one or more '/'-separated segments of
 * ASCII letters and digits, '.', '_', '-', '+' and non-ASCII UTF-8
 * letters (`grüße`, `日本/要約`); no empty segment or one starting with
 * '.' (so no "." or ".."), no leading '/', no segment over 200 bytes or
 * name over 1024, no control characters, spaces or invisible or
 * direction-changing characters, no look-alike of '/', and none of the
 * address characters '@', ':', '#'. This one rule
 * (pops_repo_name_problem) decides for every command and for what the
 * ledger may hold (pops_release_name_ok), so a name `prompt add`
 * accepts can be promoted, exported and listed.
 *
 * Versions. Version N of a prompt is the N-th commit, oldest first, in
 * the first-parent history of HEAD whose tree holds the prompt file with
 * content (blob or mode) different from its first parent's. A rename
 * keeps the history (like `git log --follow`): when a commit adds the
 * file and git's rename detection finds it came from another prompt
 * file, the walk continues with the old path. Commits that delete the
 * file are not versions. In a shallow clone the history stops at the
 * shallow boundary: versions are listed newest first but their numbers
 * are unknown (`number` 0, `shallow` set), and `name@N` is refused.
 *
 * Addresses:
 *   name          the working tree file
 *   name@N        version N (N >= 1)
 *   name@latest   the newest version
 *   name@-N       N versions before the newest (@-1 = the one before)
 *   name:env      what the ledger refs/pops/releases holds in <env>
 *                 (during a canary rollout: the stable side)
 *   name:env~stable, name:env~canary
 *                 one side of the canary rollout running in <env>; with
 *                 none, ~stable is the release and ~canary POPS_ENOTFOUND
 *                 ("x has no rollout in prod")
 *   name#rev      the file at any revision git understands
 */

typedef struct pops_repo pops_repo;

/*
 * Discover the git repository from `start_dir` (NULL = the current
 * directory) and load pops.yaml (searched from start_dir up to the work
 * tree's root). Returns 0, POPS_ENOTFOUND ("not a git repository" or no
 * pops.yaml), POPS_EINVALID (bare repository, bad pops.yaml) or
 * POPS_ERROR. Free with pops_repo_free().
 */
int pops_repo_open(pops_repo **out, const char *start_dir);

/*
 * Wrap an already opened repository and config (the dispatcher's). Both
 * stay owned by the caller and must outlive the pops_repo. `cfg` may be
 * NULL: the prompts directory is then `prompts` at the work tree root.
 * Returns 0, POPS_EINVALID (bare repository, prompts dir outside the
 * work tree) or POPS_ERROR.
 */
int pops_repo_from(pops_repo **out, git_repository *git, const pops_config *cfg);

void pops_repo_free(pops_repo *repo);

/* Borrowed accessors, valid as long as the pops_repo. */
git_repository *pops_repo_git(const pops_repo *repo);
const pops_config *pops_repo_config(const pops_repo *repo);
/* the work tree root, with a trailing '/' */
const char *pops_repo_workdir(const pops_repo *repo);
/* prompts dir relative to the work tree root, no trailing '/' ("" = root) */
const char *pops_repo_prompts_prefix(const pops_repo *repo);

/*
 * Check a prompt name (rules above). 0 or POPS_EINVALID with a message
 * that quotes the name (control characters shown as '?') and says why.
 */
int pops_repo_check_name(const char *name);

/*
 * The rule itself, without touching the error state: NULL when `name`
 * (may be NULL) is valid, else why not (a static string). `single`
 * also refuses '/' (environment names).
 */
const char *pops_repo_name_problem(const char *name, int single);

/* 1 if `name` is a valid prompt name (pops_repo_name_problem). */
int pops_repo_name_ok(const char *name);

/* Repository-relative path of prompt `name` ("prompts/a/b.prompt"). */
int pops_repo_name_to_path(pops_buf *out, const pops_repo *repo, const char *name);

/*
 * The prompt name for a repository-relative path, or POPS_EINVALID when
 * the path is not a .prompt file inside the prompts dir.
 */
int pops_repo_path_to_name(pops_buf *out, const pops_repo *repo, const char *relpath);

/*
 * Map a command-line argument that is a file path (absolute or relative
 * to the current directory) to a prompt name. Refuses files outside the
 * prompts dir, also through symlinks (POPS_EINVALID); POPS_ENOTFOUND when
 * the file does not exist.
 */
int pops_repo_file_to_name(pops_buf *out, const pops_repo *repo, const char *file);

/* ---- addresses ---- */

typedef enum {
	POPS_ADDR_WORKTREE = 0,  /* name */
	POPS_ADDR_VERSION,       /* name@N */
	POPS_ADDR_LATEST,        /* name@latest */
	POPS_ADDR_RELATIVE,      /* name@-N */
	POPS_ADDR_ENV,           /* name:env */
	POPS_ADDR_REV            /* name#rev */
} pops_addr_kind;

/* the side of a canary rollout an ENV address names, or is served */
typedef enum {
	POPS_SIDE_NONE = 0,      /* name:env (no rollout, or not asked) */
	POPS_SIDE_STABLE,        /* name:env~stable */
	POPS_SIDE_CANARY         /* name:env~canary */
} pops_addr_side;

typedef struct pops_address {
	pops_addr_kind kind;
	char *name;     /* validated prompt name */
	long number;    /* VERSION: N; RELATIVE: N of @-N (positive) */
	char *env;      /* ENV, without the ~side */
	pops_addr_side side; /* ENV: the ~side given, else POPS_SIDE_NONE */
	char *rev;      /* REV */
} pops_address;

/*
 * Parse an address without touching the repository. The name is
 * validated. Returns 0 or POPS_EINVALID ("invalid address 'x@0': ...").
 * Release the contents with pops_address_dispose().
 */
int pops_address_parse(pops_address *out, const char *text);

/*
 * 1 when `ref` (a --baseline, a --from) names an environment of `cfg`
 * the way an address does after ':': "env", "env~stable" or
 * "env~canary"; 0 otherwise (then it is a git revision: "prod~2" is
 * one). `side` (may be NULL) gets the ~side given.
 */
int pops_address_env_ref(const pops_config *cfg, const char *ref, pops_addr_side *side);
void pops_address_dispose(pops_address *addr);

typedef struct pops_resolved {
	char *address;          /* as given */
	pops_addr_kind kind;
	char *name;             /* prompt name */
	char *path;             /* repository-relative path of the file read
	                           (after renames: the path at that revision) */
	char *data;             /* the file's bytes, NUL-terminated for convenience */
	size_t len;
	git_oid blob;           /* blob id of `data` (hashed for the work tree) */
	int has_commit;         /* 0 for the work tree */
	git_oid commit;         /* the commit the file was read from; for :env the
	                           ledger's source_commit (zero if absent) */
	long version;           /* version number; 0 when work tree, unknown
	                           (shallow) or not a version. #rev: the newest
	                           version with these bytes at or before rev */
	char *env;              /* :env only (without ~side) */
	cJSON *release;         /* :env only: the <env>/<name>.json record */
	/*
	 * :env only. During a canary rollout: the side read (name:env reads
	 * the stable side), the canary's percent (1..99) and the rollout's
	 * salt; without one: POPS_SIDE_NONE, 0 and "".
	 */
	pops_addr_side side;
	unsigned rollout_percent;
	char rollout_salt[17];
	unsigned bucket;        /* pops_repo_resolve_key: the key's bucket (0..9999) */
	/* private: for the partial loader */
	pops_repo *repo__;
	git_tree *tree__;       /* NULL: read partials from the work tree */
	int partials_missing__; /* :env whose source commit is not here */
	struct pops_release_entry *entry__; /* :env: the release, whose partials render it */
} pops_resolved;

/*
 * Resolve `address` to the bytes of the .prompt file. Errors (all with
 * one-line messages that quote the address):
 *   POPS_EINVALID   bad syntax or name, unknown environment (when the
 *                   config lists environments), @N in a shallow clone,
 *                   a symlink or non-file where the prompt should be
 *   POPS_ENOTFOUND  no such prompt (file, version, revision), version out
 *                   of range, "no release of 'x' in env 'prod'", unborn HEAD
 *   POPS_EAMBIGUOUS an ambiguous short commit id
 *   POPS_ERROR      git or I/O failure
 * Reads only. Free with pops_resolved_free().
 */
int pops_repo_resolve(pops_resolved **out, pops_repo *repo, const char *address);

/*
 * What an application asking for `address` (name:env, with no ~side)
 * serves to request key `key` (`key_len` bytes): during a rollout the
 * side the bucket rule picks (lib/rollout.h; `bucket` says which bucket),
 * else the release itself (side POPS_SIDE_NONE). One read of the ledger
 * decides and reads the side, so a concurrent promote cannot mix them.
 * Returns what pops_repo_resolve returns, and POPS_EINVALID when
 * `address` is not a plain name:env ("a request key picks a side only
 * of name:env"). Free with pops_resolved_free().
 */
int pops_repo_resolve_key(pops_resolved **out, pops_repo *repo, const char *address,
                          const char *key, size_t key_len);

/*
 * The served-version string an application logs for `res` (a :env
 * resolution) into `out`: "name@N:env", and during a rollout
 * "name@N:env~canary" or "name@N:env~stable" ("name:env..." when the
 * version is unknown). 0 or POPS_ERROR (memory).
 */
int pops_resolved_served(pops_buf *out, const pops_resolved *res);

void pops_resolved_free(pops_resolved *res);

/*
 * Partial loader for lib/promptfile: reads `_<name>.prompt` (a name
 * "a/b" reads "a/_b.prompt") from the same place the prompt came from:
 * the work tree, the commit, or for :env the partials released with the
 * prompt (kept in the ledger; a release recorded before closures reads
 * them from its source commit).
 * `payload` is the pops_resolved. Returns 0 with the bytes in `out`,
 * POPS_ENOTFOUND when there is no such partial, POPS_EINVALID for a bad
 * partial name, POPS_ERROR otherwise.
 */
int pops_resolved_load_partial(void *payload, const char *name, pops_buf *out);

/* ---- versions ---- */

typedef struct pops_version {
	long number;            /* 1 = oldest; 0 when unknown (shallow) */
	git_oid commit;
	git_oid blob;
	char *path;             /* repository-relative path at this version */
	char *author_name;
	char *author_email;
	git_time_t time;        /* author time, seconds since the epoch */
	int tz_offset;          /* minutes east of UTC */
	char *summary;          /* first line of the message */
	char *message;          /* the whole message */
} pops_version;

typedef struct pops_versions {
	pops_version *v;        /* newest first */
	size_t n;
	int shallow;            /* history cut by a shallow clone: numbers unknown */
} pops_versions;

/*
 * The versions of prompt `name` (validated), newest first, walking the
 * first-parent history of HEAD. `max` > 0 stops after that many (numbers
 * are still exact: the walk goes on counting). POPS_ENOTFOUND when HEAD is
 * unborn or the prompt has no committed version ("prompt 'x' has no
 * committed version"), POPS_EINVALID for a bad name, POPS_ERROR for git
 * failures. Free with pops_versions_free().
 */
int pops_repo_versions(pops_versions **out, pops_repo *repo, const char *name,
                       size_t max);

void pops_versions_free(pops_versions *vs);

/* ---- work tree state ---- */

typedef enum pops_path_state {
	POPS_PATH_COMMITTED = 0,  /* HEAD holds the file as it is in the work tree */
	POPS_PATH_UNTRACKED,      /* git does not know it */
	POPS_PATH_IGNORED,        /* a .gitignore rule hides it */
	POPS_PATH_MODIFIED,       /* changed since HEAD (staged or not) */
	POPS_PATH_ADDED,          /* staged, never committed */
	POPS_PATH_OUTSIDE         /* not in this repository's work tree */
} pops_path_state;

/*
 * Whether HEAD holds `path` (relative to the current directory or
 * absolute; it must exist) as the work tree has it. Evidence keyed by a
 * file's content describes "a file no commit holds" in every state but
 * POPS_PATH_COMMITTED. Returns 0 with *out set, POPS_ENOTFOUND when the
 * file does not exist, or POPS_ERROR (git). Reads the index and the
 * file; changes nothing.
 */
int pops_repo_path_state(pops_path_state *out, const pops_repo *repo, const char *path);

/* "untracked", "ignored by .gitignore", "modified", ... for messages (static) */
const char *pops_path_state_name(pops_path_state state);

/* ---- listing ---- */

typedef struct pops_prompt_info {
	char *name;
	char *path;             /* repository-relative path (work tree or HEAD) */
	int in_worktree;        /* the file exists in the work tree */
	int in_head;            /* the file exists in HEAD */
	int modified;           /* work tree differs from HEAD (or is untracked) */
	long latest;            /* newest version number; 0 if none or unknown */
	git_oid latest_commit;  /* valid when has_latest */
	int has_latest;
	git_time_t latest_time; /* author time of that commit */
} pops_prompt_info;

typedef struct pops_prompt_list {
	pops_prompt_info *v;    /* sorted by name */
	size_t n;
	int shallow;            /* version numbers unknown */
	/*
	 * .prompt files (work tree or HEAD) left out because their names
	 * break the name rule: "<path>: <why>", sorted, each path once.
	 * Unsanitized: print through pops_buf_put_sanitized.
	 */
	char **invalid;
	size_t ninvalid;
} pops_prompt_list;

/*
 * Every prompt in the work tree or in HEAD (partials excluded), with
 * its newest version, computed in one walk of the first-parent history,
 * and the .prompt files (partials included) that are not listed because
 * of their names, so a caller can say so instead of dropping them
 * silently. Returns 0 (an empty list when there are none) or POPS_ERROR.
 * Free with pops_prompt_list_free().
 */
int pops_repo_list(pops_prompt_list **out, pops_repo *repo);

void pops_prompt_list_free(pops_prompt_list *list);

/*
 * The file at the work tree path of prompt `name`, refusing anything that
 * resolves outside the prompts dir (symlinks) or is not a regular file.
 * POPS_ENOTFOUND when absent. Used by `prompt add` and the resolver.
 */
int pops_repo_read_worktree(pops_buf *out, const pops_repo *repo, const char *name);

#endif
