#ifndef POPS_HTTP_TRACE_H
#define POPS_HTTP_TRACE_H

#include <stddef.h>
#include "buf.h"
#include "http.h"

/*
 * Debug tracing of provider HTTP traffic, in the style of curl -v:
 *   "[N] * POST <url> (attempt 1)"  what the engine does
 *   "[N] > Name: value"             request headers
 *   "[N] < HTTP/1.1 200 OK"         response status line and headers
 * N is the engine's connection slot, so interleaved requests can be told
 * apart. lib/ never prints: lib/http hands each line to a sink the cmd
 * layer sets (POPS_DEBUG=http). With no sink every call is a no-op.
 *
 * Secrets are redacted before the sink sees a line, and never partially:
 * the values of Authorization, Proxy-Authorization, x-api-key, api-key,
 * x-goog-api-key, Cookie, Set-Cookie and of any header whose name
 * contains "key", "secret", "auth", "password", "session" or "token" (but
 * not "tokens": rate-limit counters stay readable); URL user
 * information; the values of query parameters named key, api_key, apikey,
 * access_token or token; and in traced bodies, anything shaped like a
 * provider key ("sk-..." and the like).
 */

/* Receives one line (no newline). */
typedef void (*pops_http_trace_fn)(void *payload, const char *line);

#define POPS_HTTP_TRACE_BODIES 1u   /* also request and response bodies, truncated */
#define POPS_HTTP_TRACE_BODY_MAX 2048

/* Set the process-wide sink (fn NULL: tracing off). Not thread-safe: set
 * it once, before any traffic. */
void pops_http_trace_set(pops_http_trace_fn fn, void *payload, unsigned flags);

/* 1 when a sink is set. */
int pops_http_trace_on(void);

/*
 * Append header line `line` (`len` bytes, trailing CR/LF dropped) with its
 * value replaced by "[redacted]" when the name is sensitive. 0 or
 * POPS_ERROR (out of memory).
 */
int pops_http_redact_header(pops_buf *out, const char *line, size_t len);

/* Append `url` with user information and key-like query values redacted. */
int pops_http_redact_url(pops_buf *out, const char *url);

/*
 * Append at most `max` bytes of body `p` on one line (control bytes
 * escaped as \n, \xNN) and "... (N more bytes)" when cut. Redacted:
 * key-shaped tokens ("sk-" and 8 or more key characters, which covers a
 * provider echoing a masked key back) and any occurrence of the value of a
 * sensitive header among `headers` ("Name: value" lines, NULL-terminated;
 * may be NULL). 0 or POPS_ERROR.
 */
int pops_http_redact_body(pops_buf *out, const char *p, size_t n, size_t max,
                          char *const *headers);

/* ---- called by lib/http.c ---- */

/* an attempt starts: method, URL, request headers, body */
void pops_http__trace_request(unsigned conn, const pops_http_job *job);
/* a response header line as curl delivers it (status line included) */
void pops_http__trace_header(unsigned conn, const char *line, size_t len);
/*
 * An attempt ended: `error` is curl's message (NULL when an HTTP answer
 * came); retry_ms >= 0 when it is retried after that delay, -1 when the
 * job is handed back. The response body is traced with BODIES.
 */
void pops_http__trace_end(unsigned conn, const pops_http_job *job, const char *error,
                          long retry_ms);

#endif
