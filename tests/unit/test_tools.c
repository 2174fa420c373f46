#include "unit.h"
#include <math.h>
#include "assertion.h"
#include "config.h"
#include "strutil.h"
#include "tools.h"
#include "wire.h"

/*
 * Tool definitions (lib/tools.c), tools in request bodies and tool calls
 * in replies (lib/wire.c, lib/wire_stream.c), and the tool-call
 * assertions (lib/assertion_tools.c).
 */

static const char yaml[] =
	"version: 1\n"
	"tools:\n"
	"  lookup:\n"
	"    description: Find an order.\n"
	"    parameters: { type: object, required: [id], properties: { id: { type: integer } } }\n"
	"  bad: { parameters: [1] }\n"
	"  typo: { descripton: x }\n";

/* tools/NAME.json from memory: only tools/send.json exists */
static int fake_read(void *payload, const char *path, pops_buf *out)
{
	(void)payload;
	if (strcmp(path, "tools/send.json"))
		return POPS_ENOTFOUND;
	return pops_buf_sets(out, "{\"description\":\"Send.\"}");
}

static int resolve(cJSON **out, const char *names_json)
{
	pops_config *cfg = NULL;
	cJSON *names = cJSON_Parse(names_json);
	pops_tools_source src = { NULL, fake_read, NULL };
	int r;

	if ((r = pops_config_parse(&cfg, yaml, strlen(yaml), "/p/pops.yaml")) < 0)
		return r;
	src.cfg = cfg;
	r = pops_tools_resolve(out, &src, names, "prompts/a.prompt");
	cJSON_Delete(names);
	pops_config_free(cfg);
	return r;
}

TEST(tools_resolve_from_pops_yaml_then_files_in_order)
{
	cJSON *defs = NULL;
	char *s;

	CHECK_INT(resolve(&defs, "[\"send\",\"lookup\"]"), 0);
	s = cJSON_PrintUnformatted(defs);
	CHECK_STR(s, "[{\"name\":\"send\",\"description\":\"Send.\",\"parameters\":{\"type\":\"object\","
	          "\"properties\":{}}},{\"name\":\"lookup\",\"description\":\"Find an order.\","
	          "\"parameters\":{\"type\":\"object\",\"required\":[\"id\"],\"properties\":{\"id\":"
	          "{\"type\":\"integer\"}}}}]");
	free(s);
	CHECK(pops_tools_find(defs, "lookup") != NULL);
	CHECK(pops_tools_find(defs, "nope") == NULL);
	cJSON_Delete(defs);
	CHECK_INT(resolve(&defs, "[]"), 0);
	CHECK(defs == NULL);
}

TEST(tools_bad_definitions_name_the_file_and_the_problem)
{
	cJSON *defs = NULL;

	CHECK_INT(resolve(&defs, "[\"nosuch\"]"), POPS_EINVALID);
	CHECK_ERR_HAS("prompts/a.prompt: tool 'nosuch' is not defined: add it under tools: in "
	              "pops.yaml or as tools/nosuch.json");
	CHECK_INT(resolve(&defs, "[\"bad\"]"), POPS_EINVALID);
	CHECK_ERR_HAS("pops.yaml:6: tool 'bad': 'parameters' must be a JSON Schema");
	CHECK_INT(resolve(&defs, "[\"typo\"]"), POPS_EINVALID);
	CHECK_ERR_HAS("tool 'typo' has an unknown key 'descripton'");
	CHECK_INT(resolve(&defs, "[\"lookup\",\"lookup\"]"), POPS_EINVALID);
	CHECK_ERR_HAS("tool 'lookup' is listed twice");
	CHECK_INT(resolve(&defs, "[\"a b\"]"), POPS_EINVALID);
	CHECK_ERR_HAS("each entry must be a tool name");
	CHECK(defs == NULL);
}

TEST(tools_names_and_choices)
{
	cJSON *names = cJSON_Parse("[\"lookup\"]");

	CHECK(pops_tools_name_ok("get_weather-2"));
	CHECK(!pops_tools_name_ok(""));
	CHECK(!pops_tools_name_ok("a.b"));
	CHECK(!pops_tools_name_ok("x123456789012345678901234567890123456789012345678901234567890abcd"));
	CHECK_INT(pops_tools_choice_check("auto", names, "p"), 0);
	CHECK_INT(pops_tools_choice_check("required", names, "p"), 0);
	CHECK_INT(pops_tools_choice_check("lookup", names, "p"), 0);
	CHECK_INT(pops_tools_choice_check(NULL, names, "p"), 0);
	CHECK_INT(pops_tools_choice_check("send", names, "p"), POPS_EINVALID);
	CHECK_ERR_HAS("p: toolChoice 'send' is neither");
	cJSON_Delete(names);
}

