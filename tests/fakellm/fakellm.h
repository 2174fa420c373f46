#ifndef FAKELLM_H
#define FAKELLM_H

/*
 * fakellm: a loopback fake LLM server for tests and benchmarks.
 * fakellm.c is the event loop and HTTP/1.1 framing; replies.c turns one
 * parsed request into one reply (wire formats, judge mode, faults).
 */

#include "common.h"
#include <cjson/cJSON.h>

typedef struct fk_header {
	const char *name;   /* lower-cased in place */
	const char *value;
} fk_header;

typedef struct fk_request {
	const char *method;
	const char *path;        /* without the query string */
	const char *query;       /* after '?', or "" */
	fk_header *headers;
	size_t nheaders;
	const char *body;
	size_t body_len;
} fk_request;

/* how the reply's bytes leave the server */
enum {
	FK_SEND_NORMAL = 0,
	FK_SEND_DROP,      /* headers and half the body, then close */
	FK_SEND_RESET,     /* close without answering */
	FK_SEND_TRICKLE,   /* one byte every trickle_ms */
	FK_SEND_HUGE       /* a generated body of huge_size bytes */
};

/* the most chunks a streamed reply is cut into */
#define FK_MAX_CHUNKS 256

typedef struct fk_reply {
	int status;
	const char *content_type;
	pops_buf headers;        /* extra "Name: value\r\n" lines */
	pops_buf body;
	int send;                /* FK_SEND_* */
	long latency_ms;
	long trickle_ms;
	size_t huge_size;
	int is_fault;
	/* a streamed reply: chunk i ends at body offset marks[i]; chunks leave
	   chunk_ms apart (the first after latency_ms); drop_after > 0 closes
	   the connection after that many chunks, mid-body */
	size_t marks[FK_MAX_CHUNKS];
	size_t nmarks;
	long chunk_ms;
	long drop_after;
} fk_reply;

typedef struct fk_config {
	long latency_ms;
	const char *fault;       /* default fault for every request, or NULL */
	long fail_times;         /* a fault hits only the first N arrivals of a request; 0 = all */
	const char *retry_after; /* seconds, sent with 429/503/529 faults */
	const char *retry_after_ms;
	long trickle_ms;
	int judge;               /* answer every request as a judge */
	const char *verdict;     /* forced judge verdict */
	const char *reply;       /* fixed reply text */
	long cached_tokens;
	int no_usage;            /* replies carry no token counts (some local servers) */
	const char *api_key;     /* when set, requests must carry it */
	const char *models;      /* comma-separated ids for GET /models */
	size_t huge_size;
	long stream_chunks;      /* streamed text in N chunks; 0 = 8-byte pieces */
	long chunk_ms;           /* between chunks of a streamed reply */
	long stream_drop;        /* drop the connection after N chunks (0 = never) */
	long stream_end;         /* end the body cleanly after N chunks, no final event */
	long cache_write_tokens; /* Anthropic cache_creation_input_tokens when cache_control is sent */
	long batch_ms;           /* batch.c: how long each stage of a batch lasts (default 1000) */
} fk_config;

/* batch.c: the Batch API routes; 1 when `req` was one of them (rep filled), else 0 */
int fk_batch_handle(const fk_config *cfg, const fk_request *req, fk_reply *rep);

/* Build the reply to one request. Never fails: errors become HTTP errors. */
void fk_handle(const fk_config *cfg, const fk_request *req, fk_reply *rep);

/*
 * Embeddings endpoints and /__embed_stats (embed.c): 1 when it answered
 * the request into `rep`, 0 when fk_handle is to.
 */
int fk_embed_handle(const fk_config *cfg, const fk_request *req, fk_reply *rep);

/* Header look-up (name lower case), NULL when absent. */
const char *fk_header_get(const fk_request *req, const char *name);

/* statistics kept by the server, shown by GET /__stats */
typedef struct fk_stats {
	unsigned long requests, faults, connections, chat, models;
	unsigned long by_status[600];
	unsigned long openai, anthropic, ollama;
} fk_stats;
extern fk_stats fk_stats_g;

/* requests waiting for their reply (latency) now: what x-fakellm-rate-limit counts */
extern unsigned long fk_waiting;

/* append the JSON of the stats / recent requests */
void fk_stats_json(pops_buf *out);
void fk_requests_json(pops_buf *out);
void fk_stats_reset(void);

/* one request as a JSON line with secrets redacted (for --log, /__requests) */
void fk_request_json(pops_buf *out, const fk_request *req);

/* remember a request (for /__requests); cheap copy */
void fk_remember(const fk_request *req);

/* count arrivals of the same request under a fault, for fail_times */
unsigned long fk_arrival_count(const fk_request *req);

#endif
