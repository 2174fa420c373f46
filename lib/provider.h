#ifndef POPS_PROVIDER_H
#define POPS_PROVIDER_H

#include <signal.h>
#include <stddef.h>
#include <cjson/cJSON.h>
#include "buf.h"
#include "config.h"

/*
 * Talking to models: one request in pops shape goes out in a provider's
 * wire format and comes back as one normalised result.
 *
 * The batch engine (pops_provider_run) is streaming so that memory stays
 * bounded whatever the number of cases: the caller hands requests out
 * one at a time through next() and takes results through done(); the
 * engine keeps at most `concurrency` requests in flight on one curl
 * multi handle, retries with jittered exponential backoff, serves and
 * fills the response cache, records or replays cassettes, and stops
 * cleanly when *cancel becomes non-zero (the cmd layer sets it from a
 * SIGINT handler) or the budget hook says stop.
 *
 * Provider types (pops.yaml `type:`): openai (any compatible base_url,
 * incl. Azure-style `.../openai/deployments/<d>?api-version=`), anthropic,
 * ollama (native /api/chat), exec (a command: request JSON on stdin,
 * response JSON on stdout) and replay (answers from a cassette only).
 *
 * A provider that is down stops being called: when its first requests
 * of a batch fail to connect (refused, DNS, TLS; retried only
 * POPS_PROVIDER_DOWN_RETRIES times while it has never answered) or are
 * refused with 401, 403 or 404, and none has been answered, the
 * requests for it that follow are not sent: each gets an error result
 * with `unsent` set, "not sent: provider 'x': <why>", at once (cache
 * hits are still served). Once it has answered, failures keep the
 * ordinary retry rules.
 *
 * API keys are read from the environment variable the provider names
 * (api_key_env) when a request is sent. They are never copied into
 * results, error messages, the cache or cassettes.
 */

/* one request, in pops shape */
typedef struct pops_provider_request {
	const pops_provider_cfg *provider; /* required; borrowed */
	const char *model_id;              /* the provider's model id (not an alias) */
	const cJSON *messages;             /* dotprompt shape: [{"role","content":[{"text"}]}] */
	const cJSON *config;               /* temperature, max_tokens, stop, seed, top_p; or NULL */
	const cJSON *output_schema;        /* JSON Schema for structured output, or NULL */
	unsigned repeat;                   /* repeat index: part of the cache key */
	void *user;                        /* the caller's tag, handed back in the result */
	int stream;                        /* 1: stream the reply (also config `stream: true`,
	                                      or options.stream); not for exec/replay */
	const cJSON *tools;                /* tool definitions [{"name","description"?,
	                                      "parameters"?}] (lib/tools.h), or NULL */
	const char *tool_choice;           /* "auto", "none", "required" or a tool's name;
	                                      NULL: the provider's default */
} pops_provider_request;

/* finish reasons, normalised across providers */
#define POPS_FINISH_STOP "stop"
#define POPS_FINISH_LENGTH "length"
#define POPS_FINISH_FILTER "content_filter"
#define POPS_FINISH_TOOLS "tool_calls"
#define POPS_FINISH_OTHER "other"

typedef struct pops_provider_result {
	int status;           /* POPS_OK; POPS_EPROVIDER (network, HTTP, bad body, timeout);
	                         POPS_EINVALID (config: unknown type, key variable unset);
	                         POPS_EINTR (cancelled before it finished) */
	char *error;          /* one line, never containing a key; NULL when status is OK */
	char *text;           /* the model's reply ("" when none); NULL only on error */
	char *finish_reason;  /* POPS_FINISH_*; NULL on error */
	long input_tokens;    /* normalised: cached tokens counted inside; -1 unknown */
	long output_tokens;   /* -1 unknown */
	long cached_tokens;   /* cache reads, 0 when none reported */
	long cache_write_tokens; /* Anthropic cache_creation_input_tokens (inside input_tokens); 0 none */
	int streamed;         /* 1: the reply came as a stream and ttft_ms is its time to first token */
	double ttft_ms;       /* streamed: from sending the attempt to the first non-empty content
	                         or tool-call delta (<= latency_ms); else 0 */
	double latency_ms;    /* of the successful attempt; a cache or cassette hit keeps
	                         the latency recorded when it was fetched; -1 for a Batch
	                         API answer (no per-request latency) */
	unsigned attempts;    /* HTTP attempts made (0 for cache/cassette hits) */
	long http_status;     /* of the last attempt; 0 when none */
	size_t bytes;         /* response body bytes of the last attempt */
	int cache_hit;        /* 1 when served from the cache or a cassette */
	int unsent;           /* 1: never sent, its provider is down (error says why) */
	unsigned rate_limited; /* 429 answers this request met, retries included */
	int priced;           /* 1 when pops.yaml has a price for the model */
	double cost_usd;      /* meaningful only when priced; never "0 because unknown" */
	double cost_estimate; /* a priced model's reply without token counts: USD from
	                         characters (4 per token, the request body and the text);
	                         counts against --max-cost, never reported as cost; else 0 */
	char *raw;            /* the raw response body, for debugging; may be NULL */
	cJSON *tool_calls;    /* the tool calls of the reply, [{"name","arguments"}] in order
	                         (arguments parsed JSON, or the raw string when it is not
	                         JSON); NULL when there are none */
	void *user;           /* request.user */
} pops_provider_result;

