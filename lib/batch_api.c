#include "common.h"
#include "batch_int.h"
#include "http.h"
#include "jsonget.h"
#include "strutil.h"
#include "wire.h"

/* results files can be big: a batch holds up to 256 MB of requests, replies alike */
#define RESULTS_MAX (1024ul * 1024 * 1024)
#define MULTIPART_BOUNDARY "pops-batch-7f3a9c1e5b"

int pops_batch_supported(const pops_provider_cfg *p)
{
	if (!strcmp(p->type, "anthropic"))
		return 1;
	if (!strcmp(p->type, "openai") &&
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(p->node, "api_version")))
		return 1;
	pops_error_set(POPS_EINVALID,
	               "provider '%s' (type %s%s) has no Batch API pops can use: --batch takes "
	               "openai and openai-compatible or anthropic providers (run without --batch)",
	               p->name, p->type, strcmp(p->type, "openai") ? "" : ", Azure-style");
	return 0;
}

void pops_batch_status_dispose(pops_batch_status *st)
{
	if (!st)
		return;
	free(st->id);
	free(st->status);
	free(st->output);
	free(st->errors);
	memset(st, 0, sizeof(*st));
}

static char *dup_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && v->valuestring[0] ? pops_strdup(v->valuestring) : NULL;
}

int pops_batch_parse_status(pops_batch_status *st, const char *type, const char *json,
                            size_t len)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *rc;
	int anth = !strcmp(type, "anthropic");

	pops_batch_status_dispose(st);
	if (!cJSON_IsObject(o) || !(st->id = dup_str(o, "id")) ||
	    !(st->status = dup_str(o, anth ? "processing_status" : "status"))) {
		cJSON_Delete(o);
		pops_batch_status_dispose(st);
		return pops_error_set(POPS_EPROVIDER, "the provider's answer is not a batch object");
	}
	rc = cJSON_GetObjectItemCaseSensitive(o, "request_counts");
	if (anth) {
		st->succeeded = (long)pops_json_num(rc, "succeeded", 0);
		st->failed = (long)(pops_json_num(rc, "errored", 0) + pops_json_num(rc, "canceled", 0) +
		                    pops_json_num(rc, "expired", 0));
		st->total = st->succeeded + st->failed + (long)pops_json_num(rc, "processing", 0);
		st->ended = !strcmp(st->status, "ended");
		st->output = dup_str(o, "results_url");
	} else {
		st->total = (long)pops_json_num(rc, "total", -1);
		st->failed = (long)pops_json_num(rc, "failed", 0);
		st->succeeded = (long)pops_json_num(rc, "completed", 0);
		st->ended = !strcmp(st->status, "completed") || !strcmp(st->status, "failed") ||
		            !strcmp(st->status, "expired") || !strcmp(st->status, "cancelled");
		st->output = dup_str(o, "output_file_id");
		st->errors = dup_str(o, "error_file_id");
	}
	cJSON_Delete(o);
	return 0;
}

int pops_batch_line(pops_buf *out, const char *type, const char *custom_id, const char *body,
                    size_t len)
{
	cJSON *b = cJSON_ParseWithLength(body, len), *o = cJSON_CreateObject();
	char *text;
	int anth = !strcmp(type, "anthropic");

	if (!b || !o) {
		cJSON_Delete(b);
		cJSON_Delete(o);
		return b ? pops_error_oom() : pops_error_set(POPS_EINVALID, "a batch request body is not JSON");
	}
	cJSON_AddStringToObject(o, "custom_id", custom_id);
	if (anth) {
		cJSON_AddItemToObject(o, "params", b);
	} else {
		cJSON_AddStringToObject(o, "method", "POST");
		cJSON_AddStringToObject(o, "url", "/v1/chat/completions");
		cJSON_AddItemToObject(o, "body", b);
	}
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	POPS_CHECK_ALLOC(text);
	pops_buf_puts(out, text);
	if (!anth)
		pops_buf_putc(out, '\n');
	cJSON_free(text);
	return pops_buf_oom(out) ? pops_error_oom() : 0;
}

/* an error result with `why` (and the provider's message, when there is one) */
static int line_error(pops_provider_result *res, const char *why, const char *msg)
{
	pops_buf b = POPS_BUF_INIT;

	pops_buf_printf(&b, "batch: %s%s%s", why, msg && *msg ? ": " : "", msg && *msg ? msg : "");
	free(res->error);
	res->error = pops_buf_detach(&b);
	res->status = POPS_EPROVIDER;
	return res->error ? POPS_EPROVIDER : pops_error_oom();
}

