#include "common.h"
#include <math.h>
#include <cjson/cJSON.h>
#include "cache.h"
#include "embed.h"
#include "http.h"
#include "jsonget.h"
#include "strutil.h"

/* ---- wire ---- */

int pops_embed_type_ok(const char *type)
{
	return type && (!strcmp(type, "openai") || !strcmp(type, "ollama"));
}

int pops_embed_url(pops_buf *out, const pops_provider_cfg *p)
{
	size_t n;

	pops_buf_clear(out);
	if (!pops_embed_type_ok(p->type))
		return pops_error_set(POPS_EINVALID, "provider '%s' of type %s has no embeddings "
		                      "endpoint (openai and ollama have)", p->name, p->type);
	if (!p->base_url)
		return pops_error_set(POPS_EINVALID, "provider '%s' has no base_url", p->name);
	n = strlen(p->base_url);
	while (n && p->base_url[n - 1] == '/')
		n--;
	pops_buf_put(out, p->base_url, n);
	pops_buf_puts(out, !strcmp(p->type, "openai") ? "/embeddings" : "/api/embed");
	return pops_buf_oom(out) ? pops_error_oom() : 0;
}

int pops_embed_body(pops_buf *out, const char *model_id, const char *const *texts, size_t n)
{
	cJSON *o = cJSON_CreateObject(), *in;
	char *s = NULL;
	size_t i;
	int error = 0;

	if (!o || !cJSON_AddStringToObject(o, "model", model_id) ||
	    !(in = cJSON_AddArrayToObject(o, "input"))) {
		error = pops_error_oom();
		goto done;
	}
	for (i = 0; i < n; i++)
		if (!cJSON_AddItemToArray(in, cJSON_CreateString(texts[i]))) {
			error = pops_error_oom();
			goto done;
		}
	if (!(s = cJSON_PrintUnformatted(o)) || pops_buf_sets(out, s) < 0)
		error = pops_error_oom();
done:
	cJSON_free(s);
	cJSON_Delete(o);
	return error;
}

/* the provider's error message in a reply: {"error":{"message"}} or {"error":"..."} */
static int reply_error(const cJSON *root)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	const char *m = cJSON_IsString(e) ? e->valuestring : pops_json_str(e, "message", NULL);

	return m ? pops_error_set(POPS_EPROVIDER, "%s", m) : 0;
}

/* one vector of `dim` numbers into row */
static int take_vector(float *row, const cJSON *v, size_t dim)
{
	const cJSON *x;
	size_t i = 0;

	if (!cJSON_IsArray(v) || (size_t)cJSON_GetArraySize(v) != dim)
		return pops_error_set(POPS_EPROVIDER, "embeddings reply has vectors of different sizes");
	cJSON_ArrayForEach(x, v) {
		if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
			return pops_error_set(POPS_EPROVIDER, "embeddings reply has a vector with a "
			                      "non-number");
		row[i++] = (float)x->valuedouble;
	}
	return 0;
}

/* the vectors in input order: Ollama's list as it is, OpenAI's by each item's index */
static int vectors_of(const cJSON *root, const char *type, size_t n, const cJSON **vs)
{
	const cJSON *it, *x;
	size_t i = 0;
	int ollama = !strcmp(type, "ollama");

	it = cJSON_GetObjectItemCaseSensitive(root, ollama ? "embeddings" : "data");
	if (!cJSON_IsArray(it))
		return pops_error_set(POPS_EPROVIDER, "embeddings reply has no '%s' list",
		                      ollama ? "embeddings" : "data");
	if ((size_t)cJSON_GetArraySize(it) != n)
		return pops_error_set(POPS_EPROVIDER, "embeddings reply has %d vectors for %zu inputs",
		                      cJSON_GetArraySize(it), n);
	cJSON_ArrayForEach(x, it) {
		double ix = ollama ? (double)i : pops_json_num(x, "index", (double)i);

		if (ix < 0 || ix >= (double)n || ix != (double)(size_t)ix || vs[(size_t)ix])
			return pops_error_set(POPS_EPROVIDER, "embeddings reply has a bad or repeated "
			                      "'index'");
		vs[(size_t)ix] = ollama ? x : cJSON_GetObjectItemCaseSensitive(x, "embedding");
		if (!vs[(size_t)ix])
			return pops_error_set(POPS_EPROVIDER, "embeddings reply has an item without "
			                      "'embedding'");
		i++;
	}
	return 0;
}

