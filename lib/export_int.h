#ifndef POPS_EXPORT_INT_H
#define POPS_EXPORT_INT_H

/*
 * lib/export internals: the check of a directory that an export is
 * about to replace, and the replacement itself (lib/export_dir.c).
 *
 * The rule (pops-export(1)): a directory is replaced only when it is
 * empty, or when it holds a manifest.json that pops export wrote and
 * nothing but the files that manifest lists, each still as pops wrote
 * it. Anything else may be a user's work, and export never deletes a
 * user's file.
 */

#include <stddef.h>
#include "buf.h"

/* An existing export directory, as checked. */
typedef struct pops_export__old {
	int exists;      /* the directory exists (empty or a previous export) */
	char **files;    /* relative paths of the files found there, manifest.json included */
	size_t nfiles;
	char **dirs;     /* relative paths of its subdirectories, deepest first */
	size_t ndirs;
} pops_export__old;

void pops_export__old_dispose(pops_export__old *o);

/*
 * Check `dir` before an export replaces it. `out` gets exists 0 when
 * there is nothing at `dir`; otherwise what is there, when it may be
 * replaced. Symbolic links are never followed, `dir` itself included.
 * Returns 0; POPS_EEXISTS when `dir` must not be replaced (not a
 * directory, a symbolic link, files that no pops manifest there lists,
 * a listed file changed since the export): the message names the first
 * such file and says what to do; POPS_ERROR (I/O).
 */
int pops_export__check_dir(pops_export__old *out, const char *dir);

/*
 * 1 when `doc` is a manifest that pops export wrote (schema 1, or
 * schema 2 or 3 with "generator":"pops"; schema 3's canary files and
 * partial paths under @canary/), else 0. `why`, when not NULL,
 * gets what is wrong with it.
 */
struct cJSON;
int pops_export__manifest_ok(const struct cJSON *doc, pops_buf *why);

/*
 * Put the finished export `tmp` (a directory beside `dir`) in place of
 * `dir`, as `old` (from pops_export__check_dir) described it, in one
 * rename where the file system allows (an exchange when `dir` exists), so
 * readers see the old export or the new one. The previous export's files
 * are then removed by name, never recursively: a file that appeared in
 * `dir` after the check survives, and its directory is left at the path
 * returned in `kept` (empty when everything old was removed).
 * Returns 0 or POPS_ERROR; on error `dir` is as it was and `tmp` is the
 * caller's to remove.
 */
int pops_export__replace(pops_buf *kept, const char *tmp, const char *dir,
                         const pops_export__old *old);

/*
 * A released prompt (`text`, `len` bytes; its partials through `load`)
 * as a GitHub Models prompt file in `out` (lib/export_promptyml.c), the
 * model and request settings from its closure `c` (may be NULL). Returns
 * 0, or POPS_EINVALID when the template is more than plain {{variable}}
 * text (helpers, blocks, paths), holds media, or a role GitHub lacks.
 */
struct pops_closure;
int pops_export__prompt_yml(pops_buf *out, const char *name, const char *text, size_t len,
                            const struct pops_closure *c,
                            int (*load)(void *payload, const char *name, pops_buf *out),
                            void *payload);

/*
 * The export itself (lib/export.c), shared with the manifest writer
 * (lib/export_manifest.c).
 */
#include <git2.h>
#include "closure.h"
#include "export.h"
#include "release.h"

/* one released prompt (or the canary side of one), as exported */
typedef struct pops_export__item {
	const pops_release_entry *e;   /* borrowed from the release list */
	struct pops_export__item *canary; /* the canary side of a rollout, or NULL */
	int is_canary;                 /* this is one: files under @canary/ */
	pops_buf *pcontent;            /* a canary's partials' bytes, by partials index */
	pops_closure legacy;           /* a schema 1 entry's partials, from its source commit */
	const pops_closure_partial *partials;  /* e->closure's or legacy's */
	size_t npartials;
	pops_buf file;                 /* "<prompt>.prompt" ("<prompt>.prompt.yml") */
	pops_buf content;
	git_oid file_blob;             /* prompt-yml: the blob id of the file written */
	git_oid released_in;           /* the ledger commit that wrote the entry */
} pops_export__item;

/* one partial file of the bundle, shared by the prompts that use it */
typedef struct pops_export__part {
	const pops_closure_partial *p; /* the first prompt's record of it */
	const pops_export__item *first; /* that prompt */
	pops_buf content;
} pops_export__part;

/* one export in progress: what was read, before anything is written */
typedef struct pops_export__run {
	const pops_export_options *opts;
	git_repository *repo;
	pops_export_result *out;
	pops_release_list l;
	pops_export__item *items; /* l.n */
	pops_export__part *parts;
	size_t nparts;
	size_t ncanary;     /* prompts with a rollout */
	pops_buf scratch, path;
	int inline_text, yml;
} pops_export__run;

/*
 * manifest.json's text for the export `x` has read, appended to `text`
 * (pops-export(1)). Returns 0 or POPS_ENOMEM.
 */
int pops_export__manifest(pops_buf *text, pops_export__run *x);

/*
 * Each of `items` (and its canary) becomes a GitHub Models prompt file
 * (lib/export_promptyml.c): its file name and content replaced, its
 * partials inlined from `parts` (a canary's: its own). Returns 0 or what
 * pops_export__prompt_yml returns.
 */
int pops_export__to_prompt_yml(pops_export__item *items, size_t n,
                               const pops_export__part *parts, size_t nparts);

/* where a canary's partial is in the bundle: "@canary/<prompt>@partials/<file>" in `out` */
int pops_export__canary_partial_path(pops_buf *out, const char *prompt, const char *partial);

#endif
