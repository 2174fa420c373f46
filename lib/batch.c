#include "common.h"
#include <time.h>
#include "batch_int.h"
#include "batch_state.h"
#include "cache.h"
#include "jsonget.h"
#include "strutil.h"
#include "wire.h"

/*
 * The batch engine: requests are taken from next() at once (their
 * bodies built as the normal path builds them), the cache answers what
 * it holds, recorded batches of this run are collected, the rest is
 * submitted in batches within the providers' limits, and every result is
 * handed to done() joined by custom_id (the cache key).
 */

struct item {
	void *user;
	const pops_provider_cfg *prov;
	char *model_id;
	char *body;
	size_t len;
	char key[65];
	int delivered;
};

struct eng {
	const pops_batch_options *bo;
	const pops_provider_options *opts;
	pops_provider_done_fn done;
	void *payload;
	struct item *items;
	size_t n, alloc;
	struct item **index;        /* by key, for the join */
	int abort;                  /* what done() aborted with */
	int stopped;                /* cancelled, or out of polls */
	pops_buf note;
};

static void note(struct eng *e, const char *fmt, ...) POPS_PRINTF(2, 3);

static void note(struct eng *e, const char *fmt, ...)
{
	va_list ap;

	if (!e->bo->note)
		return;
	pops_buf_clear(&e->note);
	va_start(ap, fmt);
	pops_buf_vprintf(&e->note, fmt, ap);
	va_end(ap);
	if (!pops_buf_oom(&e->note))
		e->bo->note(e->bo->note_payload, e->note.ptr);
}

static int cancelled(const struct eng *e)
{
	return e->opts->cancel && *e->opts->cancel;
}

/* hand `res` to the caller as the answer of `it` (res is disposed) */
static int deliver(struct eng *e, struct item *it, pops_provider_result *res)
{
	int error = 0;

	res->user = it->user;
	if (res->status == POPS_OK)
		pops_batch_price(res, e->opts->config, it->model_id);
	it->delivered = 1;
	if (!e->abort && (error = e->done(e->payload, res)) < 0)
		e->abort = error;
	pops_provider_result_dispose(res);
	return error;
}

static int deliver_error(struct eng *e, struct item *it, int code, const char *msg)
{
	pops_provider_result res;

	memset(&res, 0, sizeof(res));
	res.status = code;
	res.input_tokens = res.output_tokens = -1;
	res.error = pops_strdup(msg);
	return deliver(e, it, &res);
}

static int add_item(struct eng *e, const pops_provider_request *req)
{
	pops_provider_request sreq = *req;
	pops_buf body = POPS_BUF_INIT;
	struct item *it;
	int error;

	if (e->n == e->alloc) {
		size_t na = e->alloc ? e->alloc * 2 : 64;
		struct item *ni = realloc(e->items, na * sizeof(*ni));

		POPS_CHECK_ALLOC(ni);
		e->items = ni;
		e->alloc = na;
	}
	it = &e->items[e->n++];
	memset(it, 0, sizeof(*it));
	it->user = req->user;
	it->prov = req->provider;
	it->model_id = pops_strdup(req->model_id ? req->model_id : "");
	if (!req->provider || !pops_batch_supported(req->provider))
		return deliver_error(e, it, POPS_EINVALID, req->provider ? pops_error_last() : "no provider");
	/* a batch answer is never streamed: the body (and key) the plain path sends */
	sreq.stream = 0;
	if ((error = pops_wire_body(&body, &sreq)) < 0) {
		pops_buf_dispose(&body);
		return error == POPS_ERROR ? error : deliver_error(e, it, error, pops_error_last());
	}
	it->len = body.size;
	it->body = pops_buf_detach(&body);
	POPS_CHECK_ALLOC(it->body);
	pops_cache_key(it->key, req->provider->type, req->provider->base_url, it->model_id, it->body,
	               it->len, req->repeat);
	if (e->opts->cache == POPS_CACHE_USE && e->opts->cache_dir) {
		pops_provider_result res;

		memset(&res, 0, sizeof(res));
		if (pops_cache_get(&res, e->opts->cache_dir, it->key) == 0)
			return deliver(e, it, &res);
		pops_provider_result_dispose(&res);
		pops_error_clear();
	}
	return 0;
}

static int by_key(const void *a, const void *b)
{
	const struct item *x = *(struct item *const *)a, *y = *(struct item *const *)b;
	int c = strcmp(x->key, y->key);

	return c ? c : x < y ? -1 : x > y;
}

static int build_index(struct eng *e)
{
	size_t i;

	if (!e->n)
		return 0;
	e->index = malloc(e->n * sizeof(*e->index));
	POPS_CHECK_ALLOC(e->index);
	for (i = 0; i < e->n; i++)
		e->index[i] = &e->items[i];
	qsort(e->index, e->n, sizeof(*e->index), by_key);
	return 0;
}

