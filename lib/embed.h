#ifndef POPS_EMBED_H
#define POPS_EMBED_H
#include <stddef.h>
#include "buf.h"
#include "config.h"
#include "provider.h"
/*
 * Embeddings: texts to vectors through an embeddings model, for the
 * `similar` assertion (lib/assertion_similar.c, the runner's similar
 * pass in lib/eval_run_similar.c).
 *
 * Wire formats: OpenAI-compatible `POST <base_url>/embeddings` with
 * {"model", "input": [texts]} (many inputs per request; the reply's
 * data[i].index says which input a vector is), and Ollama `POST
 * <base_url>/api/embed` with {"model", "input": [texts]} answering
 * {"embeddings": [[...], ...]}. Other provider types have no embeddings.
 *
 * An embedder collects texts (each distinct text once), then embeds
 * every one not yet known: first from the response cache (one entry per
 * text, keyed by "embeddings:" + the provider type, base_url, model id
 * and the text), then the rest in requests of at most `batch` inputs,
 * at most `concurrency` at once, through lib/http (retries, timeouts,
 * cancel). Vectors are L2-normalised when stored. Texts added with `pin`
 * stay known for the embedder's life (the expected side of `similar`,
 * embedded once per run); pops_embedder_forget drops the others.
 */

/* inputs per embeddings request unless the options say otherwise */
#define POPS_EMBED_BATCH 256

/* 1 when provider type `type` has an embeddings endpoint (openai, ollama) */
int pops_embed_type_ok(const char *type);

/* The endpoint of provider `p`. 0, or POPS_EINVALID for a type without one. */
int pops_embed_url(pops_buf *out, const pops_provider_cfg *p);

/*
 * The request body for `n` texts (exact bytes, tested): OpenAI and
 * Ollama alike {"model":<id>,"input":[...]} (replaces `out`). 0 or
 * POPS_ERROR.
 */
int pops_embed_body(pops_buf *out, const char *model_id, const char *const *texts, size_t n);

/*
 * Parse a reply to a request of `n` inputs: `n` vectors of one
 * dimension into *vecs (n * *dim floats, row i for input i, caller
 * frees), token usage into *tokens (-1 when the reply has none).
 * 0, or POPS_EPROVIDER with a one-line message ("embeddings reply has 2
 * vectors for 3 inputs", the provider's own error message).
 */
int pops_embed_parse(float **vecs, size_t *dim, long *tokens, const char *type,
                     const char *body, size_t len, size_t n);

/*
 * Cosine similarity of two vectors of `dim` floats: -1..1; 0 when either
 * is all zeros.
 */
double pops_embed_cosine(const float *a, const float *b, size_t dim);

typedef struct pops_embed_options {
	const pops_provider_cfg *provider;   /* borrowed; openai or ollama */
	const char *model_id;                /* the provider's model id */
	const pops_provider_options *popts;  /* concurrency, timeouts, retries, body cap,
	                                        cache mode and dir, cancel, pricing */
	size_t batch;                        /* inputs per request; 0 = POPS_EMBED_BATCH */
} pops_embed_options;

typedef struct pops_embed_stats {
	size_t requests;      /* embeddings requests sent (and answered or failed) */
	size_t embedded;      /* texts embedded by those requests */
	size_t cached;        /* texts the cache answered */
	long input_tokens;    /* reported by the provider; 0 when none */
	int priced;           /* pops.yaml has a price for the model */
	double cost_usd;      /* of the requests sent (input tokens at the input price) */
	double saved_usd;     /* what the cache hits cost when fetched */
} pops_embed_stats;

typedef struct pops_embedder pops_embedder;

/* A new embedder; 0 or POPS_ERROR (out of memory). The options are copied. */
int pops_embedder_new(pops_embedder **out, const pops_embed_options *o);
void pops_embedder_free(pops_embedder *e);

/*
 * Add a text (copied) unless the embedder has it; *id gets its handle.
 * `pin`: keep it across pops_embedder_forget. 0 or POPS_ERROR.
 */
int pops_embedder_add(pops_embedder *e, const char *text, size_t len, int pin, size_t *id);

/*
 * Embed every text added and not yet known. A failed request is not a
 * failure of the call: its texts get its error (pops_embedder_vector).
 * 0; POPS_EINTR when cancelled; POPS_ERROR (out of memory, curl).
 * Side effects: network calls (money spent), cache files written.
 */
int pops_embedder_run(pops_embedder *e);

/*
 * The vector of text `id` (after a run): borrowed, L2-normalised, `*dim`
 * floats; NULL with *why (borrowed) when it could not be embedded.
 */
const float *pops_embedder_vector(const pops_embedder *e, size_t id, size_t *dim,
                                  const char **why);

/* Drop every text not pinned; handles of the dropped ones become invalid. */
void pops_embedder_forget(pops_embedder *e);

/* What the runs so far did. */
const pops_embed_stats *pops_embedder_stats(const pops_embedder *e);
#endif
