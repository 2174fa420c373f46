#include "common.h"
#include "wire.h"
#include "jsonget.h"
#include "strutil.h"

/*
 * Streamed replies, assembled incrementally. Lines are cut at '\n' (a
 * '\r' before it is dropped); SSE events end at a blank line and their
 * `data:` lines are joined with '\n'; `event:`, `id:`, `retry:` and
 * comments are ignored (the event type is in the data for Anthropic).
 * Ollama's NDJSON is one event per line.
 */

enum { S_OPENAI, S_ANTHROPIC, S_OLLAMA };

struct pops_wire_stream {
	int kind;
	pops_buf line;       /* the incomplete line */
	pops_buf data;       /* SSE: the data lines of the event being read */
	int has_data;
	pops_buf text;
	pops_buf refusal;    /* OpenAI delta.refusal */
	pops_buf tool;       /* Anthropic: the partial_json of the pops_output tool */
	int tool_block;      /* index of that block, -1 none */
	int tool_output;
	char *finish;        /* provider's finish reason, as sent */
	long in, out, cache_read, cache_write;
	int first;           /* a token arrived */
	int done;            /* the final event arrived */
	char *error;         /* first error or malformed event; the stream is failed */
	struct scall {       /* tool calls being assembled, in order of their first delta */
		int index;       /* OpenAI tool_calls[].index, Anthropic content block index */
		pops_buf name, args;
	} *calls;
	size_t ncalls, acalls;
	cJSON *whole_calls;  /* Ollama: calls arrive whole, [{"name","arguments"}] */
};

static void s_error(pops_wire_stream *s, const char *fmt, ...) POPS_PRINTF(2, 3);

static void s_error(pops_wire_stream *s, const char *fmt, ...)
{
	va_list ap;

	if (s->error)
		return;
	va_start(ap, fmt);
	pops_str_vset(&s->error, fmt, ap);
	va_end(ap);
}

pops_wire_stream *pops_wire_stream_new(const char *type)
{
	pops_wire_stream *s;
	int kind;

	if (!type)
		return NULL;
	if (!strcmp(type, "openai"))
		kind = S_OPENAI;
	else if (!strcmp(type, "anthropic"))
		kind = S_ANTHROPIC;
	else if (!strcmp(type, "ollama"))
		kind = S_OLLAMA;
	else
		return NULL;
	if (!(s = calloc(1, sizeof(*s))))
		return NULL;
	s->kind = kind;
	s->line = s->data = s->text = s->refusal = s->tool = (pops_buf)POPS_BUF_INIT;
	pops_wire_stream_reset(s);
	return s;
}

void pops_wire_stream_reset(pops_wire_stream *s)
{
	pops_buf_clear(&s->line);
	pops_buf_clear(&s->data);
	pops_buf_clear(&s->text);
	pops_buf_clear(&s->refusal);
	pops_buf_clear(&s->tool);
	free(s->finish);
	free(s->error);
	s->finish = s->error = NULL;
	s->has_data = s->tool_output = s->first = s->done = 0;
	s->tool_block = -1;
	s->in = s->out = -1;
	s->cache_read = s->cache_write = 0;
	for (size_t i = 0; i < s->ncalls; i++) {
		pops_buf_dispose(&s->calls[i].name);
		pops_buf_dispose(&s->calls[i].args);
	}
	free(s->calls);
	s->calls = NULL;
	s->ncalls = s->acalls = 0;
	cJSON_Delete(s->whole_calls);
	s->whole_calls = NULL;
}

/* ---- tool calls ---- */

static void put_delta(pops_wire_stream *s, pops_buf *to, const cJSON *v);

/* the call being assembled at `index`, a new one when `create`; NULL when none (or OOM) */
static struct scall *call_at(pops_wire_stream *s, int index, int create)
{
	struct scall *c;

	for (size_t i = 0; i < s->ncalls; i++)
		if (s->calls[i].index == index)
			return &s->calls[i];
	if (!create)
		return NULL;
	if (s->ncalls == s->acalls) {
		size_t n = s->acalls ? s->acalls * 2 : 4;

		if (!(c = realloc(s->calls, n * sizeof(*c)))) {
			s_error(s, "out of memory");
			return NULL;
		}
		s->calls = c;
		s->acalls = n;
	}
	c = &s->calls[s->ncalls++];
	c->index = index;
	c->name = c->args = (pops_buf)POPS_BUF_INIT;
	return c;
}