/* the reply object `reply` parsed as the normal path parses a 200 body */
static int parse_reply(pops_provider_result *res, const char *type, long status, const cJSON *reply)
{
	char *text = cJSON_PrintUnformatted(reply);
	int error;

	POPS_CHECK_ALLOC(text);
	error = pops_wire_parse(res, type, status, text, strlen(text));
	cJSON_free(text);
	return error;
}

static int openai_line(pops_provider_result *res, const cJSON *o)
{
	const cJSON *resp = cJSON_GetObjectItemCaseSensitive(o, "response");
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(o, "error");
	long code = (long)pops_json_num(resp, "status_code", 0);

	if (cJSON_IsObject(err)) {
		const char *c = pops_json_str(err, "code", "");

		return line_error(res, !strcmp(c, "batch_expired") ? "expired" :
		                  !strcmp(c, "batch_cancelled") ? "cancelled" : "errored",
		                  pops_json_str(err, "message", c));
	}
	if (!cJSON_IsObject(resp) || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(resp, "body")))
		return line_error(res, "errored", "the result has no response");
	return parse_reply(res, "openai", code ? code : 200, cJSON_GetObjectItemCaseSensitive(resp, "body"));
}

static int anthropic_line(pops_provider_result *res, const cJSON *o)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "result");
	const char *t = pops_json_str(r, "type", "");
	const cJSON *e;

	if (!strcmp(t, "succeeded"))
		return parse_reply(res, "anthropic", 200, cJSON_GetObjectItemCaseSensitive(r, "message"));
	if (!strcmp(t, "errored")) {
		/* {"type":"error","error":{"type","message"}} */
		e = cJSON_GetObjectItemCaseSensitive(r, "error");
		if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "error")))
			e = cJSON_GetObjectItemCaseSensitive(e, "error");
		return line_error(res, "errored", pops_json_str(e, "message", pops_json_str(e, "type", "")));
	}
	if (!strcmp(t, "expired") || !strcmp(t, "canceled"))
		return line_error(res, !strcmp(t, "expired") ? "expired" : "cancelled", NULL);
	return line_error(res, "errored", "unknown result type");
}

int pops_batch_parse_line(char **custom_id, pops_provider_result *res, const char *type,
                          const char *line, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(line, len);
	int error;

	*custom_id = NULL;
	res->input_tokens = res->output_tokens = -1;
	if (!cJSON_IsObject(o)) {
		cJSON_Delete(o);
		return line_error(res, "errored", "a result line is not JSON");
	}
	*custom_id = dup_str(o, "custom_id");
	error = !strcmp(type, "anthropic") ? anthropic_line(res, o) : openai_line(res, o);
	res->status = error;
	cJSON_Delete(o);
	return error;
}

void pops_batch_price(pops_provider_result *res, const pops_config *cfg, const char *model_id)
{
	const pops_price_cfg *p = cfg && model_id ? pops_config_price(cfg, model_id) : NULL;
	double in, out, cin, cw;
	long cached, written;

	res->priced = 0;
	res->cost_usd = 0;
	if (!p || res->input_tokens < 0 || res->output_tokens < 0)
		return;
	in = p->batch_input >= 0 ? p->batch_input : p->input / 2;
	out = p->batch_output >= 0 ? p->batch_output : p->output / 2;
	cin = (p->cached_input >= 0 ? p->cached_input : p->input) / 2;
	cw = (p->cache_write >= 0 ? p->cache_write : p->input) / 2;
	cached = res->cached_tokens > 0 ? res->cached_tokens : 0;
	if (cached > res->input_tokens)
		cached = res->input_tokens;
	written = res->cache_write_tokens > 0 ? res->cache_write_tokens : 0;
	if (written > res->input_tokens - cached)
		written = res->input_tokens - cached;
	res->cost_usd = ((double)(res->input_tokens - cached - written) * in + (double)cached * cin +
	                 (double)written * cw + (double)res->output_tokens * out) / 1e6;
	res->priced = 1;
}

/* the provider's batch base: openai <base> (where /chat/completions is), anthropic .../messages */
static int base_url(pops_buf *out, const pops_provider_cfg *p)
{
	int error;

	if ((error = pops_wire_url(out, p)) < 0)
		return error;
	if (!strcmp(p->type, "openai") && pops_ends_with(out->ptr, "/chat/completions"))
		pops_buf_truncate(out, out->size - strlen("/chat/completions"));
	return 0;
}

