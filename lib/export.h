#ifndef POPS_EXPORT_H
#define POPS_EXPORT_H

/*
 * `pops export`: an environment's release closures written to a directory
 * that an application bundles and loads as Genkit loads a prompt folder:
 * each released prompt as <name>.prompt (the exact blob in the ledger),
 * each partial those releases carry as _<partial>.prompt (one file per
 * partial name), and manifest.json (pops-export(1) documents it):
 *
 *   {"schema_version":2,"generator":"pops","pops_version","env",
 *    "ledger_commit","format":"files"|"json",
 *    "prompts":[{"name","version","blob","file"|"content",
 *                "partials":[{"name","file","version","blob"}],
 *                "model":{"alias","provider","type","id","config"},
 *                "evidence","source_commit","ledger_commit"}],
 *    "partials":[{"name","version","blob","file"|"content"}]}
 *
 * With format json no prompt files are written: "content" holds the text.
 * With format prompt-yml each prompt is <name>.prompt.yml, a GitHub
 * Models prompt file (partials inlined, so none are written), and its
 * manifest entry has "file_blob", the blob id of that file.
 *
 * When some prompt has a canary rollout in env the manifest is
 * schema_version 3 (otherwise 2, byte for byte as without rollouts), and
 * the entry of each such prompt (its fields describe the stable side)
 * gains
 *
 *   "rollout":{"percent","salt","since" (ISO 8601 UTC),
 *              "canary":{"version","blob","file"|"content",
 *                        "partials":[{"name","file","version","blob",
 *                                     "path"|"content"}],
 *                        "model","evidence","source_commit","ledger_commit"}}
 *
 * The canary's prompt is at "file" = "@canary/<name>.prompt" and its
 * partials, its own and not shared, at "path" =
 * "@canary/<name>@partials/<file>" ("file" stays the prompts-dir name);
 * format json puts "content" there instead, prompt-yml writes
 * "@canary/<name>.prompt.yml" (with "file_blob") and no partials.
 */

#include <stddef.h>
#include <git2.h>
#include "buf.h"

typedef enum {
	POPS_EXPORT_FILES,
	POPS_EXPORT_JSON,
	POPS_EXPORT_PROMPT_YML
} pops_export_format;

typedef struct pops_export_options {
	const char *env;
	const char *dir;
	pops_export_format format;
	/*
	 * The project's pops.yaml: where a release written before closures
	 * (schema 1) finds its partials (its source commit's prompts dir).
	 */
	const struct pops_config *cfg;
	const char *pops_version;  /* recorded in the manifest; NULL: null */
} pops_export_options;

#define POPS_EXPORT_OPTIONS_INIT { NULL, NULL, POPS_EXPORT_FILES, NULL, NULL }

typedef struct pops_export_result {
	git_oid ledger_commit;
	size_t count;       /* prompts */
	size_t npartials;   /* partial files (stable; a canary's own are not counted) */
	size_t ncanary;     /* prompts with a canary rollout (their canaries under @canary/) */
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
 * Export `opts->env` as of the ledger tip into `opts->dir`: every
 * prompt released there and every partial its release carries (from the
 * ledger; for a schema 1 entry, from its source commit). Everything is written
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
 * written); POPS_EREFUSED when two prompts were released with different
 * blobs of one partial (the message names both, both versions and the
 * promote that aligns them); POPS_EINVALID for format json with a prompt
 * or partial that is not UTF-8, for format prompt-yml with a prompt that
 * is more than plain {{variable}} text (pops_export__prompt_yml says what); POPS_EEXISTS; POPS_ERROR (I/O, git, a
 * corrupt ledger entry or an unsafe name in it, a schema 1 entry whose
 * source commit is gone). Nothing is written unless it returns 0.
 */
int pops_export(pops_export_result *out, git_repository *repo,
                const pops_export_options *opts);

/*
 * Where the partials of `file` (a path to a .prompt file) are when it
 * belongs to an export bundle: the nearest directory above it whose
 * manifest.json pops export wrote and lists the file among its prompts
 * (that directory), or as a rollout's canary file
 * (<bundle>/@canary/<name>@partials, the canary's own partials).
 * `pops render DIR/x.prompt` takes its partials from there, so a bundle
 * renders from itself alone, never from a project around it. Returns 1
 * with the directory in `out`, 0 when the file is in no bundle (also when
 * it cannot be resolved), POPS_ERROR (out of memory).
 */
int pops_export_bundle_root(pops_buf *out, const char *file);

#endif
