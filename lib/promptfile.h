#ifndef POPS_PROMPTFILE_H
#define POPS_PROMPTFILE_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "buf.h"
#include "template.h"
#include "picoschema.h"

/*
 * .prompt files (dotprompt format): optional YAML frontmatter between
 * `---` lines (comment and blank lines may precede it), then a Handlebars
 * body. Parsing validates the frontmatter, converts Picoschema, and
 * compiles the body (and every partial it uses) once; rendering produces
 * messages in dotprompt's shape:
 *   [{"role":"user","content":[{"text":"..."},
 *                              {"media":{"url":"...","contentType":"..."}}]}]
 *
 * Frontmatter keys: name, description, model, config, input {schema,
 * default}, output {format, schema}, tools (names), toolChoice,
 * metadata, variant, version,
 * and dotted `ns.key` extension keys (collected under ext: {ns: {key}}).
 * Every key, known or not, is preserved verbatim under "raw".
 */

typedef struct pops_prompt pops_prompt;

typedef struct pops_prompt_options {
	pops_partial_loader load_partial;   /* NULL: no partials */
	void *partial_payload;
	const char *partial_dir;            /* for messages: "<dir>/_<name>.prompt" */
	pops_schema_resolver resolve_schema; /* named schemas; NULL: none known */
	void *schema_payload;
	int confine;   /* pops_prompt_load_file: the file must resolve inside prompts_root */
} pops_prompt_options;

#define POPS_PROMPT_OPTIONS_INIT { NULL, NULL, NULL, NULL, NULL, 0 }

/*
 * Parse and compile `len` bytes. `filename` names the file in messages
 * and gives the default name/variant (`name.variant.prompt`); may be NULL.
 * Returns 0 and a prompt freed with pops_prompt_free(), or POPS_EINVALID
 * with "file:line:col: problem" (invalid UTF-8, frontmatter YAML or shape,
 * Picoschema, template syntax, missing partial), or the loader's error.
 * Names of schemas nobody could resolve are not errors: they become
 * warnings (pops_prompt_warning) and the schema is left out.
 */
int pops_prompt_parse(pops_prompt **out, const char *data, size_t len, const char *filename,
                      const pops_prompt_options *opts);

void pops_prompt_free(pops_prompt *p);

/* Borrowed from the prompt. model: NULL when the file names none. */
const char *pops_prompt_model(const pops_prompt *p);
const cJSON *pops_prompt_config(const pops_prompt *p);        /* an object, never NULL */
const cJSON *pops_prompt_input_schema(const pops_prompt *p);  /* JSON Schema or NULL */
const cJSON *pops_prompt_output_schema(const pops_prompt *p); /* JSON Schema or NULL */
const cJSON *pops_prompt_input_default(const pops_prompt *p); /* object or NULL */
/*
 * The tool names of frontmatter `tools:` (an array of strings; NULL when
 * none) and `toolChoice` (NULL when not given): lib/tools.h resolves the
 * names to definitions.
 */
const cJSON *pops_prompt_tools(const pops_prompt *p);
const char *pops_prompt_tool_choice(const pops_prompt *p);
/* The whole resolved metadata: the keys above plus ext, raw, tools, ... */
const cJSON *pops_prompt_metadata(const pops_prompt *p);
const pops_template *pops_prompt_template(const pops_prompt *p);
/* The file name given to pops_prompt_parse (or "prompt"). */
const char *pops_prompt_filename(const pops_prompt *p);
/* The template body as compiled (after frontmatter, trimmed). */
const char *pops_prompt_body(const pops_prompt *p);

/* Non-fatal problems ("file:line:col: ..."), e.g. unresolved schema names. */
size_t pops_prompt_warning_count(const pops_prompt *p);
const char *pops_prompt_warning(const pops_prompt *p, size_t i);

typedef struct pops_render_options {
	const cJSON *context;   /* @-variables: {"state": {...}} gives {{@state.x}}; may be NULL */
	const cJSON *history;   /* messages for {{history}} (array); may be NULL */
	const cJSON *defaults;  /* replaces the frontmatter's input.default; may be NULL */
	int no_validate;        /* skip checking variables against input.schema */
} pops_render_options;

#define POPS_RENDER_OPTIONS_INIT { NULL, NULL, NULL, 0 }

/*
 * Render with `vars` (an object, or NULL for none) merged over
 * input.default (shallow, as dotprompt does). Unless no_validate, the
 * merged variables are checked against the input schema when one exists
 * and variables or defaults were given. *out receives a new messages
 * array. Returns 0, POPS_EINVALID ("file: input.age: expected a number,
 * got string"; partial recursion), or POPS_ERROR. `ro` may be NULL.
 */
int pops_prompt_render(cJSON **out, const pops_prompt *p, const cJSON *vars,
                       const pops_render_options *ro);

