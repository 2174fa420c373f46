#ifndef POPS_EVAL_PROMPT_H
#define POPS_EVAL_PROMPT_H
#include <cjson/cJSON.h>
#include "repo.h"
#include "closure.h"
/*
 * The prompt under test, as the eval runner needs it: its bytes resolved
 * from an address (or a file path), its blob id for evidence, the model
 * and config its frontmatter names, and rendering to messages per case.
 */
typedef struct pops_eval_prompt pops_eval_prompt;

/*
 * Load `address`: an existing file path is read as is; anything else is
 * resolved through `repo` (name, name@N, name:env, name#rev). `repo` may
 * be NULL when only file paths are used. Returns 0, POPS_ENOTFOUND,
 * POPS_EINVALID (bad address, bad .prompt) or POPS_ERROR.
 */
int pops_eval_prompt_load(pops_eval_prompt **out, pops_repo *repo, const char *address);

/* Parse .prompt bytes directly (judge prompts). `name` is for messages. */
int pops_eval_prompt_parse(pops_eval_prompt **out, const char *data, size_t len,
                           const char *name);

/* Borrowed; valid as long as the prompt. */
const char *pops_eval_prompt_name(const pops_eval_prompt *p);
const char *pops_eval_prompt_blob(const pops_eval_prompt *p);     /* 40 hex */
const char *pops_eval_prompt_model(const pops_eval_prompt *p);    /* or NULL */
const cJSON *pops_eval_prompt_config(const pops_eval_prompt *p);  /* object or NULL */
const cJSON *pops_eval_prompt_output_schema(const pops_eval_prompt *p); /* or NULL */
const cJSON *pops_eval_prompt_partials(const pops_eval_prompt *p); /* {"name":"blob"} */
/* frontmatter `tools` (names; NULL: none) and `toolChoice` (or NULL) */
const cJSON *pops_eval_prompt_tools(const pops_eval_prompt *p);
const char *pops_eval_prompt_tool_choice(const pops_eval_prompt *p);
/* what every render reads: [["question"], ["user","name"]] (pops_template_required_vars) */
const cJSON *pops_eval_prompt_required(const pops_eval_prompt *p);
const cJSON *pops_eval_prompt_input_schema(const pops_eval_prompt *p);  /* or NULL */
const cJSON *pops_eval_prompt_input_default(const pops_eval_prompt *p); /* object or NULL */
/* name:env with a closure: what was released (its model), else NULL. Borrowed. */
const pops_closure *pops_eval_prompt_release(const pops_eval_prompt *p);

/*
 * Render with `vars` to messages in dotprompt shape (new array in *out).
 * 0, POPS_EINVALID (variables do not fit the input schema) or POPS_ERROR.
 */
int pops_eval_prompt_render(cJSON **out, const pops_eval_prompt *p, const cJSON *vars);

/*
 * The same for a conversation: `turns` (a dataset row's `messages`,
 * [{"role": user|assistant|system, "content": string}], may be NULL) is
 * passed as dotprompt's history: where the template has {{history}},
 * else before its last user message (as dotprompt's insertHistory does).
 * Turns become dotprompt messages: assistant is role "model", the
 * content one text part. Same returns.
 */
int pops_eval_prompt_render_turns(cJSON **out, const pops_eval_prompt *p, const cJSON *vars,
                                  const cJSON *turns);

void pops_eval_prompt_free(pops_eval_prompt *p);
#endif
