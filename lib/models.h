#ifndef POPS_MODELS_H
#define POPS_MODELS_H

#include "buf.h"

/*
 * Model id rules: which ids float (move to new weights without notice),
 * which are retired, the snapshot to pin instead of a floating name, and
 * editing the `models:` section of pops.yaml (through configedit.h).
 * The rules are data tables in models.c, one row per provider family
 * with the reason shown to the user.
 */

/*
 * 1 if `id` is floating for a provider of `type` ("latest", "*-latest",
 * an undated id where the provider publishes dated snapshots, Ollama's
 * implicit or explicit :latest tag), with *reason set to a borrowed
 * sentence saying why; 0 otherwise.
 */
int pops_model_floating(const char *type, const char *id, const char **reason);

/*
 * The dated snapshot to suggest for the floating `id` ("gpt-4o-mini" ->
 * "gpt-4o-mini-2024-07-18"), borrowed from a table; NULL when unknown.
 */
const char *pops_model_snapshot(const char *id);

/*
 * 1 if `id` is in the retired-models table, with its retirement date
 * (YYYY-MM-DD) and a suggested replacement (borrowed; may be NULL).
 * `today` (YYYY-MM-DD) decides between retired (date <= today: returns 1)
 * and announced (returns 2: still served until the date).
 */
int pops_model_retired(const char *id, const char *today, const char **date,
                       const char **replacement);

/*
 * Rewrite pops.yaml text so that models.<alias> is
 * `{ provider: P, id: "I" }` (plus `allow_floating: true` when asked),
 * keeping every other line, and comments, as they were: an existing
 * entry is replaced in place, a new one is appended to the models block,
 * and a missing block is added at the end. `out` gets the new text.
 * Returns 0, or POPS_EINVALID when the models section is in a form it
 * cannot edit (the message says so). The caller validates the result.
 */
int pops_model_pin_text(pops_buf *out, const char *yaml, size_t len, const char *alias,
                        const char *provider, const char *id, int allow_floating);

#endif
