#include "common.h"
#include <math.h>
#include <time.h>
#include "provider.h"
#include "cache.h"
#include "http.h"
#include "provider_int.h"
#include "strutil.h"
#include "wire.h"

/* what the engine remembers about one request while it is in flight */
typedef struct pending {
	void *user;
	char *model_id;
	char *type;
	char *key;              /* the API key value, to scrub from replies; wiped on free */
	char cache_key[65];
	char cassette_key[65];
	unsigned repeat;
	int cacheable;
	size_t request_bytes;   /* the request body, for a cost estimate without usage */
	const pops_provider_cfg *prov;  /* for max_concurrency accounting */
	pops_wire_stream *stream;       /* a streamed request: its parser, fed as bytes arrive */
	double t0_ms;                   /* when its attempt started (monotonic) */
	double ttft_ms;                 /* first token of this attempt; < 0 not yet */
} pending;

/* per provider: requests in flight (for `max_concurrency`), and whether it is up */
typedef struct inflight {
	const pops_provider_cfg *prov;
	unsigned n;
	int answered;           /* an HTTP answer below 400 came: it is up */
	char *down;             /* why it is taken to be down: later requests are not sent */
} inflight;

typedef struct run {
	const pops_provider_options *opts;
	pops_provider_next_fn next;
	pops_provider_done_fn done;
	void *payload;
	pops_cassette *cassette;
	pops_cassette *replay;  /* of a `type: replay` provider, opened on first use */
	double spent;
	inflight *flights;
	size_t nflights;
	pops_http_job *parked;  /* built, waiting for its provider's max_concurrency */
	int stop;               /* budget said stop */
	int abort_error;
} run;

void pops_provider_result_dispose(pops_provider_result *res)
{
	if (!res)
		return;
	free(res->error);
	free(res->text);
	free(res->finish_reason);
	free(res->raw);
	cJSON_Delete(res->tool_calls);
	memset(res, 0, sizeof(*res));
}

void pops_provider_price(pops_provider_result *res, const pops_config *cfg,
                         const char *model_id)
{
	const pops_price_cfg *p = cfg && model_id ? pops_config_price(cfg, model_id) : NULL;
	double cached_rate, write_rate;
	long cached, written;

	res->priced = 0;
	res->cost_usd = 0;
	if (!p || res->input_tokens < 0 || res->output_tokens < 0)
		return;
	cached = res->cached_tokens > 0 ? res->cached_tokens : 0;
	if (cached > res->input_tokens)
		cached = res->input_tokens;
	written = res->cache_write_tokens > 0 ? res->cache_write_tokens : 0;
	if (written > res->input_tokens - cached)
		written = res->input_tokens - cached;
	cached_rate = p->cached_input >= 0 ? p->cached_input : p->input;
	write_rate = p->cache_write >= 0 ? p->cache_write : p->input;
	res->cost_usd = ((double)(res->input_tokens - cached - written) * p->input +
	                 (double)cached * cached_rate + (double)written * write_rate +
	                 (double)res->output_tokens * p->output) / 1e6;
	res->priced = 1;
}

static void wipe_free(char *s)
{
	if (s) {
		memset(s, 0, strlen(s));
		free(s);
	}
}

static void pending_free(pending *p)
{
	if (!p)
		return;
	free(p->model_id);
	free(p->type);
	pops_wire_stream_free(p->stream);
	wipe_free(p->key);
	free(p);
}

/* replace every occurrence of `key` in `s` (in place, same length or shorter) */
static void scrub(char *s, const char *key)
{
	size_t kl;
	char *at;

	if (!s || !key || (kl = strlen(key)) < 4)
		return;
	while ((at = strstr(s, key))) {
		static const char red[] = "[redacted]";
		size_t rl = sizeof(red) - 1 < kl ? sizeof(red) - 1 : kl;

		memcpy(at, red, rl);
		memmove(at + rl, at + kl, strlen(at + kl) + 1);
	}
}

static void set_result_error(pops_provider_result *res, int status, const char *msg)
{
	free(res->error);
	res->error = pops_strdup(msg);
	res->status = status;
}

