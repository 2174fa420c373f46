#ifndef POPS_GIT_H
#define POPS_GIT_H

#include <git2.h>

/*
 * Glue between libgit2 and pops errors. libgit2 is initialised lazily so
 * that commands which never touch a repository (--version, -h, render of
 * a file) pay nothing for it.
 */

/* Initialise libgit2 (reference counted). 0 or POPS_ERROR. */
int pops_git_init(void);

/* Drop one reference taken by pops_git_init(). */
void pops_git_shutdown(void);

/*
 * libgit2 parses the system CA bundle at initialisation; pops defers
 * that until a remote is contacted (see lib/git.c for how and why).
 * pops_git_load_certificates() loads what libgit2 asked for, once; call
 * it before any remote operation. 0, or POPS_ERROR when the certificates
 * cannot be loaded. With a libgit2 that does not use mbedTLS there is
 * nothing deferred and it does nothing.
 */
int pops_git_load_certificates(void);

/* 1 while certificate locations are recorded but not loaded, else 0. */
int pops_git_certificates_pending(void);

/*
 * Turn a negative libgit2 return code into a POPS_E* code, with
 * "<what>: <libgit2 message>" as the message. GIT_ENOTFOUND becomes
 * POPS_ENOTFOUND, GIT_EAMBIGUOUS POPS_EAMBIGUOUS, GIT_EMODIFIED and
 * GIT_ELOCKED POPS_EMODIFIED, GIT_EEXISTS POPS_EEXISTS, GIT_EINVALIDSPEC
 * POPS_EINVALID; everything else POPS_ERROR.
 */
int pops_git_error(int git_code, const char *what);

/* for the analyser, which sees one file at a time: the result is negative */
#ifdef __clang_analyzer__
#include "error.h"
static inline int pops_git_error__negative(int code) { return code < 0 ? code : POPS_ERROR; }
#define pops_git_error(c, w) pops_git_error__negative(pops_git_error(c, w))
#endif

/*
 * git_repository_open_ext from `dir` upwards, stopping at the
 * directories of GIT_CEILING_DIRECTORIES as git does, so pops and git
 * find the same repository (or none). Returns libgit2's code.
 */
int pops_git_open(git_repository **out, const char *dir);

#endif
