#ifndef POPS_TOOLS_H
#define POPS_TOOLS_H
#include <cjson/cJSON.h>
#include "buf.h"
#include "config.h"
/*
 * Tool (function) definitions a prompt declares (`tools: [name, ...]` in
 * its frontmatter, as dotprompt does). A definition comes from pops.yaml
 * `tools:` (a map from the tool's name to {description, parameters}) or,
 * when pops.yaml has none of that name, from the file tools/NAME.json
 * beside pops.yaml (the same object). `parameters` is a JSON Schema of
 * the arguments (default {"type":"object","properties":{}}).
 *
 * A resolved definition is {"name","description"?,"parameters"}: what
 * lib/wire.c sends (OpenAI and Ollama `tools` of type function,
 * Anthropic `tools` with input_schema), what the evidence fingerprint and
 * the release closure hold (a changed schema is a changed release and
 * invalidates evidence), and what `is-valid-tool-call` checks against.
 */

/* at most this many bytes in a tools/NAME.json file */
#define POPS_TOOLS_FILE_MAX (1024 * 1024)

/* 1 if `name` is a tool name providers take: 1-64 of A-Z a-z 0-9 _ - */
int pops_tools_name_ok(const char *name);

/*
 * Where tools/NAME.json files are read: `read` (may be NULL: files under
 * cfg->root in the work tree, confined to the project) gets the path
 * relative to the project root ("tools/x.json") and fills `out`;
 * returns 0, POPS_ENOTFOUND when there is no such file, or an error.
 */
typedef struct pops_tools_source {
	const pops_config *cfg;   /* required */
	int (*read)(void *payload, const char *path, pops_buf *out);
	void *payload;
} pops_tools_source;

/*
 * The definitions of the tool names in `names` (a JSON array of
 * strings, in order; NULL or empty: *out = NULL, nothing to send).
 * `who` names the prompt in messages. *out gets a new array
 * (cJSON_Delete). Returns 0; POPS_EINVALID for a bad name, a duplicate,
 * a tool defined nowhere ("prompts/x.prompt: tool 'lookup' is not
 * defined: add it under tools: in pops.yaml or as tools/lookup.json")
 * or a definition of the wrong shape (naming pops.yaml:line or the
 * file: unknown key, description not a string, parameters not a JSON
 * Schema object); POPS_ERROR.
 */
int pops_tools_resolve(cJSON **out, const pops_tools_source *src, const cJSON *names,
                       const char *who);

/*
 * Is `choice` (a prompt's toolChoice) usable with `names`? "auto",
 * "none", "required" (or "any", its Anthropic name), or one of the
 * names. 0 or POPS_EINVALID naming `who`.
 */
int pops_tools_choice_check(const char *choice, const cJSON *names, const char *who);

/* The definition named `name` in resolved `defs`, or NULL. */
const cJSON *pops_tools_find(const cJSON *defs, const char *name);

/*
 * The calls of a case record or result (`calls`: [{"name","arguments"}])
 * as one short line for reports: "lookup({\"id\":7}), send({})";
 * appended to `out`, arguments cut to 80 bytes each.
 */
void pops_tools_calls_line(pops_buf *out, const cJSON *calls);
#endif
