/*
 * fakellm's Batch APIs, with real state that moves with the clock:
 *
 *   OpenAI     POST /v1/files (multipart, purpose batch), POST /v1/batches,
 *              GET /v1/batches/{id}, POST /v1/batches/{id}/cancel,
 *              GET /v1/files/{id}/content.
 *              validating -> in_progress -> finalizing -> completed, one
 *              stage every --batch-ms (default 1000); cancel: cancelling
 *              for one stage, then cancelled.
 *   Anthropic  POST /v1/messages/batches, GET .../{id}, POST .../{id}/cancel,
 *              GET .../{id}/results. in_progress for two stages, then ended;
 *              cancel: canceling, then ended with every request canceled.
 *
 * Each request is answered as the plain endpoint would answer it (the
 * same fk_handle), except that a request whose body holds "BATCHFAIL"
 * errors and one holding "BATCHEXPIRE" expires. Results come shuffled.
 * GET /__batches: {"submitted","openai","anthropic","cancelled","polls"}.
 */
#include "fakellm.h"
#include <time.h>
#include "strutil.h"

#define FK_MAX_BATCHES 256

struct fk_file {
	char id[40];
	pops_buf data;
};

struct fk_batch {
	char id[40];
	int anth;
	int64_t created_ms, cancel_ms;   /* cancel_ms 0: not cancelled */
	cJSON *requests;                 /* [{custom_id, body}] */
	int computed;
	char output[40], errors[40];     /* openai file ids once computed */
	pops_buf results;                /* anthropic results once computed */
	long ok, failed, expired, canceled;
};

static struct fk_file files[FK_MAX_BATCHES * 2];
static size_t nfiles;
static struct fk_batch batches[FK_MAX_BATCHES];
static size_t nbatches;
static unsigned long n_submitted, n_openai, n_anthropic, n_cancelled, n_polls;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reply_json(fk_reply *rep, int status, cJSON *o)
{
	char *t = cJSON_PrintUnformatted(o);

	rep->status = status;
	rep->content_type = "application/json";
	pops_buf_puts(&rep->body, t ? t : "{}");
	pops_buf_putc(&rep->body, '\n');
	cJSON_free(t);
	cJSON_Delete(o);
}

static void reply_error(fk_reply *rep, int anth, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");

	if (anth)
		cJSON_AddStringToObject(o, "type", "error");
	cJSON_AddStringToObject(e, "type", status == 404 ? "not_found_error" : "invalid_request_error");
	cJSON_AddStringToObject(e, "message", msg);
	reply_json(rep, status, o);
}

static struct fk_file *new_file(const char *data, size_t len)
{
	struct fk_file *f;

	if (nfiles == POPS_ARRAY_SIZE(files))
		return NULL;
	f = &files[nfiles++];
	snprintf(f->id, sizeof(f->id), "file-fk%zu", nfiles);
	f->data = (pops_buf)POPS_BUF_INIT;
	pops_buf_put(&f->data, data, len);
	return f;
}

static struct fk_file *find_file(const char *id)
{
	for (size_t i = 0; i < nfiles; i++)
		if (!strcmp(files[i].id, id))
			return &files[i];
	return NULL;
}

static struct fk_batch *find_batch(const char *id, size_t len)
{
	for (size_t i = 0; i < nbatches; i++)
		if (strlen(batches[i].id) == len && !strncmp(batches[i].id, id, len))
			return &batches[i];
	return NULL;
}

/* the key check the plain endpoints make */
static int authorised(const fk_config *cfg, const fk_request *req, int anth)
{
	const char *v = fk_header_get(req, anth ? "x-api-key" : "authorization");

	if (!cfg->api_key)
		return 1;
	if (anth)
		return v && !strcmp(v, cfg->api_key);
	return v && !strncmp(v, "Bearer ", 7) && !strcmp(v + 7, cfg->api_key);
}

static const char *find_bytes(const char *hay, size_t n, const char *needle, size_t m)
{
	size_t i;

	for (i = 0; m && i + m <= n; i++)
		if (hay[i] == needle[0] && !memcmp(hay + i, needle, m))
			return hay + i;
	return NULL;
}