int pops_embed_parse(float **vecs, size_t *dim, long *tokens, const char *type,
                     const char *body, size_t len, size_t n)
{
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON **vs = NULL, *u;
	float *out = NULL;
	size_t i, d;
	int error = 0;

	*vecs = NULL;
	*dim = 0;
	*tokens = -1;
	if (!root) {
		error = pops_error_set(POPS_EPROVIDER, "embeddings reply is not JSON");
		goto done;
	}
	if ((error = reply_error(root)) < 0)
		goto done;
	if (!n || !(vs = calloc(n, sizeof(*vs)))) {
		error = n ? pops_error_oom() : pops_error_set(POPS_EPROVIDER, "no inputs");
		goto done;
	}
	if ((error = vectors_of(root, type, n, vs)) < 0)
		goto done;
	d = cJSON_IsArray(vs[0]) ? (size_t)cJSON_GetArraySize(vs[0]) : 0;
	if (!d) {
		error = pops_error_set(POPS_EPROVIDER, "embeddings reply has an empty vector");
		goto done;
	}
	if (!(out = calloc(n * d, sizeof(*out)))) {
		error = pops_error_oom();
		goto done;
	}
	for (i = 0; i < n; i++)
		if ((error = take_vector(out + i * d, vs[i], d)) < 0)
			goto done;
	u = cJSON_GetObjectItemCaseSensitive(root, "usage");
	*tokens = u ? pops_json_count(u, "prompt_tokens") : pops_json_count(root, "prompt_eval_count");
	*vecs = out;
	*dim = d;
	out = NULL;
done:
	free(out);
	free(vs);
	cJSON_Delete(root);
	return error;
}

double pops_embed_cosine(const float *a, const float *b, size_t dim)
{
	double ab = 0, aa = 0, bb = 0;
	size_t i;

	for (i = 0; i < dim; i++) {
		ab += (double)a[i] * b[i];
		aa += (double)a[i] * a[i];
		bb += (double)b[i] * b[i];
	}
	if (aa == 0 || bb == 0)
		return 0;
	ab /= sqrt(aa) * sqrt(bb);
	return ab > 1 ? 1 : ab < -1 ? -1 : ab;
}

/* ---- the embedder ---- */

enum { E_NEW, E_SENDING, E_DONE, E_FAILED, E_FREE };

struct entry {
	char *text;
	size_t len;
	uint64_t hash;
	float *vec;
	char *why;         /* E_FAILED: the reason */
	int state, pin;
	double tokens;     /* its share of its request's tokens, for the cache entry */
};

struct pops_embedder {
	pops_embed_options o;
	struct entry *v;
	size_t n, alloc;
	size_t dim;        /* of the first vector seen; later ones must match */
	pops_embed_stats st;
	pops_buf url;
	/* during a run */
	size_t cursor;
};

int pops_embedder_new(pops_embedder **out, const pops_embed_options *o)
{
	pops_embedder *e = calloc(1, sizeof(*e));

	*out = NULL;
	POPS_CHECK_ALLOC(e);
	e->o = *o;
	if (!e->o.batch)
		e->o.batch = POPS_EMBED_BATCH;
	e->url = (pops_buf)POPS_BUF_INIT;
	e->st.priced = o->popts && o->popts->config &&
	               pops_config_price(o->popts->config, o->model_id) != NULL;
	*out = e;
	return 0;
}

static void entry_clear(struct entry *en)
{
	free(en->text);
	free(en->vec);
	free(en->why);
	memset(en, 0, sizeof(*en));
	en->state = E_FREE;
}

void pops_embedder_free(pops_embedder *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->n; i++)
		entry_clear(&e->v[i]);
	free(e->v);
	pops_buf_dispose(&e->url);
	free(e);
}

