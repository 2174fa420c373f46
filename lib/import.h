#ifndef POPS_IMPORT_H
#define POPS_IMPORT_H

#include <stddef.h>
#include "buf.h"

/*
 * Importers: turn another tool's files into pops prompts, suites and
 * datasets. An import is computed in memory first (a list of files with
 * their contents, paths relative to the project root) so that the caller
 * can refuse to overwrite, show a dry run, or write everything. Nothing is
 * written here.
 *
 * Whatever cannot be mapped is never dropped silently: each such item is
 * one line in `unmapped` ("promptfooconfig.yaml:14: tests[2].assert[0]:
 * assertion type 'javascript' has no pops equivalent"), and the same
 * lines are repeated as comments at the top of the suite they concern.
 */

typedef struct pops_import_file {
	char *path;      /* relative to the project root, '/' separated */
	pops_buf data;
} pops_import_file;

typedef struct pops_import {
	pops_import_file *files;
	size_t nfiles;
	char **unmapped;       /* one line each, "file:line: what and why" */
	size_t nunmapped;
	pops_buf aliases;      /* YAML for pops.yaml (providers + models), or empty */
	size_t nprompts, ncases;
} pops_import;

typedef struct pops_import_options {
	const char *prompts_dir;   /* relative to the project root */
	const char *evals_dir;
	const char *datasets_dir;
} pops_import_options;

#define POPS_IMPORT_OPTIONS_INIT { "prompts", "evals", "datasets" }

/*
 * Import a promptfoo configuration (promptfooconfig.yaml). Mapped:
 * prompts (inline, file:// text and chat JSON, labels) -> .prompt files;
 * providers (openai, anthropic, ollama; config temperature, max_tokens,
 * top_p, seed, stop) -> model aliases in `aliases`; tests (inline and
 * file:// CSV with __expected columns, array vars expanded) and
 * defaultTest -> one JSONL dataset and one suite per prompt; assertion
 * types equals, contains, icontains, starts-with, regex (and not-),
 * contains-all/any, icontains-all/any, is-json (with a schema:
 * json-schema), levenshtein, latency, cost, llm-rubric, g-eval,
 * model-graded-closedqa and factuality (-> judge). Files named by the
 * config are read relative to its directory.
 * Returns 0, POPS_ENOTFOUND (no such file), POPS_EINVALID (not YAML, not
 * a mapping, no prompts) or POPS_ERROR. Free with pops_import_free().
 */
int pops_import_promptfoo(pops_import **out, const char *config_path,
                          const pops_import_options *opts);

/*
 * Callback that checks one dotprompt file (bytes of `name`, from the
 * directory being imported); returns 0 or a POPS_E* code with a message
 * set. NULL skips the check.
 */
typedef int (*pops_import_check_fn)(void *payload, const char *relpath,
                                    const char *data, size_t len);

/*
 * Import a directory of dotprompt files: every *.prompt below `dir`
 * (partials `_name.prompt` included) is copied to the prompts directory
 * under the same relative path. Each file that is not a partial is
 * passed to `check` (render it, say); a file that fails is listed in
 * `unmapped` with the reason and not copied. Other files are listed too.
 * Returns 0, POPS_ENOTFOUND (no such directory), POPS_EINVALID (no
 * .prompt file in it) or POPS_ERROR.
 */
int pops_import_dotprompt(pops_import **out, const char *dir,
                          const pops_import_options *opts,
                          pops_import_check_fn check, void *payload);

void pops_import_free(pops_import *imp);

#endif
