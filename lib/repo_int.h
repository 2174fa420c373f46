#ifndef POPS_REPO_INT_H
#define POPS_REPO_INT_H

/*
 * Shared between lib/repo.c, repo_resolve.c and repo_history.c only.
 */

#include <git2.h>
#include "buf.h"
#include "config.h"
#include "repo.h"

#define POPS_PROMPT_EXT ".prompt"
#define POPS_NAME_MAX 1024
/* one segment: a file or directory name, with room for ".prompt" and
 * "@partials" within the 255 bytes filesystems allow */
#define POPS_NAME_SEGMENT_MAX 200
#define POPS_RELEASES_REF "refs/pops/releases"

struct pops_repo {
	git_repository *git;
	const pops_config *cfg;
	git_repository *own_git;  /* set when pops_repo_open opened it */
	pops_config *own_cfg;
	char *workdir;            /* real path, trailing '/' */
	char *prefix;             /* prompts dir relative to workdir */
	char *prompts_abs;        /* workdir + prefix */
	git_oid *shallow;         /* shallow boundary commits (sorted), loaded lazily */
	size_t nshallow;
	int shallow_loaded;
};

/* name rules; `single` refuses '/' (environment names) */
int pops_repo__check_segments(const char *name, int single);

/* read a work tree file (relative path) refusing symlink escapes */
int pops_repo__read_worktree_path(pops_buf *out, const pops_repo *repo,
                                  const char *relpath, const char *what);

/* read the blob at `relpath` in `tree`; refuses symlinks and non-files */
int pops_repo__read_tree_path(pops_buf *out, git_oid *blob_out, const pops_repo *repo,
                              git_tree *tree, const char *relpath, const char *what);

/* HEAD's commit: POPS_ENOTFOUND with a clear message when unborn */
int pops_repo__head(git_commit **out, pops_repo *repo);

/* read .git/shallow once */
int pops_repo__load_shallow(pops_repo *repo);

/* first parent of `c` (NULL at the root); *cut at a shallow boundary */
int pops_repo__first_parent(git_commit **out, int *cut, pops_repo *repo, git_commit *c);

/* git's rename detection between parent and c, limited to the prompts dir */
int pops_repo__renames(git_diff **out, pops_repo *repo, git_commit *c, git_commit *parent);

/* the path `path` (added by c) was renamed from, or "" */
int pops_repo__rename_source(pops_buf *from, pops_repo *repo, git_commit *c,
                             git_commit *parent, const char *path);

/* pops_repo_versions; `light` leaves author/message empty (resolving) */
int pops_repo__versions(pops_versions **out, pops_repo *repo, const char *name, size_t max,
                        int light);

#endif