TEST(tools_calls_line_for_reports)
{
	cJSON *calls = cJSON_Parse("[{\"name\":\"a\",\"arguments\":{\"x\":1}},{\"name\":\"b\","
	                           "\"arguments\":\"not json\"}]");
	pops_buf b = POPS_BUF_INIT;

	pops_tools_calls_line(&b, calls);
	CHECK_STR(b.ptr, "a({\"x\":1}), b(\"not json\")");
	pops_buf_dispose(&b);
	cJSON_Delete(calls);
}

/* ---- wire ---- */

static const char defs_json[] =
	"[{\"name\":\"lookup\",\"description\":\"Find.\",\"parameters\":{\"type\":\"object\"}}]";

static char *body(const char *type, const char *choice, const char *schema)
{
	pops_provider_cfg p;
	cJSON *msgs = cJSON_Parse("[{\"role\":\"user\",\"content\":\"hi\"}]");
	cJSON *defs = cJSON_Parse(defs_json), *sc = schema ? cJSON_Parse(schema) : NULL;
	pops_provider_request req;
	pops_buf b = POPS_BUF_INIT;
	char *s = NULL;

	memset(&p, 0, sizeof(p));
	p.name = "p";
	p.type = type;
	p.base_url = "http://h";
	memset(&req, 0, sizeof(req));
	req.provider = &p;
	req.model_id = "m";
	req.messages = msgs;
	req.output_schema = sc;
	req.tools = defs;
	req.tool_choice = choice;
	if (pops_wire_body(&b, &req) == 0)
		s = pops_buf_detach(&b);
	pops_buf_dispose(&b);
	cJSON_Delete(msgs);
	cJSON_Delete(defs);
	cJSON_Delete(sc);
	return s;
}

TEST(wire_sends_tools_and_tool_choice_in_each_format)
{
	char *s = body("openai", "lookup", NULL);

	CHECK_STR(s, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	          "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"description\":"
	          "\"Find.\",\"parameters\":{\"type\":\"object\"}}}],\"tool_choice\":{\"type\":"
	          "\"function\",\"function\":{\"name\":\"lookup\"}}}");
	free(s);
	s = body("openai", "any", NULL);
	CHECK(strstr(s, "\"tool_choice\":\"required\""));
	free(s);
	s = body("anthropic", "required", NULL);
	CHECK_STR(s, "{\"model\":\"m\",\"max_tokens\":1024,\"messages\":[{\"role\":\"user\",\"content\":"
	          "\"hi\"}],\"tools\":[{\"name\":\"lookup\",\"description\":\"Find.\",\"input_schema\":"
	          "{\"type\":\"object\"}}],\"tool_choice\":{\"type\":\"any\"}}");
	free(s);
	s = body("anthropic", "lookup", NULL);
	CHECK(strstr(s, "\"tool_choice\":{\"type\":\"tool\",\"name\":\"lookup\"}"));
	free(s);
	/* structured output beside tools: the output tool joins them, some tool is required */
	s = body("anthropic", NULL, "{\"type\":\"object\"}");
	CHECK(strstr(s, "{\"name\":\"lookup\",\"description\":\"Find.\",\"input_schema\":{\"type\":"
	             "\"object\"}},{\"name\":\"pops_output\""));
	CHECK(strstr(s, "\"tool_choice\":{\"type\":\"any\"}"));
	free(s);
	s = body("ollama", "lookup", NULL);
	CHECK_STR(s, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
	          "\"stream\":false,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\","
	          "\"description\":\"Find.\",\"parameters\":{\"type\":\"object\"}}}]}");
	free(s);
}

