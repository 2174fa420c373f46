#ifndef POPS_UNIT_RELFIX_H
#define POPS_UNIT_RELFIX_H

/*
 * Throwaway git repositories for the release and evidence unit tests:
 * a temp directory with a real repository, commits made through libgit2,
 * removed again at the end.
 */

#include <git2.h>
#include "buf.h"

typedef struct relfix {
	pops_buf dir;          /* the work tree */
	git_repository *repo;
} relfix;

/* Create a fresh repository in a temp dir (libgit2 initialised). 0 or -1. */
int relfix_init(relfix *f);

/*
 * Commit `content` at `path` (NULL content: delete it) on HEAD with
 * `message`, writing the work tree file too. `out` may be NULL.
 */
int relfix_commit(relfix *f, git_oid *out, const char *path, const char *content,
                  const char *message);

/*
 * A pops config for the fixture: models `fast` -> gpt-x-2024-01-01 and
 * the given `environments:` YAML block (NULL: dev, staging, prod).
 */
struct pops_config;
int relfix_config(relfix *f, struct pops_config **out, const char *envs_yaml);

/* Free the repository, remove the directory, shut libgit2 down. */
void relfix_dispose(relfix *f);

#endif