/* OpenAI delta.tool_calls: [{index, id?, function: {name?, arguments? (a piece)}}] */
static void openai_tool_deltas(pops_wire_stream *s, const cJSON *tc)
{
	const cJSON *d;

	cJSON_ArrayForEach(d, tc) {
		const cJSON *f = cJSON_GetObjectItemCaseSensitive(d, "function");
		struct scall *c = call_at(s, (int)pops_json_num(d, "index", 0), 1);

		if (!c)
			return;
		put_delta(s, &c->name, cJSON_GetObjectItemCaseSensitive(f, "name"));
		put_delta(s, &c->args, cJSON_GetObjectItemCaseSensitive(f, "arguments"));
	}
}

/* res->tool_calls from what was assembled; 0 or POPS_ERROR */
static int final_calls(pops_wire_stream *s, pops_provider_result *res)
{
	cJSON_Delete(res->tool_calls);
	res->tool_calls = s->whole_calls;
	s->whole_calls = NULL;
	for (size_t i = 0; i < s->ncalls; i++) {
		cJSON *a = cJSON_CreateString(s->calls[i].args.ptr ? s->calls[i].args.ptr : "");
		int error = a ? pops_wire_tool_call_add(&res->tool_calls,
		                                        s->calls[i].name.ptr ? s->calls[i].name.ptr : "",
		                                        a) : POPS_ERROR;

		cJSON_Delete(a);
		if (error < 0)
			return pops_error_oom();
	}
	return POPS_OK;
}

void pops_wire_stream_free(pops_wire_stream *s)
{
	if (!s)
		return;
	pops_wire_stream_reset(s);
	pops_buf_dispose(&s->line);
	pops_buf_dispose(&s->data);
	pops_buf_dispose(&s->text);
	pops_buf_dispose(&s->refusal);
	pops_buf_dispose(&s->tool);
	free(s);
}

/* append a string delta; a non-empty one is a token */
static void put_delta(pops_wire_stream *s, pops_buf *to, const cJSON *v)
{
	if (!v || !cJSON_IsString(v) || !v->valuestring || !*v->valuestring)
		return;
	pops_buf_puts(to, v->valuestring);
	s->first = 1;
}

static void set_finish(pops_wire_stream *s, const cJSON *v)
{
	if (!cJSON_IsString(v))
		return;
	free(s->finish);
	s->finish = pops_strdup(v->valuestring);
}

/* the provider's error message in an error event, one line */
static void event_error(pops_wire_stream *s, const cJSON *o)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
	const char *m = cJSON_IsString(e) ? e->valuestring : pops_json_str(e, "message", "error event");
	size_t n = strlen(m);
	pops_buf msg = POPS_BUF_INIT;

	pops_buf_put_sanitized(&msg, m, n > 200 ? 200 : n, 1);
	for (size_t i = 0; i < msg.size; i++)
		if (msg.ptr[i] == '\n' || msg.ptr[i] == '\t')
			msg.ptr[i] = ' ';
	s_error(s, "error event in the stream: %s", msg.ptr ? msg.ptr : "");
	pops_buf_dispose(&msg);
}

static void openai_event(pops_wire_stream *s, const cJSON *o)
{
	const cJSON *choice = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "choices"), 0);
	const cJSON *delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
	const cJSON *usage = cJSON_GetObjectItemCaseSensitive(o, "usage");
	const cJSON *tc = cJSON_GetObjectItemCaseSensitive(delta, "tool_calls");
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(delta, "content");

	if (content && !cJSON_IsString(content) && !cJSON_IsNull(content)) {
		s_error(s, "stream chunk's choices[0].delta.content is not text");
		return;
	}
	put_delta(s, &s->text, content);
	put_delta(s, &s->refusal, cJSON_GetObjectItemCaseSensitive(delta, "refusal"));
	if (cJSON_IsArray(tc) && cJSON_GetArraySize(tc)) {
		s->first = 1;
		openai_tool_deltas(s, tc);
	}
	set_finish(s, cJSON_GetObjectItemCaseSensitive(choice, "finish_reason"));
	if (cJSON_IsObject(usage)) {
		long c = pops_json_count(cJSON_GetObjectItemCaseSensitive(usage, "prompt_tokens_details"),
		                         "cached_tokens");

		s->in = pops_json_count(usage, "prompt_tokens");
		s->out = pops_json_count(usage, "completion_tokens");
		s->cache_read = c > 0 ? c : 0;
	}
}

