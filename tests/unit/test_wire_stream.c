#include "unit.h"
#include "wire.h"

/*
 * Streamed replies as the providers send them; each is fed in two
 * pieces split at every byte boundary (and byte by byte), and must give
 * the same result as when fed whole.
 */

static const char openai_sse[] =
	"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
	"\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\r\n\r\n"
	": keep-alive comment\n\n"
	"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo \\u00e9\\n\"},\"finish_reason\":null}]}\n\n"
	"data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
	"data: {\"id\":\"c\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,"
	"\"prompt_tokens_details\":{\"cached_tokens\":8}}}\n\n"
	"data: [DONE]\n\n";

static const char anthropic_sse[] =
	"event: message_start\n"
	"data: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\","
	"\"content\":[],\"usage\":{\"input_tokens\":5,\"cache_creation_input_tokens\":100,"
	"\"cache_read_input_tokens\":40,\"output_tokens\":1}}}\n\n"
	"event: content_block_start\n"
	"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	"event: ping\ndata: {\"type\":\"ping\"}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n"
	"event: content_block_delta\n"
	"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" there\"}}\n\n"
	"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	"event: message_delta\n"
	"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},"
	"\"usage\":{\"output_tokens\":7}}\n\n"
	"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";

static const char ollama_nd[] =
	"{\"model\":\"l\",\"message\":{\"role\":\"assistant\",\"content\":\"Hi \"},\"done\":false}\n"
	"{\"model\":\"l\",\"message\":{\"role\":\"assistant\",\"content\":\"you\"},\"done\":false}\n"
	"{\"model\":\"l\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
	"\"done_reason\":\"stop\",\"prompt_eval_count\":9,\"eval_count\":2}\n";

typedef struct want {
	const char *text, *finish;
	long in, out, cached, written;
} want;

/* feed `body` split at `cut` (or byte by byte when cut == SIZE_MAX) and check the result */
static int one_split(const char *type, const char *body, size_t len, size_t cut, const want *w,
                     int *first_at_end)
{
	pops_wire_stream *s = pops_wire_stream_new(type);
	pops_provider_result res;
	int ok;

	memset(&res, 0, sizeof(res));
	if (cut == SIZE_MAX) {
		for (size_t i = 0; i < len; i++)
			pops_wire_stream_feed(s, body + i, 1);
	} else {
		pops_wire_stream_feed(s, body, cut);
		pops_wire_stream_feed(s, body + cut, len - cut);
	}
	*first_at_end = pops_wire_stream_feed(s, "", 0);
	ok = pops_wire_stream_finish(s, &res) == POPS_OK && !strcmp(res.text, w->text) &&
	     !strcmp(res.finish_reason, w->finish) && res.input_tokens == w->in &&
	     res.output_tokens == w->out && res.cached_tokens == w->cached &&
	     res.cache_write_tokens == w->written;
	if (!ok)
		fprintf(stderr, "  %s cut %zu: text '%s' finish %s in %ld out %ld cached %ld error %s\n",
		        type, cut, res.text ? res.text : "(null)", res.finish_reason ? res.finish_reason : "-",
		        res.input_tokens, res.output_tokens, res.cached_tokens, res.error ? res.error : "-");
	pops_provider_result_dispose(&res);
	pops_wire_stream_free(s);
	return ok;
}

static void every_split(const char *type, const char *body, const want *w)
{
	size_t len = strlen(body), bad = 0;
	int first = 0;

	for (size_t cut = 0; cut <= len; cut++) {
		bad += !one_split(type, body, len, cut, w, &first);
		CHECK(first);
	}
	bad += !one_split(type, body, len, SIZE_MAX, w, &first);
	CHECK_INT(bad, 0);
}

TEST(openai_sse_assembles_at_every_byte_boundary)
{
	want w = { "Hello \xc3\xa9\n", POPS_FINISH_STOP, 12, 3, 8, 0 };

	every_split("openai", openai_sse, &w);
}

TEST(anthropic_sse_usage_is_cumulative_and_cache_tokens_count_as_input)
{
	/* input 5 + cache read 40 + cache write 100; output from message_delta, not message_start */
	want w = { "Hi there", POPS_FINISH_LENGTH, 145, 7, 40, 100 };

	every_split("anthropic", anthropic_sse, &w);
}

TEST(ollama_ndjson_assembles_at_every_byte_boundary)
{
	want w = { "Hi you", POPS_FINISH_STOP, 9, 2, 0, 0 };

	every_split("ollama", ollama_nd, &w);
}

/* the first token: not the role chunk, not message_start, but the first non-empty delta */
TEST(first_token_is_the_first_non_empty_delta)
{
	pops_wire_stream *s = pops_wire_stream_new("openai");
	const char *second = strstr(openai_sse, "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel");
	size_t upto = (size_t)(second - openai_sse);
	const char *tc = "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\"}}]}}]}\n\n";

	CHECK_INT(pops_wire_stream_feed(s, openai_sse, upto), 0);
	/* the event is complete only at its blank line */
	CHECK_INT(pops_wire_stream_feed(s, second, strlen("data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}")), 0);
	pops_wire_stream_reset(s);
	CHECK_INT(pops_wire_stream_feed(s, tc, strlen(tc)), 1);
	pops_wire_stream_free(s);
	s = pops_wire_stream_new("anthropic");
	CHECK_INT(pops_wire_stream_feed(s, anthropic_sse, (size_t)(strstr(anthropic_sse, "event: content_block_delta") - anthropic_sse)), 0);
	pops_wire_stream_free(s);
}

static void check_fails(const char *type, const char *body, size_t len, const char *needle)
{
	pops_wire_stream *s = pops_wire_stream_new(type);
	pops_provider_result res;

	memset(&res, 0, sizeof(res));
	pops_wire_stream_feed(s, body, len);
	CHECK_INT(pops_wire_stream_finish(s, &res), POPS_EPROVIDER);
	CHECK_INT(res.status, POPS_EPROVIDER);
	CHECK(res.text == NULL);
	CHECK(res.error && strstr(res.error, needle));
	pops_provider_result_dispose(&res);
	pops_wire_stream_free(s);
}

TEST(a_stream_cut_before_its_final_event_is_an_error_not_a_short_output)
{
	/* every prefix that lacks the final event */
	size_t n = strlen(openai_sse) - strlen("data: [DONE]\n\n");

	for (size_t cut = 0; cut < n; cut += 7)
		check_fails("openai", openai_sse, cut, "interrupted");
	check_fails("anthropic", anthropic_sse, strlen(anthropic_sse) - strlen("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"),
	            "interrupted");
	check_fails("ollama", ollama_nd, (size_t)(strrchr(ollama_nd, '{') - ollama_nd), "interrupted");
}

TEST(error_events_and_bad_events_are_provider_errors)
{
	static const char aerr[] = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}\n\n"
		"event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
	static const char bad[] = "data: {not json\n\ndata: [DONE]\n\n";
	static const char oerr[] = "{\"error\":\"model 'x' not found\"}\n";
	static const char nul[] = "data: {\"choices\":[{\"delta\":{\"content\":\"a\\u0000b\"}}]}\n\ndata: [DONE]\n\n";

	check_fails("anthropic", aerr, strlen(aerr), "Overloaded");
	check_fails("openai", bad, strlen(bad), "not a JSON object");
	check_fails("ollama", oerr, strlen(oerr), "not found");
	check_fails("openai", nul, strlen(nul), "NUL");
}

TEST(anthropic_structured_output_streams_as_tool_input_json)
{
	static const char body[] =
		"data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"
		"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"pops_output\",\"input\":{}}}\n\n"
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\": \"}}\n\n"
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"1}\"}}\n\n"
		"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":4}}\n\n"
		"data: {\"type\":\"message_stop\"}";   /* no blank line after the last event */
	want w = { "{\"a\":1}", POPS_FINISH_STOP, 3, 4, 0, 0 };

	every_split("anthropic", body, &w);
}

TEST(only_http_types_stream)
{
	CHECK(pops_wire_stream_new("exec") == NULL);
	CHECK(pops_wire_stream_new(NULL) == NULL);
}
