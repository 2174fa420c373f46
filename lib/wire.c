#include "common.h"
#include "wire.h"
#include "jsonget.h"
#include "strutil.h"

int pops_wire_known_type(const char *type)
{
	static const char *const types[] = { "openai", "anthropic", "ollama", "exec", "replay" };
	size_t i;

	for (i = 0; type && i < POPS_ARRAY_SIZE(types); i++)
		if (!strcmp(type, types[i]))
			return 1;
	return 0;
}

int pops_wire_content_text(pops_buf *out, const cJSON *content)
{
	const cJSON *part;

	if (cJSON_IsString(content))
		return pops_buf_puts(out, content->valuestring);
	cJSON_ArrayForEach(part, content) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");

		if (cJSON_IsString(part))
			pops_buf_puts(out, part->valuestring);
		else if (cJSON_IsString(t))
			pops_buf_puts(out, t->valuestring);
	}
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

static int has_media(const cJSON *content)
{
	const cJSON *part, *list = cJSON_IsArray(content) ? content : NULL;

	cJSON_ArrayForEach(part, list)
		if (cJSON_GetObjectItemCaseSensitive(part, "media"))
			return 1;
	return 0;
}

/* OpenAI/Anthropic content: a string when it is all text, else parts */
static cJSON *wire_content(const cJSON *content, int anthropic)
{
	pops_buf text = POPS_BUF_INIT;
	const cJSON *part;
	cJSON *arr;

	if (!has_media(content)) {
		cJSON *s;

		pops_wire_content_text(&text, content);
		s = cJSON_CreateString(text.ptr);
		pops_buf_dispose(&text);
		return s;
	}
	arr = cJSON_CreateArray();
	cJSON_ArrayForEach(part, content) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(part, "media");
		const cJSON *url = cJSON_GetObjectItemCaseSensitive(m, "url");
		cJSON *p = cJSON_CreateObject(), *inner = cJSON_CreateObject();

		if (cJSON_IsString(t)) {
			cJSON_AddStringToObject(p, "type", "text");
			cJSON_AddStringToObject(p, "text", t->valuestring);
			cJSON_Delete(inner);
		} else if (cJSON_IsString(url) && anthropic) {
			cJSON_AddStringToObject(p, "type", "image");
			cJSON_AddStringToObject(inner, "type", "url");
			cJSON_AddStringToObject(inner, "url", url->valuestring);
			cJSON_AddItemToObject(p, "source", inner);
		} else if (cJSON_IsString(url)) {
			cJSON_AddStringToObject(p, "type", "image_url");
			cJSON_AddStringToObject(inner, "url", url->valuestring);
			cJSON_AddItemToObject(p, "image_url", inner);
		} else {
			cJSON_Delete(inner);
			cJSON_Delete(p);
			continue;
		}
		cJSON_AddItemToArray(arr, p);
	}
	return arr;
}

static const char *msg_role(const cJSON *m)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(m, "role");

	if (!cJSON_IsString(r))
		return NULL;
	if (!strcmp(r->valuestring, "model"))
		return "assistant";
	return r->valuestring;
}

static int check_messages(const cJSON *messages)
{
	const cJSON *m;
	int i = 0;

	if (!cJSON_IsArray(messages) || !cJSON_GetArraySize(messages))
		return pops_error_set(POPS_EINVALID, "request has no messages");
	cJSON_ArrayForEach(m, messages) {
		const char *role = msg_role(m);
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");

		if (!role || (strcmp(role, "system") && strcmp(role, "user") &&
		              strcmp(role, "assistant") && strcmp(role, "tool")))
			return pops_error_set(POPS_EINVALID, "message %d has no valid role", i);
		if (!cJSON_IsString(c) && !cJSON_IsArray(c))
			return pops_error_set(POPS_EINVALID, "message %d has no content", i);
		i++;
	}
	return POPS_OK;
}

static const cJSON *cfg_get(const cJSON *cfg, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cfg, a);

	return v ? v : (b ? cJSON_GetObjectItemCaseSensitive(cfg, b) : NULL);
}

/* config keys pops maps itself or keeps (stream, cache); the rest pass through unchanged */
static int mapped_key(const char *k)
{
	static const char *const keys[] = {
		"temperature", "max_tokens", "maxOutputTokens", "top_p", "topP", "top_k",
		"topK", "stop", "stopSequences", "seed", "stream", "cache", NULL
	};
	size_t i;

	for (i = 0; keys[i]; i++)
		if (!strcmp(k, keys[i]))
			return 1;
	return 0;
}

static void add_copy(cJSON *o, const char *name, const cJSON *v)
{
	if (v)
		cJSON_AddItemToObject(o, name, cJSON_Duplicate(v, 1));
}

