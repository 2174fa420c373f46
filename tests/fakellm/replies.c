/*
 * fakellm replies: a deterministic function of the request (plus the
 * arrival counter that `fail_times` uses), in the OpenAI, Anthropic and
 * Ollama wire formats.
 *
 * Reply text: --reply / x-fakellm-reply when given; in judge mode (--judge,
 * x-fakellm-mode: judge, or a model id containing "judge") a verdict JSON
 * {"reasoning","score","verdict"} whose verdict is "fail" when the prompt
 * contains "[[fail]]" (or x-fakellm-verdict / --verdict); a pairwise
 * prompt (holding <response_a>) gets {"reasoning","verdict":"A"|"B"|"tie"}
 * preferring the response that holds "[[better]]"; with a JSON
 * schema (response_format, Ollama format, Anthropic forced tool) an
 * instance of the schema; otherwise the last user message, echoed.
 * A request that offers tools (`tools`, not Anthropic's forced output
 * tool) is answered with a call for each "[[tool:NAME {json}]]" marker
 * in its messages (the JSON, the arguments, may be left out: {}), in
 * order, beside the echoed text: OpenAI message.tool_calls (arguments
 * as a JSON string; streamed as tool-call deltas, the arguments in two
 * pieces), Anthropic tool_use blocks (streamed with input_json_delta),
 * Ollama message.tool_calls (streamed whole, in one line before the
 * last); the finish reason is the format's tool-call one.
 * "[[nul]]" in a reply is sent as \u0000 (a NUL byte in the output; not
 * in streamed Ollama pieces).
 * max_tokens cuts the reply at 4 bytes per token (finish "length");
 * a stop sequence cuts it at the sequence. Tokens: 4 bytes per token,
 * rounded up; cached tokens from --cached-tokens / x-fakellm-cached-tokens;
 * Anthropic cache writes (a system prompt with cache_control) from
 * --cache-write-tokens / x-fakellm-cache-write-tokens. Streamed replies:
 * see stream_reply.
 * x-fakellm-rate-limit: N lets N requests wait for their reply at once:
 * each reply says how many more may come (x-ratelimit-remaining-requests),
 * and one arriving beyond that is a 429 with retry-after-ms: 20.
 */
#include "fakellm.h"
#include "strutil.h"

#include <strings.h>

fk_stats fk_stats_g;

#define RING 64
static char *ring[RING];
static size_t ring_len[RING];
static unsigned long ring_next;

enum { W_OPENAI, W_ANTHROPIC, W_OLLAMA };

const char *fk_header_get(const fk_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (!strcmp(req->headers[i].name, name))
			return req->headers[i].value;
	return NULL;
}

/* header, else flag */
static const char *opt(const fk_request *req, const char *hdr, const char *flag)
{
	const char *v = fk_header_get(req, hdr);

	return v ? v : flag;
}

static long opt_long(const fk_request *req, const char *hdr, long flag)
{
	const char *v = fk_header_get(req, hdr);
	long n;

	if (v && pops_parse_long(&n, v, 0, LONG_MAX) == 0)
		return n;
	return flag;
}

/* ---- request memory: /__requests, --log, fail_times ---- */

void fk_remember(const fk_request *req)
{
	pops_buf b = POPS_BUF_INIT;
	size_t i, slot = ring_next++ % RING;

	pops_buf_printf(&b, "%s %s%s%s\n", req->method, req->path,
	                *req->query ? "?" : "", req->query);
	for (i = 0; i < req->nheaders; i++)
		pops_buf_printf(&b, "%s\n%s\n", req->headers[i].name, req->headers[i].value);
	pops_buf_putc(&b, '\n');
	pops_buf_put(&b, req->body, req->body_len);
	free(ring[slot]);
	ring_len[slot] = b.size;
	ring[slot] = pops_buf_detach(&b);
}

static int secret_header(const char *name)
{
	return !strcmp(name, "authorization") || !strcmp(name, "x-api-key") ||
	       !strcmp(name, "api-key") || !strcmp(name, "x-goog-api-key");
}

static void request_json(pops_buf *out, const char *method, const char *path,
                         const char *const *hn, const char *const *hv, size_t nh,
                         const char *body, size_t body_len)
{
	cJSON *o = cJSON_CreateObject(), *h = cJSON_CreateObject(), *b;
	char *s;
	size_t i;

	cJSON_AddStringToObject(o, "method", method);
	cJSON_AddStringToObject(o, "path", path);
	for (i = 0; i < nh; i++)
		cJSON_AddStringToObject(h, hn[i], secret_header(hn[i]) ? "[redacted]" : hv[i]);
	cJSON_AddItemToObject(o, "headers", h);
	b = cJSON_ParseWithLength(body, body_len);
	if (!b) {
		char *copy = pops_strndup(body, body_len);

		b = cJSON_CreateString(copy ? copy : "");
		free(copy);
	}
	cJSON_AddItemToObject(o, "body", b);
	s = cJSON_PrintUnformatted(o);
	if (s)
		pops_buf_puts(out, s);
	free(s);
	cJSON_Delete(o);
}

void fk_request_json(pops_buf *out, const fk_request *req)
{
	const char *hn[64], *hv[64];
	pops_buf path = POPS_BUF_INIT;
	size_t i, n = req->nheaders < 64 ? req->nheaders : 64;

	for (i = 0; i < n; i++) {
		hn[i] = req->headers[i].name;
		hv[i] = req->headers[i].value;
	}
	pops_buf_printf(&path, "%s%s%s", req->path, *req->query ? "?" : "", req->query);
	request_json(out, req->method, path.ptr, hn, hv, n, req->body, req->body_len);
	pops_buf_dispose(&path);
}

/* the remembered requests, oldest first, as a JSON array */
void fk_requests_json(pops_buf *out)
{
	unsigned long k, first = ring_next > RING ? ring_next - RING : 0;

	pops_buf_putc(out, '[');
	for (k = first; k < ring_next; k++) {
		char *raw = pops_strndup(ring[k % RING], ring_len[k % RING]);
		char *line, *p, *method, *path;
		const char *hn[64], *hv[64];
		size_t nh = 0;

		if (!raw)
			continue;
		p = raw;
		line = p;
		p = strchr(p, '\n');
		*p++ = '\0';
		method = line;
		path = strchr(line, ' ');
		*path++ = '\0';
		while (*p != '\n' && nh < 64) {
			hn[nh] = p;
			p = strchr(p, '\n');
			*p++ = '\0';
			hv[nh++] = p;
			p = strchr(p, '\n');
			*p++ = '\0';
		}
		p++;
		if (k > first)
			pops_buf_putc(out, ',');
		request_json(out, method, path, hn, hv, nh, p,
		             ring_len[k % RING] - (size_t)(p - raw));
		free(raw);
	}
	pops_buf_puts(out, "]\n");
}

void fk_stats_json(pops_buf *out)
{
	size_t i;
	int first = 1;

	pops_buf_printf(out, "{\"requests\":%lu,\"chat\":%lu,\"openai\":%lu,\"anthropic\":%lu,"
	                "\"ollama\":%lu,\"models\":%lu,\"faults\":%lu,\"connections\":%lu,"
	                "\"by_status\":{",
	                fk_stats_g.requests, fk_stats_g.chat, fk_stats_g.openai,
	                fk_stats_g.anthropic, fk_stats_g.ollama, fk_stats_g.models,
	                fk_stats_g.faults, fk_stats_g.connections);
	for (i = 0; i < POPS_ARRAY_SIZE(fk_stats_g.by_status); i++) {
		if (!fk_stats_g.by_status[i])
			continue;
		pops_buf_printf(out, "%s\"%zu\":%lu", first ? "" : ",", i, fk_stats_g.by_status[i]);
		first = 0;
	}
	pops_buf_puts(out, "}}\n");
}