/*
 * A reply without usage from a model that has a price (a local server
 * that reports nothing): characters / 4 both ways, as --dry-run
 * estimates, so --max-cost still stops instead of spending unbounded.
 */
static void estimate_cost(pops_provider_result *res, const pops_config *cfg, const pending *p)
{
	const pops_price_cfg *pr = cfg ? pops_config_price(cfg, p->model_id) : NULL;

	res->cost_estimate = 0;
	if (!pr || res->priced || !res->text)
		return;
	res->cost_estimate = (ceil((double)p->request_bytes / 4.0) * pr->input +
	                      ceil((double)strlen(res->text) / 4.0) * pr->output) / 1e6;
}

/* hand a finished result to the caller */
static int deliver(run *r, pops_provider_result *res, pending *p)
{
	int error;

	if (p && p->key) {
		scrub(res->error, p->key);
		scrub(res->text, p->key);
		scrub(res->raw, p->key);
	}
	if (res->status == POPS_OK && p) {
		pops_provider_price(res, r->opts->config, p->model_id);
		estimate_cost(res, r->opts->config, p);
		if (!res->cache_hit)
			r->spent += res->priced ? res->cost_usd : res->cost_estimate;
	}
	error = r->done(r->payload, res);
	pops_provider_result_dispose(res);
	if (error < 0 && !r->abort_error)
		r->abort_error = error;
	return error;
}

static long provider_timeout_ms(const pops_provider_cfg *p, const pops_provider_options *o)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(p->node, "timeout");

	if (o->timeout_ms > 0)
		return o->timeout_ms;
	if (cJSON_IsNumber(t) && t->valuedouble > 0)
		return (long)(t->valuedouble * 1000);
	return POPS_PROVIDER_TIMEOUT_MS;
}

static int open_replay(run *r, const pops_provider_cfg *prov)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(prov->node, "cassette");
	pops_buf path = POPS_BUF_INIT;
	int error;

	if (!cJSON_IsString(c))
		return pops_error_set(POPS_EINVALID, "provider '%s' of type replay needs 'cassette: <file>'",
		                      prov->name);
	if (c->valuestring[0] != '/' && r->opts->config && r->opts->config->root)
		pops_buf_printf(&path, "%s/%s", r->opts->config->root, c->valuestring);
	else
		pops_buf_puts(&path, c->valuestring);
	error = pops_cassette_open(&r->replay, path.ptr, 1);
	pops_buf_dispose(&path);
	return error;
}

static void replay_answer(pops_provider_result *res, const pops_cassette *c, const pending *p)
{
	pops_buf msg = POPS_BUF_INIT;

	if (pops_cassette_get(res, c, p->cassette_key) == 0)
		return;
	pops_buf_printf(&msg, "no recorded response for model '%s' repeat %u with this exact request (cassette key %.12s); record it again with --record",
	                p->model_id, p->repeat, p->cassette_key);
	set_result_error(res, POPS_EPROVIDER, msg.ptr);
	pops_buf_dispose(&msg);
}

static unsigned provider_cap(const pops_provider_cfg *p)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p->node, "max_concurrency");

	return cJSON_IsNumber(v) && v->valuedouble >= 1 ? (unsigned)v->valuedouble : 0;
}

/* the in-flight counter of a provider (created on first use); NULL on OOM */
static inflight *flight(run *r, const pops_provider_cfg *p)
{
	size_t i;
	inflight *nf;

	for (i = 0; i < r->nflights; i++)
		if (r->flights[i].prov == p)
			return &r->flights[i];
	if (!(nf = realloc(r->flights, (r->nflights + 1) * sizeof(*nf))))
		return NULL;
	r->flights = nf;
	nf[r->nflights].prov = p;
	nf[r->nflights].n = 0;
	nf[r->nflights].answered = 0;
	nf[r->nflights].down = NULL;
	return &nf[r->nflights++];
}

