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

typedef enum {
	POPS_EXPORT_FILES,
	POPS_EXPORT_JSON
} pops_export_format;

typedef struct pops_export_result {
	git_oid ledger_commit;
	size_t count;
} pops_export_result;

/*
 * Export `env` as of the ledger tip into `dir`. Everything is written
 * into a new temporary directory beside `dir` and renamed into place
 * last, so `dir` is never seen half-written. An existing `dir` is
 * replaced only when it is empty or holds a manifest.json (a previous
 * export); anything else is refused with POPS_EEXISTS.
 * Returns 0; POPS_ENOTFOUND when nothing is released in env (nothing is
 * written); POPS_EINVALID for format json with a prompt that is not
 * UTF-8; POPS_EEXISTS; POPS_ERROR (I/O, git, corrupt ledger).
 */
int pops_export(pops_export_result *out, git_repository *repo, const char *env,
                const char *dir, pops_export_format format);

#endif