/* counters for fail_times: FNV-1a of path + body, open addressing */
#define ARRIVALS 8192
static uint64_t arrival_key[ARRIVALS];
static unsigned long arrival_count[ARRIVALS];

unsigned long fk_arrival_count(const fk_request *req)
{
	uint64_t h = 1469598103934665603ull;
	size_t i, slot;

	for (i = 0; req->path[i]; i++)
		h = (h ^ (unsigned char)req->path[i]) * 1099511628211ull;
	for (i = 0; i < req->body_len; i++)
		h = (h ^ (unsigned char)req->body[i]) * 1099511628211ull;
	h |= 1;
	for (slot = h % ARRIVALS, i = 0; i < ARRIVALS; i++, slot = (slot + 1) % ARRIVALS) {
		if (arrival_key[slot] == h || !arrival_key[slot]) {
			arrival_key[slot] = h;
			return ++arrival_count[slot];
		}
	}
	return 1;
}

void fk_stats_reset(void)
{
	size_t i;

	memset(&fk_stats_g, 0, sizeof(fk_stats_g));
	memset(arrival_key, 0, sizeof(arrival_key));
	memset(arrival_count, 0, sizeof(arrival_count));
	for (i = 0; i < RING; i++) {
		free(ring[i]);
		ring[i] = NULL;
	}
	ring_next = 0;
}

/* ---- wire formats ---- */

static void json_reply(fk_reply *rep, int status, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	rep->status = status;
	rep->content_type = "application/json";
	if (s)
		pops_buf_puts(&rep->body, s);
	free(s);
	cJSON_Delete(o);
}

static void error_reply(fk_reply *rep, int wire, int status, const char *type,
                        const char *msg)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_CreateObject();

	if (wire == W_ANTHROPIC)
		cJSON_AddStringToObject(o, "type", "error");
	cJSON_AddStringToObject(e, "type", type);
	cJSON_AddStringToObject(e, "message", msg);
	if (wire == W_OPENAI)
		cJSON_AddStringToObject(e, "code", type);
	cJSON_AddItemToObject(o, "error", e);
	json_reply(rep, status, o);
}

/* text of a content value: a string or an array of {type:text,text} / {text} */
static void content_text(pops_buf *out, const cJSON *content)
{
	const cJSON *part;

	if (cJSON_IsString(content)) {
		pops_buf_puts(out, content->valuestring);
		return;
	}
	cJSON_ArrayForEach(part, content) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");

		if (cJSON_IsString(t))
			pops_buf_puts(out, t->valuestring);
	}
}

/* an instance of a JSON Schema: first enum value, required properties, one item */
static cJSON *schema_instance(const cJSON *schema, const char *text, int depth)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(schema, "type");
	const cJSON *en = cJSON_GetObjectItemCaseSensitive(schema, "enum");
	const char *t = cJSON_IsString(type) ? type->valuestring : "";

	if (cJSON_IsArray(type) && cJSON_IsString(cJSON_GetArrayItem(type, 0)))
		t = cJSON_GetArrayItem(type, 0)->valuestring;
	if (cJSON_IsArray(en) && cJSON_GetArraySize(en) > 0)
		return cJSON_Duplicate(cJSON_GetArrayItem(en, 0), 1);
	if (depth > 16)
		return cJSON_CreateNull();
	if (!strcmp(t, "object") || (!*t && cJSON_GetObjectItemCaseSensitive(schema, "properties"))) {
		cJSON *o = cJSON_CreateObject();
		const cJSON *p;

		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(schema, "properties"))
			cJSON_AddItemToObject(o, p->string, schema_instance(p, text, depth + 1));
		return o;
	}
	if (!strcmp(t, "array")) {
		cJSON *a = cJSON_CreateArray();

		cJSON_AddItemToArray(a, schema_instance(cJSON_GetObjectItemCaseSensitive(schema, "items"),
		                                        text, depth + 1));
		return a;
	}
	if (!strcmp(t, "integer") || !strcmp(t, "number"))
		return cJSON_CreateNumber(1);
	if (!strcmp(t, "boolean"))
		return cJSON_CreateTrue();
	if (!strcmp(t, "null"))
		return cJSON_CreateNull();
	return cJSON_CreateString(text);
}

static long tokens(size_t bytes)
{
	return bytes ? (long)((bytes + 3) / 4) : 0;
}

typedef struct chat {
	int wire;
	const char *model;
	pops_buf prompt;        /* all message text, for token counts and [[fail]] */
	pops_buf last_user;
	const cJSON *schema;    /* structured output schema, or NULL */
	int json_mode;          /* json without schema */
	const char *tool_name;  /* anthropic forced tool */
	long max_tokens;        /* 0 = none */
	const cJSON *stop;
	int stream;
	int include_usage;      /* OpenAI stream_options.include_usage */
	int cache_control;      /* Anthropic: the system prompt carries cache_control */
	cJSON *calls;           /* tool calls to answer with [{"name","arguments"}], or NULL */
} chat;

/* the "[[tool:NAME {json}]]" markers of `text`, when the request offers tools */
static cJSON *marker_calls(const char *text)
{
	cJSON *calls = NULL;
	const char *p = text;

	while (p && (p = strstr(p, "[[tool:"))) {
		const char *name = p + 7, *end;
		size_t n = strcspn(name, " ]");
		cJSON *args = NULL, *c;

		p = name + n;
		while (*p == ' ')
			p++;
		if (*p != ']') {
			args = cJSON_ParseWithOpts(p, &end, 0);
			if (!args)
				continue;
			p = end;
		}
		if (strncmp(p, "]]", 2) || !n) {
			cJSON_Delete(args);
			continue;
		}
		p += 2;
		if (!calls)
			calls = cJSON_CreateArray();
		c = cJSON_CreateObject();
		{
			char *nm = pops_strndup(name, n);

			cJSON_AddStringToObject(c, "name", nm ? nm : "");
			free(nm);
		}
		cJSON_AddItemToObject(c, "arguments", args ? args : cJSON_CreateObject());
		cJSON_AddItemToArray(calls, c);
	}
	return calls;
}