/* stop as an array (Anthropic and Ollama want one) */
static void add_stop_array(cJSON *o, const char *name, const cJSON *stop)
{
	if (cJSON_IsString(stop)) {
		cJSON *a = cJSON_CreateArray();

		cJSON_AddItemToArray(a, cJSON_CreateString(stop->valuestring));
		cJSON_AddItemToObject(o, name, a);
	} else {
		add_copy(o, name, stop);
	}
}

static void add_passthrough(cJSON *o, const cJSON *cfg)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, cfg)
		if (!mapped_key(it->string) && !cJSON_GetObjectItemCaseSensitive(o, it->string))
			add_copy(o, it->string, it);
}

/* does this request stream? (the caller's flag, or config `stream: true`) */
static int wants_stream(const pops_provider_request *req)
{
	return req->stream || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req->config, "stream"));
}

/* ---- tools in requests (lib/tools.h definitions) ---- */

/* OpenAI's and Ollama's `tools`: [{type: function, function: {name, description, parameters}}] */
static void add_tools_openai(cJSON *o, const pops_provider_request *req, int choice)
{
	const cJSON *d;
	const char *c = req->tool_choice;
	cJSON *tools;

	if (!cJSON_GetArraySize(req->tools))
		return;
	tools = cJSON_AddArrayToObject(o, "tools");
	cJSON_ArrayForEach(d, req->tools) {
		cJSON *t = cJSON_CreateObject(), *f = cJSON_CreateObject();

		cJSON_AddStringToObject(t, "type", "function");
		add_copy(f, "name", cJSON_GetObjectItemCaseSensitive(d, "name"));
		add_copy(f, "description", cJSON_GetObjectItemCaseSensitive(d, "description"));
		add_copy(f, "parameters", cJSON_GetObjectItemCaseSensitive(d, "parameters"));
		cJSON_AddItemToObject(t, "function", f);
		cJSON_AddItemToArray(tools, t);
	}
	if (!choice || !c)
		return;   /* Ollama has no tool_choice */
	if (!strcmp(c, "auto") || !strcmp(c, "none") || !strcmp(c, "required")) {
		cJSON_AddStringToObject(o, "tool_choice", c);
	} else if (!strcmp(c, "any")) {
		cJSON_AddStringToObject(o, "tool_choice", "required");
	} else {
		cJSON *tc = cJSON_CreateObject(), *f = cJSON_CreateObject();

		cJSON_AddStringToObject(tc, "type", "function");
		cJSON_AddStringToObject(f, "name", c);
		cJSON_AddItemToObject(tc, "function", f);
		cJSON_AddItemToObject(o, "tool_choice", tc);
	}
}

/* Anthropic's `tools` [{name, description, input_schema}] and tool_choice {type, name} */
static void add_tools_anthropic(cJSON *o, const pops_provider_request *req)
{
	const cJSON *d;
	const char *c = req->tool_choice;
	cJSON *tools, *tc;

	if (!cJSON_GetArraySize(req->tools))
		return;
	tools = cJSON_AddArrayToObject(o, "tools");
	cJSON_ArrayForEach(d, req->tools) {
		cJSON *t = cJSON_CreateObject();

		add_copy(t, "name", cJSON_GetObjectItemCaseSensitive(d, "name"));
		add_copy(t, "description", cJSON_GetObjectItemCaseSensitive(d, "description"));
		add_copy(t, "input_schema", cJSON_GetObjectItemCaseSensitive(d, "parameters"));
		cJSON_AddItemToArray(tools, t);
	}
	if (!c)
		return;
	tc = cJSON_CreateObject();
	if (!strcmp(c, "auto") || !strcmp(c, "none") || !strcmp(c, "any")) {
		cJSON_AddStringToObject(tc, "type", c);
	} else if (!strcmp(c, "required")) {
		cJSON_AddStringToObject(tc, "type", "any");
	} else {
		cJSON_AddStringToObject(tc, "type", "tool");
		cJSON_AddStringToObject(tc, "name", c);
	}
	cJSON_AddItemToObject(o, "tool_choice", tc);
}