/* "127.0.0.1:1" of "http://user@127.0.0.1:1/v1": where a connection was refused */
static void url_authority(pops_buf *out, const char *url)
{
	const char *p = strstr(url, "://"), *end, *at;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	if ((at = memchr(p, '@', (size_t)(end - p))))
		p = at + 1;   /* never user information */
	pops_buf_put(out, p, (size_t)(end - p));
	if (!memchr(p, ':', (size_t)(end - p)) && *p != '[')
		pops_buf_puts(out, !strncmp(url, "https:", 6) ? ":443" : ":80");
}

/*
 * Has this answer shown the provider up, or down? Down: it cannot be
 * reached, or it refuses the key or the model, before it ever answered.
 */
static void provider_health(run *r, const pending *p, const pops_http_job *job,
                            const pops_provider_result *res)
{
	inflight *f = flight(r, p->prov);
	pops_buf why = POPS_BUF_INIT;

	if (!f || f->down || job->local)
		return;
	if (job->status == POPS_OK && job->http_status > 0 && job->http_status < 400) {
		f->answered = 1;
		return;
	}
	if (f->answered)
		return;
	if (job->conn_failed == POPS_HTTP_CONN_REFUSED) {
		pops_buf_printf(&why, "provider '%s': connection refused at ", p->prov->name);
		url_authority(&why, job->url);
	} else if (job->conn_failed) {
		pops_buf_printf(&why, "provider '%s': %s", p->prov->name,
		                job->error ? job->error : "cannot connect");
	} else if (job->http_status == 401 || job->http_status == 403 || job->http_status == 404) {
		pops_buf_printf(&why, "provider '%s': %s", p->prov->name,
		                res->error ? res->error : "refused");
	} else {
		return;
	}
	if (!pops_buf_oom(&why))
		f->down = pops_buf_detach(&why);
	pops_buf_dispose(&why);
}

/* the provider of `p` is down: the result for a request that is not sent */
static int unsent(const run *r, const pending *p, pops_provider_result *res)
{
	size_t i;

	for (i = 0; i < r->nflights; i++)
		if (r->flights[i].prov == p->prov && r->flights[i].down) {
			pops_buf msg = POPS_BUF_INIT;

			pops_buf_printf(&msg, POPS_PROVIDER_UNSENT "%s", r->flights[i].down);
			set_result_error(res, POPS_EPROVIDER, msg.ptr);
			pops_buf_dispose(&msg);
			res->unsent = 1;
			return 1;
		}
	return 0;
}

/* hand `job` out if its provider is under max_concurrency, else park it */
static int hand_out(run *r, pops_http_job *job, pops_http_job **out)
{
	pending *p = job->user;
	inflight *f = flight(r, p->prov);
	unsigned cap = provider_cap(p->prov);

	if (f && cap && f->n >= cap) {
		r->parked = job;
		return POPS_HTTP_LATER;
	}
	if (f)
		f->n++;
	r->parked = NULL;
	*out = job;
	return 1;
}

/*
 * Take the caller's requests until one needs the network. Cache and
 * cassette hits, config errors and exec providers are answered here.
 */
/* the parked job, now that a slot may be free: 1 or POPS_HTTP_LATER when it is
 * handed out (again), 0 when its provider went down and it was answered, <0 to abort */
static int resume_parked(run *r, pops_http_job **out)
{
	pending *pp = r->parked->user;
	pops_provider_result res;

	memset(&res, 0, sizeof(res));
	if (!unsent(r, pp, &res))
		return hand_out(r, r->parked, out);
	/* its provider went down while it waited */
	res.user = pp->user;
	res.input_tokens = res.output_tokens = -1;
	pops_http_job_free(r->parked);
	r->parked = NULL;
	if (deliver(r, &res, pp) < 0) {
		pending_free(pp);
		return r->abort_error;
	}
	pending_free(pp);
	return 0;
}

/* whether to ask the caller for no more requests: stopped, aborted, cancelled or over budget */
static int stop_asking(run *r)
{
	const pops_provider_options *o = r->opts;

	if (r->stop || r->abort_error)
		return 1;
	if (o->cancel && *o->cancel)
		return 1;
	if (o->budget && o->budget(r->payload, r->spent)) {
		r->stop = 1;
		return 1;
	}
	return 0;
}