static int parse_chat(chat *ch, const cJSON *body, fk_reply *rep)
{
	const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages"), *m;
	const cJSON *model = cJSON_GetObjectItemCaseSensitive(body, "model");
	const cJSON *v, *opts = cJSON_GetObjectItemCaseSensitive(body, "options");

	if (!cJSON_IsString(model) || !*model->valuestring) {
		error_reply(rep, ch->wire, 400, "invalid_request_error", "model: field required");
		return -1;
	}
	ch->model = model->valuestring;
	if (!cJSON_IsArray(msgs) || !cJSON_GetArraySize(msgs)) {
		error_reply(rep, ch->wire, 400, "invalid_request_error", "messages: at least one message is required");
		return -1;
	}
	if (ch->wire == W_ANTHROPIC) {
		v = cJSON_GetObjectItemCaseSensitive(body, "max_tokens");
		if (!cJSON_IsNumber(v) || v->valuedouble < 1) {
			error_reply(rep, ch->wire, 400, "invalid_request_error", "max_tokens: field required");
			return -1;
		}
		content_text(&ch->prompt, cJSON_GetObjectItemCaseSensitive(body, "system"));
	}
	cJSON_ArrayForEach(m, msgs) {
		const cJSON *role = cJSON_GetObjectItemCaseSensitive(m, "role");

		if (!cJSON_IsString(role)) {
			error_reply(rep, ch->wire, 400, "invalid_request_error", "messages: role required");
			return -1;
		}
		if (ch->wire == W_ANTHROPIC && strcmp(role->valuestring, "user") &&
		    strcmp(role->valuestring, "assistant")) {
			error_reply(rep, ch->wire, 400, "invalid_request_error",
			            "messages: roles must be user or assistant; use the top-level system parameter");
			return -1;
		}
		content_text(&ch->prompt, cJSON_GetObjectItemCaseSensitive(m, "content"));
		if (!strcmp(role->valuestring, "user")) {
			pops_buf_clear(&ch->last_user);
			content_text(&ch->last_user, cJSON_GetObjectItemCaseSensitive(m, "content"));
		}
	}
	if (ch->wire == W_OPENAI) {
		const cJSON *rf = cJSON_GetObjectItemCaseSensitive(body, "response_format");
		const cJSON *rt = cJSON_GetObjectItemCaseSensitive(rf, "type");

		if (cJSON_IsString(rt) && !strcmp(rt->valuestring, "json_schema"))
			ch->schema = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(rf, "json_schema"), "schema");
		else if (cJSON_IsString(rt) && !strcmp(rt->valuestring, "json_object"))
			ch->json_mode = 1;
		v = cJSON_GetObjectItemCaseSensitive(body, "max_completion_tokens");
		if (!v)
			v = cJSON_GetObjectItemCaseSensitive(body, "max_tokens");
		ch->stop = cJSON_GetObjectItemCaseSensitive(body, "stop");
		ch->stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "stream"));
		ch->include_usage = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(body, "stream_options"), "include_usage"));
	} else if (ch->wire == W_ANTHROPIC) {
		const cJSON *tc = cJSON_GetObjectItemCaseSensitive(body, "tool_choice"), *tool;
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(tc, "name");
		const cJSON *sys = cJSON_GetObjectItemCaseSensitive(body, "system"), *b;

		if (cJSON_IsArray(sys))
			cJSON_ArrayForEach(b, sys)
				if (cJSON_GetObjectItemCaseSensitive(b, "cache_control"))
					ch->cache_control = 1;
		ch->stream = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "stream"));

		if (cJSON_IsString(name)) {
			cJSON_ArrayForEach(tool, cJSON_GetObjectItemCaseSensitive(body, "tools")) {
				const cJSON *tn = cJSON_GetObjectItemCaseSensitive(tool, "name");

				if (cJSON_IsString(tn) && !strcmp(tn->valuestring, name->valuestring)) {
					ch->tool_name = tn->valuestring;
					ch->schema = cJSON_GetObjectItemCaseSensitive(tool, "input_schema");
				}
			}
		}
		v = cJSON_GetObjectItemCaseSensitive(body, "max_tokens");
		ch->stop = cJSON_GetObjectItemCaseSensitive(body, "stop_sequences");
	} else {
		const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(body, "format");
		const cJSON *st = cJSON_GetObjectItemCaseSensitive(body, "stream");

		if (cJSON_IsObject(fmt))
			ch->schema = fmt;
		else if (cJSON_IsString(fmt))
			ch->json_mode = 1;
		v = cJSON_GetObjectItemCaseSensitive(opts, "num_predict");
		ch->stop = cJSON_GetObjectItemCaseSensitive(opts, "stop");
		/* Ollama streams unless told not to */
		ch->stream = !cJSON_IsFalse(st);
	}
	if (cJSON_IsNumber(v) && v->valuedouble >= 1)
		ch->max_tokens = (long)v->valuedouble;
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(body, "tools")) && !ch->tool_name)
		ch->calls = marker_calls(ch->prompt.ptr ? ch->prompt.ptr : "");
	return 0;
}

/* does the text between <tag> and </tag> hold "[[better]]"? */
static int tagged_better(const char *prompt, const char *open, const char *close)
{
	const char *a = strstr(prompt, open), *b = a ? strstr(a, close) : NULL;
	const char *m = a ? strstr(a, "[[better]]") : NULL;

	return m && b && m < b;
}

/*
 * Pairwise judge: prefers the response holding "[[better]]"; "tie" when
 * both or neither do. Responses sit in <response_a> / <response_b>.
 */
static const char *pair_verdict(const char *prompt)
{
	int a = tagged_better(prompt, "<response_a>", "</response_a>");
	int b = tagged_better(prompt, "<response_b>", "</response_b>");

	return a && !b ? "A" : b && !a ? "B" : "tie";
}

/*
 * Per-model judge answers, for juries and self-consistency: in the
 * prompt, "[[fail:MODEL]]" fails the judge whose model id is MODEL,
 * "[[score:MODEL=N]]" (or "[[score=N]]" for every judge) answers score N,
 * with verdict pass when N >= 3 on its own; "[[fail-restated]]" fails a
 * judge asked with the rubric reworded ("Restated:"), so it contradicts
 * itself.
 */
static void judge_control(const char *prompt, const char *model, const char **verdict, int *score)
{
	char tag[160];
	const char *p;

	snprintf(tag, sizeof(tag), "[[fail:%s]]", model);
	if (strstr(prompt, tag))
		*verdict = "fail";
	if (strstr(prompt, "[[fail-restated]]") && strstr(prompt, "Restated:"))
		*verdict = "fail";
	*score = !strcmp(*verdict, "pass") ? 5 : 1;
	snprintf(tag, sizeof(tag), "[[score:%s=", model);
	if ((p = strstr(prompt, tag)) || (p = strstr(prompt, "[[score=")))
		*score = (int)strtol(strchr(p, '=') + 1, NULL, 10);
	if (p)
		*verdict = *score >= 3 ? "pass" : "fail";
}