/* Anthropic usage: message_start's, then message_delta's (cumulative: replaces) */
static void anthropic_usage(pops_wire_stream *s, const cJSON *u)
{
	long v;

	if (!cJSON_IsObject(u))
		return;
	if ((v = pops_json_count(u, "input_tokens")) >= 0)
		s->in = v;
	if ((v = pops_json_count(u, "output_tokens")) >= 0)
		s->out = v;
	if ((v = pops_json_count(u, "cache_read_input_tokens")) >= 0)
		s->cache_read = v;
	if ((v = pops_json_count(u, "cache_creation_input_tokens")) >= 0)
		s->cache_write = v;
}

static void anthropic_event(pops_wire_stream *s, const cJSON *o)
{
	const char *type = pops_json_str(o, "type", "");
	const cJSON *delta = cJSON_GetObjectItemCaseSensitive(o, "delta");
	int index = (int)pops_json_num(o, "index", -1);

	if (!strcmp(type, "message_start")) {
		anthropic_usage(s, cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(o, "message"), "usage"));
	} else if (!strcmp(type, "content_block_start")) {
		const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "content_block");
		const char *bt = pops_json_str(b, "type", "");

		if (!strcmp(bt, "text"))
			put_delta(s, &s->text, cJSON_GetObjectItemCaseSensitive(b, "text"));
		else if (!strcmp(bt, "tool_use") &&
		         !strcmp(pops_json_str(b, "name", ""), POPS_ANTHROPIC_OUTPUT_TOOL)) {
			s->tool_block = index;
			s->tool_output = 1;
			pops_buf_clear(&s->tool);
		} else if (!strcmp(bt, "tool_use") && index >= 0) {
			struct scall *c = call_at(s, index, 1);

			if (c)
				pops_buf_puts(&c->name, pops_json_str(b, "name", ""));
			s->first = 1;
		}
	} else if (!strcmp(type, "content_block_delta")) {
		const char *dt = pops_json_str(delta, "type", "");

		if (!strcmp(dt, "text_delta"))
			put_delta(s, &s->text, cJSON_GetObjectItemCaseSensitive(delta, "text"));
		else if (!strcmp(dt, "input_json_delta") && index == s->tool_block && index >= 0)
			put_delta(s, &s->tool, cJSON_GetObjectItemCaseSensitive(delta, "partial_json"));
		else if (!strcmp(dt, "input_json_delta") && call_at(s, index, 0))
			put_delta(s, &call_at(s, index, 0)->args,
			          cJSON_GetObjectItemCaseSensitive(delta, "partial_json"));
		else if (!strcmp(dt, "input_json_delta"))
			s->first = s->first || *pops_json_str(delta, "partial_json", "");
	} else if (!strcmp(type, "message_delta")) {
		set_finish(s, cJSON_GetObjectItemCaseSensitive(delta, "stop_reason"));
		anthropic_usage(s, cJSON_GetObjectItemCaseSensitive(o, "usage"));
	} else if (!strcmp(type, "message_stop")) {
		s->done = 1;
	} else if (!strcmp(type, "error")) {
		event_error(s, o);
	}
}