/* the bookkeeping of one request until its result is delivered; NULL when out of memory */
static pending *pending_new(const pops_provider_request *req)
{
	pending *p;

	if (!(p = calloc(1, sizeof(*p))) || !(p->model_id = pops_strdup(req->model_id ? req->model_id : ""))) {
		pending_free(p);
		return NULL;
	}
	p->user = req->user;
	p->repeat = req->repeat;
	p->type = pops_strdup(req->provider ? req->provider->type : "");
	return p;
}

/* the API key, from the environment variable the provider names, never from a file:
 * 0 with *keyval NULL when the provider names none, -1 with res failed when it is unset */
static int env_key(const char **keyval, const pops_provider_cfg *prov, pops_provider_result *res)
{
	const char *keyenv = prov->api_key_env;
	pops_buf msg = POPS_BUF_INIT;

	*keyval = NULL;
	if (!keyenv)
		return 0;
	*keyval = getenv(keyenv);
	if (*keyval && **keyval)
		return 0;
	pops_buf_printf(&msg, "environment variable %s is not set (provider '%s' reads its API key from it)",
	                keyenv, prov->name);
	set_result_error(res, POPS_EINVALID, msg.ptr);
	pops_buf_dispose(&msg);
	return -1;
}

/* the headers every request to the provider carries: content type, API version, configured ones */
static void base_headers(pops_http_job *job, const pops_provider_cfg *prov)
{
	const cJSON *hs = cJSON_GetObjectItemCaseSensitive(prov->node, "headers"), *h;

	pops_http_job_header(job, "Content-Type", "application/json");
	if (!strcmp(prov->type, "anthropic")) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(prov->node, "api_version");

		pops_http_job_header(job, "anthropic-version",
		                     cJSON_IsString(v) ? v->valuestring : POPS_ANTHROPIC_VERSION);
	}
	cJSON_ArrayForEach(h, hs)
		if (cJSON_IsString(h))
			pops_http_job_header(job, h->string, h->valuestring);
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* the body of a streamed request as it arrives: parsed at once, the first token timed */
static void stream_tap(pops_http_job *job, const char *data, size_t n)
{
	pending *p = job->user;

	if (!data) {
		pops_wire_stream_reset(p->stream);
		p->t0_ms = mono_ms();
		p->ttft_ms = -1;
		return;
	}
	if (pops_wire_stream_feed(p->stream, data, n) && p->ttft_ms < 0)
		p->ttft_ms = mono_ms() - p->t0_ms;
}

/* does `req` stream (its flag or config `stream: true`)? */
static int streams(const pops_provider_request *req)
{
	return req->stream || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req->config, "stream"));
}

/* the HTTP job of a request (body, URL, headers, key): 0, or -1 with res failed */
static int http_job_build(pops_http_job **out, const pops_provider_request *req, pending *p,
                          const char *keyval, const pops_provider_options *o, pops_provider_result *res)
{
	pops_http_job *job = NULL;
	pops_buf body = POPS_BUF_INIT, url = POPS_BUF_INIT;
	const char *kh, *kp;
	int error;

	*out = NULL;
	if (!(job = pops_http_job_new())) {
		set_result_error(res, POPS_ERROR, "out of memory");
		return -1;
	}
	error = pops_wire_body(&body, req);
	job->body_len = body.size;
	p->request_bytes = body.size;
	job->body = pops_buf_detach(&body);
	if (error < 0 || pops_wire_url(&url, req->provider) < 0) {
		set_result_error(res, pops_error_code(), pops_error_last());
		pops_buf_dispose(&url);
		pops_http_job_free(job);
		return -1;
	}
	job->url = pops_buf_detach(&url);
	job->timeout_ms = provider_timeout_ms(req->provider, o);
	base_headers(job, req->provider);
	pops_wire_key_header(req->provider, &kh, &kp);
	if (keyval && kh) {
		pops_buf v = POPS_BUF_INIT;

		pops_buf_printf(&v, "%s%s", kp, keyval);
		pops_http_job_header(job, kh, v.ptr);
		memset(v.ptr, 0, v.size);
		pops_buf_dispose(&v);
		p->key = pops_strdup(keyval);
	}
	*out = job;
	return 0;
}