/* the reply text and the finish reason */
static void make_text(const fk_config *cfg, const fk_request *req, chat *ch,
                      pops_buf *text, const char **finish)
{
	const char *fixed = opt(req, "x-fakellm-reply", cfg->reply);
	const char *mode = fk_header_get(req, "x-fakellm-mode");
	int judge = cfg->judge || (mode && !strcmp(mode, "judge")) || strstr(ch->model, "judge");
	const cJSON *sv;
	size_t cut = SIZE_MAX;

	*finish = "stop";
	if (fixed) {
		pops_buf_puts(text, fixed);
	} else if (judge) {
		const char *verdict = opt(req, "x-fakellm-verdict", cfg->verdict);
		cJSON *o = cJSON_CreateObject();
		char *s;

		int pair = strstr(ch->prompt.ptr, "<response_a>") != NULL;

		int score = 0;

		if (!verdict)
			verdict = pair ? pair_verdict(ch->prompt.ptr) :
			          strstr(ch->prompt.ptr, "[[fail]]") ? "fail" : "pass";
		if (!pair)
			judge_control(ch->prompt.ptr, ch->model, &verdict, &score);
		cJSON_AddStringToObject(o, "reasoning", "fakellm judge: deterministic verdict");
		if (!pair)
			cJSON_AddNumberToObject(o, "score", score);
		cJSON_AddStringToObject(o, "verdict", verdict);
		s = cJSON_PrintUnformatted(o);
		pops_buf_puts(text, s ? s : "");
		free(s);
		cJSON_Delete(o);
		return;     /* never truncated: judges need the whole verdict */
	} else if (ch->schema) {
		cJSON *inst = schema_instance(ch->schema, ch->last_user.ptr, 0);
		char *s = cJSON_PrintUnformatted(inst);

		pops_buf_puts(text, s ? s : "");
		free(s);
		cJSON_Delete(inst);
		return;
	} else if (ch->json_mode) {
		cJSON *o = cJSON_CreateObject();
		char *s;

		cJSON_AddStringToObject(o, "text", ch->last_user.ptr);
		s = cJSON_PrintUnformatted(o);
		pops_buf_puts(text, s ? s : "");
		free(s);
		cJSON_Delete(o);
		return;
	} else {
		pops_buf_puts(text, ch->last_user.ptr);
	}
	if (cJSON_IsString(ch->stop))
		sv = ch->stop;
	else
		sv = NULL;
	if (sv && *sv->valuestring) {
		char *at = strstr(text->ptr, sv->valuestring);

		if (at)
			cut = (size_t)(at - text->ptr);
	} else {
		const cJSON *s, *list = cJSON_IsArray(ch->stop) ? ch->stop : NULL;

		cJSON_ArrayForEach(s, list) {
			char *at;

			if (cJSON_IsString(s) && *s->valuestring &&
			    (at = strstr(text->ptr, s->valuestring)) && (size_t)(at - text->ptr) < cut)
				cut = (size_t)(at - text->ptr);
		}
	}
	if (cut != SIZE_MAX) {
		pops_buf_truncate(text, cut);
		*finish = "stop_sequence";
	}
	if (ch->max_tokens && text->size > (size_t)ch->max_tokens * 4) {
		pops_buf_truncate(text, (size_t)ch->max_tokens * 4);
		*finish = "length";
	}
}

/* one SSE event (or NDJSON line) from a JSON object, which is consumed */
static void put_event(pops_buf *out, int wire, const char *event, cJSON *o)
{
	char *s = cJSON_PrintUnformatted(o);

	if (wire == W_OLLAMA) {
		pops_buf_printf(out, "%s\n", s ? s : "{}");
	} else {
		if (event)
			pops_buf_printf(out, "event: %s\n", event);
		pops_buf_printf(out, "data: %s\n\n", s ? s : "{}");
	}
	free(s);
	cJSON_Delete(o);
}

/* piece i of n of `text`, never inside a UTF-8 sequence */
static size_t piece_end(const pops_buf *text, size_t start, size_t n, size_t i)
{
	size_t end = i + 1 >= n ? text->size : text->size * (i + 1) / n;

	if (end < start)
		end = start;
	while (end < text->size && ((unsigned char)text->ptr[end] & 0xc0) == 0x80)
		end++;
	return end;
}

typedef struct tokens_t {
	long in, out, cached, written;
} tokens_t;

/* the events before the first piece */
static void stream_open(pops_buf *b, const chat *ch, const tokens_t *t)
{
	cJSON *o = cJSON_CreateObject();

	if (ch->wire == W_OPENAI) {
		put_event(b, ch->wire, NULL, cJSON_Parse("{\"id\":\"chatcmpl-fakellm\",\"object\":"
		          "\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
		          "\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}"));
		cJSON_Delete(o);
	} else if (ch->wire == W_ANTHROPIC) {
		cJSON *m = cJSON_CreateObject(), *u = cJSON_CreateObject(), *cb;

		cJSON_AddStringToObject(o, "type", "message_start");
		cJSON_AddStringToObject(m, "id", "msg_fakellm");
		cJSON_AddStringToObject(m, "type", "message");
		cJSON_AddStringToObject(m, "role", "assistant");
		cJSON_AddStringToObject(m, "model", ch->model);
		cJSON_AddItemToObject(m, "content", cJSON_CreateArray());
		cJSON_AddNumberToObject(u, "input_tokens", (double)(t->in - t->cached - t->written));
		cJSON_AddNumberToObject(u, "cache_creation_input_tokens", (double)t->written);
		cJSON_AddNumberToObject(u, "cache_read_input_tokens", (double)t->cached);
		cJSON_AddNumberToObject(u, "output_tokens", 1);
		cJSON_AddItemToObject(m, "usage", u);
		cJSON_AddItemToObject(o, "message", m);
		put_event(b, ch->wire, "message_start", o);
		o = cJSON_CreateObject();
		cb = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "type", "content_block_start");
		cJSON_AddNumberToObject(o, "index", 0);
		if (ch->tool_name) {
			cJSON_AddStringToObject(cb, "type", "tool_use");
			cJSON_AddStringToObject(cb, "id", "toolu_fakellm");
			cJSON_AddStringToObject(cb, "name", ch->tool_name);
			cJSON_AddItemToObject(cb, "input", cJSON_CreateObject());
		} else {
			cJSON_AddStringToObject(cb, "type", "text");
			cJSON_AddStringToObject(cb, "text", "");
		}
		cJSON_AddItemToObject(o, "content_block", cb);
		put_event(b, ch->wire, "content_block_start", o);
	} else {
		cJSON_Delete(o);
	}
}

/* one piece of the text */
static void stream_piece(pops_buf *b, const chat *ch, const char *p, size_t n)
{
	cJSON *o = cJSON_CreateObject(), *d = cJSON_CreateObject();
	char *piece = pops_strndup(p, n);

	if (ch->wire == W_OPENAI) {
		cJSON *choices = cJSON_AddArrayToObject(o, "choices"), *c = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "id", "chatcmpl-fakellm");
		cJSON_AddStringToObject(o, "object", "chat.completion.chunk");
		cJSON_AddNumberToObject(c, "index", 0);
		cJSON_AddStringToObject(d, "content", piece ? piece : "");
		cJSON_AddItemToObject(c, "delta", d);
		cJSON_AddNullToObject(c, "finish_reason");
		cJSON_AddItemToArray(choices, c);
		put_event(b, ch->wire, NULL, o);
	} else if (ch->wire == W_ANTHROPIC) {
		cJSON_AddStringToObject(o, "type", "content_block_delta");
		cJSON_AddNumberToObject(o, "index", 0);
		cJSON_AddStringToObject(d, "type", ch->tool_name ? "input_json_delta" : "text_delta");
		cJSON_AddStringToObject(d, ch->tool_name ? "partial_json" : "text", piece ? piece : "");
		cJSON_AddItemToObject(o, "delta", d);
		put_event(b, ch->wire, "content_block_delta", o);
	} else {
		cJSON_AddStringToObject(o, "model", ch->model);
		cJSON_AddStringToObject(o, "created_at", "2024-01-01T00:00:00Z");
		cJSON_AddStringToObject(d, "role", "assistant");
		cJSON_AddStringToObject(d, "content", piece ? piece : "");
		cJSON_AddItemToObject(o, "message", d);
		cJSON_AddFalseToObject(o, "done");
		put_event(b, ch->wire, NULL, o);
	}
	free(piece);
}

/* ---- tool calls in replies ---- */