static cJSON *body_openai(const pops_provider_request *req)
{
	cJSON *o = cJSON_CreateObject(), *msgs;
	const cJSON *m, *cfg = req->config;

	cJSON_AddStringToObject(o, "model", req->model_id);
	msgs = cJSON_AddArrayToObject(o, "messages");
	cJSON_ArrayForEach(m, req->messages) {
		cJSON *w = cJSON_CreateObject();

		cJSON_AddStringToObject(w, "role", msg_role(m));
		cJSON_AddItemToObject(w, "content",
		                      wire_content(cJSON_GetObjectItemCaseSensitive(m, "content"), 0));
		cJSON_AddItemToArray(msgs, w);
	}
	add_copy(o, "temperature", cfg_get(cfg, "temperature", NULL));
	add_copy(o, "max_tokens", cfg_get(cfg, "max_tokens", "maxOutputTokens"));
	add_copy(o, "top_p", cfg_get(cfg, "top_p", "topP"));
	add_copy(o, "stop", cfg_get(cfg, "stop", "stopSequences"));
	add_copy(o, "seed", cfg_get(cfg, "seed", NULL));
	if (req->output_schema) {
		cJSON *rf = cJSON_CreateObject(), *js = cJSON_CreateObject();

		cJSON_AddStringToObject(rf, "type", "json_schema");
		cJSON_AddStringToObject(js, "name", "output");
		add_copy(js, "schema", req->output_schema);
		cJSON_AddItemToObject(rf, "json_schema", js);
		cJSON_AddItemToObject(o, "response_format", rf);
	}
	add_tools_openai(o, req, 1);
	if (wants_stream(req)) {
		cJSON *so = cJSON_CreateObject();

		cJSON_AddTrueToObject(o, "stream");
		cJSON_AddTrueToObject(so, "include_usage");
		cJSON_AddItemToObject(o, "stream_options", so);
	}
	add_passthrough(o, cfg);
	return o;
}

/* the system prompt as one text block that ends a prompt-cache breakpoint */
static cJSON *cached_system(const char *text)
{
	cJSON *arr = cJSON_CreateArray(), *b = cJSON_CreateObject(), *cc = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "type", "text");
	cJSON_AddStringToObject(b, "text", text);
	cJSON_AddStringToObject(cc, "type", "ephemeral");
	cJSON_AddItemToObject(b, "cache_control", cc);
	cJSON_AddItemToArray(arr, b);
	return arr;
}

static cJSON *body_anthropic(const pops_provider_request *req)
{
	cJSON *o = cJSON_CreateObject(), *msgs;
	const cJSON *m, *cfg = req->config, *max;
	pops_buf system = POPS_BUF_INIT;

	cJSON_AddStringToObject(o, "model", req->model_id);
	max = cfg_get(cfg, "max_tokens", "maxOutputTokens");
	if (cJSON_IsNumber(max))
		add_copy(o, "max_tokens", max);
	else
		cJSON_AddNumberToObject(o, "max_tokens", POPS_ANTHROPIC_DEFAULT_MAX_TOKENS);
	/* Anthropic takes the system prompt as a top-level field */
	cJSON_ArrayForEach(m, req->messages) {
		if (strcmp(msg_role(m), "system"))
			continue;
		if (system.size)
			pops_buf_puts(&system, "\n\n");
		pops_wire_content_text(&system, cJSON_GetObjectItemCaseSensitive(m, "content"));
	}
	if (system.size && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "cache")))
		cJSON_AddItemToObject(o, "system", cached_system(system.ptr));
	else if (system.size)
		cJSON_AddStringToObject(o, "system", system.ptr);
	pops_buf_dispose(&system);
	msgs = cJSON_AddArrayToObject(o, "messages");
	cJSON_ArrayForEach(m, req->messages) {
		const char *role = msg_role(m);
		cJSON *w;

		if (!strcmp(role, "system"))
			continue;
		w = cJSON_CreateObject();
		cJSON_AddStringToObject(w, "role", strcmp(role, "assistant") ? "user" : "assistant");
		cJSON_AddItemToObject(w, "content",
		                      wire_content(cJSON_GetObjectItemCaseSensitive(m, "content"), 1));
		cJSON_AddItemToArray(msgs, w);
	}
	add_copy(o, "temperature", cfg_get(cfg, "temperature", NULL));
	add_copy(o, "top_p", cfg_get(cfg, "top_p", "topP"));
	add_copy(o, "top_k", cfg_get(cfg, "top_k", "topK"));
	add_stop_array(o, "stop_sequences", cfg_get(cfg, "stop", "stopSequences"));
	add_tools_anthropic(o, req);
	if (req->output_schema) {
		cJSON *tools = cJSON_GetObjectItemCaseSensitive(o, "tools"), *t = cJSON_CreateObject();
		cJSON *tc = cJSON_CreateObject();

		if (!tools)
			tools = cJSON_AddArrayToObject(o, "tools");
		cJSON_AddStringToObject(t, "name", POPS_ANTHROPIC_OUTPUT_TOOL);
		cJSON_AddStringToObject(t, "description", "Give the answer in this structure.");
		add_copy(t, "input_schema", req->output_schema);
		cJSON_AddItemToArray(tools, t);
		/* with tools of its own, the prompt's choice (default: some tool, this one or another) */
		if (cJSON_GetObjectItemCaseSensitive(o, "tool_choice")) {
			cJSON_Delete(tc);
		} else if (cJSON_GetArraySize(tools) > 1) {
			cJSON_AddStringToObject(tc, "type", "any");
			cJSON_AddItemToObject(o, "tool_choice", tc);
		} else {
			cJSON_AddStringToObject(tc, "type", "tool");
			cJSON_AddStringToObject(tc, "name", POPS_ANTHROPIC_OUTPUT_TOOL);
			cJSON_AddItemToObject(o, "tool_choice", tc);
		}
	}
	if (wants_stream(req))
		cJSON_AddTrueToObject(o, "stream");
	add_passthrough(o, cfg);
	return o;
}