struct one_job {
	pops_http_job *job;
	int given;
};

static int one_next(void *payload, pops_http_job **out)
{
	struct one_job *o = payload;

	if (o->given)
		return 0;
	o->given = 1;
	*out = o->job;
	return 1;
}

static int one_done(void *payload, pops_http_job *job)
{
	(void)payload;
	(void)job;
	return 0;
}

static int job_headers(pops_http_job *job, const pops_provider_cfg *p, const char *ctype)
{
	const char *keyenv = p->api_key_env, *key = keyenv ? getenv(keyenv) : NULL, *kh, *kp;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p->node, "api_version");

	if (keyenv && (!key || !*key))
		return pops_error_set(POPS_EINVALID,
		                      "environment variable %s is not set (provider '%s' reads its API key from it)",
		                      keyenv, p->name);
	pops_http_job_header(job, "Content-Type", ctype ? ctype : "application/json");
	if (!strcmp(p->type, "anthropic"))
		pops_http_job_header(job, "anthropic-version",
		                     cJSON_IsString(v) ? v->valuestring : POPS_ANTHROPIC_VERSION);
	pops_wire_key_header(p, &kh, &kp);
	if (key && kh) {
		pops_buf hv = POPS_BUF_INIT;

		pops_buf_printf(&hv, "%s%s", kp, key);
		pops_http_job_header(job, kh, hv.ptr);
		memset(hv.ptr, 0, hv.size);
		pops_buf_dispose(&hv);
	}
	return 0;
}

/* the provider's message of an error reply, one line */
static int http_error(const pops_provider_cfg *p, const char *path, pops_http_job *job)
{
	pops_provider_result res;
	int code;

	memset(&res, 0, sizeof(res));
	if (job->status != POPS_OK || job->http_status < 400)
		return pops_error_set(job->status == POPS_EINTR ? POPS_EINTR : POPS_EPROVIDER,
		                      "provider '%s': %s: %s", p->name, path,
		                      job->error ? job->error : "request failed");
	pops_wire_parse(&res, p->type, job->http_status, job->response.ptr ? job->response.ptr : "",
	                job->response.size);
	code = pops_error_set(POPS_EPROVIDER, "provider '%s': %s: %s", p->name, path,
	                      res.error ? res.error : "request failed");
	pops_provider_result_dispose(&res);
	return code;
}

int pops_batch__http(pops_buf *out, const pops_provider_cfg *p, const char *path,
                     const char *body, size_t len, const char *ctype,
                     const pops_provider_options *opts)
{
	pops_http_options ho;
	struct one_job one = { NULL, 0 };
	pops_buf url = POPS_BUF_INIT;
	int error;

	if (!(one.job = pops_http_job_new()))
		return pops_error_oom();
	if (!strncmp(path, "http://", 7) || !strncmp(path, "https://", 8))
		pops_buf_puts(&url, path);
	else if ((error = base_url(&url, p)) < 0 || (pops_buf_puts(&url, path), 0))
		goto done;
	if ((error = job_headers(one.job, p, ctype)) < 0)
		goto done;
	one.job->url = pops_buf_detach(&url);
	if (body) {
		if (!(one.job->body = malloc(len + 1))) {
			error = pops_error_oom();
			goto done;
		}
		memcpy(one.job->body, body, len);
		one.job->body[len] = '\0';
		one.job->body_len = len;
	}
	memset(&ho, 0, sizeof(ho));
	ho.concurrency = 1;
	ho.timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 600000;
	ho.max_retries = opts->max_retries;
	ho.retry_base_ms = opts->retry_base_ms;
	ho.retry_max_ms = opts->retry_max_ms;
	ho.max_body = RESULTS_MAX;
	ho.cancel = opts->cancel;
	if ((error = pops_http_run(&ho, one_next, one_done, &one)) < 0 && error != POPS_EINTR)
		goto done;
	if (one.job->status != POPS_OK || one.job->http_status < 200 || one.job->http_status >= 300) {
		error = http_error(p, path, one.job);
		goto done;
	}
	pops_buf_clear(out);
	pops_buf_put(out, one.job->response.ptr ? one.job->response.ptr : "", one.job->response.size);
	error = pops_buf_oom(out) ? pops_error_oom() : 0;
done:
	pops_buf_dispose(&url);
	pops_http_job_free(one.job);
	return error;
}