/* OpenAI message.tool_calls (or, `stream`, the first delta of each: no arguments yet) */
static cJSON *openai_calls(const chat *ch, int stream)
{
	cJSON *arr = cJSON_CreateArray();
	const cJSON *c;
	int i = 0;

	cJSON_ArrayForEach(c, ch->calls) {
		cJSON *o = cJSON_CreateObject(), *f = cJSON_CreateObject();
		char *args = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "arguments"));
		char id[32];

		snprintf(id, sizeof(id), "call_fakellm_%d", i);
		if (stream)
			cJSON_AddNumberToObject(o, "index", i);
		cJSON_AddStringToObject(o, "id", id);
		cJSON_AddStringToObject(o, "type", "function");
		cJSON_AddStringToObject(f, "name", cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
		cJSON_AddStringToObject(f, "arguments", stream ? "" : args ? args : "{}");
		cJSON_AddItemToObject(o, "function", f);
		cJSON_AddItemToArray(arr, o);
		free(args);
		i++;
	}
	return arr;
}

/* OpenAI stream: each call's first delta, then its arguments in two pieces */
static void openai_call_deltas(pops_buf *b, const chat *ch)
{
	const cJSON *c;
	int i = 0;

	cJSON_ArrayForEach(c, ch->calls) {
		char *args = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "arguments"));
		size_t n = args ? strlen(args) : 0, half = n / 2;
		cJSON *first = openai_calls(ch, 1), *one = cJSON_DetachItemFromArray(first, i);

		for (int k = 0; k < 3; k++) {
			cJSON *o = cJSON_CreateObject(), *choices = cJSON_AddArrayToObject(o, "choices");
			cJSON *ce = cJSON_CreateObject(), *d = cJSON_CreateObject();
			cJSON *tcs = cJSON_AddArrayToObject(d, "tool_calls");

			if (k == 0) {
				cJSON_AddItemToArray(tcs, one);
				one = NULL;
			} else {
				cJSON *t = cJSON_CreateObject(), *f = cJSON_CreateObject();
				char *piece = k == 1 ? pops_strndup(args ? args : "", half) :
				              pops_strdup(args ? args + half : "");

				cJSON_AddNumberToObject(t, "index", i);
				cJSON_AddStringToObject(f, "arguments", piece ? piece : "");
				cJSON_AddItemToObject(t, "function", f);
				cJSON_AddItemToArray(tcs, t);
				free(piece);
			}
			cJSON_AddStringToObject(o, "id", "chatcmpl-fakellm");
			cJSON_AddStringToObject(o, "object", "chat.completion.chunk");
			cJSON_AddNumberToObject(ce, "index", 0);
			cJSON_AddItemToObject(ce, "delta", d);
			cJSON_AddNullToObject(ce, "finish_reason");
			cJSON_AddItemToArray(choices, ce);
			put_event(b, ch->wire, NULL, o);
		}
		cJSON_Delete(one);
		cJSON_Delete(first);
		free(args);
		i++;
	}
}

/* Anthropic tool_use blocks, from content index `base` on; streamed as events into `b` */
static void anthropic_calls(cJSON *content, pops_buf *b, const chat *ch, int base)
{
	const cJSON *c;
	int i = 0;

	cJSON_ArrayForEach(c, ch->calls) {
		cJSON *blk = cJSON_CreateObject();
		char id[32];

		snprintf(id, sizeof(id), "toolu_fakellm_%d", i);
		cJSON_AddStringToObject(blk, "type", "tool_use");
		cJSON_AddStringToObject(blk, "id", id);
		cJSON_AddStringToObject(blk, "name", cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
		if (content) {
			cJSON_AddItemToObject(blk, "input",
			                      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "arguments"), 1));
			cJSON_AddItemToArray(content, blk);
		} else {
			char *args = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(c, "arguments"));
			size_t n = args ? strlen(args) : 0;
			cJSON *o = cJSON_CreateObject();

			cJSON_AddItemToObject(blk, "input", cJSON_CreateObject());
			cJSON_AddStringToObject(o, "type", "content_block_start");
			cJSON_AddNumberToObject(o, "index", base + i);
			cJSON_AddItemToObject(o, "content_block", blk);
			put_event(b, ch->wire, "content_block_start", o);
			for (int k = 0; k < 2; k++) {
				cJSON *d = cJSON_CreateObject();
				char *piece = k == 0 ? pops_strndup(args ? args : "", n / 2) :
				              pops_strdup(args ? args + n / 2 : "");

				o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "type", "content_block_delta");
				cJSON_AddNumberToObject(o, "index", base + i);
				cJSON_AddStringToObject(d, "type", "input_json_delta");
				cJSON_AddStringToObject(d, "partial_json", piece ? piece : "");
				cJSON_AddItemToObject(o, "delta", d);
				put_event(b, ch->wire, "content_block_delta", o);
				free(piece);
			}
			o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "type", "content_block_stop");
			cJSON_AddNumberToObject(o, "index", base + i);
			put_event(b, ch->wire, "content_block_stop", o);
			free(args);
		}
		i++;
	}
}

/* Ollama message.tool_calls: [{function: {name, arguments (an object)}}] */
static cJSON *ollama_calls(const chat *ch)
{
	cJSON *arr = cJSON_CreateArray();
	const cJSON *c;

	cJSON_ArrayForEach(c, ch->calls) {
		cJSON *o = cJSON_CreateObject(), *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "name", cJSON_GetObjectItemCaseSensitive(c, "name")->valuestring);
		cJSON_AddItemToObject(f, "arguments",
		                      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(c, "arguments"), 1));
		cJSON_AddItemToObject(o, "function", f);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* the final events: finish reason, usage, the end marker */
