#ifndef POPS_EXPORT_H
#define POPS_EXPORT_H

/*
 * `pops export`: the prompts released in one environment, written to a
 * directory for build-time bundling, with a manifest.json:
 *
 *   {"schema_version":1,"env":"prod","ledger_commit":"<sha1>",
 *    "prompts":[{"name","version","blob","source_commit","model",
 *                "model_alias","file"}]}          (format files)
 *
 * With format json there are no prompt files; each manifest entry has
 * "content" (the prompt text) instead of "file".
 */

#include <stddef.h>
#include <git2.h>
#include "buf.h"

typedef enum {
	POPS_EXPORT_FILES,
	POPS_EXPORT_JSON
} pops_export_format;

typedef struct pops_export_result {
	git_oid ledger_commit;
	size_t count;
	/*
	 * The previous export's directory when something in it could not be
	 * removed after the new export took its place (a file that appeared
	 * there during the export: never deleted); empty otherwise.
	 */
	pops_buf kept;
} pops_export_result;

/* Free what a result holds (the struct is the caller's). Accepts NULL. */
void pops_export_result_dispose(pops_export_result *r);

/*
 * Export `env` as of the ledger tip into `dir`. Everything is written
 * into a new temporary directory beside `dir` and renamed into place
 * last (exchanged with a previous export in one rename where the file
 * system can), so `dir` is never seen half-written and a failure leaves
 * it as it was.
 *
 * An existing `dir` is replaced only when it is empty, or holds a
 * manifest.json that pops export wrote and nothing but the files that
 * manifest lists, unchanged: anything else may be the user's and is
 * refused with POPS_EEXISTS before anything is written. The previous
 * export's files are removed by name, never recursively.
 *
 * `out` is the caller's (pops_export_result_dispose, also on error).
 * Returns 0; POPS_ENOTFOUND when nothing is released in env (nothing is
 * written); POPS_EINVALID for format json with a prompt that is not
 * UTF-8; POPS_EEXISTS; POPS_ERROR (I/O, git, corrupt ledger).
 */
int pops_export(pops_export_result *out, git_repository *repo, const char *env,
                const char *dir, pops_export_format format);

#endif