static int openai_submit(pops_batch_status *st, const pops_provider_cfg *p, const pops_buf *lines,
                         const char *label, const pops_provider_options *opts)
{
	pops_buf mp = POPS_BUF_INIT, reply = POPS_BUF_INIT;
	cJSON *f = NULL, *req = NULL, *md;
	char *text = NULL;
	int error;

	pops_buf_puts(&mp, "--" MULTIPART_BOUNDARY "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n"
	              "batch\r\n--" MULTIPART_BOUNDARY "\r\nContent-Disposition: form-data; name=\"file\"; "
	              "filename=\"pops-batch.jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n");
	pops_buf_put(&mp, lines->ptr, lines->size);
	pops_buf_puts(&mp, "\r\n--" MULTIPART_BOUNDARY "--\r\n");
	if (pops_buf_oom(&mp)) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = pops_batch__http(&reply, p, "/files", mp.ptr, mp.size,
	                              "multipart/form-data; boundary=" MULTIPART_BOUNDARY, opts)) < 0)
		goto done;
	f = cJSON_ParseWithLength(reply.ptr, reply.size);
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(f, "id"))) {
		error = pops_error_set(POPS_EPROVIDER, "provider '%s': the file upload gave no file id", p->name);
		goto done;
	}
	if (!(req = cJSON_CreateObject()) ||
	    !cJSON_AddStringToObject(req, "input_file_id", pops_json_str(f, "id", "")) ||
	    !cJSON_AddStringToObject(req, "endpoint", "/v1/chat/completions") ||
	    !cJSON_AddStringToObject(req, "completion_window", "24h") ||
	    !(md = cJSON_AddObjectToObject(req, "metadata")) ||
	    !cJSON_AddStringToObject(md, "pops_suite", label ? label : "") ||
	    !(text = cJSON_PrintUnformatted(req))) {
		error = pops_error_oom();
		goto done;
	}
	if ((error = pops_batch__http(&reply, p, "/batches", text, strlen(text), NULL, opts)) == 0)
		error = pops_batch_parse_status(st, p->type, reply.ptr, reply.size);
done:
	cJSON_free(text);
	cJSON_Delete(req);
	cJSON_Delete(f);
	pops_buf_dispose(&mp);
	pops_buf_dispose(&reply);
	return error;
}

int pops_batch__submit(pops_batch_status *st, const pops_provider_cfg *p, const pops_buf *payload,
                       const char *label, const pops_provider_options *opts)
{
	pops_buf body = POPS_BUF_INIT, reply = POPS_BUF_INIT;
	int error;

	if (strcmp(p->type, "anthropic"))
		return openai_submit(st, p, payload, label, opts);
	pops_buf_puts(&body, "{\"requests\":[");
	pops_buf_put(&body, payload->ptr, payload->size);
	pops_buf_puts(&body, "]}");
	if (pops_buf_oom(&body))
		error = pops_error_oom();
	else if ((error = pops_batch__http(&reply, p, "/batches", body.ptr, body.size, NULL, opts)) == 0)
		error = pops_batch_parse_status(st, p->type, reply.ptr, reply.size);
	pops_buf_dispose(&body);
	pops_buf_dispose(&reply);
	return error;
}

int pops_batch_get(pops_batch_status *st, const pops_provider_cfg *p, const char *id,
                   const pops_provider_options *opts)
{
	pops_buf path = POPS_BUF_INIT, reply = POPS_BUF_INIT;
	int error;

	pops_buf_printf(&path, "/batches/%s", id);
	if ((error = pops_batch__http(&reply, p, path.ptr, NULL, 0, NULL, opts)) == 0)
		error = pops_batch_parse_status(st, p->type, reply.ptr, reply.size);
	pops_buf_dispose(&path);
	pops_buf_dispose(&reply);
	return error;
}

int pops_batch_cancel(pops_batch_status *st, const pops_provider_cfg *p, const char *id,
                      const pops_provider_options *opts)
{
	pops_buf path = POPS_BUF_INIT, reply = POPS_BUF_INIT;
	int error;

	pops_buf_printf(&path, "/batches/%s/cancel", id);
	if ((error = pops_batch__http(&reply, p, path.ptr, "{}", 2, NULL, opts)) == 0)
		error = pops_batch_parse_status(st, p->type, reply.ptr, reply.size);
	pops_buf_dispose(&path);
	pops_buf_dispose(&reply);
	return error;
}