static void stream_close(pops_buf *b, const chat *ch, const char *finish, const tokens_t *t,
                         int usage)
{
	cJSON *o = cJSON_CreateObject(), *u = cJSON_CreateObject(), *d = cJSON_CreateObject();

	if (ch->wire == W_OPENAI) {
		cJSON *choices = cJSON_AddArrayToObject(o, "choices"), *c = cJSON_CreateObject();

		if (ch->calls)
			openai_call_deltas(b, ch);
		cJSON_AddNumberToObject(c, "index", 0);
		cJSON_AddItemToObject(c, "delta", d);
		cJSON_AddStringToObject(c, "finish_reason", ch->calls ? "tool_calls" :
		                        !strcmp(finish, "length") ? "length" : "stop");
		cJSON_AddItemToArray(choices, c);
		put_event(b, ch->wire, NULL, o);
		if (usage && ch->include_usage) {
			cJSON *det = cJSON_CreateObject();

			o = cJSON_CreateObject();
			cJSON_AddItemToObject(o, "choices", cJSON_CreateArray());
			cJSON_AddNumberToObject(u, "prompt_tokens", (double)t->in);
			cJSON_AddNumberToObject(u, "completion_tokens", (double)t->out);
			cJSON_AddNumberToObject(u, "total_tokens", (double)(t->in + t->out));
			cJSON_AddNumberToObject(det, "cached_tokens", (double)t->cached);
			cJSON_AddItemToObject(u, "prompt_tokens_details", det);
			cJSON_AddItemToObject(o, "usage", u);
			put_event(b, ch->wire, NULL, o);
		} else {
			cJSON_Delete(u);
		}
		pops_buf_puts(b, "data: [DONE]\n\n");
	} else if (ch->wire == W_ANTHROPIC) {
		const char *sr = ch->tool_name || ch->calls ? "tool_use" :
		                 !strcmp(finish, "length") ? "max_tokens" :
		                 !strcmp(finish, "stop") ? "end_turn" : finish;

		put_event(b, ch->wire, "content_block_stop",
		          cJSON_Parse("{\"type\":\"content_block_stop\",\"index\":0}"));
		anthropic_calls(NULL, b, ch, 1);
		cJSON_AddStringToObject(o, "type", "message_delta");
		cJSON_AddStringToObject(d, "stop_reason", sr);
		cJSON_AddNullToObject(d, "stop_sequence");
		cJSON_AddItemToObject(o, "delta", d);
		cJSON_AddNumberToObject(u, "output_tokens", (double)t->out);
		cJSON_AddItemToObject(o, "usage", u);
		put_event(b, ch->wire, "message_delta", o);
		put_event(b, ch->wire, "message_stop", cJSON_Parse("{\"type\":\"message_stop\"}"));
	} else {
		cJSON_Delete(u);
		if (ch->calls) {
			cJSON *l = cJSON_CreateObject(), *m = cJSON_CreateObject();

			cJSON_AddStringToObject(l, "model", ch->model);
			cJSON_AddStringToObject(m, "role", "assistant");
			cJSON_AddStringToObject(m, "content", "");
			cJSON_AddItemToObject(m, "tool_calls", ollama_calls(ch));
			cJSON_AddItemToObject(l, "message", m);
			cJSON_AddFalseToObject(l, "done");
			put_event(b, ch->wire, NULL, l);
		}
		cJSON_AddStringToObject(o, "model", ch->model);
		cJSON_AddStringToObject(o, "created_at", "2024-01-01T00:00:00Z");
		cJSON_AddStringToObject(d, "role", "assistant");
		cJSON_AddStringToObject(d, "content", "");
		cJSON_AddItemToObject(o, "message", d);
		cJSON_AddTrueToObject(o, "done");
		cJSON_AddStringToObject(o, "done_reason", !strcmp(finish, "length") ? "length" : "stop");
		cJSON_AddNumberToObject(o, "total_duration", 1000000);
		if (usage) {
			cJSON_AddNumberToObject(o, "prompt_eval_count", (double)t->in);
			cJSON_AddNumberToObject(o, "eval_count", (double)t->out);
		}
		put_event(b, ch->wire, NULL, o);
	}
}

/*
 * A streamed reply: the text in pieces (--stream-chunks, else 8 bytes
 * each), one chunk per piece, the opening events with the first and the
 * closing ones with the last; --stream-end cuts the body after N chunks.
 */
static void stream_reply(const fk_config *cfg, const fk_request *req, const chat *ch,
                         const pops_buf *text, const char *finish, const tokens_t *t,
                         fk_reply *rep)
{
	long want = opt_long(req, "x-fakellm-stream-chunks", cfg->stream_chunks);
	long end_after = opt_long(req, "x-fakellm-stream-end", cfg->stream_end);
	int usage = !cfg->no_usage && !fk_header_get(req, "x-fakellm-no-usage");
	size_t n, off = 0;
	long times;

	n = want > 0 ? (size_t)want : (text->size + 7) / 8;
	if (n < 1)
		n = 1;
	if (n > FK_MAX_CHUNKS)
		n = FK_MAX_CHUNKS;
	stream_open(&rep->body, ch, t);
	for (size_t i = 0; i < n; i++) {
		size_t end = want > 0 ? piece_end(text, off, n, i) :
		             off + 8 < text->size && i + 1 < n ? off + 8 : text->size;

		if (end > off)
			stream_piece(&rep->body, ch, text->ptr + off, end - off);
		off = end;
		if (i + 1 == n)
			stream_close(&rep->body, ch, finish, t, usage);
		rep->marks[rep->nmarks++] = rep->body.size;
		if (end_after > 0 && rep->nmarks == (size_t)end_after && i + 1 < n)
			break;
	}
	if (end_after > 0 && (size_t)end_after <= rep->nmarks && rep->nmarks < n)
		pops_buf_truncate(&rep->body, rep->marks[rep->nmarks - 1]);
	rep->chunk_ms = opt_long(req, "x-fakellm-chunk-ms", cfg->chunk_ms);
	rep->drop_after = opt_long(req, "x-fakellm-stream-drop", cfg->stream_drop);
	/* with fail-times, only the first N arrivals of this request are dropped */
	if (rep->drop_after > 0 && (times = opt_long(req, "x-fakellm-fail-times", cfg->fail_times)) > 0 &&
	    fk_arrival_count(req) > (unsigned long)times)
		rep->drop_after = 0;
	rep->status = 200;
	rep->content_type = ch->wire == W_OLLAMA ? "application/x-ndjson" : "text/event-stream";
}

/* Ollama's non-streamed reply: one object (consumed) and a newline */
static void ollama_reply(const chat *ch, const char *text, const char *finish, long in, long out,
                         cJSON *o, fk_reply *rep)
{
	cJSON *msg = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "model", ch->model);
	cJSON_AddStringToObject(o, "created_at", "2024-01-01T00:00:00Z");
	cJSON_AddStringToObject(msg, "role", "assistant");
	cJSON_AddStringToObject(msg, "content", text);
	if (ch->calls)
		cJSON_AddItemToObject(msg, "tool_calls", ollama_calls(ch));
	cJSON_AddItemToObject(o, "message", msg);
	cJSON_AddTrueToObject(o, "done");
	cJSON_AddStringToObject(o, "done_reason", !strcmp(finish, "length") ? "length" : "stop");
	cJSON_AddNumberToObject(o, "total_duration", 1000000);
	cJSON_AddNumberToObject(o, "prompt_eval_count", (double)in);
	cJSON_AddNumberToObject(o, "eval_count", (double)out);
	s = cJSON_PrintUnformatted(o);
	pops_buf_puts(&rep->body, s ? s : "");
	pops_buf_putc(&rep->body, '\n');
	free(s);
	cJSON_Delete(o);
	rep->status = 200;
	rep->content_type = "application/json";
}