static cJSON *body_ollama(const pops_provider_request *req)
{
	cJSON *o = cJSON_CreateObject(), *msgs, *opts = cJSON_CreateObject();
	const cJSON *m, *cfg = req->config;

	cJSON_AddStringToObject(o, "model", req->model_id);
	msgs = cJSON_AddArrayToObject(o, "messages");
	cJSON_ArrayForEach(m, req->messages) {
		cJSON *w = cJSON_CreateObject();
		pops_buf text = POPS_BUF_INIT;

		pops_wire_content_text(&text, cJSON_GetObjectItemCaseSensitive(m, "content"));
		cJSON_AddStringToObject(w, "role", msg_role(m));
		cJSON_AddStringToObject(w, "content", text.ptr);
		pops_buf_dispose(&text);
		cJSON_AddItemToArray(msgs, w);
	}
	cJSON_AddBoolToObject(o, "stream", wants_stream(req));
	if (req->output_schema)
		add_copy(o, "format", req->output_schema);
	add_tools_openai(o, req, 0);
	add_copy(opts, "temperature", cfg_get(cfg, "temperature", NULL));
	add_copy(opts, "num_predict", cfg_get(cfg, "max_tokens", "maxOutputTokens"));
	add_copy(opts, "top_p", cfg_get(cfg, "top_p", "topP"));
	add_copy(opts, "top_k", cfg_get(cfg, "top_k", "topK"));
	add_copy(opts, "seed", cfg_get(cfg, "seed", NULL));
	add_stop_array(opts, "stop", cfg_get(cfg, "stop", "stopSequences"));
	add_passthrough(opts, cfg);
	if (cJSON_GetArraySize(opts))
		cJSON_AddItemToObject(o, "options", opts);
	else
		cJSON_Delete(opts);
	return o;
}

