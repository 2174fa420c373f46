#ifndef POPS_WIRE_H
#define POPS_WIRE_H

#include "buf.h"
#include "provider.h"

/*
 * Provider wire formats: pops requests to HTTP request bodies and
 * provider replies back to normalised results. Pure functions (no
 * network, no environment), so tests check them against exact JSON.
 *
 *   openai     POST <base_url>/chat/completions (+ ?api-version= when the
 *              provider sets api_version: Azure-style, key in `api-key`)
 *   anthropic  POST <base_url>/v1/messages: system split out, max_tokens
 *              always sent, structured output through a forced tool
 *   ollama     POST <base_url>/api/chat with stream false
 *
 * Streaming (req->stream, or config `stream: true`): OpenAI gets stream
 * true and stream_options {include_usage: true} (usage comes in the last
 * chunk before `data: [DONE]`), Anthropic stream true (message_start,
 * content_block_delta, message_delta whose usage is cumulative,
 * message_stop), Ollama stream true (NDJSON, the last line `done: true`).
 * Config keys that are pops's own (`stream`, `cache`) are never sent.
 * `cache: true` on Anthropic sends the system prompt as one text block
 * with cache_control {type: ephemeral} (a prompt-cache breakpoint).
 */

/* the max_tokens Anthropic gets when the request names none (it is required) */
#define POPS_ANTHROPIC_DEFAULT_MAX_TOKENS 1024
#define POPS_ANTHROPIC_VERSION "2023-06-01"
/* the tool name structured output uses on Anthropic */
#define POPS_ANTHROPIC_OUTPUT_TOOL "pops_output"

/* 1 if pops knows how to talk to providers of this type */
int pops_wire_known_type(const char *type);

/*
 * The request body for an HTTP provider (openai, anthropic, ollama).
 * Returns 0, or POPS_EINVALID (bad messages shape, unknown type) with a
 * message naming the problem.
 */
int pops_wire_body(pops_buf *out, const pops_provider_request *req);

/*
 * The endpoint URL for the request's provider (the model is part of the
 * body, except for Azure deployments where it is in base_url).
 */
int pops_wire_url(pops_buf *out, const pops_provider_cfg *provider);

/* The models-list URL (GET) for `pops model check --online`. */
int pops_wire_models_url(pops_buf *out, const pops_provider_cfg *provider);

/*
 * The header lines (besides content-type) a request needs, without the
 * key: `key_header` gets the name of the header that carries the key
 * ("Authorization" with a "Bearer " prefix, "x-api-key", "api-key"), or
 * NULL when the provider takes none.
 */
void pops_wire_key_header(const pops_provider_cfg *provider, const char **key_header,
                          const char **key_prefix);

/*
 * Parse a provider reply into `res` (text, finish_reason, tokens).
 * http_status >= 400 or an error object in a 200 reply gives
 * POPS_EPROVIDER with the provider's message (sanitised, one line).
 * A body that is not JSON or lacks the reply gives POPS_EPROVIDER too.
 * res->status is set to the return value.
 */
int pops_wire_parse(pops_provider_result *res, const char *type, long http_status,
                    const char *body, size_t len);

/*
 * NUL bytes in model output. cJSON strings end at the first NUL, so a
 * reply whose text holds "\u0000" (or a raw NUL byte) would be cut there
 * without a word. pops_wire_nul_mark copies `body` into `out` with every
 * \u0000 escape and raw NUL byte replaced by one marker byte (a byte that
 * never occurs in UTF-8 and does not occur in the body) and returns that
 * marker (> 0); 0 when the body has no NUL (`out` untouched: use the
 * body as is); POPS_EPROVIDER when no marker byte is free, POPS_ERROR on
 * out of memory. The offsets of the text parsed from `out` are those of
 * the real text.
 */
int pops_wire_nul_mark(pops_buf *out, const char *body, size_t len);

/*
 * After parsing a marked body: when res->text holds `marker`, the result
 * becomes the error "model output contains a NUL byte at offset N"
 * (POPS_EPROVIDER: a per-case error, never a pass or a failure). Returns
 * res->status.
 */
int pops_wire_nul_check(pops_provider_result *res, int marker);

/* 1 if an HTTP error body says the quota or credit is exhausted */
int pops_wire_quota_exhausted(const char *body);

/*
 * Flatten the text of a pops message's content (string, or parts with
 * "text") into `out`; media parts are skipped.
 */
int pops_wire_content_text(pops_buf *out, const cJSON *content);

/*
 * Tool calls. Requests with tools (req->tools, lib/tools.h definitions)
 * send them as OpenAI and Ollama `tools` [{type: function, function:
 * {name, description, parameters}}] and Anthropic `tools` [{name,
 * description, input_schema}]; req->tool_choice maps to OpenAI
 * tool_choice ("auto", "none", "required", {type: function, function:
 * {name}}) and Anthropic tool_choice {type: auto|none|any|tool, name}
 * ("required" is Anthropic's "any"); Ollama has none. Replies' calls
 * (OpenAI message.tool_calls, Anthropic tool_use blocks other than
 * pops_output, Ollama message.tool_calls; streamed: OpenAI tool-call
 * deltas, Anthropic input_json_delta) become res->tool_calls.
 *
 * pops_wire_tool_call_add appends {"name","arguments"} to *calls
 * (created when NULL): `args` a string is parsed as JSON (kept as the
 * string when it is not JSON; "" is {}), another value copied, NULL {}.
 * 0 or POPS_ERROR.
 */
int pops_wire_tool_call_add(cJSON **calls, const char *name, const cJSON *args);

/*
 * An incremental parser of a streamed reply (SSE for openai and
 * anthropic, NDJSON for ollama): bytes go in as they arrive, split
 * anywhere; the assembled result equals what the non-streaming reply
 * would give (text, finish reason, tokens incl. cached ones).
 */
typedef struct pops_wire_stream pops_wire_stream;

/* A parser for provider `type`; NULL when out of memory or for a type without streaming. */
pops_wire_stream *pops_wire_stream_new(const char *type);

/* Forget everything fed so far (a new attempt). */
void pops_wire_stream_reset(pops_wire_stream *s);

/*
 * Feed the next bytes. Returns 1 once the first token has arrived (a
 * non-empty content, tool-call or tool-input delta), in this call or
 * before; 0 until then. Never fails: bad events are remembered and
 * reported by finish.
 */
int pops_wire_stream_feed(pops_wire_stream *s, const char *p, size_t n);

/*
 * The stream has ended: fill `res` (text, finish_reason, tokens) and
 * return POPS_OK, or POPS_EPROVIDER with res->error set when it carried
 * an error event or a malformed event, or ended before its final event
 * (`[DONE]`, message_stop, `done: true`): an interrupted stream is a
 * provider error, never a truncated output. res->status is set.
 */
int pops_wire_stream_finish(pops_wire_stream *s, pops_provider_result *res);

/* Free a parser. Accepts NULL. */
void pops_wire_stream_free(pops_wire_stream *s);

#endif
