#ifndef POPS_PROMPT_COMMIT_H
#define POPS_PROMPT_COMMIT_H

/*
 * The commit `pops prompt add` writes: exactly the given files on top of
 * HEAD. The new tree is HEAD's tree (an empty one on an unborn branch)
 * with these blobs put in, so other staged changes stay staged, not
 * committed; the commit moves HEAD only from the commit it was built on
 * (libgit2's first-parent check: a concurrent commit makes it fail, not
 * get lost); then the index entries of the committed paths follow, so
 * `git status` agrees. Linting and resolving names are the caller's:
 * this module takes bytes that are ready to commit.
 */

#include <git2.h>
#include "repo.h"

typedef struct pops_commit_file {
	/* in */
	const char *name;   /* as listed in the default message: "greet", "team/_style" */
	const char *path;   /* repository-relative */
	const char *data;   /* the bytes to commit (the ones that were linted) */
	size_t size;
	int partial;        /* a partial the prompts reach: committed only when new or
	                     * changed, and never through a symlink in the work tree */
	/* out, set by pops_prompt_commit */
	int is_new;         /* not in HEAD */
	int unchanged;      /* HEAD has these bytes as a regular file */
	int committed;      /* a partial this commit changes (prompts: always 1) */
	int symlink;        /* a partial not committed: its work tree path (or a
	                     * directory on the way) is a symlink */
	int symlink_dirty;  /* ... and git status says it differs from HEAD */
	unsigned frontmatter_line; /* a committed partial with a line dotprompt
	                            * includes verbatim (1-based), 0 none */
} pops_commit_file;

/*
 * Commit `files` (prompts and partials, in the order they are listed) on
 * HEAD of `repo`. A partial whose path is also one of the prompts is
 * committed as that prompt only. `message` NULL: "prompt: add A, B" when
 * every changed file is new, else "prompt: update A, B", naming the files
 * this commit changes as `git show --stat` will. The message gets a final
 * newline. Returns 0 with the new commit in `out`; POPS_EREFUSED when the
 * tree equals HEAD's ("nothing to commit: ..."); POPS_EINVALID for an
 * unreadable GIT_*_DATE; POPS_ERROR (git failure, a lost race for HEAD).
 * The out fields of `files` are set as far as the work got, on error too.
 * When the commit was written but the index could not be, it still
 * returns 0 and `*index_error` (the caller frees it) says why; else NULL.
 */
int pops_prompt_commit(git_oid *out, char **index_error, pops_repo *repo,
                       pops_commit_file *files, size_t n, const char *message);

#endif
