#ifndef POPS_CLOSURE_H
#define POPS_CLOSURE_H

/*
 * A release closure (pops-promote(1), docs/architecture.md): everything that decides what
 * a released prompt sends, so that "the same release" means the same
 * requests:
 *
 *   - the prompt blob;
 *   - the blob of every partial the prompt reaches, transitively (the
 *     template compiler loads each one once, so the set is exact);
 *   - the resolved model: the pops.yaml provider (name and type), the
 *     model id, and the effective request config (the model alias's
 *     `config` in pops.yaml with the prompt's frontmatter `config` over
 *     it, key by key);
 *   - the tool definitions the prompt's `tools:` names (pops.yaml
 *     `tools:` or tools/NAME.json of the same source) and its
 *     toolChoice: a changed tool schema is a changed release. Kept in
 *     the ledger and export manifests as resolved_model.tools (absent
 *     when the prompt has none, so closures without tools are as before).
 *
 * A closure is computed from a source (the work tree or a commit, whose
 * own pops.yaml resolves the model), or read back from the ledger
 * (lib/release). Comparing two closures says what changed, in words a
 * person reads in `pops status` and in the ledger commit message.
 */

#include <stddef.h>
#include <git2.h>
#include <cjson/cJSON.h>
#include "buf.h"
#include "config.h"
#include "tools.h"

typedef struct pops_closure_partial {
	char *name;     /* as templates name it: "style", "team/style" */
	char *file;     /* relative to the prompts dir: "_style.prompt", "team/_style.prompt" */
	git_oid blob;
	long version;   /* the partial file's version (lib/repo numbering), 0 when unknown */
} pops_closure_partial;

typedef struct pops_closure {
	git_oid blob;                  /* the prompt's blob */
	pops_closure_partial *partials; /* sorted by name */
	size_t npartials;
	char *model_alias;             /* the alias the prompt names, or NULL */
	char *provider;                /* pops.yaml provider name, or NULL (no model, or unknown) */
	char *provider_type;           /* its type, or NULL */
	char *model_id;                /* or NULL when the prompt names no model */
	cJSON *model_config;           /* effective request config; an object, never NULL
	                                  once computed (may be empty) */
	cJSON *tools;                  /* the prompt's tool definitions (lib/tools.h), resolved
	                                  from the same source, and its toolChoice:
	                                  {"definitions":[...],"choice"?}; NULL: no tools */
} pops_closure;

#define POPS_CLOSURE_INIT { { { 0 } }, NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL }

/* Free the contents (the struct itself is the caller's). Accepts zeroes. */
void pops_closure_dispose(pops_closure *c);

/* Deep copy of `src` into `dst` (disposed first). 0 or POPS_ERROR. */
int pops_closure_copy(pops_closure *dst, const pops_closure *src);

/*
 * The effective request config for `alias` (a pops.yaml alias or
 * "provider/id", may be NULL) and the prompt's frontmatter `config`
 * (may be NULL): a new object in `out` (cJSON_Delete), keys of the
 * frontmatter replacing the model's. The runner sends exactly this.
 * 0 or POPS_ERROR.
 */
int pops_closure_model_config(cJSON **out, const pops_config *cfg, const char *alias,
                              const cJSON *prompt_config);

/*
 * Compute the closure of prompt `name` whose bytes are `data`/`len`,
 * as found at `commit` (NULL: the work tree). Partials are read from the
 * same place; the model is resolved through `cfg` (the caller passes the
 * pops.yaml of that source: pops_closure_config_at). Partial versions
 * are counted on HEAD's first-parent history.
 *
 * Returns 0; POPS_EINVALID when the prompt does not compile (a missing
 * partial names itself: "prompts/x.prompt:3:1: partial 'style' not
 * found"); POPS_ERROR. `out` is disposed first and filled only on 0.
 */
int pops_closure_compute(pops_closure *out, git_repository *repo, const pops_config *cfg,
                         const git_oid *commit, const char *name,
                         const char *data, size_t len);

/*
 * The pops.yaml of `commit` (the file at the same repository path as
 * `cfg`'s), parsed into `out`, so a release from a commit uses the model
 * pins committed with it. When the commit has no pops.yaml, `out` gets
 * NULL and the caller keeps `cfg`. 0, POPS_EINVALID (the committed file
 * is invalid, "pops.yaml at 1a2b3c4d5e6f: ...") or POPS_ERROR.
 */
int pops_closure_config_at(pops_config **out, git_repository *repo, const pops_config *cfg,
                           const git_oid *commit);

/*
 * The closure's `tools` value for tool `names` (a prompt's frontmatter
 * `tools`, may be NULL) and `choice` (toolChoice, may be NULL), resolved
 * through `src` (lib/tools.h): *out NULL when there are no names. The
 * eval runner uses it for a work-tree prompt, so both agree. 0,
 * POPS_EINVALID naming `who`, POPS_ERROR.
 */
int pops_closure_tools(cJSON **out, const pops_tools_source *src, const cJSON *names,
                       const char *choice, const char *who);

/* 1 when the two closures are the same release, else 0. */
int pops_closure_equal(const pops_closure *a, const pops_closure *b);

/*
 * What differs from `from` to `to`, appended to `out` as a comma
 * separated list of parts: "prompt @3 -> @4", "partial _style@1 -> @2",
 * "partial _tone added", "model gpt-a -> gpt-b", "model config
 * max_tokens 250 -> 24". `from_version`/`to_version` are the prompts'
 * version numbers (0: unknown, then blob ids are shown). Nothing is
 * appended when they are equal. 0 or POPS_ERROR.
 */
int pops_closure_describe_diff(pops_buf *out, const pops_closure *from, long from_version,
                               const pops_closure *to, long to_version);

/*
 * The partials as JSON, as the ledger and export manifests record them:
 * [{"name","file","version"|null,"blob"}], and the resolved model:
 * {"alias"|null,"provider"|null,"type"|null,"id"|null,"config":{}}.
 * NULL on out of memory.
 */
cJSON *pops_closure_partials_json(const pops_closure *c);
cJSON *pops_closure_model_json(const pops_closure *c);

/*
 * Read those two back (either may be NULL: left empty). POPS_EINVALID
 * with `what` naming the field when a value has the wrong shape.
 */
int pops_closure_from_json(pops_closure *c, const cJSON *partials, const cJSON *model,
                           pops_buf *what);

/*
 * The file partial `name` is read from, relative to the prompts dir
 * ("style" -> "_style.prompt", "team/style" -> "team/_style.prompt"),
 * into `out` (replaced). 0 or POPS_ERROR.
 */
int pops_closure_partial_file(pops_buf *out, const char *name);

/*
 * A SHA-256 over the whole closure (prompt blob, partial names and
 * blobs, provider, type, model id, canonical config), as 64 hex digits
 * in `out`: equal closures, equal digests. Approvals name it, so an
 * approval is for exactly one release. 0 or POPS_ERROR.
 */
int pops_closure_digest(char out[65], const pops_closure *c);

#endif
