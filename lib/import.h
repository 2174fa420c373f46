#ifndef POPS_IMPORT_H
#define POPS_IMPORT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include <git2.h>
#include "buf.h"
#include "config.h"

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
	/*
	 * What pops.yaml needs for the imported files to run, applied by
	 * pops_import_config(): [{name, type, base_url?, api_key_env?}],
	 * [{alias, provider, id, config?, where, fallback?}] (a fallback
	 * alias, such as the judge, is added only when pops.yaml lacks it)
	 * and environment names. Never NULL after a successful import.
	 */
	cJSON *providers, *models, *environments;
	size_t nprompts, ncases;
} pops_import;

typedef struct pops_import_options {
	const char *prompts_dir;   /* relative to the project root */
	const char *evals_dir;
	const char *datasets_dir;
} pops_import_options;

#define POPS_IMPORT_OPTIONS_INIT { "prompts", "evals", "datasets" }

/*
 * Import a promptfoo configuration (promptfooconfig.yaml or .json).
 * Mapped: prompts (inline, file:// text and chat JSON, labels) ->
 * .prompt files; providers (openai, anthropic, ollama; config
 * temperature, max_tokens, top_p, seed, stop) -> `providers` and
 * `models`; defaultTest.options.provider (else promptfoo's default
 * grader) -> a fallback `judge` alias when an assertion needs one; tests
 * (inline, file:// CSV with __expected columns, file:// JSON, JSONL and
 * YAML lists of tests; array vars expanded) and defaultTest -> one JSONL
 * dataset and one suite per prompt; assertion types equals, contains,
 * icontains, starts-with, regex, contains-all/any, icontains-all/any,
 * contains-json (each with not-), is-json (with a schema: json-schema),
 * levenshtein, latency, cost, llm-rubric, g-eval, model-graded-closedqa
 * and factuality (-> judge). Files named by the config are read
 * relative to its directory.
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

/*
 * Import a GitHub Models prompt file (NAME.prompt.yml, as `gh models
 * eval` runs it): messages -> prompts/NAME.prompt ({{role}} blocks,
 * {{var}} kept, other braces escaped; modelParameters maxTokens,
 * temperature, topP -> config; responseFormat/jsonSchema -> output);
 * model and evaluator models -> `models` on the `github` provider;
 * testData -> datasets/NAME.jsonl; evaluators -> evals/NAME.yaml: string
 * equals -> equals, contains -> icontains, startsWith/endsWith -> a
 * case-insensitive regex (gh models compares those ignoring case), llm
 * -> judge with the prompt as rubric (1-5 choices as pass_score), uses
 * github/similarity|coherence|fluency|relevance|groundedness -> judge.
 * Returns 0, POPS_ENOTFOUND, POPS_EINVALID (not YAML, no messages) or
 * POPS_ERROR. Free with pops_import_free().
 */
int pops_import_github_models(pops_import **out, const char *path,
                              const pops_import_options *opts);

/* ---- Langfuse ---- */

/* one Langfuse prompt version, as it becomes one git commit */
typedef struct pops_langfuse_version {
	char *name;              /* the pops prompt name */
	char *source_name;       /* Langfuse's name (may differ: see the notes) */
	long version;            /* Langfuse's version number */
	char *path;              /* "prompts/<name>.prompt", '/' separated */
	pops_buf data;           /* the .prompt file of this version */
	char *message;           /* commit message (commitMessage, else one made up) */
	long long when;          /* createdAt, seconds since the epoch... */
	int tz_minutes;          /* ...and its offset east of UTC */
	int dated;               /* 0 when the export had no createdAt */
	char **labels;           /* deployment labels other than "latest" */
	size_t nlabels;
	git_oid commit;          /* set by pops_import_langfuse_commit */
} pops_langfuse_version;

typedef struct pops_langfuse {
	pops_langfuse_version *v;  /* in commit order: oldest first, each prompt's in version order */
	size_t n;
	pops_import *imp;          /* notes; environments the labels need */
} pops_langfuse;

/*
 * Read a Langfuse prompt export: the bulk export (a JSON array of prompt
 * version rows: name, version, type text|chat, prompt, config, labels,
 * tags, commitMessage, createdAt, ...), prompt objects of the public API
 * (one, an array, or {"prompts": [...]}, as its import takes). Text
 * prompts keep their text and {{var}}s; chat prompts become {{role}}
 * blocks (assistant as dotprompt's model; the first placeholder as
 * {{history}}); request settings of `config` (temperature, max_tokens,
 * top_p, seed, stop) become the frontmatter's config, and the whole
 * config, tags and version stay under metadata.langfuse. Labels other
 * than "latest" name environments (imp->environments). What cannot be
 * mapped is a note. Returns 0, POPS_ENOTFOUND, POPS_EINVALID (not JSON,
 * not a Langfuse export, a name or version missing, a version twice) or
 * POPS_ERROR. Free with pops_langfuse_free().
 */
int pops_import_langfuse(pops_langfuse **out, const char *path,
                         const pops_import_options *opts);

/*
 * Commit each version of `lf` on HEAD in order, the file of that version
 * at v[i].path, authored by `who`'s name and email at the version's
 * createdAt (when dated) with its message, committed by `who`; when
 * `first` is not NULL, that file (pops.yaml with the label environments)
 * is committed before them with `first_message`. Then the work tree
 * files and the index follow HEAD for those paths. Sets v[i].commit.
 * `root` is the work tree. Returns 0; POPS_EMODIFIED when HEAD moved
 * meanwhile; POPS_ERROR for git or I/O errors (commits made so far stay).
 */
int pops_import_langfuse_commit(pops_langfuse *lf, git_repository *repo, const char *root,
                                const git_signature *who, const pops_import_file *first,
                                const char *first_message);

void pops_langfuse_free(pops_langfuse *lf);

typedef struct pops_import_config_options {
	int allow_floating;   /* pin floating ids, recorded as allow_floating: true */
	int force;            /* replace a model alias pops.yaml defines otherwise */
} pops_import_config_options;

#define POPS_IMPORT_CONFIG_OPTIONS_INIT { 0, 0 }

/*
 * pops.yaml text (`yaml`, as loaded into `cfg`) with what `imp` needs
 * added through the same text editor `pops model pin` uses (configedit.h):
 * providers it lacks, model aliases, environments it lacks (appended to
 * the promotion order). Existing providers and environments are kept as
 * they are; an alias already pinned to the same provider/id is kept.
 * `out` gets the text (unchanged when nothing is needed) and `report`
 * one line per change ("added model fast: openai/gpt-4o-2024-08-06").
 * Returns 0, or POPS_EINVALID: a floating model id without
 * allow_floating (the message names where it came from and the dated
 * snapshot to use), an alias pops.yaml pins to another model without
 * force, or a section in flow style. `o` may be NULL. Writes nothing.
 */
int pops_import_config(pops_buf *out, pops_buf *report, const pops_import *imp,
                       const pops_config *cfg, const char *yaml, size_t len,
                       const pops_import_config_options *o);

void pops_import_free(pops_import *imp);

#endif