int pops_wire_body(pops_buf *out, const pops_provider_request *req)
{
	const char *type = req->provider ? req->provider->type : "";
	cJSON *o;
	char *s;
	int error;

	if ((error = check_messages(req->messages)) < 0)
		return error;
	if (!req->model_id || !*req->model_id)
		return pops_error_set(POPS_EINVALID, "request has no model id");
	if (req->config && !cJSON_IsObject(req->config))
		return pops_error_set(POPS_EINVALID, "model config must be a mapping");
	if (!strcmp(type, "openai"))
		o = body_openai(req);
	else if (!strcmp(type, "anthropic"))
		o = body_anthropic(req);
	else if (!strcmp(type, "ollama"))
		o = body_ollama(req);
	else
		return pops_error_set(POPS_EINVALID, "provider type '%s' has no HTTP wire format", type);
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	POPS_CHECK_ALLOC(s);
	pops_buf_sets(out, s);
	free(s);
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

/* base_url without a trailing slash */
static void put_base(pops_buf *out, const char *base)
{
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	pops_buf_put(out, base, n);
}

static const char *api_version(const pops_provider_cfg *p)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(p->node, "api_version");

	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

int pops_wire_url(pops_buf *out, const pops_provider_cfg *p)
{
	pops_buf_clear(out);
	if (!p->base_url)
		return pops_error_set(POPS_EINVALID, "provider '%s' has no base_url", p->name);
	put_base(out, p->base_url);
	if (!strcmp(p->type, "openai")) {
		pops_buf_puts(out, "/chat/completions");
		if (api_version(p))
			pops_buf_printf(out, "?api-version=%s", api_version(p));
	} else if (!strcmp(p->type, "anthropic")) {
		pops_buf_puts(out, pops_ends_with(out->ptr, "/v1") ? "/messages" : "/v1/messages");
	} else if (!strcmp(p->type, "ollama")) {
		pops_buf_puts(out, "/api/chat");
	} else {
		return pops_error_set(POPS_EINVALID, "provider '%s' of type %s has no URL",
		                      p->name, p->type);
	}
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

int pops_wire_models_url(pops_buf *out, const pops_provider_cfg *p)
{
	pops_buf_clear(out);
	if (!p->base_url)
		return pops_error_set(POPS_EINVALID, "provider '%s' has no base_url", p->name);
	put_base(out, p->base_url);
	if (!strcmp(p->type, "openai"))
		pops_buf_puts(out, "/models");
	else if (!strcmp(p->type, "anthropic"))
		pops_buf_puts(out, pops_ends_with(out->ptr, "/v1") ? "/models" : "/v1/models");
	else if (!strcmp(p->type, "ollama"))
		pops_buf_puts(out, "/api/tags");
	else
		return pops_error_set(POPS_EINVALID, "provider '%s' of type %s has no model list",
		                      p->name, p->type);
	return pops_buf_oom(out) ? pops_error_oom() : POPS_OK;
}

void pops_wire_key_header(const pops_provider_cfg *p, const char **name, const char **prefix)
{
	*prefix = "";
	if (!strcmp(p->type, "anthropic")) {
		*name = "x-api-key";
	} else if (!strcmp(p->type, "openai")) {
		if (api_version(p)) {
			*name = "api-key";      /* Azure */
		} else {
			*name = "Authorization";
			*prefix = "Bearer ";
		}
	} else if (!strcmp(p->type, "ollama")) {
		*name = "Authorization";   /* for proxies in front of Ollama */
		*prefix = "Bearer ";
	} else {
		*name = NULL;
	}
}

int pops_wire_quota_exhausted(const char *body)
{
	return body && (strstr(body, "insufficient_quota") || strstr(body, "billing_hard_limit") ||
	                strstr(body, "credit balance"));
}

/* the provider's error message, sanitised to one short line */
static void error_message(pops_buf *out, const cJSON *root, const char *body, size_t len)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error"), *msg = NULL;
	const char *text;
	size_t n;

	if (cJSON_IsString(e))
		msg = e;
	else
		msg = cJSON_GetObjectItemCaseSensitive(e, "message");
	if (cJSON_IsString(msg)) {
		text = msg->valuestring;
		n = strlen(text);
	} else {
		text = len ? body : "(empty body)";
		n = len ? len : strlen(text);
	}
	if (n > 200)
		n = 200;
	pops_buf_put_sanitized(out, text, n, 1);
	for (size_t i = 0; i < out->size; i++)
		if (out->ptr[i] == '\n' || out->ptr[i] == '\t')
			out->ptr[i] = ' ';
}

static int fail(pops_provider_result *res, const char *fmt, ...) POPS_PRINTF(2, 3);

static int fail(pops_provider_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pops_str_vset(&res->error, fmt, ap);
	va_end(ap);
	free(res->text);
	free(res->finish_reason);
	res->text = res->finish_reason = NULL;
	cJSON_Delete(res->tool_calls);
	res->tool_calls = NULL;
	res->status = POPS_EPROVIDER;
	return pops_error_set(POPS_EPROVIDER, "%s", res->error ? res->error : "provider error");
}

int pops_wire_nul_mark(pops_buf *out, const char *body, size_t len)
{
	static const unsigned char spare[] = { 0xff, 0xfe, 0xc0, 0xc1, 0xf5, 0xf6, 0xf7,
		0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd };
	const char *p = body, *end = body + len;
	unsigned char marker = 0;
	size_t i;
	int any = 0;

	for (i = 0; i + 6 <= len && !any; i++)
		any = body[i] == '\\' && !memcmp(body + i + 1, "u0000", 5);
	if (!any && !memchr(body, 0, len))
		return 0;
	for (i = 0; i < POPS_ARRAY_SIZE(spare) && !marker; i++)
		if (!memchr(body, spare[i], len))
			marker = spare[i];
	if (!marker)
		return pops_error_set(POPS_EPROVIDER, "model output contains a NUL byte");
	pops_buf_clear(out);
	while (p < end) {
		if (*p == '\\' && end - p >= 6 && !memcmp(p + 1, "u0000", 5)) {
			pops_buf_putc(out, (char)marker);
			p += 6;
		} else if (*p == '\\' && end - p >= 2) {
			/* an escaped backslash is not the start of \u0000 */
			pops_buf_put(out, p, 2);
			p += 2;
		} else {
			pops_buf_putc(out, *p ? *p : (char)marker);
			p++;
		}
	}
	return pops_buf_oom(out) ? pops_error_oom() : marker;
}

int pops_wire_nul_check(pops_provider_result *res, int marker)
{
	const char *at;

	if (res->status != POPS_OK || marker <= 0 || !res->text ||
	    !(at = strchr(res->text, marker)))
		return res->status;
	return fail(res, "model output contains a NUL byte at offset %zu", (size_t)(at - res->text));
}

/* a JSON type for messages about a reply of the wrong shape */
static const char *json_type(const cJSON *v)
{
	return cJSON_IsNumber(v) ? "a number" : cJSON_IsBool(v) ? "a boolean" :
	       cJSON_IsObject(v) ? "an object" : cJSON_IsArray(v) ? "an array" :
	       cJSON_IsString(v) ? "a string" : "null";
}

/*
 * OpenAI content that is not a string: null or absent (tool calls, a
 * refusal) is no text; an array of parts (some compatible servers) is
 * its "text" parts joined. Anything else is a reply pops cannot read:
 * 1 when `content` is usable (text appended to `out`), 0 when not.
 */
static int openai_content(pops_buf *out, const cJSON *content)
{
	const cJSON *part;

	if (!content || cJSON_IsNull(content))
		return 1;
	if (cJSON_IsString(content)) {
		pops_buf_puts(out, content->valuestring);
		return 1;
	}
	if (!cJSON_IsArray(content))
		return 0;
	cJSON_ArrayForEach(part, content) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");

		if (!cJSON_IsObject(part) || (t && !cJSON_IsString(t)))
			return 0;
		if (t)
			pops_buf_puts(out, t->valuestring);
	}
	return 1;
}

