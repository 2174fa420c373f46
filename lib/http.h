#ifndef POPS_HTTP_H
#define POPS_HTTP_H

#include <signal.h>
#include <stddef.h>
#include "buf.h"

/*
 * The HTTP engine: one curl multi loop, at most `concurrency` requests in
 * flight (a request waiting for its retry backoff keeps its slot, so a
 * rate-limited provider is not hammered with new work), connections
 * reused across requests, a per-attempt timeout and an overall deadline,
 * retries with jittered exponential backoff, pacing by the provider's
 * rate-limit headers, cancellation through a flag
 * (set by the cmd layer's SIGINT handler) and capped response bodies.
 *
 * Retried: 408, 409, 429 (unless the quota is exhausted), 5xx, 529,
 * connection failures, timeouts and truncated replies, and anything the
 * server marks `x-should-retry: true` except 400/401/403/404. Never
 * retried: 400, 401, 403, 404, a quota-exhausted 429, TLS certificate
 * errors, an over-limit body, or `x-should-retry: false`. The backoff
 * honours `retry-after-ms` and `retry-after` (seconds or an HTTP date),
 * capped at retry_max_ms.
 *
 * Pacing: fewer requests are started than `concurrency` when the
 * provider asks. `x-ratelimit-remaining-requests` (and Anthropic's
 * `anthropic-ratelimit-requests-remaining`) caps the requests in flight
 * at what remains; `x-ratelimit-remaining-tokens` (and Anthropic's
 * tokens-remaining) at what remains divided by a request's estimated
 * tokens (body bytes / 4 plus POPS_HTTP_OUTPUT_TOKENS_GUESS); a 429
 * halves the limit, and each success raises it by one up to that cap. A
 * 429, 503 or 529 with retry-after holds every new request, not only the
 * retried one, until then.
 */

typedef struct pops_http_job pops_http_job;

/*
 * A job answered locally rather than over HTTP (an exec provider's
 * command), run by the same loop so that it takes a slot like any
 * request (-j), shares the deadline and cancellation, and never holds up
 * transfers in flight. The engine calls start() when the job takes a
 * slot; then, on each turn of the loop, step() to make progress without
 * blocking and wait_fds() for the descriptors to wake for; stop() when
 * the job must end early (its timeout, the deadline, cancel, abort). The
 * job's timeout_ms (else the engine's) bounds it from start() on; there
 * are no retries. release() frees local_ctx (pops_http_job_free calls it).
 */
typedef struct pops_http_local {
	/* 0, or negative with job->status and job->error set */
	int (*start)(pops_http_job *job);
	/* 1 when finished (job->status, job->error set), 0 not yet */
	int (*step)(pops_http_job *job);
	/* up to `max` fds and their poll(2) events (POLLIN/POLLOUT); how many;
	   0 while not finished: wake again within a few milliseconds */
	size_t (*wait_fds)(pops_http_job *job, int *fds, short *events, size_t max);
	/* end it now (kill, reap); idempotent */
	void (*stop)(pops_http_job *job);
	void (*release)(pops_http_job *job);
} pops_http_local;

/* why an attempt could not connect (pops_http_job.conn_failed) */
enum { POPS_HTTP_CONN_REFUSED = 1, POPS_HTTP_CONN_DNS, POPS_HTTP_CONN_TLS };

/* how many fds one local job may ask to be woken for */
#define POPS_HTTP_LOCAL_FDS 3

struct pops_http_job {
	/* set by the caller */
	char *url;               /* owned by the job */
	char **headers;          /* "Name: value" lines, NULL-terminated; owned */
	char *body;              /* POST body (owned); NULL = GET */
	size_t body_len;
	long timeout_ms;         /* per attempt; 0 = the engine's */
	long conn_retries;       /* retries after a failure to connect (refused, DNS, TLS);
	                            -1 (pops_http_job_new's) = max_retries like any failure */
	void *user;
	const pops_http_local *local;  /* non-NULL: not HTTP; url/headers/body unused */
	/*
	 * Optional tap on the body as it arrives (streamed replies): called
	 * with each piece after it is added to `response`, and with (NULL, 0)
	 * when an attempt starts (forget the last attempt's bytes; the
	 * attempt's clock starts now). Must not block.
	 */
	void (*on_data)(pops_http_job *job, const char *p, size_t n);
	void *local_ctx;               /* owned by the job; freed by local->release */

	/* results */
	int status;              /* POPS_OK (got a final HTTP answer, any code),
	                            POPS_EPROVIDER (network, retries exhausted with
	                            an HTTP error, over-limit body), POPS_EINTR */
	char *error;             /* one line when status != OK or http_status >= 400 */
	long http_status;
	pops_buf response;       /* body of the last attempt, capped */
	double latency_ms;       /* of the last attempt */
	unsigned attempts;
	unsigned rate_limited;   /* attempts answered 429 */
	int conn_failed;         /* the last attempt could not connect: POPS_HTTP_CONN_*, 0 if it did */
	size_t bytes;            /* body bytes received in the last attempt */

	/* engine-private */
	void *priv;
};

/* Allocate an empty job; NULL on out of memory. */
pops_http_job *pops_http_job_new(void);

/* Add a header line "Name: value" (copied). 0 or POPS_ERROR. */
int pops_http_job_header(pops_http_job *job, const char *name, const char *value);

/* Free a job and everything it owns. Accepts NULL. */
void pops_http_job_free(pops_http_job *job);

typedef struct pops_http_options {
	unsigned concurrency;
	long timeout_ms;           /* per attempt */
	long deadline_ms;          /* whole run; 0 = none */
	unsigned max_retries;
	long retry_base_ms;
	long retry_max_ms;
	size_t max_body;
	volatile sig_atomic_t *cancel;
} pops_http_options;

/*
 * Hand out the next job: set *out (ownership passes to the engine until
 * done()) and return 1; return 0 when there are no more; negative to
 * abort; or POPS_HTTP_LATER when the next job must wait until one in
 * flight finishes (a per-provider limit): it is asked again after each
 * completion (treated as "no more" when nothing is in flight). It is
 * called whenever a slot is free.
 */
#define POPS_HTTP_LATER 2
typedef int (*pops_http_next_fn)(void *payload, pops_http_job **out);

/*
 * A job is finished (success, final HTTP error, or failure). Ownership
 * of the job passes back to the caller, who frees it. Return 0 to go on,
 * negative to abort.
 */
typedef int (*pops_http_done_fn)(void *payload, pops_http_job *job);

/*
 * Run jobs until next() has no more and all are done. Every job handed
 * out is given back through done(), even on cancel or abort (status
 * POPS_EINTR). Returns 0, POPS_EINTR (cancelled or past the deadline),
 * the code a callback aborted with, or POPS_ERROR (curl broken).
 * Side effects: network traffic.
 */
int pops_http_run(const pops_http_options *opts, pops_http_next_fn next,
                  pops_http_done_fn done, void *payload);

/*
 * Should a reply with this status and body be retried? (also used by
 * tests). `should_retry` is the x-should-retry header: 1 true, 0 false,
 * -1 absent.
 */
int pops_http_retryable(long http_status, const char *body, int should_retry);

/*
 * Parse retry-after-ms / retry-after header values into milliseconds;
 * -1 when absent or unparsable. `now` is the current Unix time (for
 * HTTP dates).
 */
long pops_http_retry_after_ms(const char *retry_after_ms, const char *retry_after,
                              long long now);

#endif