static void chat_reply(const fk_config *cfg, const fk_request *req, chat *ch,
                       fk_reply *rep)
{
	pops_buf text = POPS_BUF_INIT;
	const char *finish;
	long in, out, cached, written;
	cJSON *o = cJSON_CreateObject(), *u = cJSON_CreateObject();

	make_text(cfg, req, ch, &text, &finish);
	in = tokens(ch->prompt.size);
	if (in < 1)
		in = 1;
	out = tokens(text.size);
	cached = opt_long(req, "x-fakellm-cached-tokens", cfg->cached_tokens);
	if (cached > in)
		cached = in;
	written = ch->cache_control ?
	          opt_long(req, "x-fakellm-cache-write-tokens", cfg->cache_write_tokens) : 0;
	if (written > in - cached)
		written = in - cached;
	if (ch->stream) {
		tokens_t t = { in, out, cached, written };

		cJSON_Delete(o);
		cJSON_Delete(u);
		stream_reply(cfg, req, ch, &text, finish, &t, rep);
		pops_buf_dispose(&text);
		return;
	}
	if (ch->wire == W_OPENAI) {
		cJSON *choices, *c = cJSON_CreateObject();
		cJSON *msg = cJSON_CreateObject(), *d = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "id", "chatcmpl-fakellm");
		cJSON_AddStringToObject(o, "object", "chat.completion");
		cJSON_AddNumberToObject(o, "created", 1700000000);
		cJSON_AddStringToObject(o, "model", ch->model);
		choices = cJSON_AddArrayToObject(o, "choices");
		cJSON_AddNumberToObject(c, "index", 0);
		cJSON_AddStringToObject(msg, "role", "assistant");
		cJSON_AddStringToObject(msg, "content", text.ptr);
		if (ch->calls)
			cJSON_AddItemToObject(msg, "tool_calls", openai_calls(ch, 0));
		cJSON_AddItemToObject(c, "message", msg);
		cJSON_AddNullToObject(c, "logprobs");
		cJSON_AddStringToObject(c, "finish_reason", ch->calls ? "tool_calls" :
		                        !strcmp(finish, "length") ? "length" : "stop");
		cJSON_AddItemToArray(choices, c);
		cJSON_AddNumberToObject(u, "prompt_tokens", (double)in);
		cJSON_AddNumberToObject(u, "completion_tokens", (double)out);
		cJSON_AddNumberToObject(u, "total_tokens", (double)(in + out));
		cJSON_AddNumberToObject(d, "cached_tokens", (double)cached);
		cJSON_AddItemToObject(u, "prompt_tokens_details", d);
		if (cfg->no_usage || fk_header_get(req, "x-fakellm-no-usage"))
			cJSON_Delete(u);
		else
			cJSON_AddItemToObject(o, "usage", u);
		cJSON_AddStringToObject(o, "system_fingerprint", "fp_fakellm");
	} else if (ch->wire == W_ANTHROPIC) {
		cJSON *content = cJSON_CreateArray(), *part = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "id", "msg_fakellm");
		cJSON_AddStringToObject(o, "type", "message");
		cJSON_AddStringToObject(o, "role", "assistant");
		cJSON_AddStringToObject(o, "model", ch->model);
		if (ch->tool_name) {
			cJSON *input = cJSON_Parse(text.ptr);

			cJSON_AddStringToObject(part, "type", "tool_use");
			cJSON_AddStringToObject(part, "id", "toolu_fakellm");
			cJSON_AddStringToObject(part, "name", ch->tool_name);
			cJSON_AddItemToObject(part, "input", input ? input : cJSON_CreateObject());
			finish = "tool_use";
		} else {
			cJSON_AddStringToObject(part, "type", "text");
			cJSON_AddStringToObject(part, "text", text.ptr);
		}
		cJSON_AddItemToArray(content, part);
		if (ch->calls) {
			anthropic_calls(content, NULL, ch, 1);
			finish = "tool_use";
		}
		cJSON_AddItemToObject(o, "content", content);
		cJSON_AddStringToObject(o, "stop_reason",
		                        !strcmp(finish, "length") ? "max_tokens" :
		                        !strcmp(finish, "stop") ? "end_turn" : finish);
		cJSON_AddNullToObject(o, "stop_sequence");
		/* Anthropic counts cache reads outside input_tokens */
		cJSON_AddNumberToObject(u, "input_tokens", (double)(in - cached - written));
		cJSON_AddNumberToObject(u, "cache_creation_input_tokens", (double)written);
		cJSON_AddNumberToObject(u, "cache_read_input_tokens", (double)cached);
		cJSON_AddNumberToObject(u, "output_tokens", (double)out);
		cJSON_AddItemToObject(o, "usage", u);
	} else {
		cJSON_Delete(u);
		ollama_reply(ch, text.ptr, finish, in, out, o, rep);
		pops_buf_dispose(&text);
		return;
	}
	pops_buf_dispose(&text);
	json_reply(rep, 200, o);
}

static void models_reply(const fk_config *cfg, const fk_request *req, fk_reply *rep)
{
	static const char dflt[] = "gpt-4o-mini-2024-07-18,gpt-4o-2024-08-06,fake-model-1,"
	                           "fake-judge-1,claude-sonnet-4-5-20250929";
	const char *list = cfg->models ? cfg->models : dflt, *p = list;
	int anthropic = fk_header_get(req, "anthropic-version") != NULL;
	int ollama = !strcmp(req->path, "/api/tags");
	cJSON *o = cJSON_CreateObject(), *data = cJSON_CreateArray();

	while (*p) {
		size_t n = strcspn(p, ",");
		char *id = pops_strndup(p, n);
		cJSON *m = cJSON_CreateObject();

		if (ollama) {
			cJSON_AddStringToObject(m, "name", id ? id : "");
			cJSON_AddStringToObject(m, "model", id ? id : "");
		} else if (anthropic) {
			cJSON_AddStringToObject(m, "type", "model");
			cJSON_AddStringToObject(m, "id", id ? id : "");
			cJSON_AddStringToObject(m, "display_name", id ? id : "");
			cJSON_AddStringToObject(m, "created_at", "2024-01-01T00:00:00Z");
		} else {
			cJSON_AddStringToObject(m, "id", id ? id : "");
			cJSON_AddStringToObject(m, "object", "model");
			cJSON_AddNumberToObject(m, "created", 1700000000);
			cJSON_AddStringToObject(m, "owned_by", "fakellm");
		}
		cJSON_AddItemToArray(data, m);
		free(id);
		p += n;
		if (*p == ',')
			p++;
	}
	if (ollama) {
		cJSON_AddItemToObject(o, "models", data);
	} else {
		if (!anthropic)
			cJSON_AddStringToObject(o, "object", "list");
		cJSON_AddItemToObject(o, "data", data);
		if (anthropic)
			cJSON_AddFalseToObject(o, "has_more");
	}
	json_reply(rep, 200, o);
}