/* how an unsent result's error starts; the reason follows */
#define POPS_PROVIDER_UNSENT "not sent: "

/* Free the strings inside a result and zero it. Accepts NULL. */
void pops_provider_result_dispose(pops_provider_result *res);

/* cache behaviour */
typedef enum {
	POPS_CACHE_OFF = 0,     /* neither read nor write (--no-cache) */
	POPS_CACHE_USE,         /* read hits, write misses */
	POPS_CACHE_REFRESH      /* ignore hits, write results */
} pops_cache_mode;

/* cassette behaviour (record/replay) */
typedef enum {
	POPS_CASSETTE_NONE = 0,
	POPS_CASSETTE_RECORD,   /* call providers, append results to the cassette */
	POPS_CASSETTE_REPLAY    /* answer from the cassette only; a miss is an error */
} pops_cassette_mode;

typedef struct pops_provider_options {
	const pops_config *config;       /* pricing; may be NULL (everything unpriced) */
	unsigned concurrency;            /* requests in flight (-j); 0 = default */
	long timeout_ms;                 /* per attempt; 0 = provider's or default */
	long deadline_ms;                /* whole batch; 0 = none */
	unsigned max_retries;            /* retries after the first attempt */
	long retry_base_ms;              /* first backoff; doubles, jittered */
	long retry_max_ms;               /* cap on one backoff and on honoured retry-after */
	size_t max_body;                 /* response body cap in bytes */
	pops_cache_mode cache;
	const char *cache_dir;           /* e.g. "<root>/.pops/cache"; NULL = no cache */
	pops_cassette_mode cassette_mode;
	const char *cassette;            /* cassette file path */
	volatile sig_atomic_t *cancel;   /* stop when *cancel != 0; may be NULL */
	/*
	 * Called before each new request is taken from next(), with the cost
	 * spent so far in this batch (priced results that were not cache or
	 * cassette hits). Return non-zero to stop taking requests: the ones
	 * in flight finish and are delivered, and the run returns 0. May be
	 * NULL.
	 */
	int (*budget)(void *payload, double spent_usd);
	int stream;                      /* 1: every HTTP request streams (--stream) */
} pops_provider_options;

#define POPS_PROVIDER_OPTIONS_INIT { NULL, POPS_PROVIDER_CONCURRENCY, 0, 0, \
	POPS_PROVIDER_RETRIES, POPS_PROVIDER_RETRY_BASE_MS, POPS_PROVIDER_RETRY_MAX_MS, \
	POPS_PROVIDER_MAX_BODY, POPS_CACHE_USE, NULL, POPS_CASSETTE_NONE, NULL, NULL, NULL }

/*
 * Produce the next request into *req (zeroed by the engine first).
 * Return 1 when one was produced, 0 when there are no more, or a
 * negative POPS_E* code to abort the batch (its message is kept).
 * The pointers in *req must stay valid until next() is called again or
 * pops_provider_run returns: the engine copies what it needs at once.
 */
typedef int (*pops_provider_next_fn)(void *payload, pops_provider_request *req);

/*
 * Consume one result, in completion order (not request order). The
 * result is the engine's: take ownership of strings by setting the
 * fields to NULL, the rest is freed after done() returns. Return 0 to
 * go on or a negative POPS_E* code to abort the batch.
 */
typedef int (*pops_provider_done_fn)(void *payload, pops_provider_result *res);

/*
 * Run a batch. Every request next() produced gets exactly one done()
 * call, even on cancel (status POPS_EINTR) or abort. Per-request
 * failures are results, not batch errors.
 * Returns 0; POPS_EINTR when cancelled (*cancel or the deadline);
 * the code next()/done() returned when they aborted; POPS_EINVALID for
 * bad options or cassette files; POPS_ERROR for out of memory or a
 * broken curl. Side effects: network calls (money spent), cache files
 * written under cache_dir, the cassette written (record mode).
 */
int pops_provider_run(const pops_provider_options *opts,
                      pops_provider_next_fn next, pops_provider_done_fn done,
                      void *payload);

/*
 * One request, synchronously, through the same engine (used by `pops
 * model ping` and single renders). Returns what pops_provider_run
 * returns; the request's own outcome is in *out (dispose it).
 */
int pops_provider_call(pops_provider_result *out, const pops_provider_options *opts,
                       const pops_provider_request *req);

/*
 * Would the response cache answer `req` (opts->cache is POPS_CACHE_USE
 * with a cache_dir, and it holds this exact request)? 1 or 0; exec and
 * replay providers are never cached. Reads the cache; sends nothing.
 * For --dry-run.
 */
int pops_provider_cached(const pops_provider_options *opts, const pops_provider_request *req);

/*
 * Fill res->priced and res->cost_usd from pops.yaml pricing (USD per
 * million tokens; cached input at cached_input when given, else input;
 * Anthropic cache writes at cache_write when given, else input).
 * A model without a price, or a result without token counts, stays
 * unpriced (priced = 0): never $0.
 */
void pops_provider_price(pops_provider_result *res, const pops_config *cfg,
                         const char *model_id);

#endif