/* the `file` part of a multipart/form-data body */
static int multipart_file(const fk_request *req, const char **data, size_t *len)
{
	const char *ct = fk_header_get(req, "content-type"), *b, *p, *end;
	pops_buf delim = POPS_BUF_INIT;
	const char *body = req->body, *stop = req->body + req->body_len;

	if (!ct || !(b = strstr(ct, "boundary=")))
		return -1;
	pops_buf_printf(&delim, "\r\n--%s", b + 9);
	p = find_bytes(body, req->body_len, "name=\"file\"", 11);
	if (p)
		p = find_bytes(p, (size_t)(stop - p), "\r\n\r\n", 4);
	end = p ? find_bytes(p + 4, (size_t)(stop - p - 4), delim.ptr, delim.size) : NULL;
	pops_buf_dispose(&delim);
	if (!p || !end)
		return -1;
	*data = p + 4;
	*len = (size_t)(end - p - 4);
	return 0;
}

/* stage of a batch by the clock: 0 validating, 1 in_progress, 2 finalizing, 3 done */
static int stage(const fk_config *cfg, const struct fk_batch *b)
{
	long unit = cfg->batch_ms > 0 ? cfg->batch_ms : 1000;
	int64_t now = now_ms();

	if (b->cancel_ms)
		return now - b->cancel_ms >= unit ? 4 : 5;    /* 5 cancelling, 4 cancelled */
	if (b->anth)
		return now - b->created_ms >= 2 * unit ? 3 : 1;
	return (int)((now - b->created_ms) / unit > 3 ? 3 : (now - b->created_ms) / unit);
}

/* one request answered as the plain endpoint answers it: status and body */
static int answer(const fk_config *cfg, const fk_request *orig, int anth, const char *body,
                  cJSON **out)
{
	fk_request r = *orig;
	fk_reply rep;
	fk_stats saved = fk_stats_g;
	char *text = pops_strdup(body);
	int status;

	memset(&rep, 0, sizeof(rep));
	rep.headers = (pops_buf)POPS_BUF_INIT;
	rep.body = (pops_buf)POPS_BUF_INIT;
	r.method = "POST";
	r.path = anth ? "/v1/messages" : "/v1/chat/completions";
	r.query = "";
	r.body = text;
	r.body_len = strlen(text);
	fk_handle(cfg, &r, &rep);
	fk_stats_g = saved;          /* batch work is not plain traffic */
	status = rep.status;
	*out = cJSON_ParseWithLength(rep.body.ptr ? rep.body.ptr : "", rep.body.size);
	pops_buf_dispose(&rep.body);
	pops_buf_dispose(&rep.headers);
	free(text);
	return status;
}

static cJSON *error_obj(int anth, const char *type, const char *msg)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o, "error");

	if (anth)
		cJSON_AddStringToObject(o, "type", "error");
	cJSON_AddStringToObject(e, "type", type);
	cJSON_AddStringToObject(e, "message", msg);
	return o;
}

/* the result line of request `q` (index i); *kind 0 ok, 1 failed, 2 expired, 3 canceled */
static cJSON *result_line(const fk_config *cfg, const fk_request *req, struct fk_batch *b,
                          const cJSON *q, size_t i, int *kind)
{
	cJSON *line = cJSON_CreateObject(), *reply = NULL, *x;
	char *body = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(q, "body"));
	char rid[48];
	int status = 200;

	snprintf(rid, sizeof(rid), "batch_req_%zu", i + 1);
	*kind = b->cancel_ms ? 3 : strstr(body, "BATCHEXPIRE") ? 2 : strstr(body, "BATCHFAIL") ? 1 : 0;
	if (!*kind && (status = answer(cfg, req, b->anth, body, &reply)) != 200)
		*kind = 1;
	if (*kind == 1 && !reply)
		reply = error_obj(b->anth, "invalid_request_error", "fakellm: BATCHFAIL");
	cJSON_free(body);
	if (!b->anth)
		cJSON_AddStringToObject(line, "id", rid);
	cJSON_AddItemToObject(line, "custom_id",
	                      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(q, "custom_id"), 1));
	if (b->anth) {
		static const char *const types[] = { "succeeded", "errored", "expired", "canceled" };

		x = cJSON_AddObjectToObject(line, "result");
		cJSON_AddStringToObject(x, "type", types[*kind]);
		if (reply)
			cJSON_AddItemToObject(x, *kind ? "error" : "message", reply);
		return line;
	}
	if (*kind >= 2) {
		cJSON_AddNullToObject(line, "response");
		x = cJSON_AddObjectToObject(line, "error");
		cJSON_AddStringToObject(x, "code", *kind == 2 ? "batch_expired" : "batch_cancelled");
		cJSON_AddStringToObject(x, "message", *kind == 2 ?
		                        "This request could not be executed before the completion window expired." :
		                        "The batch was cancelled.");
		cJSON_Delete(reply);
		return line;
	}
	x = cJSON_AddObjectToObject(line, "response");
	cJSON_AddNumberToObject(x, "status_code", *kind ? (status == 200 ? 400 : status) : 200);
	cJSON_AddStringToObject(x, "request_id", rid);
	cJSON_AddItemToObject(x, "body", reply);
	cJSON_AddNullToObject(line, "error");
	return line;
}