static char *calls_of(const char *type, const char *reply, const char **finish)
{
	static char fr[32];
	pops_provider_result r;
	char *s = NULL;

	memset(&r, 0, sizeof(r));
	if (pops_wire_parse(&r, type, 200, reply, strlen(reply)) == 0) {
		s = r.tool_calls ? cJSON_PrintUnformatted(r.tool_calls) : pops_strdup("none");
		snprintf(fr, sizeof(fr), "%s", r.finish_reason);
		*finish = fr;
	}
	pops_provider_result_dispose(&r);
	return s;
}

TEST(wire_parses_tool_calls_of_each_format)
{
	const char *f = NULL;
	char *s = calls_of("openai", "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":null,"
	                   "\"tool_calls\":[{\"id\":\"c1\",\"type\":\"function\",\"function\":{\"name\":"
	                   "\"lookup\",\"arguments\":\"{\\\"id\\\":7}\"}},{\"id\":\"c2\",\"type\":\"function\","
	                   "\"function\":{\"name\":\"raw\",\"arguments\":\"{oops\"}}]},\"finish_reason\":"
	                   "\"tool_calls\"}]}", &f);

	CHECK_STR(s, "[{\"name\":\"lookup\",\"arguments\":{\"id\":7}},{\"name\":\"raw\",\"arguments\":\"{oops\"}]");
	CHECK_STR(f, "tool_calls");
	free(s);
	s = calls_of("anthropic", "{\"content\":[{\"type\":\"text\",\"text\":\"ok\"},{\"type\":\"tool_use\","
	             "\"id\":\"t\",\"name\":\"lookup\",\"input\":{\"id\":7}}],\"stop_reason\":\"tool_use\"}", &f);
	CHECK_STR(s, "[{\"name\":\"lookup\",\"arguments\":{\"id\":7}}]");
	CHECK_STR(f, "tool_calls");
	free(s);
	s = calls_of("ollama", "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{"
	             "\"function\":{\"name\":\"lookup\",\"arguments\":{\"id\":7}}}]},\"done\":true}", &f);
	CHECK_STR(s, "[{\"name\":\"lookup\",\"arguments\":{\"id\":7}}]");
	CHECK_STR(f, "tool_calls");
	free(s);
	s = calls_of("openai", "{\"choices\":[{\"message\":{\"content\":\"hi\"},\"finish_reason\":\"stop\"}]}", &f);
	CHECK_STR(s, "none");
	free(s);
	s = calls_of("openai", "{\"choices\":[{\"message\":{\"content\":null,\"tool_calls\":[{\"function\":{}}]},"
	             "\"finish_reason\":\"tool_calls\"}]}", &f);
	CHECK(s == NULL);
	CHECK_ERR_HAS("tool call without function.name");
}

/* a stream fed byte by byte: its calls, compact */
static char *stream_calls(const char *type, const char *sse)
{
	pops_wire_stream *st = pops_wire_stream_new(type);
	pops_provider_result r;
	char *s = NULL;

	memset(&r, 0, sizeof(r));
	for (size_t i = 0; sse[i]; i++)
		pops_wire_stream_feed(st, sse + i, 1);
	if (pops_wire_stream_finish(st, &r) == 0)
		s = r.tool_calls ? cJSON_PrintUnformatted(r.tool_calls) : pops_strdup("none");
	if (s && strcmp(r.finish_reason, "tool_calls")) {
		free(s);
		s = pops_strdup(r.finish_reason);
	}
	pops_provider_result_dispose(&r);
	pops_wire_stream_free(st);
	return s;
}

TEST(wire_stream_assembles_tool_call_deltas)
{
	char *s = stream_calls("openai",
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\","
		"\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"arguments\":\"\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"b\","
		"\"function\":{\"name\":\"send\",\"arguments\":\"{}\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
		"{\"arguments\":\"{\\\"id\\\"\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
		"{\"arguments\":\":7}\"}}]}}]}\n\n"
		"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
		"data: [DONE]\n\n");

	CHECK_STR(s, "[{\"name\":\"lookup\",\"arguments\":{\"id\":7}},{\"name\":\"send\",\"arguments\":{}}]");
	free(s);
	s = stream_calls("anthropic",
		"data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":1}}}\n\n"
		"data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}}\n\n"
		"data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\","
		"\"id\":\"t\",\"name\":\"lookup\",\"input\":{}}}\n\n"
		"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
		"\"partial_json\":\"{\\\"id\\\":\"}}\n\n"
		"data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\","
		"\"partial_json\":\"7}\"}}\n\n"
		"data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":3}}\n\n"
		"data: {\"type\":\"message_stop\"}\n\n");
	CHECK_STR(s, "[{\"name\":\"lookup\",\"arguments\":{\"id\":7}}]");
	free(s);
	s = stream_calls("ollama",
		"{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":"
		"{\"name\":\"lookup\",\"arguments\":{\"id\":7}}}]},\"done\":false}\n"
		"{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\"}\n");
	CHECK_STR(s, "[{\"name\":\"lookup\",\"arguments\":{\"id\":7}}]");
	free(s);
}

