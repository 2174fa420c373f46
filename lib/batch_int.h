#ifndef POPS_BATCH_INT_H
#define POPS_BATCH_INT_H
/* Internals shared by batch.c (the engine) and batch_api.c (the providers' HTTP). */
#include "batch.h"

/*
 * One HTTP request to provider `p`: `path` after its batch base
 * ("/batches", "/files"; an absolute URL is taken as is), `body` NULL
 * for GET, `ctype` its content type (NULL: JSON). The reply body in
 * `out`. 0 with a 2xx answer; POPS_EPROVIDER with the provider's
 * message otherwise; POPS_EINVALID (the key variable unset).
 */
int pops_batch__http(pops_buf *out, const pops_provider_cfg *p, const char *path,
                     const char *body, size_t len, const char *ctype,
                     const pops_provider_options *opts);

/*
 * Create one batch of provider `p` from `payload` (openai: the JSONL
 * lines; anthropic: the request elements, comma-separated), `n`
 * requests, metadata naming `label`. `st` gets the new batch.
 */
int pops_batch__submit(pops_batch_status *st, const pops_provider_cfg *p, const pops_buf *payload,
                       const char *label, const pops_provider_options *opts);
#endif