/* ---- tool calls in replies ---- */

int pops_wire_tool_call_add(cJSON **calls, const char *name, const cJSON *args)
{
	cJSON *c, *a;

	if (!*calls && !(*calls = cJSON_CreateArray()))
		return pops_error_oom();
	if (cJSON_IsString(args) && !*args->valuestring)
		a = cJSON_CreateObject();
	else if (cJSON_IsString(args) && (a = cJSON_Parse(args->valuestring)))
		;
	else
		a = args ? cJSON_Duplicate(args, 1) : cJSON_CreateObject();
	if (!(c = cJSON_CreateObject()) || !a || !cJSON_AddStringToObject(c, "name", name ? name : "") ||
	    !cJSON_AddItemToObject(c, "arguments", a)) {
		cJSON_Delete(c);
		cJSON_Delete(a);
		return pops_error_oom();
	}
	cJSON_AddItemToArray(*calls, c);
	return POPS_OK;
}

/*
 * OpenAI's and Ollama's message.tool_calls: [{function: {name,
 * arguments}}] (a string of JSON for OpenAI, an object for Ollama).
 * 0, or POPS_EPROVIDER through fail() for a call of the wrong shape.
 */
static int function_calls(pops_provider_result *res, const cJSON *list)
{
	const cJSON *tc;

	if (!list || cJSON_IsNull(list))
		return POPS_OK;
	if (!cJSON_IsArray(list))
		return fail(res, "reply's message.tool_calls is %s, not a list", json_type(list));
	cJSON_ArrayForEach(tc, list) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(tc, "function");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(f, "name");

		if (!cJSON_IsString(name))
			return fail(res, "reply has a tool call without function.name");
		if (pops_wire_tool_call_add(&res->tool_calls, name->valuestring,
		                            cJSON_GetObjectItemCaseSensitive(f, "arguments")) < 0)
			return fail(res, "out of memory");
	}
	return POPS_OK;
}

/*
 * A reply whose fields have the wrong type is a provider error (exit 4,
 * never cached), not an empty output that the assertions would score as
 * the prompt's failure.
 */
static int parse_openai(pops_provider_result *res, const cJSON *root)
{
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
	const cJSON *choice = cJSON_GetArrayItem(choices, 0);
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(choice, "message");
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
	const cJSON *refusal = cJSON_GetObjectItemCaseSensitive(msg, "refusal");
	const cJSON *fr = cJSON_GetObjectItemCaseSensitive(choice, "finish_reason");
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	const char *f = cJSON_IsString(fr) ? fr->valuestring : "";
	pops_buf text = POPS_BUF_INIT;
	long cached;

	if (!cJSON_IsArray(choices))
		return fail(res, "reply has no choices array (choices is %s)", json_type(choices));
	if (!cJSON_IsObject(msg))
		return fail(res, "reply has no choices[0].message");
	if (!openai_content(&text, content)) {
		pops_buf_dispose(&text);
		return fail(res, "reply's choices[0].message.content is %s, not text",
		            json_type(content));
	}
	if (!text.size && cJSON_IsString(refusal))
		pops_buf_sets(&text, refusal->valuestring);
	if (function_calls(res, cJSON_GetObjectItemCaseSensitive(msg, "tool_calls")) < 0) {
		pops_buf_dispose(&text);
		return POPS_EPROVIDER;
	}
	res->text = pops_buf_oom(&text) ? NULL : pops_buf_detach(&text);
	res->finish_reason = pops_strdup(
		!strcmp(f, "stop") ? POPS_FINISH_STOP : !strcmp(f, "length") ? POPS_FINISH_LENGTH :
		!strcmp(f, "content_filter") || cJSON_IsString(refusal) ? POPS_FINISH_FILTER :
		!strcmp(f, "tool_calls") || !strcmp(f, "function_call") ? POPS_FINISH_TOOLS :
		POPS_FINISH_OTHER);
	res->input_tokens = pops_json_count(usage, "prompt_tokens");
	res->output_tokens = pops_json_count(usage, "completion_tokens");
	cached = pops_json_count(cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens_details"),
	                         "cached_tokens");
	res->cached_tokens = cached > 0 ? cached : 0;
	return POPS_OK;
}