/* ---- assertions ---- */

static int check(const char *json, const char *calls_json, pops_buf *why, double *score)
{
	cJSON *node = cJSON_Parse(json), *calls = calls_json ? cJSON_Parse(calls_json) : NULL;
	cJSON *defs = cJSON_Parse("[{\"name\":\"lookup\",\"parameters\":{\"type\":\"object\","
	                          "\"required\":[\"id\"],\"properties\":{\"id\":{\"type\":\"integer\"}}}},"
	                          "{\"name\":\"send\",\"parameters\":{\"type\":\"object\"}}]");
	cJSON *scope = cJSON_Parse("{\"n\":\"7\"}");
	pops_assert *a = NULL;
	pops_assert_result res = POPS_ASSERT_RESULT_INIT;
	pops_assert_input in = { "text", 4, scope, 1, -1, "c", NULL, -1, calls, defs };
	int r;

	if ((r = pops_assert_compile(&a, node, "s.yaml", 3)) == 0 &&
	    (r = pops_assert_check(&res, a, &in)) == 0) {
		r = res.error ? 2 : res.pass;
		if (why)
			pops_buf_sets(why, res.reason.ptr ? res.reason.ptr : "");
		if (score)
			*score = res.score;
	}
	pops_buf_dispose(&res.reason);
	pops_assert_free(a);
	cJSON_Delete(node);
	cJSON_Delete(calls);
	cJSON_Delete(defs);
	cJSON_Delete(scope);
	return r;
}

static const char two[] = "[{\"name\":\"lookup\",\"arguments\":{\"id\":7}},"
                          "{\"name\":\"send\",\"arguments\":{\"to\":\"x\"}}]";

TEST(assert_tool_call_and_its_negation)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(check("{\"type\":\"tool-call\",\"name\":\"send\"}", two, NULL, NULL), 1);
	CHECK_INT(check("{\"type\":\"tool-call\"}", two, NULL, NULL), 1);
	CHECK_INT(check("{\"type\":\"tool-call\"}", NULL, &why, NULL), 0);
	CHECK_STR(why.ptr, "the reply has no tool calls (expected one)");
	CHECK_INT(check("{\"type\":\"tool-call\",\"name\":\"lookup\",\"arguments\":{\"id\":7}}", two,
	                NULL, NULL), 1);
	CHECK_INT(check("{\"type\":\"tool-call\",\"name\":\"lookup\",\"arguments\":{\"id\":8}}", two,
	                &why, NULL), 0);
	CHECK_STR(why.ptr, "lookup was called with {\"id\":7}, expected {\"id\":8}");
	CHECK_INT(check("{\"type\":\"tool-call\",\"name\":\"send\",\"path\":\"$.to\",\"value\":\"x\"}",
	                two, NULL, NULL), 1);
	CHECK_INT(check("{\"type\":\"tool-call\",\"name\":\"lookup\",\"path\":\"$.id\",\"value\":\"{{n}}\"}",
	                two, NULL, NULL), 1);
	CHECK_INT(check("{\"type\":\"tool-call\",\"name\":\"lookup\",\"schema\":{\"properties\":{\"id\":"
	                "{\"type\":\"string\"}}}}", two, &why, NULL), 0);
	CHECK_STR(why.ptr, "lookup arguments: $.id: expected string, got integer");
	CHECK_INT(check("{\"type\":\"tool-call\",\"name\":\"delete\"}", two, &why, NULL), 0);
	CHECK_STR(why.ptr, "no call to delete (the reply calls lookup)");
	CHECK_INT(check("{\"type\":\"not-tool-call\",\"name\":\"delete\"}", two, NULL, NULL), 1);
	CHECK_INT(check("{\"type\":\"not-tool-call\",\"name\":\"send\"}", two, &why, NULL), 0);
	CHECK_STR(why.ptr, "the reply calls send");
	CHECK_INT(check("{\"type\":\"not-tool-call\"}", NULL, NULL, NULL), 1);
	pops_buf_dispose(&why);
}