/* the first index position whose key is `key`, or e->n */
static size_t find_key(const struct eng *e, const char *key)
{
	size_t lo = 0, hi = e->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(e->index[mid]->key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < e->n && !strcmp(e->index[lo]->key, key) ? lo : e->n;
}

static void result_copy(pops_provider_result *dst, const pops_provider_result *src)
{
	*dst = *src;
	dst->error = src->error ? pops_strdup(src->error) : NULL;
	dst->text = src->text ? pops_strdup(src->text) : NULL;
	dst->finish_reason = src->finish_reason ? pops_strdup(src->finish_reason) : NULL;
	dst->raw = NULL;
}

/* one results line: fill the cache, answer every waiting request with that key */
static int join_line(struct eng *e, const char *type, const char *line, size_t len)
{
	pops_provider_result res;
	char *id = NULL;
	size_t i;
	int error = 0;

	memset(&res, 0, sizeof(res));
	if (pops_batch_parse_line(&id, &res, type, line, len) == POPS_ERROR) {
		free(id);
		pops_provider_result_dispose(&res);
		return POPS_ERROR;
	}
	res.attempts = 1;
	res.latency_ms = -1;   /* a batch answer has no per-request latency */
	if (id && res.status == POPS_OK && strlen(id) == 64 && e->opts->cache != POPS_CACHE_OFF &&
	    e->opts->cache_dir)
		pops_cache_put(e->opts->cache_dir, id, &res);   /* a failed write is only a miss later */
	for (i = id ? find_key(e, id) : e->n; i < e->n && !strcmp(e->index[i]->key, id) && !error; i++) {
		pops_provider_result one;

		if (e->index[i]->delivered)
			continue;
		result_copy(&one, &res);
		error = deliver(e, e->index[i], &one);
	}
	free(id);
	pops_provider_result_dispose(&res);
	return error == POPS_ERROR ? error : 0;
}

/* fetch a results file (openai file id, or anthropic results_url) and join its lines */
static int collect_file(struct eng *e, const pops_provider_cfg *p, const char *what)
{
	pops_buf path = POPS_BUF_INIT, body = POPS_BUF_INIT;
	const char *s, *nl;
	int error;

	if (!strcmp(p->type, "anthropic"))
		pops_buf_puts(&path, what);
	else
		pops_buf_printf(&path, "/files/%s/content", what);
	if ((error = pops_batch__http(&body, p, path.ptr, NULL, 0, NULL, e->opts)) == 0) {
		for (s = body.ptr; s && s < body.ptr + body.size && !error; s = nl ? nl + 1 : NULL) {
			size_t n;

			nl = memchr(s, '\n', (size_t)(body.ptr + body.size - s));
			n = nl ? (size_t)(nl - s) : (size_t)(body.ptr + body.size - s);
			if (n && !(n == 1 && *s == '\r'))
				error = join_line(e, p->type, s, n);
		}
	}
	pops_buf_dispose(&path);
	pops_buf_dispose(&body);
	return error;
}

/* sleep `ms`, waking early on cancel */
static void nap(const struct eng *e, long ms)
{
	while (ms > 0 && !cancelled(e)) {
		long step = ms < 50 ? ms : 50;
		struct timespec ts = { 0, step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/*
 * Poll batch `id` until it ends: 1 ended (st filled), 0 stopped (cancel,
 * out of polls), or an error
 */
static int wait_batch(struct eng *e, pops_batch_status *st, const pops_provider_cfg *p, const char *id)
{
	long wait = e->bo->poll_ms > 0 ? e->bo->poll_ms : POPS_BATCH_POLL_MS;
	long cap = e->bo->poll_max_ms > 0 ? e->bo->poll_max_ms : POPS_BATCH_POLL_MAX_MS;
	unsigned polls = 0;
	int error;

	for (;;) {
		if (cancelled(e))
			return 0;
		if ((error = pops_batch_get(st, p, id, e->opts)) < 0)
			return cancelled(e) ? 0 : error;
		polls++;
		if (st->total >= 0)
			note(e, "batch %s (%s): %s, %ld/%ld done, %ld failed", id, p->name, st->status,
			     st->succeeded + st->failed, st->total, st->failed);
		else
			note(e, "batch %s (%s): %s", id, p->name, st->status);
		if (st->ended)
			return 1;
		if (e->bo->max_polls && polls >= e->bo->max_polls) {
			note(e, "batch %s (%s) still %s after %u polls: run the same command again to resume",
			     id, p->name, st->status, polls);
			return 0;
		}
		nap(e, wait);
		wait = wait * 2 > cap ? cap : wait * 2;
	}
}

/* wait for one recorded batch and join its results; 1 collected, 0 stopped, or an error */
static int collect_one(struct eng *e, const cJSON *entry)
{
	const char *id = pops_json_str(entry, "id", ""), *pname = pops_json_str(entry, "provider", "");
	const pops_provider_cfg *p = e->opts->config ? pops_config_provider(e->opts->config, pname) : NULL;
	pops_batch_status st;
	int got, error = 0;

	memset(&st, 0, sizeof(st));
	if (!p)
		return pops_error_set(POPS_EINVALID,
		                      "batch %s was sent to provider '%s', which pops.yaml no longer has "
		                      "(restore it, or remove the entry from %s)", id, pname, e->bo->state_path);
	note(e, "batch %s (%s): waiting for it (submitted %s)", id, p->name,
	     pops_json_str(entry, "submitted", "earlier"));
	if ((got = wait_batch(e, &st, p, id)) <= 0) {
		pops_batch_status_dispose(&st);
		return got;
	}
	if (st.output)
		error = collect_file(e, p, st.output);
	if (!error && st.errors)
		error = collect_file(e, p, st.errors);
	if (!error)
		error = pops_batch_state_update(e->bo->state_path, pname, id, st.status, 1);
	if (!error && (st.failed || !st.output))
		note(e, "batch %s (%s): %s, %ld of %ld requests failed or expired", id, p->name, st.status,
		     st.failed, st.total);
	pops_batch_status_dispose(&st);
	return error < 0 ? error : 1;
}

/* every batch recorded under this run and not collected yet */
static int collect_recorded(struct eng *e)
{
	cJSON *state = NULL;
	const cJSON *entry;
	int error, got;

	if ((error = pops_batch_state_load(&state, e->bo->state_path)) < 0)
		return error;
	cJSON_ArrayForEach(entry, cJSON_GetObjectItemCaseSensitive(state, "batches")) {
		if (strcmp(pops_json_str(entry, "run", ""), e->bo->run_key) ||
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(entry, "collected")))
			continue;
		if ((got = collect_one(e, entry)) < 0) {
			error = got;
			break;
		}
		if (!got) {
			e->stopped = 1;
			break;
		}
	}
	cJSON_Delete(state);
	return error;
}

static void utc_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* record a new batch the moment it exists: a crash after this resumes it */
static int record(struct eng *e, const pops_provider_cfg *p, const pops_batch_status *st, size_t n)
{
	cJSON *entry = cJSON_CreateObject();
	char when[32];
	int error;

	utc_now(when);
	if (!entry || !cJSON_AddStringToObject(entry, "run", e->bo->run_key) ||
	    !cJSON_AddStringToObject(entry, "suite", e->bo->label ? e->bo->label : "") ||
	    !cJSON_AddStringToObject(entry, "provider", p->name) ||
	    !cJSON_AddStringToObject(entry, "type", p->type) ||
	    !cJSON_AddStringToObject(entry, "base_url", p->base_url ? p->base_url : "") ||
	    !cJSON_AddStringToObject(entry, "id", st->id) ||
	    !cJSON_AddNumberToObject(entry, "requests", (double)n) ||
	    !cJSON_AddStringToObject(entry, "status", st->status) ||
	    !cJSON_AddStringToObject(entry, "submitted", when) ||
	    !cJSON_AddFalseToObject(entry, "collected")) {
		cJSON_Delete(entry);
		return pops_error_oom();
	}
	error = pops_batch_state_add(e->bo->state_path, entry);
	cJSON_Delete(entry);
	return error;
}

/* the requests of one batch: from index position *pos on, those of `p` still waiting */
static int chunk(struct eng *e, const pops_provider_cfg *p, size_t *pos, pops_buf *payload,
                 size_t *n, struct item ***members, size_t *nm)
{
	int anth = !strcmp(p->type, "anthropic");
	size_t max_n = e->bo->max_requests ? e->bo->max_requests :
	               anth ? POPS_BATCH_ANTHROPIC_MAX_REQUESTS : POPS_BATCH_OPENAI_MAX_REQUESTS;
	size_t max_b = anth ? POPS_BATCH_ANTHROPIC_MAX_BYTES : POPS_BATCH_OPENAI_MAX_BYTES;
	const char *last = NULL;
	int error;

	*n = *nm = 0;
	pops_buf_clear(payload);
	for (; *pos < e->n; (*pos)++) {
		struct item *it = e->index[*pos];
		size_t before = payload->size;

		if (it->delivered || it->prov != p)
			continue;
		(*members)[(*nm)++] = it;
		if (last && !strcmp(last, it->key))
			continue;    /* the same request twice: sent once, answers both */
		if (*n == max_n) {
			(*nm)--;
			break;
		}
		if (*n && anth)
			pops_buf_putc(payload, ',');
		if ((error = pops_batch_line(payload, p->type, it->key, it->body, it->len)) < 0)
			return error;
		if (*n && payload->size + 64 > max_b) {
			pops_buf_truncate(payload, before);
			(*nm)--;
			break;
		}
		last = it->key;
		(*n)++;
	}
	return 0;
}

/* submit what provider `p` still has to answer, recording each batch */
static int submit_provider(struct eng *e, const pops_provider_cfg *p)
{
	pops_buf payload = POPS_BUF_INIT;
	struct item **members = malloc((e->n ? e->n : 1) * sizeof(*members));
	size_t pos = 0, n, nm, i;
	int error = 0;

	POPS_CHECK_ALLOC(members);
	while (!error && !cancelled(e) && pos < e->n) {
		pops_batch_status st;

		memset(&st, 0, sizeof(st));
		if ((error = chunk(e, p, &pos, &payload, &n, &members, &nm)) < 0 || !n)
			break;
		if ((error = pops_batch__submit(&st, p, &payload, e->bo->label, e->opts)) < 0) {
			/* refused: its requests get the provider's answer, the others still go */
			char *why = pops_strdup(pops_error_last());

			for (i = 0; i < nm && error != POPS_ERROR; i++)
				if (!members[i]->delivered && deliver_error(e, members[i], error, why ? why : "batch refused") == POPS_ERROR)
					error = POPS_ERROR;
			free(why);
			error = error == POPS_ERROR || error == POPS_EINTR ? error : 0;
		} else {
			note(e, "batch %s (%s): submitted %zu requests", st.id, p->name, n);
			error = record(e, p, &st, n);
		}
		pops_batch_status_dispose(&st);
	}
	free(members);
	pops_buf_dispose(&payload);
	return error;
}

static int submit_all(struct eng *e)
{
	const pops_provider_cfg **seen = calloc(e->n ? e->n : 1, sizeof(*seen));
	size_t i, j, nseen = 0;
	int error = 0;

	POPS_CHECK_ALLOC(seen);
	for (i = 0; i < e->n && !error && !cancelled(e); i++) {
		const pops_provider_cfg *p = e->items[i].prov;

		if (e->items[i].delivered)
			continue;
		for (j = 0; j < nseen && seen[j] != p; j++)
			;
		if (j < nseen)
			continue;     /* each provider once: it took all of its requests */
		seen[nseen++] = p;
		error = submit_provider(e, p);
	}
	free(seen);
	return error;
}

/* whatever has no answer yet: interrupted (resumable), or missing from its batch */
static int settle_rest(struct eng *e)
{
	size_t i;
	int stopped = e->stopped || cancelled(e);
	int error = 0;

	for (i = 0; i < e->n && error != POPS_ERROR; i++)
		if (!e->items[i].delivered)
			error = deliver_error(e, &e->items[i], stopped ? POPS_EINTR : POPS_EPROVIDER,
			                      stopped ? "interrupted while its batch runs (run the same "
			                                "command again to resume it)" :
			                      "batch: the provider returned no result for this request");
	return error == POPS_ERROR ? error : 0;
}

int pops_batch_run(const pops_batch_options *bo, const pops_provider_options *opts,
                   pops_provider_next_fn next, pops_provider_done_fn done, void *payload)
{
	struct eng e;
	int got, error = 0, e2;
	size_t i;

	memset(&e, 0, sizeof(e));
	e.bo = bo;
	e.opts = opts;
	e.done = done;
	e.payload = payload;
	e.note = (pops_buf)POPS_BUF_INIT;
	for (;;) {
		pops_provider_request req;

		memset(&req, 0, sizeof(req));
		if ((got = next(payload, &req)) <= 0) {
			error = got;
			break;
		}
		if ((error = add_item(&e, &req)) < 0 || e.abort)
			break;
	}
	if (!error && !e.abort && (error = build_index(&e)) == 0 &&
	    (error = collect_recorded(&e)) == 0 && !e.stopped && !e.abort &&
	    (error = submit_all(&e)) == 0 && !e.abort)
		error = collect_recorded(&e);
	e2 = settle_rest(&e);
	if (!error)
		error = e2;
	if (!error && e.abort)
		error = e.abort;
	if (!error && (e.stopped || cancelled(&e)))
		error = pops_error_set(POPS_EINTR, "interrupted while batches run");
	for (i = 0; i < e.n; i++) {
		free(e.items[i].model_id);
		free(e.items[i].body);
	}
	free(e.items);
	free(e.index);
	pops_buf_dispose(&e.note);
	return error;
}
