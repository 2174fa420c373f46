/*
 * fakellm embeddings: OpenAI-compatible POST .../embeddings and Ollama
 * POST /api/embed, both {"model", "input": text | [texts]}.
 *
 * A text's vector is deterministic, so tests can predict which pairs are
 * similar: the text is ASCII-lowercased and padded with one space at each
 * end, each 3-byte window (character trigram) is hashed (FNV-1a) into one
 * of FK_EMBED_DIM counters, and the counts are L2-normalised. Texts that
 * share most of their trigrams have a cosine near 1; unrelated ones near
 * 0; an empty text is the zero vector. Usage: 4 bytes per token, rounded
 * up, per input. An input holding "[[embed-error]]" makes the whole
 * request a 400 ("fakellm: embeddings input refused").
 *
 * GET /__embed_stats answers {"requests": N, "inputs": M}: embeddings
 * requests and the texts they carried (reset by /__reset).
 */
#include "fakellm.h"
#include <math.h>
#include "strutil.h"

#define FK_EMBED_DIM 256

static unsigned long embed_requests, embed_inputs;

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* the vector of one text into v[FK_EMBED_DIM] */
static void fk_embed_vector(double *v, const char *text, size_t len)
{
	double nn = 0;
	size_t i, j;

	memset(v, 0, FK_EMBED_DIM * sizeof(*v));
	for (i = 0; i + 3 <= len + 2; i++) {
		uint64_t h = 1469598103934665603ULL;

		for (j = i; j < i + 3; j++) {
			/* position j of " text " */
			unsigned char c = j == 0 || j == len + 1 ? ' ' : (unsigned char)text[j - 1];

			h = (h ^ (unsigned char)tolower(c)) * 1099511628211ULL;
		}
		v[h % FK_EMBED_DIM] += 1;
	}
	for (i = 0; i < FK_EMBED_DIM; i++)
		nn += v[i] * v[i];
	if (nn > 0)
		for (i = 0; i < FK_EMBED_DIM; i++)
			v[i] /= sqrt(nn);
}

static void reply_json(fk_reply *rep, int status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	rep->status = status;
	pops_buf_puts(&rep->body, s ? s : "{}");
	pops_buf_putc(&rep->body, '\n');
	cJSON_free(s);
	cJSON_Delete(o);
}

static void refuse(fk_reply *rep, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");

	cJSON_AddStringToObject(e, "type", "invalid_request_error");
	cJSON_AddStringToObject(e, "message", msg);
	reply_json(rep, status, o);
}

static cJSON *vector_json(const char *text)
{
	double v[FK_EMBED_DIM];
	cJSON *a = cJSON_CreateArray();
	size_t i;

	fk_embed_vector(v, text, strlen(text));
	for (i = 0; i < FK_EMBED_DIM; i++)
		cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i]));
	return a;
}

static void answer(fk_reply *rep, const cJSON *body, const cJSON *inputs, int ollama)
{
	const cJSON *it, *model = cJSON_GetObjectItemCaseSensitive(body, "model");
	cJSON *o = cJSON_CreateObject(), *list;
	long tokens = 0;
	int i = 0;

	cJSON_AddStringToObject(o, "model", cJSON_IsString(model) ? model->valuestring : "");
	list = cJSON_AddArrayToObject(o, ollama ? "embeddings" : "data");
	if (!ollama)
		cJSON_AddStringToObject(o, "object", "list");
	cJSON_ArrayForEach(it, inputs) {
		cJSON *item;

		tokens += (long)(strlen(it->valuestring) + 3) / 4;
		embed_inputs++;
		if (ollama) {
			cJSON_AddItemToArray(list, vector_json(it->valuestring));
			continue;
		}
		item = cJSON_CreateObject();
		cJSON_AddStringToObject(item, "object", "embedding");
		cJSON_AddNumberToObject(item, "index", i++);
		cJSON_AddItemToObject(item, "embedding", vector_json(it->valuestring));
		cJSON_AddItemToArray(list, item);
	}
	if (ollama) {
		cJSON_AddNumberToObject(o, "prompt_eval_count", (double)tokens);
	} else {
		cJSON *u = cJSON_AddObjectToObject(o, "usage");

		cJSON_AddNumberToObject(u, "prompt_tokens", (double)tokens);
		cJSON_AddNumberToObject(u, "total_tokens", (double)tokens);
	}
	reply_json(rep, 200, o);
}

static void embeddings(const fk_request *req, fk_reply *rep, int ollama)
{
	cJSON *body = cJSON_ParseWithLength(req->body, req->body_len), *inputs = NULL;
	const cJSON *in = cJSON_GetObjectItemCaseSensitive(body, "input"), *it;

	embed_requests++;
	rep->content_type = "application/json";
	if (cJSON_IsString(in)) {
		inputs = cJSON_CreateArray();
		cJSON_AddItemToArray(inputs, cJSON_CreateString(in->valuestring));
	} else if (cJSON_IsArray(in) && cJSON_GetArraySize(in) > 0) {
		inputs = cJSON_Duplicate(in, 1);
	}
	if (!inputs) {
		refuse(rep, 400, "fakellm: 'input' must be a string or a non-empty list of strings");
		goto done;
	}
	cJSON_ArrayForEach(it, inputs) {
		if (!cJSON_IsString(it)) {
			refuse(rep, 400, "fakellm: 'input' must be a string or a list of strings");
			goto done;
		}
		if (strstr(it->valuestring, "[[embed-error]]")) {
			refuse(rep, 400, "fakellm: embeddings input refused");
			goto done;
		}
	}
	answer(rep, body, inputs, ollama);
done:
	cJSON_Delete(inputs);
	cJSON_Delete(body);
}

int fk_embed_handle(const fk_config *cfg, const fk_request *req, fk_reply *rep)
{
	int post = !strcmp(req->method, "POST");

	(void)cfg;
	if (!strcmp(req->path, "/__reset")) {
		embed_requests = embed_inputs = 0;
		return 0;   /* fk_handle resets the rest and answers */
	}
	if (!strcmp(req->path, "/__embed_stats")) {
		rep->status = 200;
		rep->content_type = "application/json";
		pops_buf_printf(&rep->body, "{\"requests\":%lu,\"inputs\":%lu}\n", embed_requests,
		                embed_inputs);
		return 1;
	}
	if (post && (ends_with(req->path, "/embeddings") || !strcmp(req->path, "/api/embed"))) {
		embeddings(req, rep, !strcmp(req->path, "/api/embed"));
		return 1;
	}
	return 0;
}