/*
 * What `pops render --json` prints: {"schema_version":1, "name", "model",
 * "config", "output" (if any), "messages"}. Same rules as
 * pops_prompt_render.
 */
int pops_prompt_render_result(cJSON **out, const pops_prompt *p, const cJSON *vars,
                              const pops_render_options *ro);

/*
 * pops_prompt_render_result's object without "messages" (which it
 * appends last): what does not depend on the variables, for a caller
 * that renders one prompt many times and prints this part once
 * (lib/runtime.c). 0 or POPS_ERROR.
 */
int pops_prompt_result_head(cJSON **out, const pops_prompt *p);

/* Where pops_prompt_dir_loader looks. */
typedef struct pops_prompt_dirs {
	const char *const *dirs;   /* searched in order; NULL-terminated */
	const char *root;          /* the prompts directory, or NULL */
} pops_prompt_dirs;

/*
 * A partial loader for files in the working tree: `payload` is a
 * const pops_prompt_dirs *; partial "a/b" is read from
 * "<dir>/a/_b.prompt" in the first directory that has it. Names with ".."
 * components, absolute names or control characters are not found. A
 * partial must resolve inside `root` when its directory is in `root`, else
 * inside its directory (pops_confine_read: a symlink out is POPS_EINVALID,
 * the same rule as render by name). Files over POPS_PROMPT_MAX_BYTES are
 * POPS_EINVALID.
 */
int pops_prompt_dir_loader(void *payload, const char *name, pops_buf *out);

/*
 * Read and parse the .prompt file at `path`, with partials from the
 * file's directory and then `prompts_root` (may be NULL). `opts` may be
 * NULL; its loader, if set, replaces the directory loader. With
 * opts->confine (a file found by walking the prompts directory) the file
 * itself is read with pops_confine_read: a symlink out of `prompts_root`
 * is POPS_EINVALID, as for render by name. Returns what pops_prompt_parse
 * returns, or POPS_ENOTFOUND / POPS_EINVALID / POPS_ERROR from reading.
 */
int pops_prompt_load_file(pops_prompt **out, const char *path, const char *prompts_root,
                          const pops_prompt_options *opts);

/*
 * Turn rendered template text into messages, inserting `history` (may be
 * NULL) where {{history}} stood or before the last user message. Only the
 * markers in `marks` (what pops_template_render_marked() recorded; NULL =
 * none) make structure: a <<<dotprompt:...>>> string anywhere else in
 * `text` is text. Exposed for tests.
 */
int pops_prompt_to_messages(cJSON **out, const char *text, size_t len,
                            const pops_template_marks *marks, const cJSON *history);

/*
 * The line (1-based) of the `---` that opens the frontmatter of `len`
 * bytes, by the rule pops_prompt_parse uses, or 0 when there is none.
 * For partial files, which dotprompt includes whole, frontmatter lines
 * and all (lib/partialfile.h).
 */
unsigned pops_prompt_frontmatter_line(const char *data, size_t len);

/*
 * Where the frontmatter of a .prompt file is: the one rule every reader
 * of a .prompt file in pops uses (parse, list, diff, promote, partials),
 * so a file that renders also lists and promotes with its metadata.
 * dotprompt's rule: comment (`#`) and blank lines may come before the
 * opening `---`; the opening and closing lines are `---` alone (trailing
 * blanks and \r allowed); the closing one must end with a line break.
 * Without a closing line the whole file is template text.
 */
typedef struct pops_prompt_split {
	int has;                   /* 1: frontmatter found; else all is body */
	size_t fm_start, fm_end;   /* the YAML bytes, [fm_start, fm_end) */
	size_t body_start;         /* first byte after the closing line */
	unsigned fm_line;          /* line (1-based) of the first YAML byte */
	unsigned body_line;        /* line of body_start */
	unsigned eof_close_line;   /* a closing '---' without a line break, or 0 */
} pops_prompt_split;

/* Fill `out` for the `len` bytes at `data`; never fails, allocates nothing. */
void pops_prompt_split_frontmatter(pops_prompt_split *out, const char *data, size_t len);

/*
 * The frontmatter of `len` bytes as JSON, split by
 * pops_prompt_split_frontmatter, without the checks pops_prompt_parse
 * makes (for readers that only want a key, such as `description`).
 * `*out` (the caller's, cJSON_Delete) is an empty object when there is no
 * frontmatter or it is empty; `*body_off` is where the body starts (0
 * without frontmatter). `label` names the file in messages. Returns
 * POPS_EINVALID ("label:line:col: ...") when the YAML does not parse or
 * is not a mapping, POPS_ERROR when out of memory; `*out` is NULL then.
 */
int pops_prompt_frontmatter(cJSON **out, size_t *body_off, const char *data, size_t len,
                            const char *label);

#endif