/* every request answered once the batch is done, lines shuffled */
static void compute(const fk_config *cfg, const fk_request *req, struct fk_batch *b)
{
	size_t n = (size_t)cJSON_GetArraySize(b->requests), i;
	cJSON **lines = calloc(n ? n : 1, sizeof(*lines));
	int *kinds = calloc(n ? n : 1, sizeof(*kinds));
	pops_buf out = POPS_BUF_INIT, err = POPS_BUF_INIT;
	unsigned long seed = 88172645463325252ul ^ (unsigned long)nbatches;
	const cJSON *q;

	if (!lines || !kinds)
		abort();
	i = 0;
	cJSON_ArrayForEach(q, b->requests) {
		lines[i] = result_line(cfg, req, b, q, i, &kinds[i]);
		i++;
	}
	for (i = n; i > 1; i--) {      /* Fisher-Yates: the order is not the request order */
		size_t j;
		cJSON *t = lines[i - 1];
		int k = kinds[i - 1];

		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		j = (size_t)(seed % i);
		lines[i - 1] = lines[j], kinds[i - 1] = kinds[j];
		lines[j] = t, kinds[j] = k;
	}
	for (i = 0; i < n; i++) {
		char *t = cJSON_PrintUnformatted(lines[i]);
		pops_buf *dst = b->anth || !kinds[i] ? &out : &err;

		pops_buf_puts(dst, t);
		pops_buf_putc(dst, '\n');
		cJSON_free(t);
		cJSON_Delete(lines[i]);
		b->ok += !kinds[i];
		b->failed += kinds[i] == 1;
		b->expired += kinds[i] == 2;
		b->canceled += kinds[i] == 3;
	}
	if (b->anth) {
		b->results = out;
	} else {
		struct fk_file *f;

		if (out.size && (f = new_file(out.ptr, out.size)))
			snprintf(b->output, sizeof(b->output), "%s", f->id);
		if (err.size && (f = new_file(err.ptr, err.size)))
			snprintf(b->errors, sizeof(b->errors), "%s", f->id);
		pops_buf_dispose(&out);
	}
	pops_buf_dispose(&err);
	free(lines);
	free(kinds);
	b->computed = 1;
}

static cJSON *batch_json(const fk_config *cfg, const fk_request *req, struct fk_batch *b)
{
	static const char *const openai_status[] = { "validating", "in_progress", "finalizing",
	                                             "completed", "cancelled", "cancelling" };
	int st = stage(cfg, b);
	long total = cJSON_GetArraySize(b->requests);
	cJSON *o = cJSON_CreateObject(), *rc;
	int ended = st == 3 || st == 4;

	if (ended && !b->computed)
		compute(cfg, req, b);
	cJSON_AddStringToObject(o, "id", b->id);
	if (b->anth) {
		const char *host = fk_header_get(req, "host");
		pops_buf url = POPS_BUF_INIT;

		cJSON_AddStringToObject(o, "type", "message_batch");
		cJSON_AddStringToObject(o, "processing_status", ended ? "ended" : st == 5 ? "canceling" :
		                        "in_progress");
		rc = cJSON_AddObjectToObject(o, "request_counts");
		cJSON_AddNumberToObject(rc, "processing", ended ? 0 : (double)total);
		cJSON_AddNumberToObject(rc, "succeeded", (double)b->ok);
		cJSON_AddNumberToObject(rc, "errored", (double)b->failed);
		cJSON_AddNumberToObject(rc, "canceled", (double)b->canceled);
		cJSON_AddNumberToObject(rc, "expired", (double)b->expired);
		if (ended) {
			pops_buf_printf(&url, "http://%s/v1/messages/batches/%s/results", host ? host : "127.0.0.1",
			                b->id);
			cJSON_AddStringToObject(o, "results_url", url.ptr);
		} else {
			cJSON_AddNullToObject(o, "results_url");
		}
		pops_buf_dispose(&url);
		return o;
	}
	cJSON_AddStringToObject(o, "object", "batch");
	cJSON_AddStringToObject(o, "endpoint", "/v1/chat/completions");
	cJSON_AddStringToObject(o, "completion_window", "24h");
	cJSON_AddStringToObject(o, "status", openai_status[st]);
	if (b->output[0])
		cJSON_AddStringToObject(o, "output_file_id", b->output);
	else
		cJSON_AddNullToObject(o, "output_file_id");
	if (b->errors[0])
		cJSON_AddStringToObject(o, "error_file_id", b->errors);
	else
		cJSON_AddNullToObject(o, "error_file_id");
	rc = cJSON_AddObjectToObject(o, "request_counts");
	cJSON_AddNumberToObject(rc, "total", (double)total);
	cJSON_AddNumberToObject(rc, "completed", ended ? (double)b->ok : st == 2 ? (double)total : 0);
	cJSON_AddNumberToObject(rc, "failed", ended ? (double)(b->failed + b->expired + b->canceled) : 0);
	return o;
}

