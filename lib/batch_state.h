#ifndef POPS_BATCH_STATE_H
#define POPS_BATCH_STATE_H

#include <cjson/cJSON.h>

/*
 * The resumable state of `pops eval run --batch`: every batch submitted
 * to a provider, so that re-running the same command after Ctrl-C, a CI
 * timeout or a crash polls the same batches instead of paying twice.
 *
 * One JSON file, <root>/.pops/batches.json:
 *
 *   {"schema_version":1,"batches":[{"run","suite","provider","type",
 *    "base_url","id","requests","status","submitted","collected"}]}
 *
 * "run" is the key of the run that submitted it: the run's fingerprint
 * and a role (":model", ":judge"), so the same command (same prompt,
 * dataset, model, config) finds its batches again. "collected" is true
 * once the results are in the response cache. No API key, header or
 * request body is ever written: a provider is named, its key is read
 * from its environment variable when the batch is polled.
 *
 * Every change is a read-modify-write of the whole file, written to a
 * temporary file and renamed into place (readers see the old or the new
 * file, never half of one).
 */

/* where the state lives under a project root; NULL out of memory */
char *pops_batch_state_path(const char *root);

/*
 * Load the state (a missing file is an empty state) into *out, an
 * object with a "batches" array. POPS_EINVALID naming the file when it
 * is not such an object (delete it to start over); POPS_ERROR.
 */
int pops_batch_state_load(cJSON **out, const char *path);

/* Write the state atomically (creates .pops/ when needed). 0 or POPS_ERROR. */
int pops_batch_state_save(const char *path, const cJSON *state);

/*
 * Append `entry` (copied; must have "id" and "provider") and save.
 * 0, POPS_EINVALID (a bad file, or an entry without id), POPS_ERROR.
 */
int pops_batch_state_add(const char *path, const cJSON *entry);

/*
 * Update the entry of batch `id` of `provider`: its "status" to `status`
 * (when not NULL) and, when `collected`, "collected": true; then save.
 * 0, POPS_ENOTFOUND (no such entry), POPS_EINVALID, POPS_ERROR.
 */
int pops_batch_state_update(const char *path, const char *provider, const char *id,
                            const char *status, int collected);

/* the entry of batch `id` in a loaded state (any provider), or NULL */
const cJSON *pops_batch_state_find(const cJSON *state, const char *id);

#endif