/* apply a fault; returns 1 when the reply is fully decided */
static int apply_fault(const fk_config *cfg, const fk_request *req, int wire,
                       fk_reply *rep)
{
	const char *f = opt(req, "x-fakellm-fault", cfg->fault);
	const char *ra = opt(req, "x-fakellm-retry-after", cfg->retry_after);
	const char *ram = opt(req, "x-fakellm-retry-after-ms", cfg->retry_after_ms);
	const char *sr = fk_header_get(req, "x-fakellm-should-retry");
	long times = opt_long(req, "x-fakellm-fail-times", cfg->fail_times);
	long code;

	if (!f || !*f || !strcmp(f, "none"))
		return 0;
	if (times > 0 && fk_arrival_count(req) > (unsigned long)times)
		return 0;
	rep->is_fault = 1;
	if (ra)
		pops_buf_printf(&rep->headers, "retry-after: %s\r\n", ra);
	if (ram)
		pops_buf_printf(&rep->headers, "retry-after-ms: %s\r\n", ram);
	if (sr)
		pops_buf_printf(&rep->headers, "x-should-retry: %s\r\n", sr);
	if (!strcmp(f, "quota")) {
		error_reply(rep, wire, 429, "insufficient_quota",
		            "You exceeded your current quota, please check your plan and billing details.");
		return 1;
	}
	if (pops_parse_long(&code, f, 100, 599) == 0) {
		const char *type = code == 429 ? "rate_limit_error" :
		                   code == 529 ? "overloaded_error" :
		                   code >= 500 ? "server_error" : "invalid_request_error";

		error_reply(rep, wire, (int)code, type, "fakellm injected fault");
		return 1;
	}
	if (!strcmp(f, "drop")) { rep->send = FK_SEND_DROP; return 0; }
	if (!strcmp(f, "reset")) { rep->send = FK_SEND_RESET; rep->status = 200; return 1; }
	if (!strcmp(f, "trickle")) {
		rep->send = FK_SEND_TRICKLE;
		rep->trickle_ms = opt_long(req, "x-fakellm-trickle-ms", cfg->trickle_ms);
		return 0;
	}
	if (!strcmp(f, "malformed")) {
		rep->status = 200;
		rep->content_type = "application/json";
		pops_buf_puts(&rep->body, "{\"id\":\"chatcmpl-broken\",\"choices\":[{\"message\":{\"content\":\"trunc");
		return 1;
	}
	if (!strcmp(f, "error200")) {
		error_reply(rep, wire, 200, "server_error", "The server had an error while processing your request.");
		return 1;
	}
	if (!strcmp(f, "huge")) {
		rep->status = 200;
		rep->content_type = "application/json";
		rep->send = FK_SEND_HUGE;
		rep->huge_size = (size_t)opt_long(req, "x-fakellm-size", (long)cfg->huge_size);
		return 1;
	}
	if (!strcmp(f, "empty")) {
		rep->status = 200;
		rep->content_type = "application/json";
		return 1;
	}
	/* well-formed JSON of the wrong shape: a content that is not text,
	 * or no list of choices / content blocks */
	if (!strcmp(f, "badcontent") || !strcmp(f, "badchoices")) {
		int content = !strcmp(f, "badcontent");

		rep->status = 200;
		rep->content_type = "application/json";
		if (wire == W_ANTHROPIC)
			pops_buf_puts(&rep->body, content ?
			    "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":5}],"
			    "\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}" :
			    "{\"type\":\"message\",\"content\":{\"text\":\"x\"},\"stop_reason\":\"end_turn\"}");
		else if (wire == W_OLLAMA)
			pops_buf_puts(&rep->body, content ?
			    "{\"message\":{\"role\":\"assistant\",\"content\":5},\"done\":true}" :
			    "{\"message\":5,\"done\":true}");
		else
			pops_buf_puts(&rep->body, content ?
			    "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":5},"
			    "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}" :
			    "{\"choices\":{\"0\":{\"message\":{\"content\":\"x\"}}}}");
		return 1;
	}
	if (!strcmp(f, "notjson")) {
		rep->status = 200;
		rep->content_type = "text/html";
		pops_buf_puts(&rep->body, "<html><body>502 Bad Gateway</body></html>");
		return 1;
	}
	error_reply(rep, wire, 400, "invalid_request_error", "fakellm: unknown fault");
	return 1;
}

/*
 * "[[nul]]" in a reply (an echoed prompt holding it) becomes the JSON
 * escape \u0000, so tests get model output with a NUL byte. The marker
 * has no JSON-special characters: it serialises as itself.
 */
static void nul_markers(pops_buf *body)
{
	pops_buf out = POPS_BUF_INIT;
	const char *p = body->ptr, *m;

	if (!strstr(p, "[[nul]]"))
		return;
	while ((m = strstr(p, "[[nul]]"))) {
		pops_buf_put(&out, p, (size_t)(m - p));
		pops_buf_puts(&out, "\\u0000");
		p = m + 7;
	}
	pops_buf_puts(&out, p);
	pops_buf_clear(body);
	pops_buf_put(body, out.ptr, out.size);
	pops_buf_dispose(&out);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

void fk_handle(const fk_config *cfg, const fk_request *req, fk_reply *rep)
{
	int post = !strcmp(req->method, "POST"), wire = -1;
	const char *key = cfg->api_key;
	long limit;
	cJSON *body = NULL;
	chat ch;

	rep->content_type = "application/json";
	rep->latency_ms = opt_long(req, "x-fakellm-latency", cfg->latency_ms);
	if (!strcmp(req->path, "/__stats")) {
		rep->latency_ms = 0;
		rep->status = 200;
		fk_stats_json(&rep->body);
		return;
	}
	if (!strcmp(req->path, "/__requests")) {
		rep->latency_ms = 0;
		rep->status = 200;
		fk_requests_json(&rep->body);
		return;
	}
	if (!strcmp(req->path, "/__reset")) {
		rep->latency_ms = 0;
		rep->status = 200;
		fk_stats_reset();
		pops_buf_puts(&rep->body, "{}\n");
		return;
	}
	if (post && ends_with(req->path, "/chat/completions"))
		wire = W_OPENAI;
	else if (post && ends_with(req->path, "/messages"))
		wire = W_ANTHROPIC;
	else if (post && !strcmp(req->path, "/api/chat"))
		wire = W_OLLAMA;
	if (!post && (ends_with(req->path, "/models") || !strcmp(req->path, "/api/tags"))) {
		fk_stats_g.models++;
		if (apply_fault(cfg, req, W_OPENAI, rep))
			return;
		models_reply(cfg, req, rep);
		return;
	}
	if (wire < 0) {
		error_reply(rep, W_OPENAI, 404, "not_found_error", "fakellm: no such endpoint");
		return;
	}
	fk_stats_g.chat++;
	if (wire == W_OPENAI) fk_stats_g.openai++;
	if (wire == W_ANTHROPIC) fk_stats_g.anthropic++;
	if (wire == W_OLLAMA) fk_stats_g.ollama++;
	if (key) {
		const char *auth = fk_header_get(req, wire == W_ANTHROPIC ? "x-api-key" : "authorization");
		const char *azure = fk_header_get(req, "api-key");
		int ok;

		if (wire == W_ANTHROPIC)
			ok = auth && !strcmp(auth, key);
		else
			ok = (auth && !strncmp(auth, "Bearer ", 7) && !strcmp(auth + 7, key)) ||
			     (azure && !strcmp(azure, key));
		if (wire != W_OLLAMA && !ok) {
			error_reply(rep, wire, 401, "authentication_error", "invalid x-api-key or bearer token");
			return;
		}
	}
	if (wire == W_ANTHROPIC && !fk_header_get(req, "anthropic-version")) {
		error_reply(rep, wire, 400, "invalid_request_error", "anthropic-version: header is required");
		return;
	}
	if ((limit = opt_long(req, "x-fakellm-rate-limit", 0)) > 0) {
		if (fk_waiting >= (unsigned long)limit) {
			pops_buf_puts(&rep->headers, "retry-after-ms: 20\r\nx-ratelimit-remaining-requests: 0\r\n");
			error_reply(rep, wire, 429, "rate_limit_error", "fakellm: too many requests at once");
			rep->is_fault = 1;
			rep->latency_ms = 0;
			return;
		}
		pops_buf_printf(&rep->headers, "x-ratelimit-remaining-requests: %lu\r\n",
		                (unsigned long)limit - fk_waiting - 1);
	}
	if (apply_fault(cfg, req, wire, rep))
		return;
	if (!(body = cJSON_ParseWithLength(req->body, req->body_len)) || !cJSON_IsObject(body)) {
		error_reply(rep, wire, 400, "invalid_request_error", "request body is not a JSON object");
		cJSON_Delete(body);
		return;
	}
	memset(&ch, 0, sizeof(ch));
	ch.wire = wire;
	ch.prompt = (pops_buf)POPS_BUF_INIT;
	ch.last_user = (pops_buf)POPS_BUF_INIT;
	if (parse_chat(&ch, body, rep) == 0) {
		chat_reply(cfg, req, &ch, rep);
		nul_markers(&rep->body);
	}
	pops_buf_dispose(&ch.prompt);
	pops_buf_dispose(&ch.last_user);
	cJSON_Delete(ch.calls);
	cJSON_Delete(body);
}