static int parse_anthropic(pops_provider_result *res, const cJSON *root)
{
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content"), *block;
	const cJSON *sr = cJSON_GetObjectItemCaseSensitive(root, "stop_reason");
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
	const char *s = cJSON_IsString(sr) ? sr->valuestring : "";
	pops_buf text = POPS_BUF_INIT;
	int tool_output = 0;
	long in, cr, cc;

	if (!cJSON_IsArray(content))
		return fail(res, "reply has no content array (content is %s)", json_type(content));
	cJSON_ArrayForEach(block, content) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(block, "name");

		if (!cJSON_IsString(type))
			continue;
		if (!strcmp(type->valuestring, "text")) {
			const cJSON *t = cJSON_GetObjectItemCaseSensitive(block, "text");

			if (!cJSON_IsString(t)) {
				pops_buf_dispose(&text);
				return fail(res, "reply has a text block whose text is %s", json_type(t));
			}
			pops_buf_puts(&text, t->valuestring);
		} else if (!strcmp(type->valuestring, "tool_use") && cJSON_IsString(name) &&
		           !strcmp(name->valuestring, POPS_ANTHROPIC_OUTPUT_TOOL)) {
			char *j = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(block, "input"));

			/* structured output: the tool input is the answer */
			pops_buf_sets(&text, j ? j : "{}");
			free(j);
			tool_output = 1;
		} else if (!strcmp(type->valuestring, "tool_use") && cJSON_IsString(name)) {
			if (pops_wire_tool_call_add(&res->tool_calls, name->valuestring,
			                            cJSON_GetObjectItemCaseSensitive(block, "input")) < 0) {
				pops_buf_dispose(&text);
				return fail(res, "out of memory");
			}
		} else if (!strcmp(type->valuestring, "tool_use")) {
			pops_buf_dispose(&text);
			return fail(res, "reply has a tool_use block without a name");
		}
	}
	res->text = pops_buf_detach(&text);
	res->finish_reason = pops_strdup(
		!strcmp(s, "end_turn") || !strcmp(s, "stop_sequence") ||
		(tool_output && !res->tool_calls && !strcmp(s, "tool_use")) ? POPS_FINISH_STOP :
		!strcmp(s, "max_tokens") ? POPS_FINISH_LENGTH :
		!strcmp(s, "tool_use") ? POPS_FINISH_TOOLS :
		!strcmp(s, "refusal") ? POPS_FINISH_FILTER : POPS_FINISH_OTHER);
	/* Anthropic counts cache reads and writes outside input_tokens: add them */
	in = pops_json_count(usage, "input_tokens");
	cr = pops_json_count(usage, "cache_read_input_tokens");
	cc = pops_json_count(usage, "cache_creation_input_tokens");
	res->input_tokens = in < 0 ? -1 : in + (cr > 0 ? cr : 0) + (cc > 0 ? cc : 0);
	res->output_tokens = pops_json_count(usage, "output_tokens");
	res->cached_tokens = cr > 0 ? cr : 0;
	res->cache_write_tokens = cc > 0 ? cc : 0;
	return POPS_OK;
}