static void ollama_event(pops_wire_stream *s, const cJSON *o)
{
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(o, "message");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(msg, "content");

	if ((msg && !cJSON_IsObject(msg)) || (c && !cJSON_IsString(c) && !cJSON_IsNull(c))) {
		s_error(s, "stream line's message%s is not text", cJSON_IsObject(msg) ? ".content" : "");
		return;
	}
	put_delta(s, &s->text, c);
	if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(msg, "tool_calls"))) {
		const cJSON *tc;

		s->first = 1;
		cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(msg, "tool_calls")) {
			const cJSON *f = cJSON_GetObjectItemCaseSensitive(tc, "function");

			if (pops_wire_tool_call_add(&s->whole_calls, pops_json_str(f, "name", ""),
			                            cJSON_GetObjectItemCaseSensitive(f, "arguments")) < 0)
				s_error(s, "out of memory");
		}
	}
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "done"))) {
		const cJSON *dr = cJSON_GetObjectItemCaseSensitive(o, "done_reason");

		if (cJSON_IsString(dr))
			set_finish(s, dr);
		s->in = pops_json_count(o, "prompt_eval_count");
		s->out = pops_json_count(o, "eval_count");
		s->done = 1;
	}
}

/* one event's JSON (or OpenAI's [DONE]) */
static void dispatch(pops_wire_stream *s, const char *p, size_t n)
{
	cJSON *o;

	if (s->error || s->done)
		return;   /* after an error or the end, nothing counts */
	if (s->kind == S_OPENAI && n == 6 && !memcmp(p, "[DONE]", 6)) {
		s->done = 1;
		return;
	}
	/* "\u0000" would cut a cJSON string without a word */
	for (size_t i = 0; i + 6 <= n; i++)
		if (p[i] == '\\' && !memcmp(p + i + 1, "u0000", 5) && (i == 0 || p[i - 1] != '\\')) {
			s_error(s, "model output contains a NUL byte");
			return;
		}
	if (!(o = cJSON_ParseWithLength(p, n)) || !cJSON_IsObject(o)) {
		s_error(s, "stream event is not a JSON object");
		cJSON_Delete(o);
		return;
	}
	if (cJSON_GetObjectItemCaseSensitive(o, "error"))
		event_error(s, o);
	else if (s->kind == S_OPENAI)
		openai_event(s, o);
	else if (s->kind == S_ANTHROPIC)
		anthropic_event(s, o);
	else
		ollama_event(s, o);
	cJSON_Delete(o);
}

/* one complete line (without its '\n' and '\r') */
static void on_line(pops_wire_stream *s, const char *p, size_t n)
{
	if (s->kind == S_OLLAMA) {
		if (n)
			dispatch(s, p, n);
		return;
	}
	if (!n) {
		if (s->has_data)
			dispatch(s, s->data.ptr, s->data.size);
		pops_buf_clear(&s->data);
		s->has_data = 0;
		return;
	}
	if (n >= 5 && !memcmp(p, "data:", 5)) {
		p += 5;
		n -= 5;
		if (n && *p == ' ') {
			p++;
			n--;
		}
		if (s->has_data)
			pops_buf_putc(&s->data, '\n');
		pops_buf_put(&s->data, p, n);
		s->has_data = 1;
	}
}

int pops_wire_stream_feed(pops_wire_stream *s, const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *stop = nl ? nl : end;

		if (!nl) {
			pops_buf_put(&s->line, p, (size_t)(stop - p));
			break;
		}
		if (s->line.size) {
			pops_buf_put(&s->line, p, (size_t)(stop - p));
			if (s->line.size && s->line.ptr[s->line.size - 1] == '\r')
				pops_buf_truncate(&s->line, s->line.size - 1);
			on_line(s, s->line.ptr, s->line.size);
			pops_buf_clear(&s->line);
		} else {
			size_t len = (size_t)(stop - p);

			on_line(s, p, len && p[len - 1] == '\r' ? len - 1 : len);
		}
		p = nl + 1;
	}
	if (pops_buf_oom(&s->line) || pops_buf_oom(&s->data) || pops_buf_oom(&s->text))
		s_error(s, "out of memory");
	return s->first;
}

static const char *finish_openai(const char *f, int refused)
{
	return !strcmp(f, "stop") ? POPS_FINISH_STOP : !strcmp(f, "length") ? POPS_FINISH_LENGTH :
	       !strcmp(f, "content_filter") || refused ? POPS_FINISH_FILTER :
	       !strcmp(f, "tool_calls") || !strcmp(f, "function_call") ? POPS_FINISH_TOOLS :
	       POPS_FINISH_OTHER;
}

