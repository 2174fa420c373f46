#ifndef POPS_BATCH_H
#define POPS_BATCH_H

#include <stddef.h>
#include "buf.h"
#include "provider.h"

/*
 * Provider Batch APIs (`pops eval run --batch`): the requests a run
 * would send one by one go to the provider as one asynchronous batch at
 * half the price, and come back within the provider's window (24 h).
 *
 *   openai     (and compatible) upload the requests as JSONL
 *              (POST <base>/files, purpose "batch"; one line
 *              {"custom_id","method":"POST","url":"/v1/chat/completions",
 *              "body":{...}}), POST <base>/batches (completion_window 24h,
 *              metadata naming the suite), poll GET <base>/batches/{id}
 *              (validating, in_progress, finalizing, completed; failed,
 *              expired, cancelling, cancelled), download output_file_id
 *              and error_file_id (GET <base>/files/{id}/content).
 *   anthropic  POST <base>/v1/messages/batches {"requests":[{custom_id,
 *              params}]}, poll GET .../batches/{id} (processing_status
 *              in_progress, canceling, ended), stream results_url: one
 *              line per request, result type succeeded, errored,
 *              canceled or expired.
 *
 * A request body is exactly what the normal path sends (pops_wire_body,
 * never streamed), and its custom_id is its response-cache key, so the
 * results are joined by custom_id in whatever order they come, and fill
 * the cache: a later plain run, or the judge pass, reuses them. Requests
 * the cache already holds are never submitted. Past a provider's limits
 * (OpenAI 50,000 requests or 200 MB per file, Anthropic 100,000 or
 * 256 MB per batch) the requests are split into several batches.
 *
 * Never pay twice: every batch is recorded in the state file
 * (lib/batch_state.h) under the run's key the moment it is created;
 * a later run with the same key first waits for and collects those
 * batches, then submits only what is still missing.
 */

#define POPS_BATCH_OPENAI_MAX_REQUESTS 50000
#define POPS_BATCH_OPENAI_MAX_BYTES (200u * 1024 * 1024)
#define POPS_BATCH_ANTHROPIC_MAX_REQUESTS 100000
#define POPS_BATCH_ANTHROPIC_MAX_BYTES (256u * 1024 * 1024)
/* polling: the first wait, doubling up to the cap */
#define POPS_BATCH_POLL_MS 5000
#define POPS_BATCH_POLL_MAX_MS 60000

/*
 * Can `p` take batches? 1 for openai (not Azure-style api_version) and
 * anthropic; 0 with a message naming the provider and its type.
 */
int pops_batch_supported(const pops_provider_cfg *p);

/* a batch as the provider reports it, normalised */
typedef struct pops_batch_status {
	char *id;
	char *status;      /* the provider's own word (in_progress, ended, completed, ...) */
	long total;        /* requests in the batch; -1 unknown */
	long succeeded;    /* answered */
	long failed;       /* errored, expired or cancelled */
	int ended;         /* no more change: results can be fetched */
	char *output;      /* openai: output_file_id; anthropic: results_url; or NULL */
	char *errors;      /* openai: error_file_id, or NULL */
} pops_batch_status;

void pops_batch_status_dispose(pops_batch_status *st);

/*
 * Parse a batch object (the reply to create, get or cancel) of provider
 * `type` into `st`. 0, or POPS_EPROVIDER when it is not one.
 */
int pops_batch_parse_status(pops_batch_status *st, const char *type, const char *json,
                            size_t len);

/*
 * One request of a batch, appended to `out`: for openai a JSONL line
 * (with its newline); for anthropic one element of "requests" (no
 * separator). `body` is the request body pops_wire_body built. 0,
 * POPS_EINVALID (body not JSON), POPS_ERROR.
 */
int pops_batch_line(pops_buf *out, const char *type, const char *custom_id, const char *body,
                    size_t len);

/*
 * One line of a results file (openai output or error file, anthropic
 * results): *custom_id gets the id (free it; NULL when the line has
 * none) and `res` the answer as pops_wire_parse gives it for a normal
 * reply, or POPS_EPROVIDER with the provider's reason for an errored,
 * expired or cancelled request. Returns res->status, or POPS_ERROR out of
 * memory.
 */
int pops_batch_parse_line(char **custom_id, pops_provider_result *res, const char *type,
                          const char *line, size_t len);

/*
 * Price a batch answer: pops.yaml's batch_input / batch_output when the
 * model's price gives them, else half of input / output (cached input
 * and cache writes at half their price). Unpriced stays unpriced.
 */
void pops_batch_price(pops_provider_result *res, const pops_config *cfg, const char *model_id);

/* GET the batch `id` of provider `p` (its key from its variable). 0 or POPS_EPROVIDER/EINVALID. */
int pops_batch_get(pops_batch_status *st, const pops_provider_cfg *p, const char *id,
                   const pops_provider_options *opts);

/* Ask the provider to cancel batch `id`; `st` gets the batch as it answers (cancelling). */
int pops_batch_cancel(pops_batch_status *st, const pops_provider_cfg *p, const char *id,
                      const pops_provider_options *opts);

typedef struct pops_batch_options {
	const char *state_path;  /* lib/batch_state.h file; required */
	const char *run_key;     /* what the batches are recorded under; required */
	const char *label;       /* the suite, for metadata and `pops eval batches` */
	long poll_ms;            /* first wait between polls; 0 = POPS_BATCH_POLL_MS */
	long poll_max_ms;        /* cap of the doubling wait; 0 = POPS_BATCH_POLL_MAX_MS */
	unsigned max_polls;      /* give up waiting (the batch stays recorded) after so many
	                            polls of one batch; 0 = until it ends */
	size_t max_requests;     /* split into batches of at most so many; 0 = the provider's */
	/* one line of progress ("batch b_1 (openai): in_progress 3/10 done, 0 failed"); may be NULL */
	void (*note)(void *payload, const char *line);
	void *note_payload;
} pops_batch_options;

/*
 * A drop-in for pops_provider_run (the same contract: every request
 * next() produced gets one done() call) that answers from the response
 * cache, then from the batches recorded under bo->run_key, then from new
 * batches. Results of batches are cached, priced at the batch price
 * (pops_batch_price), attempts 1, latency -1 (none). Waits (sleeping, polling
 * with backoff) until every batch has ended.
 *
 * Returns 0; POPS_EINTR when *opts->cancel was set or max_polls ran out
 * (the undelivered requests get POPS_EINTR results; their batches stay
 * recorded, so the same command resumes them); POPS_EPROVIDER when a
 * submission failed (its requests get that error); POPS_ERROR.
 */
int pops_batch_run(const pops_batch_options *bo, const pops_provider_options *opts,
                   pops_provider_next_fn next, pops_provider_done_fn done, void *payload);

#endif