/* 1 at the "done" object, 0 before it, -1 when the object has the wrong shape */
static int parse_ollama_obj(pops_provider_result *res, const cJSON *o, pops_buf *text)
{
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "message");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(msg, "content");

	if ((msg && !cJSON_IsObject(msg)) || (c && !cJSON_IsString(c) && !cJSON_IsNull(c))) {
		fail(res, "reply's message%s is %s, not text", msg && cJSON_IsObject(msg) ? ".content" : "",
		     json_type(msg && cJSON_IsObject(msg) ? c : msg));
		return -1;
	}
	if (c && cJSON_IsString(c))
		pops_buf_puts(text, c->valuestring);
	if (function_calls(res, cJSON_GetObjectItemCaseSensitive(msg, "tool_calls")) < 0)
		return -1;
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "done"))) {
		const cJSON *dr = cJSON_GetObjectItemCaseSensitive(o, "done_reason");
		const char *d = cJSON_IsString(dr) ? dr->valuestring : "stop";

		res->finish_reason = pops_strdup(res->tool_calls && !strcmp(d, "stop") ? POPS_FINISH_TOOLS :
		                                 !strcmp(d, "stop") ? POPS_FINISH_STOP :
		                                 !strcmp(d, "length") ? POPS_FINISH_LENGTH :
		                                 POPS_FINISH_OTHER);
		res->input_tokens = pops_json_count(o, "prompt_eval_count");
		res->output_tokens = pops_json_count(o, "eval_count");
		res->cached_tokens = 0;
		return 1;
	}
	return 0;
}

/* Ollama: one object, or NDJSON lines when the reply was streamed */
static int parse_ollama(pops_provider_result *res, const char *body, size_t len)
{
	pops_buf text = POPS_BUF_INIT;
	const char *p = body, *end = body + len;
	int done = 0;

	while (p < end && !done) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		cJSON *o;

		if (n) {
			if (!(o = cJSON_ParseWithLength(p, n))) {
				pops_buf_dispose(&text);
				return fail(res, "reply is not JSON");
			}
			done = parse_ollama_obj(res, o, &text);
			cJSON_Delete(o);
			if (done < 0) {
				pops_buf_dispose(&text);
				return POPS_EPROVIDER;
			}
		}
		p += n + 1;
	}
	if (!done) {
		pops_buf_dispose(&text);
		return fail(res, "reply ended before \"done\": true (truncated)");
	}
	res->text = pops_buf_detach(&text);
	return POPS_OK;
}

int pops_wire_parse(pops_provider_result *res, const char *type, long http_status,
                    const char *body, size_t len)
{
	cJSON *root = NULL;
	pops_buf marked = POPS_BUF_INIT;
	int error = POPS_OK, marker;

	free(res->text);
	free(res->finish_reason);
	res->text = res->finish_reason = NULL;
	cJSON_Delete(res->tool_calls);
	res->tool_calls = NULL;
	res->input_tokens = res->output_tokens = -1;
	res->cached_tokens = res->cache_write_tokens = 0;
	res->http_status = http_status;
	if ((marker = pops_wire_nul_mark(&marked, body, len)) < 0) {
		error = fail(res, "%s", pops_error_last());
		goto done;
	}
	if (marker > 0) {
		body = marked.ptr;
		len = marked.size;
	}
	if (http_status >= 400 || (len && !strcmp(type, "ollama") && http_status == 200)) {
		if (http_status < 400) {
			/* Ollama may stream: parse line by line; an "error" line is an error */
			root = cJSON_ParseWithLength(body, len);
			if (root && cJSON_GetObjectItemCaseSensitive(root, "error"))
				goto provider_error;
			cJSON_Delete(root);
			root = NULL;
			error = parse_ollama(res, body, len);
			goto done;
		}
		root = cJSON_ParseWithLength(body, len);
		goto provider_error;
	}
	if (!len) {
		error = fail(res, "empty reply body (HTTP %ld)", http_status);
		goto done;
	}
	if (!(root = cJSON_ParseWithLength(body, len)) || !cJSON_IsObject(root)) {
		error = fail(res, "reply is not a JSON object (HTTP %ld)", http_status);
		goto done;
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "error"))
		goto provider_error;
	if (!strcmp(type, "openai"))
		error = parse_openai(res, root);
	else if (!strcmp(type, "anthropic"))
		error = parse_anthropic(res, root);
	else
		error = fail(res, "provider type '%s' has no HTTP wire format", type);
	goto done;

provider_error:
	{
		pops_buf msg = POPS_BUF_INIT;

		error_message(&msg, root, body, len);
		if (http_status >= 400)
			error = fail(res, "HTTP %ld: %s%s", http_status, msg.ptr,
			             http_status == 429 && pops_wire_quota_exhausted(body) ?
			             " (quota exhausted: not retried)" : "");
		else
			error = fail(res, "error in an HTTP %ld reply: %s", http_status, msg.ptr);
		pops_buf_dispose(&msg);
	}
done:
	cJSON_Delete(root);
	if (error == POPS_OK && (!res->text || !res->finish_reason))
		error = fail(res, "out of memory");
	res->status = error;
	error = pops_wire_nul_check(res, marker);
	pops_buf_dispose(&marked);
	return error;
}