static struct fk_batch *new_batch(int anth, cJSON *requests)
{
	struct fk_batch *b;

	if (nbatches == FK_MAX_BATCHES) {
		cJSON_Delete(requests);
		return NULL;
	}
	b = &batches[nbatches++];
	memset(b, 0, sizeof(*b));
	snprintf(b->id, sizeof(b->id), anth ? "msgbatch_fk%zu" : "batch_fk%zu", nbatches);
	b->anth = anth;
	b->created_ms = now_ms();
	b->requests = requests;
	b->results = (pops_buf)POPS_BUF_INIT;
	n_submitted++;
	if (anth)
		n_anthropic++;
	else
		n_openai++;
	return b;
}

/* POST /v1/batches {input_file_id}: the file's JSONL lines become the requests */
static void openai_create(const fk_config *cfg, const fk_request *req, fk_reply *rep)
{
	cJSON *in = cJSON_ParseWithLength(req->body, req->body_len), *reqs = cJSON_CreateArray();
	const cJSON *fid = cJSON_GetObjectItemCaseSensitive(in, "input_file_id");
	struct fk_file *f = cJSON_IsString(fid) ? find_file(fid->valuestring) : NULL;
	struct fk_batch *b;
	const char *s, *nl, *end;

	if (!f) {
		cJSON_Delete(in);
		cJSON_Delete(reqs);
		reply_error(rep, 0, 400, "fakellm: no such input_file_id");
		return;
	}
	cJSON_Delete(in);
	end = f->data.ptr + f->data.size;
	for (s = f->data.ptr; s && s < end; s = nl ? nl + 1 : NULL) {
		cJSON *line, *q;

		nl = memchr(s, '\n', (size_t)(end - s));
		if (!(line = cJSON_ParseWithLength(s, nl ? (size_t)(nl - s) : (size_t)(end - s))))
			continue;
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(line, "method")) ?
		           cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(line, "method")) : "", "POST") ||
		    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(line, "custom_id"))) {
			cJSON_Delete(line);
			cJSON_Delete(reqs);
			reply_error(rep, 0, 400, "fakellm: a batch line needs custom_id and method POST");
			return;
		}
		q = cJSON_CreateObject();
		cJSON_AddItemToObject(q, "custom_id", cJSON_DetachItemFromObject(line, "custom_id"));
		cJSON_AddItemToObject(q, "body", cJSON_DetachItemFromObject(line, "body"));
		cJSON_AddItemToArray(reqs, q);
		cJSON_Delete(line);
	}
	if (!(b = new_batch(0, reqs))) {
		reply_error(rep, 0, 429, "fakellm: too many batches");
		return;
	}
	reply_json(rep, 200, batch_json(cfg, req, b));
}

static void anthropic_create(const fk_config *cfg, const fk_request *req, fk_reply *rep)
{
	cJSON *in = cJSON_ParseWithLength(req->body, req->body_len), *reqs = cJSON_CreateArray();
	const cJSON *r;
	struct fk_batch *b;

	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(in, "requests")) {
		cJSON *q = cJSON_CreateObject();

		if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(r, "custom_id")) ||
		    strlen(cJSON_GetObjectItemCaseSensitive(r, "custom_id")->valuestring) > 64) {
			cJSON_Delete(q);
			cJSON_Delete(reqs);
			cJSON_Delete(in);
			reply_error(rep, 1, 400, "fakellm: custom_id must be 1 to 64 characters");
			return;
		}
		cJSON_AddItemToObject(q, "custom_id", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "custom_id"), 1));
		cJSON_AddItemToObject(q, "body", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(r, "params"), 1));
		cJSON_AddItemToArray(reqs, q);
	}
	cJSON_Delete(in);
	if (!cJSON_GetArraySize(reqs)) {
		cJSON_Delete(reqs);
		reply_error(rep, 1, 400, "fakellm: requests is empty");
		return;
	}
	if (!(b = new_batch(1, reqs))) {
		reply_error(rep, 1, 429, "fakellm: too many batches");
		return;
	}
	reply_json(rep, 200, batch_json(cfg, req, b));
}