/* a request to an HTTP provider: 1 with *out the job to send, 0 when res holds the
 * answer (an error, or a hit of the response cache) */
static int route_http(run *r, pending *p, const pops_provider_request *req,
                      pops_provider_result *res, pops_http_job **out)
{
	const pops_provider_options *o = r->opts;
	const char *keyval;
	pops_http_job *job = NULL;
	pops_provider_request sreq = *req;
	inflight *f;

	*out = NULL;
	sreq.stream = req->stream || o->stream;
	req = &sreq;
	if (env_key(&keyval, req->provider, res) < 0 || http_job_build(&job, req, p, keyval, o, res) < 0)
		return 0;
	p->cacheable = o->cache != POPS_CACHE_OFF && o->cache_dir;
	if (p->cacheable)   /* hashing costs ~10% of a request's CPU: only when used */
		pops_cache_key(p->cache_key, req->provider->type, req->provider->base_url, p->model_id,
		               job->body, job->body_len, req->repeat);
	if (p->cacheable && o->cache == POPS_CACHE_USE &&
	    pops_cache_get(res, o->cache_dir, p->cache_key) == 0) {
		pops_http_job_free(job);
		if (r->cassette && o->cassette_mode == POPS_CASSETTE_RECORD)
			pops_cassette_put(r->cassette, p->cassette_key, p->model_id, p->repeat, res);
		return 0;
	}
	p->prov = req->provider;
	if (unsent(r, p, res)) {
		pops_http_job_free(job);
		return 0;
	}
	/* until the provider has answered, a refused connection is not retried for long */
	f = flight(r, p->prov);
	if (f && !f->answered)
		job->conn_retries = POPS_PROVIDER_DOWN_RETRIES;
	if (streams(req)) {
		if (!(p->stream = pops_wire_stream_new(req->provider->type))) {
			pops_http_job_free(job);
			set_result_error(res, POPS_ERROR, "out of memory");
			return 0;
		}
		job->on_data = stream_tap;
		p->ttft_ms = -1;
	}
	job->user = p;
	*out = job;
	return 1;
}

/* where a request goes: 1 with *out the job to run (HTTP or exec), 0 when res holds the
 * answer (an unknown type, a replay from a cassette, a cache hit or an error) */
static int route(run *r, pending *p, const pops_provider_request *req,
                 pops_provider_result *res, pops_http_job **out)
{
	const pops_provider_options *o = r->opts;
	const char *type = req->provider ? req->provider->type : "";
	pops_http_job *job = NULL;

	*out = NULL;
	if (!req->provider || !pops_wire_known_type(type)) {
		pops_buf msg = POPS_BUF_INIT;

		pops_buf_printf(&msg, "unknown provider type '%s' (use openai, anthropic, ollama, exec or replay)", type);
		set_result_error(res, POPS_EINVALID, msg.ptr);
		pops_buf_dispose(&msg);
		return 0;
	}
	/* cassette: replay answers only from it */
	if ((o->cassette_mode != POPS_CASSETTE_NONE || !strcmp(type, "replay")) &&
	    pops_cassette_key(p->cassette_key, req) < 0) {
		set_result_error(res, POPS_ERROR, pops_error_last());
		return 0;
	}
	if (!strcmp(type, "replay") && o->cassette_mode != POPS_CASSETTE_REPLAY) {
		if (!r->replay && open_replay(r, req->provider) < 0) {
			set_result_error(res, pops_error_code(), pops_error_last());
			return 0;
		}
		replay_answer(res, r->replay, p);
		return 0;
	}
	if (o->cassette_mode == POPS_CASSETTE_REPLAY) {
		replay_answer(res, r->cassette, p);
		return 0;
	}
	if (strcmp(type, "exec"))
		return route_http(r, p, req, res, out);
	/* a command: a local job of the loop, recorded like a reply when it succeeds */
	if (pops_provider__exec_job(&job, req) < 0) {
		set_result_error(res, pops_error_code(), pops_error_last());
		return 0;
	}
	job->timeout_ms = provider_timeout_ms(req->provider, o);
	job->user = p;
	p->prov = req->provider;
	*out = job;
	return 1;
}

