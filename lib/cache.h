#ifndef POPS_CACHE_H
#define POPS_CACHE_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "provider.h"

/*
 * The response cache and cassettes.
 *
 * Cache: one file per response under <dir>/<2 hex>/<62 hex>.json, the
 * name being the SHA-256 of the provider type, base_url, model id, the
 * exact request body and the repeat index (never the API key, which is
 * not part of the body). Entries are written to a temporary file and
 * renamed into place, so readers see whole entries; an entry that does
 * not parse or names another key is treated as a miss and replaced.
 *
 * Cassette: one committable JSON Lines file holding results keyed by the
 * model id, the request in pops shape (messages, config, output schema)
 * and the repeat index, so it replays whatever the provider's base_url
 * or type. No keys, no headers, no raw bodies.
 */

/* The cache key (64 hex chars + NUL). */
void pops_cache_key(char out[65], const char *type, const char *base_url,
                    const char *model_id, const char *body, size_t body_len,
                    unsigned repeat);

/*
 * Look a key up. Returns 0 and fills `out` (text, finish reason, tokens;
 * cache_hit = 1), or POPS_ENOTFOUND on a miss or a corrupt entry.
 */
int pops_cache_get(pops_provider_result *out, const char *dir, const char *key);

/* Store a successful result. 0 or POPS_ERROR (the message names the path). */
int pops_cache_put(const char *dir, const char *key, const pops_provider_result *res);

typedef struct pops_cache_stats {
	size_t entries;
	size_t corrupt;
	unsigned long long bytes;
} pops_cache_stats;

/* Count entries under `dir` (a missing dir is an empty cache). */
int pops_cache_stat(pops_cache_stats *out, const char *dir);

/* Remove every entry under `dir`; *removed gets the count. 0 or POPS_ERROR. */
int pops_cache_clear(size_t *removed, const char *dir);

typedef struct pops_cassette pops_cassette;

/*
 * Load a cassette. `must_exist`: a missing file is POPS_ENOTFOUND (replay),
 * otherwise an empty cassette (record). A malformed line is POPS_EINVALID
 * naming file:line.
 */
int pops_cassette_open(pops_cassette **out, const char *path, int must_exist);

/* The cassette key of a request. 0 or POPS_ERROR. */
int pops_cassette_key(char out[65], const pops_provider_request *req);

/* 0 and `out` filled (cache_hit = 1), or POPS_ENOTFOUND. */
int pops_cassette_get(pops_provider_result *out, const pops_cassette *c, const char *key);

/* Add or replace an entry (in memory until saved). 0 or POPS_ERROR. */
int pops_cassette_put(pops_cassette *c, const char *key, const char *model_id,
                      unsigned repeat, const pops_provider_result *res);

/* Write the cassette atomically, entries sorted by key. 0 or POPS_ERROR. */
int pops_cassette_save(pops_cassette *c);

/* Number of entries. */
size_t pops_cassette_size(const pops_cassette *c);

void pops_cassette_free(pops_cassette *c);

#endif
