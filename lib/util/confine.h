#ifndef POPS_CONFINE_H
#define POPS_CONFINE_H

#include <stddef.h>
#include "buf.h"

/*
 * Reading files that must stay inside the prompts directory. One rule for
 * every reader (render by name, lint's walk, partials): a file is read
 * only when it resolves, through every symlink in its name and in its
 * directories, to a regular file inside the directory (real paths are
 * compared). A symlink to another file inside the directory is fine; one
 * that leads out of it is refused, so a prompt symlinked to
 * /proc/self/environ or a secret elsewhere never reaches a model.
 */

/*
 * Read `path` (into `out`, replacing it, at most `max` bytes as
 * pops_file_read) if it resolves inside directory `dir`. `shown` and
 * `dir_shown` name the file and the directory in messages. Returns 0;
 * POPS_ENOTFOUND when `path` is missing ("no file <shown>") or a
 * dangling symlink ("<shown> is a dangling symlink"); POPS_EINVALID with
 * "<shown> resolves outside the prompts directory '<dir_shown>'
 * (symlink)" or "<shown> is not a regular file"; or pops_file_read's
 * errors (too large, I/O).
 */
int pops_confine_read(pops_buf *out, const char *path, const char *dir, const char *shown,
                      const char *dir_shown, size_t max);

/*
 * The check pops_confine_read makes, for anything (a directory too):
 * 0 when `path` resolves inside `dir`; POPS_ENOTFOUND ("<shown> is a
 * dangling symlink" or missing); POPS_EINVALID "<shown> resolves outside
 * the prompts directory '<dir_shown>' (symlink)".
 */
int pops_confine_check(const char *path, const char *dir, const char *shown,
                       const char *dir_shown);

/*
 * 1 when `path` resolves (real paths) to `dir` itself or to something
 * inside it, 0 when not or when either does not exist.
 */
int pops_confine_inside(const char *path, const char *dir);

/*
 * The same rule for the files a suite names (its dataset, judge prompts,
 * exec scripts) and the project root `root`: a suite from a pull request
 * cannot send /proc/self/environ or a file beside the project to a model.
 * pops_confine_project_open sets *out to the real path (the caller frees)
 * of `path` when it resolves inside `root` to a regular file. Returns 0;
 * POPS_ENOTFOUND ("no file <shown>", or a dangling symlink); POPS_EINVALID
 * "<shown> resolves outside the project" or "<shown> must be a regular
 * file" (a FIFO would hang the run).
 */
int pops_confine_project_open(char **out, const char *path, const char *root, const char *shown);

/* pops_confine_project_open, then read it as pops_file_read (at most `max` bytes) */
int pops_confine_project_read(pops_buf *out, const char *path, const char *root,
                              const char *shown, size_t max);

#endif