static int http_next(void *payload, pops_http_job **out)
{
	run *r = payload;
	int error;

	*out = NULL;
	if (r->parked && (error = resume_parked(r, out)) != 0)
		return error;
	for (;;) {
		pops_provider_request req;
		pops_provider_result res;
		pending *p = NULL;
		pops_http_job *job = NULL;
		int got;

		if (stop_asking(r))
			return 0;
		memset(&req, 0, sizeof(req));
		memset(&res, 0, sizeof(res));
		if ((got = r->next(r->payload, &req)) <= 0) {
			if (got < 0)
				r->abort_error = got;
			return got < 0 ? got : 0;
		}
		res.user = req.user;
		res.input_tokens = res.output_tokens = -1;
		if (!(p = pending_new(&req))) {
			set_result_error(&res, POPS_ERROR, "out of memory");
			if (deliver(r, &res, NULL) < 0)
				return r->abort_error;
			continue;
		}
		if (route(r, p, &req, &res, &job))
			return hand_out(r, job, out);
		error = deliver(r, &res, p);
		pending_free(p);
		if (error < 0)
			return error;
	}
}

/* a final HTTP answer into res: a stream's events, else (errors too) the reply body */
static void parse_reply(pops_provider_result *res, pending *p, const pops_http_job *job)
{
	if (p->stream && job->http_status < 400) {
		pops_wire_stream_finish(p->stream, res);
		res->streamed = res->status == POPS_OK;
		res->ttft_ms = p->ttft_ms >= 0 ? p->ttft_ms : job->latency_ms;
		if (res->ttft_ms > job->latency_ms)
			res->ttft_ms = job->latency_ms;
	} else {
		pops_wire_parse(res, p->type, job->http_status, job->response.ptr, job->response.size);
	}
	res->http_status = job->http_status;
}

static int http_done(void *payload, pops_http_job *job)
{
	run *r = payload;
	pending *p = job->user;
	pops_provider_result res;
	int error;

	memset(&res, 0, sizeof(res));
	{
		inflight *f = flight(r, p->prov);

		if (f && f->n)
			f->n--;
	}
	res.user = p->user;
	res.input_tokens = res.output_tokens = -1;
	res.attempts = job->attempts;
	res.rate_limited = job->rate_limited;
	res.latency_ms = job->latency_ms;
	res.bytes = job->bytes;
	res.http_status = job->http_status;
	if (job->local) {
		pops_provider__exec_result(&res, job);
	} else if (job->status != POPS_OK) {
		set_result_error(&res, job->status == POPS_EINTR ? POPS_EINTR : POPS_EPROVIDER,
		                 job->error ? job->error : "request failed");
	} else {
		parse_reply(&res, p, job);
		if (res.status != POPS_OK && job->attempts > 1) {
			pops_buf msg = POPS_BUF_INIT;

			pops_buf_printf(&msg, "%s (after %u attempts)", res.error, job->attempts);
			free(res.error);
			res.error = pops_buf_detach(&msg);
		}
		res.raw = pops_strndup(job->response.ptr, job->response.size);
	}
	if (res.status != POPS_EINTR)
		provider_health(r, p, job, &res);
	if (res.status == POPS_OK) {
		if (p->cacheable)
			pops_cache_put(r->opts->cache_dir, p->cache_key, &res);  /* a failed write is only a miss later */
		if (r->cassette && r->opts->cassette_mode == POPS_CASSETTE_RECORD)
			pops_cassette_put(r->cassette, p->cassette_key, p->model_id, p->repeat, &res);
	}
	pops_http_job_free(job);
	error = deliver(r, &res, p);
	pending_free(p);
	return error;
}