TEST(assert_tool_calls_reports_precision_and_recall)
{
	pops_buf why = POPS_BUF_INIT;
	double score = -1;

	CHECK_INT(check("{\"type\":\"tool-calls\",\"value\":[\"send\",\"lookup\"]}", two, NULL, &score), 1);
	CHECK(score == 1.0);
	CHECK_INT(check("{\"type\":\"tool-calls\",\"order\":\"strict\",\"value\":[\"send\",\"lookup\"]}",
	                two, &why, &score), 0);
	CHECK_STR(why.ptr, "tool calls: precision 0.50, recall 0.50 (1 of 2 expected, 2 made, in order): "
	          "lookup({\"id\":7}), send({\"to\":\"x\"})");
	CHECK(fabs(score - 0.5) < 1e-9);
	CHECK_INT(check("{\"type\":\"tool-calls\",\"value\":[{\"name\":\"lookup\",\"arguments\":{\"id\":7}}]}",
	                two, &why, &score), 0);
	CHECK_STR(why.ptr, "tool calls: precision 0.50, recall 1.00 (1 of 1 expected, 2 made): "
	          "lookup({\"id\":7}), send({\"to\":\"x\"})");
	CHECK_INT(check("{\"type\":\"tool-calls\",\"value\":[]}", NULL, NULL, &score), 1);
	CHECK_INT(check("{\"type\":\"tool-calls\",\"value\":\"[\\\"lookup\\\",\\\"send\\\"]\"}", two,
	                NULL, NULL), 1);
	CHECK_INT(check("{\"type\":\"tool-calls\",\"value\":\"not a list\"}", two, &why, NULL), 2);
	pops_buf_dispose(&why);
}

TEST(assert_is_valid_tool_call_checks_the_declared_schema)
{
	pops_buf why = POPS_BUF_INIT;

	CHECK_INT(check("{\"type\":\"is-valid-tool-call\"}", two, NULL, NULL), 1);
	CHECK_INT(check("{\"type\":\"is-valid-tool-call\"}", "[{\"name\":\"lookup\",\"arguments\":"
	                "{\"id\":\"7\"}}]", &why, NULL), 0);
	CHECK_STR(why.ptr, "lookup arguments do not match its schema: $.id: expected integer, got string");
	CHECK_INT(check("{\"type\":\"is-valid-tool-call\"}", "[{\"name\":\"rm\",\"arguments\":{}}]",
	                &why, NULL), 0);
	CHECK_STR(why.ptr, "the reply calls 'rm', which the prompt does not declare");
	CHECK_INT(check("{\"type\":\"is-valid-tool-call\",\"name\":\"send\"}", "[{\"name\":\"rm\","
	                "\"arguments\":{}}]", &why, NULL), 0);
	CHECK_STR(why.ptr, "the reply has no tool calls to send");
	pops_buf_dispose(&why);
}

TEST(assert_tool_keys_are_checked_at_compile)
{
	CHECK_INT(check("{\"type\":\"contains\",\"value\":\"a\",\"name\":\"x\"}", NULL, NULL, NULL),
	          POPS_EINVALID);
	CHECK_ERR_HAS("s.yaml:3: 'name', 'arguments' and 'order' are for the tool-call assertions only");
	CHECK_INT(check("{\"type\":\"tool-calls\"}", NULL, NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'tool-calls' needs 'value'");
	CHECK_INT(check("{\"type\":\"tool-calls\",\"value\":[\"a\"],\"order\":\"random\"}", NULL, NULL,
	                NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'order' is 'strict' or 'any'");
	CHECK_INT(check("{\"type\":\"tool-call\",\"value\":\"x\"}", NULL, NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("'value' goes with 'path'");
	CHECK_INT(check("{\"type\":\"is-valid-tool-call\",\"order\":\"any\"}", NULL, NULL, NULL),
	          POPS_EINVALID);
	CHECK_INT(check("{\"type\":\"not-tool-calls\",\"value\":[]}", NULL, NULL, NULL), POPS_EINVALID);
	CHECK_ERR_HAS("unknown assertion type 'not-tool-calls'");
}