static uint64_t hash_text(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

int pops_embedder_add(pops_embedder *e, const char *text, size_t len, int pin, size_t *id)
{
	uint64_t h = hash_text(text, len);
	size_t i, slot = SIZE_MAX;

	for (i = 0; i < e->n; i++) {
		struct entry *en = &e->v[i];

		if (en->state == E_FREE) {
			if (slot == SIZE_MAX)
				slot = i;
		} else if (en->hash == h && en->len == len && !memcmp(en->text, text, len)) {
			en->pin |= pin;
			*id = i;
			return 0;
		}
	}
	if (slot == SIZE_MAX) {
		if (e->n == e->alloc) {
			size_t na = e->alloc ? e->alloc * 2 : 64;
			struct entry *nv = realloc(e->v, na * sizeof(*nv));

			POPS_CHECK_ALLOC(nv);
			e->v = nv;
			e->alloc = na;
		}
		slot = e->n++;
	}
	memset(&e->v[slot], 0, sizeof(e->v[slot]));
	e->v[slot].state = E_FREE;
	POPS_CHECK_ALLOC((e->v[slot].text = pops_strndup(text, len)));
	e->v[slot].len = len;
	e->v[slot].hash = h;
	e->v[slot].pin = pin;
	e->v[slot].state = E_NEW;
	*id = slot;
	return 0;
}

void pops_embedder_forget(pops_embedder *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (e->v[i].state != E_FREE && !e->v[i].pin)
			entry_clear(&e->v[i]);
	while (e->n && e->v[e->n - 1].state == E_FREE)
		e->n--;
}

const pops_embed_stats *pops_embedder_stats(const pops_embedder *e)
{
	return &e->st;
}

const float *pops_embedder_vector(const pops_embedder *e, size_t id, size_t *dim,
                                  const char **why)
{
	const struct entry *en = id < e->n ? &e->v[id] : NULL;

	*dim = e->dim;
	*why = NULL;
	if (en && en->state == E_DONE)
		return en->vec;
	*why = en && en->why ? en->why : "not embedded";
	return NULL;
}

static void fail(struct entry *en, const char *why)
{
	free(en->why);
	en->why = pops_strdup(why ? why : "embeddings request failed");
	en->state = E_FAILED;
}

/* normalise `v` in place and keep it as the entry's vector (taking a copy) */
static int settle(pops_embedder *e, struct entry *en, const float *v, size_t dim)
{
	double nn = 0;
	size_t i;

	if (e->dim && dim != e->dim) {
		fail(en, "embeddings have a different dimension than the others of this run");
		return 0;
	}
	e->dim = dim;
	free(en->vec);
	POPS_CHECK_ALLOC((en->vec = malloc(dim * sizeof(*en->vec))));
	for (i = 0; i < dim; i++)
		nn += (double)v[i] * v[i];
	nn = nn > 0 ? sqrt(nn) : 1;
	for (i = 0; i < dim; i++)
		en->vec[i] = (float)(v[i] / nn);
	en->state = E_DONE;
	return 0;
}

/* ---- cache: one entry per text, the vector as the result's text ---- */

static void cache_key(const pops_embedder *e, const struct entry *en, char key[65])
{
	char type[64];

	snprintf(type, sizeof(type), "embeddings:%s", e->o.provider->type);
	pops_cache_key(key, type, e->o.provider->base_url ? e->o.provider->base_url : "",
	               e->o.model_id, en->text, en->len, 0);
}

static int cache_on(const pops_embedder *e, int reading)
{
	const pops_provider_options *p = e->o.popts;

	return p && p->cache_dir && (p->cache == POPS_CACHE_USE ||
	                             (!reading && p->cache == POPS_CACHE_REFRESH));
}

static double price_of(const pops_embedder *e, double tokens)
{
	const pops_price_cfg *p = e->o.popts && e->o.popts->config ?
	                          pops_config_price(e->o.popts->config, e->o.model_id) : NULL;

	return p ? tokens * p->input / 1e6 : 0;
}

static int from_cache(pops_embedder *e, struct entry *en)
{
	pops_provider_result res;
	char key[65];
	cJSON *arr = NULL, *x;
	float *v = NULL;
	size_t d, i = 0;
	int error = 0;

	memset(&res, 0, sizeof(res));
	cache_key(e, en, key);
	if (pops_cache_get(&res, e->o.popts->cache_dir, key) < 0)
		return 0;
	arr = res.text ? cJSON_Parse(res.text) : NULL;
	d = cJSON_IsArray(arr) ? (size_t)cJSON_GetArraySize(arr) : 0;
	if (!d || !(v = calloc(d, sizeof(*v))))
		goto done;     /* a damaged entry is a miss */
	cJSON_ArrayForEach(x, arr) {
		if (!cJSON_IsNumber(x) || i >= d)
			goto done;
		v[i++] = (float)x->valuedouble;
	}
	if ((error = settle(e, en, v, d)) == 0 && en->state == E_DONE) {
		e->st.cached++;
		if (res.input_tokens > 0)
			e->st.saved_usd += price_of(e, (double)res.input_tokens);
	}
done:
	free(v);
	cJSON_Delete(arr);
	pops_provider_result_dispose(&res);
	return error;
}

static void to_cache(const pops_embedder *e, const struct entry *en)
{
	pops_provider_result res;
	pops_buf t = POPS_BUF_INIT;
	char key[65];
	size_t i;

	pops_buf_putc(&t, '[');
	for (i = 0; i < e->dim; i++)
		pops_buf_printf(&t, "%s%.9g", i ? "," : "", (double)en->vec[i]);
	pops_buf_putc(&t, ']');
	memset(&res, 0, sizeof(res));
	res.text = t.ptr;
	res.finish_reason = (char *)"stop";
	res.input_tokens = (long)(en->tokens + 0.5);
	res.output_tokens = 0;
	cache_key(e, en, key);
	/* a cache that cannot be written costs a request next time, nothing more */
	if (!pops_buf_oom(&t))
		(void)pops_cache_put(e->o.popts->cache_dir, key, &res);
	pops_buf_dispose(&t);
}

/* ---- requests ---- */

struct ejob {
	size_t *ids;
	size_t n;
};

static int job_headers(pops_http_job *job, const pops_provider_cfg *p)
{
	const cJSON *hs = cJSON_GetObjectItemCaseSensitive(p->node, "headers"), *h;
	const char *key = p->api_key_env ? getenv(p->api_key_env) : NULL;
	pops_buf v = POPS_BUF_INIT;
	int error = pops_http_job_header(job, "Content-Type", "application/json");

	if (!error && key && *key) {
		const cJSON *av = cJSON_GetObjectItemCaseSensitive(p->node, "api_version");
		int azure = !strcmp(p->type, "openai") && cJSON_IsString(av);

		if (!azure)
			pops_buf_puts(&v, "Bearer ");
		pops_buf_puts(&v, key);
		error = pops_buf_oom(&v) ? pops_error_oom() :
		        pops_http_job_header(job, azure ? "api-key" : "Authorization", v.ptr);
		/* the key is not left behind in freed memory */
		if (v.ptr)
			memset(v.ptr, 0, v.size);
	}
	cJSON_ArrayForEach(h, hs)
		if (!error && cJSON_IsString(h))
			error = pops_http_job_header(job, h->string, h->valuestring);
	pops_buf_dispose(&v);
	return error;
}

static int build_job(pops_embedder *e, pops_http_job **out, struct ejob *ej)
{
	const char **texts = calloc(ej->n, sizeof(*texts));
	pops_buf body = POPS_BUF_INIT;
	pops_http_job *job = pops_http_job_new();
	size_t i;
	int error;

	if (!texts || !job) {
		error = pops_error_oom();
		goto done;
	}
	for (i = 0; i < ej->n; i++)
		texts[i] = e->v[ej->ids[i]].text;
	if ((error = pops_embed_body(&body, e->o.model_id, texts, ej->n)) < 0 ||
	    (error = job_headers(job, e->o.provider)) < 0)
		goto done;
	if (!(job->url = pops_strdup(e->url.ptr))) {
		error = pops_error_oom();
		goto done;
	}
	job->body_len = body.size;
	job->body = pops_buf_detach(&body);
	job->user = ej;
	*out = job;
	job = NULL;
done:
	free(texts);
	pops_buf_dispose(&body);
	pops_http_job_free(job);
	return error;
}

static int http_next(void *payload, pops_http_job **out)
{
	pops_embedder *e = payload;
	struct ejob *ej;
	int error;

	while (e->cursor < e->n && e->v[e->cursor].state != E_NEW)
		e->cursor++;
	if (e->cursor >= e->n)
		return 0;
	POPS_CHECK_ALLOC((ej = calloc(1, sizeof(*ej))));
	if (!(ej->ids = calloc(e->o.batch, sizeof(*ej->ids)))) {
		free(ej);
		return pops_error_oom();
	}
	for (; e->cursor < e->n && ej->n < e->o.batch; e->cursor++)
		if (e->v[e->cursor].state == E_NEW) {
			e->v[e->cursor].state = E_SENDING;
			ej->ids[ej->n++] = e->cursor;
		}
	if ((error = build_job(e, out, ej)) < 0) {
		free(ej->ids);
		free(ej);
	}
	return error < 0 ? error : 1;
}

/* a finished request: every one of its texts settled, or failed with its reason */
static int http_done(void *payload, pops_http_job *job)
{
	pops_embedder *e = payload;
	struct ejob *ej = job->user;
	float *vecs = NULL;
	const char *why = NULL;
	size_t dim = 0, i;
	long tokens = -1;
	int error = 0;

	e->st.requests++;
	if (job->status != POPS_OK)
		why = job->error ? job->error : "embeddings request failed";
	else if (job->http_status >= 400) {
		const char *m;
		cJSON *root = cJSON_ParseWithLength(job->response.ptr, job->response.size);

		/* the provider's own message when it gave one, else the HTTP error */
		why = job->error ? job->error : "embeddings request failed";
		if (reply_error(root) < 0 && (m = pops_error_last()))
			why = m;
		cJSON_Delete(root);
	} else if (pops_embed_parse(&vecs, &dim, &tokens, e->o.provider->type, job->response.ptr,
	                          job->response.size, ej->n) < 0)
		why = pops_error_last();
	if (tokens > 0) {
		e->st.input_tokens += tokens;
		e->st.cost_usd += price_of(e, (double)tokens);
	}
	for (i = 0; i < ej->n && !error; i++) {
		struct entry *en = &e->v[ej->ids[i]];

		if (why || !vecs) {
			fail(en, why);
			continue;
		}
		en->tokens = tokens > 0 ? (double)tokens / (double)ej->n : 0;
		if ((error = settle(e, en, vecs + i * dim, dim)) == 0 && en->state == E_DONE) {
			e->st.embedded++;
			if (cache_on(e, 0))
				to_cache(e, en);
		}
	}
	free(vecs);
	free(ej->ids);
	free(ej);
	pops_http_job_free(job);
	return error;
}

static void http_opts(const pops_embedder *e, pops_http_options *h)
{
	const pops_provider_options *p = e->o.popts;

	memset(h, 0, sizeof(*h));
	h->concurrency = p && p->concurrency ? p->concurrency : POPS_PROVIDER_CONCURRENCY;
	h->timeout_ms = p && p->timeout_ms ? p->timeout_ms : POPS_PROVIDER_TIMEOUT_MS;
	h->deadline_ms = p ? p->deadline_ms : 0;
	h->max_retries = p ? p->max_retries : POPS_PROVIDER_RETRIES;
	h->retry_base_ms = p ? p->retry_base_ms : POPS_PROVIDER_RETRY_BASE_MS;
	h->retry_max_ms = p ? p->retry_max_ms : POPS_PROVIDER_RETRY_MAX_MS;
	h->max_body = p && p->max_body ? p->max_body : POPS_PROVIDER_MAX_BODY;
	h->cancel = p ? p->cancel : NULL;
}

int pops_embedder_run(pops_embedder *e)
{
	pops_http_options h;
	size_t i, todo = 0;
	int error;

	for (i = 0; i < e->n; i++) {
		if (e->v[i].state != E_NEW)
			continue;
		if (cache_on(e, 1) && (error = from_cache(e, &e->v[i])) < 0)
			return error;
		todo += e->v[i].state == E_NEW;
	}
	if (!todo)
		return 0;
	if (pops_embed_url(&e->url, e->o.provider) < 0) {
		for (i = 0; i < e->n; i++)
			if (e->v[i].state == E_NEW)
				fail(&e->v[i], pops_error_last());
		return 0;
	}
	http_opts(e, &h);
	e->cursor = 0;
	error = pops_http_run(&h, http_next, http_done, e);
	/* texts a cancelled run never sent */
	for (i = 0; i < e->n; i++)
		if (e->v[i].state == E_NEW || e->v[i].state == E_SENDING)
			fail(&e->v[i], "embeddings request not sent (cancelled)");
	return error;
}