int pops_provider_run(const pops_provider_options *opts, pops_provider_next_fn next,
                      pops_provider_done_fn done, void *payload)
{
	pops_http_options ho;
	run r;
	int error;

	memset(&r, 0, sizeof(r));
	r.opts = opts;
	r.next = next;
	r.done = done;
	r.payload = payload;
	if (opts->cassette_mode != POPS_CASSETTE_NONE && !opts->cassette)
		return pops_error_set(POPS_EINVALID, "record and replay need a cassette file");
	if (opts->cassette &&
	    (error = pops_cassette_open(&r.cassette, opts->cassette,
	                                opts->cassette_mode != POPS_CASSETTE_RECORD)) < 0)
		return error;
	memset(&ho, 0, sizeof(ho));
	ho.concurrency = opts->concurrency ? opts->concurrency : POPS_PROVIDER_CONCURRENCY;
	ho.timeout_ms = opts->timeout_ms;
	ho.deadline_ms = opts->deadline_ms;
	ho.max_retries = opts->max_retries;
	ho.retry_base_ms = opts->retry_base_ms;
	ho.retry_max_ms = opts->retry_max_ms;
	ho.max_body = opts->max_body ? opts->max_body : POPS_PROVIDER_MAX_BODY;
	ho.cancel = opts->cancel;
	error = pops_http_run(&ho, http_next, http_done, &r);
	if (r.parked) {
		/* stopped while a request waited for its provider: it still gets its done() */
		pops_http_job *job = r.parked;
		pending *p = job->user;
		pops_provider_result res;

		memset(&res, 0, sizeof(res));
		res.user = p->user;
		res.input_tokens = res.output_tokens = -1;
		set_result_error(&res, POPS_EINTR, "interrupted before it was sent");
		pops_http_job_free(job);
		deliver(&r, &res, p);
		pending_free(p);
		r.parked = NULL;
	}
	for (size_t i = 0; i < r.nflights; i++)
		free(r.flights[i].down);
	free(r.flights);
	if (!error && r.abort_error)
		error = r.abort_error;
	if (!error && opts->cancel && *opts->cancel)
		error = pops_error_set(POPS_EINTR, "interrupted");
	if (r.cassette && opts->cassette_mode == POPS_CASSETTE_RECORD) {
		/* save what was recorded even when interrupted */
		int e2 = pops_cassette_save(r.cassette);

		if (!error)
			error = e2;
	}
	pops_cassette_free(r.cassette);
	pops_cassette_free(r.replay);
	return error;
}

int pops_provider_cached(const pops_provider_options *opts, const pops_provider_request *req)
{
	pops_buf body = POPS_BUF_INIT;
	pops_provider_result res;
	char key[65];
	int hit = 0;

	if (opts->cache != POPS_CACHE_USE || !opts->cache_dir || !req->provider ||
	    !strcmp(req->provider->type, "exec") || !strcmp(req->provider->type, "replay") ||
	    !pops_wire_known_type(req->provider->type))
		return 0;
	/* the key the engine computes before it would send (http_next) */
	pops_provider_request sreq = *req;

	sreq.stream = req->stream || opts->stream;
	memset(&res, 0, sizeof(res));
	if (pops_wire_body(&body, &sreq) == 0) {
		pops_cache_key(key, req->provider->type, req->provider->base_url,
		               req->model_id ? req->model_id : "", body.ptr, body.size, req->repeat);
		hit = pops_cache_get(&res, opts->cache_dir, key) == 0;
	}
	pops_error_clear();
	pops_provider_result_dispose(&res);
	pops_buf_dispose(&body);
	return hit;
}

typedef struct one {
	const pops_provider_request *req;
	pops_provider_result *out;
	int given;
} one;

static int one_next(void *payload, pops_provider_request *req)
{
	one *o = payload;

	if (o->given)
		return 0;
	o->given = 1;
	*req = *o->req;
	return 1;
}

static int one_done(void *payload, pops_provider_result *res)
{
	one *o = payload;

	*o->out = *res;
	memset(res, 0, sizeof(*res));
	return 0;
}

int pops_provider_call(pops_provider_result *out, const pops_provider_options *opts,
                       const pops_provider_request *req)
{
	one o = { req, out, 0 };

	memset(out, 0, sizeof(*out));
	return pops_provider_run(opts, one_next, one_done, &o);
}