static const char *finish_anthropic(const char *f, int tool_output)
{
	return !strcmp(f, "end_turn") || !strcmp(f, "stop_sequence") ||
	       (tool_output && !strcmp(f, "tool_use")) ? POPS_FINISH_STOP :
	       !strcmp(f, "max_tokens") ? POPS_FINISH_LENGTH :
	       !strcmp(f, "tool_use") ? POPS_FINISH_TOOLS :
	       !strcmp(f, "refusal") ? POPS_FINISH_FILTER : POPS_FINISH_OTHER;
}

/* the text of the result: as the non-streaming parser gives it */
static char *final_text(pops_wire_stream *s)
{
	if (s->tool_output) {
		/* the tool input, compact, like the non-streaming reply's printed input */
		cJSON *j = s->tool.size ? cJSON_ParseWithLength(s->tool.ptr, s->tool.size) : NULL;
		char *t = j ? cJSON_PrintUnformatted(j) : pops_strdup("{}");

		if (s->tool.size && !j)
			s_error(s, "stream's tool input is not JSON");
		cJSON_Delete(j);
		return t;
	}
	if (!s->text.size && s->refusal.size)
		return pops_strndup(s->refusal.ptr, s->refusal.size);
	return pops_strndup(s->text.ptr ? s->text.ptr : "", s->text.size);
}

int pops_wire_stream_finish(pops_wire_stream *s, pops_provider_result *res)
{
	const char *f;
	int had_error = s->error != NULL;

	free(res->text);
	free(res->finish_reason);
	free(res->error);
	res->error = res->text = res->finish_reason = NULL;
	cJSON_Delete(res->tool_calls);
	res->tool_calls = NULL;
	res->input_tokens = res->output_tokens = -1;
	res->cached_tokens = res->cache_write_tokens = 0;
	/* a last event without the blank line after it */
	if (s->line.size)
		on_line(s, s->line.ptr, s->line.size);
	pops_buf_clear(&s->line);
	if (s->kind != S_OLLAMA && s->has_data)
		on_line(s, "", 0);
	/* a cut stream's last piece is half an event: it is interrupted, not malformed */
	if (!had_error && !s->done) {
		free(s->error);
		s->error = NULL;
		s_error(s, "stream ended before its final event (interrupted: %zu bytes of text so far)",
		        s->text.size + s->tool.size);
	}
	f = s->finish ? s->finish : "";
	if (!s->error)
		res->text = final_text(s);
	if (s->error) {
		free(res->text);
		res->text = NULL;
		res->error = pops_strdup(s->error);
		res->status = POPS_EPROVIDER;
		return pops_error_set(POPS_EPROVIDER, "%s", s->error);
	}
	if (s->kind == S_OPENAI)
		res->finish_reason = pops_strdup(finish_openai(f, s->refusal.size > 0));
	else if (s->kind == S_ANTHROPIC)
		res->finish_reason = pops_strdup(finish_anthropic(f, s->tool_output && !s->ncalls));
	else
		res->finish_reason = pops_strdup(s->whole_calls && (!*f || !strcmp(f, "stop")) ?
		                                 POPS_FINISH_TOOLS :
		                                 !*f || !strcmp(f, "stop") ? POPS_FINISH_STOP :
		                                 !strcmp(f, "length") ? POPS_FINISH_LENGTH :
		                                 POPS_FINISH_OTHER);
	res->output_tokens = s->out;
	if (s->kind == S_ANTHROPIC)   /* cache reads and writes are outside input_tokens */
		res->input_tokens = s->in < 0 ? -1 : s->in + s->cache_read + s->cache_write;
	else
		res->input_tokens = s->in;
	res->cached_tokens = s->cache_read;
	res->cache_write_tokens = s->cache_write;
	res->status = res->text && res->finish_reason && final_calls(s, res) == POPS_OK ? POPS_OK :
	              pops_error_oom();
	if (res->status != POPS_OK)
		res->error = pops_strdup("out of memory");
	return res->status;
}