/* after the collection prefix: "" (create), "/{id}", "/{id}/cancel", "/{id}/results" */
static void batch_route(const fk_config *cfg, const fk_request *req, fk_reply *rep, int anth,
                        const char *rest)
{
	int post = !strcmp(req->method, "POST");
	const char *slash = rest[0] == '/' ? strchr(rest + 1, '/') : NULL;
	size_t idlen = rest[0] ? (slash ? (size_t)(slash - rest - 1) : strlen(rest + 1)) : 0;
	struct fk_batch *b = idlen ? find_batch(rest + 1, idlen) : NULL;

	if (!rest[0] && post) {
		(anth ? anthropic_create : openai_create)(cfg, req, rep);
		return;
	}
	if (!b) {
		reply_error(rep, anth, 404, "fakellm: no such batch");
		return;
	}
	if (!slash && !post) {
		n_polls++;
		reply_json(rep, 200, batch_json(cfg, req, b));
	} else if (slash && post && !strcmp(slash, "/cancel")) {
		if (!b->cancel_ms && stage(cfg, b) < 3) {
			b->cancel_ms = now_ms();
			n_cancelled++;
		}
		reply_json(rep, 200, batch_json(cfg, req, b));
	} else if (slash && !post && anth && !strcmp(slash, "/results") && b->computed) {
		rep->status = 200;
		rep->content_type = "application/binary";
		pops_buf_put(&rep->body, b->results.ptr ? b->results.ptr : "", b->results.size);
	} else {
		reply_error(rep, anth, 404, "fakellm: no such endpoint");
	}
}

static void files_route(const fk_request *req, fk_reply *rep, const char *rest)
{
	struct fk_file *f;
	const char *data;
	size_t len;

	if (!rest[0] && !strcmp(req->method, "POST")) {
		cJSON *o;

		if (multipart_file(req, &data, &len) < 0 || !(f = new_file(data, len))) {
			reply_error(rep, 0, 400, "fakellm: a multipart body with a 'file' part is needed");
			return;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", f->id);
		cJSON_AddStringToObject(o, "object", "file");
		cJSON_AddNumberToObject(o, "bytes", (double)len);
		cJSON_AddStringToObject(o, "purpose", "batch");
		reply_json(rep, 200, o);
		return;
	}
	if (rest[0] == '/' && pops_ends_with(rest, "/content")) {
		char id[40];
		size_t n = strlen(rest + 1) - strlen("/content");

		snprintf(id, sizeof(id), "%.*s", (int)n, rest + 1);
		if ((f = find_file(id))) {
			rep->status = 200;
			rep->content_type = "application/octet-stream";
			pops_buf_put(&rep->body, f->data.ptr ? f->data.ptr : "", f->data.size);
			return;
		}
	}
	reply_error(rep, 0, 404, "fakellm: no such file");
}

int fk_batch_handle(const fk_config *cfg, const fk_request *req, fk_reply *rep)
{
	const char *p;
	int anth;

	if (!strcmp(req->path, "/__batches")) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "submitted", (double)n_submitted);
		cJSON_AddNumberToObject(o, "openai", (double)n_openai);
		cJSON_AddNumberToObject(o, "anthropic", (double)n_anthropic);
		cJSON_AddNumberToObject(o, "cancelled", (double)n_cancelled);
		cJSON_AddNumberToObject(o, "polls", (double)n_polls);
		reply_json(rep, 200, o);
		return 1;
	}
	anth = (p = strstr(req->path, "/messages/batches")) != NULL;
	if (anth)
		p += strlen("/messages/batches");
	else if ((p = strstr(req->path, "/batches")))
		p += strlen("/batches");
	else if ((p = strstr(req->path, "/files"))) {
		if (!authorised(cfg, req, 0)) {
			reply_error(rep, 0, 401, "fakellm: bad API key");
			return 1;
		}
		files_route(req, rep, p + strlen("/files"));
		return 1;
	} else {
		return 0;
	}
	if (!authorised(cfg, req, anth)) {
		reply_error(rep, anth, 401, "fakellm: bad API key");
		return 1;
	}
	batch_route(cfg, req, rep, anth, p);
	return 1;
}
