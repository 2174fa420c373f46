#ifndef POPS_CONFIGEDIT_H
#define POPS_CONFIGEDIT_H

#include <stddef.h>
#include "buf.h"

/*
 * Edits of pops.yaml as text, so that a user's comments, order and
 * spacing survive a `pops model pin` or an import: each function
 * rewrites the lines it must and copies every other line as it was.
 * The caller parses the result (pops_config_parse) before writing it:
 * these functions check the layout they edit, not the whole file.
 */

/*
 * Set `<section>.<key>` to `value`, one line of YAML (a flow mapping
 * such as `{ provider: openai, id: "x" }`), in the top-level block
 * mapping `section` (models, providers, pricing). An existing entry,
 * block or flow, is replaced in place; a new one is appended after the
 * last entry; a missing section (or `section: {}`) is created at the end.
 * `out` gets the new text. Returns 0, or POPS_EINVALID when the section
 * is in flow style ("pops.yaml:2: 'models' is written in flow style...").
 */
int pops_configedit_set(pops_buf *out, const char *yaml, size_t len, const char *section,
                        const char *key, const char *value);

/*
 * Append `- name: <env>` to the `environments` list. A file without the
 * key has the default order (dev, staging, prod), so the list written
 * for it starts with those (and is just those when `env` is one). `out` gets the new text. Returns 0 or
 * POPS_EINVALID when the list is in flow style.
 */
int pops_configedit_add_env(pops_buf *out, const char *yaml, size_t len, const char *env);

#endif
