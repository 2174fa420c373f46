#include "unit.h"
#include <math.h>
#include "wire.h"

static pops_provider_cfg prov(const char *type, const char *base, cJSON *node)
{
	pops_provider_cfg p;

	memset(&p, 0, sizeof(p));
	p.name = "p";
	p.type = type;
	p.base_url = base;
	p.node = node;
	return p;
}

static const char messages_json[] =
	"[{\"role\":\"system\",\"content\":[{\"text\":\"Be brief.\"}]},"
	"{\"role\":\"user\",\"content\":[{\"text\":\"Hi \"},{\"text\":\"there\"}]},"
	"{\"role\":\"model\",\"content\":[{\"text\":\"Hello\"}]},"
	"{\"role\":\"user\",\"content\":\"Again\"}]";

TEST(openai_body_maps_roles_config_and_schema_exactly)
{
	cJSON *msgs = cJSON_Parse(messages_json);
	cJSON *cfg = cJSON_Parse("{\"temperature\":0,\"maxOutputTokens\":50,\"stopSequences\":[\"END\"],\"seed\":7,\"frequency_penalty\":0.5}");
	cJSON *schema = cJSON_Parse("{\"type\":\"object\"}");
	pops_provider_cfg p = prov("openai", "http://h/v1", NULL);
	pops_provider_request req = { &p, "gpt-x", msgs, cfg, schema, 0, NULL };
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_wire_body(&b, &req), 0);
	CHECK_STR(b.ptr, "{\"model\":\"gpt-x\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
	          "{\"role\":\"user\",\"content\":\"Hi there\"},{\"role\":\"assistant\",\"content\":\"Hello\"},"
	          "{\"role\":\"user\",\"content\":\"Again\"}],\"temperature\":0,\"max_tokens\":50,"
	          "\"stop\":[\"END\"],\"seed\":7,\"response_format\":{\"type\":\"json_schema\","
	          "\"json_schema\":{\"name\":\"output\",\"schema\":{\"type\":\"object\"}}},\"frequency_penalty\":0.5}");
	pops_buf_dispose(&b);
	cJSON_Delete(msgs);
	cJSON_Delete(cfg);
	cJSON_Delete(schema);
}

TEST(anthropic_body_splits_system_and_always_sends_max_tokens)
{
	cJSON *msgs = cJSON_Parse(messages_json);
	cJSON *cfg = cJSON_Parse("{\"temperature\":0.2,\"stop\":\"END\",\"topK\":3}");
	pops_provider_cfg p = prov("anthropic", "https://api.anthropic.com", NULL);
	pops_provider_request req = { &p, "claude-x", msgs, cfg, NULL, 0, NULL };
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_wire_body(&b, &req), 0);
	CHECK_STR(b.ptr, "{\"model\":\"claude-x\",\"max_tokens\":1024,\"system\":\"Be brief.\","
	          "\"messages\":[{\"role\":\"user\",\"content\":\"Hi there\"},{\"role\":\"assistant\",\"content\":\"Hello\"},"
	          "{\"role\":\"user\",\"content\":\"Again\"}],\"temperature\":0.2,\"top_k\":3,\"stop_sequences\":[\"END\"]}");
	pops_buf_dispose(&b);
	cJSON_Delete(msgs);
	cJSON_Delete(cfg);
}

TEST(anthropic_structured_output_uses_a_forced_tool)
{
	cJSON *msgs = cJSON_Parse("[{\"role\":\"user\",\"content\":\"q\"}]");
	cJSON *cfg = cJSON_Parse("{\"max_tokens\":10}");
	cJSON *schema = cJSON_Parse("{\"type\":\"object\"}");
	pops_provider_cfg p = prov("anthropic", "https://x", NULL);
	pops_provider_request req = { &p, "c", msgs, cfg, schema, 0, NULL };
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_wire_body(&b, &req), 0);
	CHECK_STR(b.ptr, "{\"model\":\"c\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],"
	          "\"tools\":[{\"name\":\"pops_output\",\"description\":\"Give the answer in this structure.\","
	          "\"input_schema\":{\"type\":\"object\"}}],\"tool_choice\":{\"type\":\"tool\",\"name\":\"pops_output\"}}");
	pops_buf_dispose(&b);
	cJSON_Delete(msgs);
	cJSON_Delete(cfg);
	cJSON_Delete(schema);
}

TEST(ollama_body_is_native_chat_with_stream_false_and_options)
{
	cJSON *msgs = cJSON_Parse("[{\"role\":\"user\",\"content\":[{\"text\":\"q\"}]}]");
	cJSON *cfg = cJSON_Parse("{\"temperature\":0,\"max_tokens\":5,\"stop\":\"x\"}");
	pops_provider_cfg p = prov("ollama", "http://127.0.0.1:11434", NULL);
	pops_provider_request req = { &p, "llama3", msgs, cfg, NULL, 0, NULL };
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_wire_body(&b, &req), 0);
	CHECK_STR(b.ptr, "{\"model\":\"llama3\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"stream\":false,"
	          "\"options\":{\"temperature\":0,\"num_predict\":5,\"stop\":[\"x\"]}}");
	pops_buf_dispose(&b);
	cJSON_Delete(msgs);
	cJSON_Delete(cfg);
}

TEST(media_parts_become_image_parts)
{
	cJSON *msgs = cJSON_Parse("[{\"role\":\"user\",\"content\":[{\"text\":\"see\"},{\"media\":{\"url\":\"https://i/x.png\",\"contentType\":\"image/png\"}}]}]");
	pops_provider_cfg p = prov("openai", "http://h", NULL);
	pops_provider_request req = { &p, "m", msgs, NULL, NULL, 0, NULL };
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_wire_body(&b, &req), 0);
	CHECK_STR(b.ptr, "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"see\"},"
	          "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://i/x.png\"}}]}]}");
	pops_buf_dispose(&b);
	cJSON_Delete(msgs);
}

TEST(rejects_messages_without_role_or_content)
{
	cJSON *msgs = cJSON_Parse("[{\"role\":\"wizard\",\"content\":\"x\"}]");
	pops_provider_cfg p = prov("openai", "http://h", NULL);
	pops_provider_request req = { &p, "m", msgs, NULL, NULL, 0, NULL };
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_wire_body(&b, &req), POPS_EINVALID);
	CHECK_ERR_HAS("message 0 has no valid role");
	req.messages = NULL;
	CHECK_INT(pops_wire_body(&b, &req), POPS_EINVALID);
	CHECK_ERR_HAS("no messages");
	pops_buf_dispose(&b);
	cJSON_Delete(msgs);
}

TEST(urls_for_openai_azure_anthropic_ollama)
{
	cJSON *az = cJSON_Parse("{\"api_version\":\"2024-06-01\"}");
	pops_provider_cfg p = prov("openai", "https://api.openai.com/v1/", NULL);
	pops_buf u = POPS_BUF_INIT;
	const char *kh, *kp;

	CHECK_INT(pops_wire_url(&u, &p), 0);
	CHECK_STR(u.ptr, "https://api.openai.com/v1/chat/completions");
	pops_wire_key_header(&p, &kh, &kp);
	CHECK_STR(kh, "Authorization");
	CHECK_STR(kp, "Bearer ");
	p = prov("openai", "https://r.openai.azure.com/openai/deployments/d1", az);
	CHECK_INT(pops_wire_url(&u, &p), 0);
	CHECK_STR(u.ptr, "https://r.openai.azure.com/openai/deployments/d1/chat/completions?api-version=2024-06-01");
	pops_wire_key_header(&p, &kh, &kp);
	CHECK_STR(kh, "api-key");
	p = prov("anthropic", "https://api.anthropic.com", NULL);
	CHECK_INT(pops_wire_url(&u, &p), 0);
	CHECK_STR(u.ptr, "https://api.anthropic.com/v1/messages");
	p = prov("anthropic", "http://127.0.0.1:9/v1", NULL);
	CHECK_INT(pops_wire_url(&u, &p), 0);
	CHECK_STR(u.ptr, "http://127.0.0.1:9/v1/messages");
	p = prov("ollama", "http://127.0.0.1:11434", NULL);
	CHECK_INT(pops_wire_url(&u, &p), 0);
	CHECK_STR(u.ptr, "http://127.0.0.1:11434/api/chat");
	CHECK_INT(pops_wire_models_url(&u, &p), 0);
	CHECK_STR(u.ptr, "http://127.0.0.1:11434/api/tags");
	pops_buf_dispose(&u);
	cJSON_Delete(az);
}

static int parse(pops_provider_result *r, const char *type, long status, const char *body)
{
	memset(r, 0, sizeof(*r));
	return pops_wire_parse(r, type, status, body, strlen(body));
}

TEST(parses_openai_reply_with_cached_tokens)
{
	pops_provider_result r;

	CHECK_INT(parse(&r, "openai", 200, "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},"
	                "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2,"
	                "\"prompt_tokens_details\":{\"cached_tokens\":4}}}"), 0);
	CHECK_STR(r.text, "hi");
	CHECK_STR(r.finish_reason, "length");
	CHECK_INT(r.input_tokens, 10);
	CHECK_INT(r.output_tokens, 2);
	CHECK_INT(r.cached_tokens, 4);
	pops_provider_result_dispose(&r);
}

TEST(anthropic_cache_reads_are_counted_inside_input)
{
	pops_provider_result r;

	CHECK_INT(parse(&r, "anthropic", 200, "{\"type\":\"message\",\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
	                "{\"type\":\"text\",\"text\":\"b\"}],\"stop_reason\":\"end_turn\",\"usage\":{\"input_tokens\":3,"
	                "\"cache_read_input_tokens\":7,\"cache_creation_input_tokens\":0,\"output_tokens\":2}}"), 0);
	CHECK_STR(r.text, "ab");
	CHECK_STR(r.finish_reason, "stop");
	CHECK_INT(r.input_tokens, 10);
	CHECK_INT(r.cached_tokens, 7);
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "anthropic", 200, "{\"content\":[{\"type\":\"tool_use\",\"name\":\"pops_output\","
	                "\"input\":{\"a\":1}}],\"stop_reason\":\"tool_use\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}"), 0);
	CHECK_STR(r.text, "{\"a\":1}");
	CHECK_STR(r.finish_reason, "stop");
	pops_provider_result_dispose(&r);
}

TEST(parses_ollama_object_and_ndjson_stream)
{
	pops_provider_result r;

	CHECK_INT(parse(&r, "ollama", 200, "{\"message\":{\"role\":\"assistant\",\"content\":\"yo\"},\"done\":true,"
	                "\"done_reason\":\"length\",\"prompt_eval_count\":5,\"eval_count\":1}"), 0);
	CHECK_STR(r.text, "yo");
	CHECK_STR(r.finish_reason, "length");
	CHECK_INT(r.input_tokens, 5);
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "ollama", 200, "{\"message\":{\"content\":\"he\"},\"done\":false}\n"
	                "{\"message\":{\"content\":\"llo\"},\"done\":false}\n"
	                "{\"message\":{\"content\":\"\"},\"done\":true,\"prompt_eval_count\":2,\"eval_count\":2}\n"), 0);
	CHECK_STR(r.text, "hello");
	CHECK_STR(r.finish_reason, "stop");
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "ollama", 200, "{\"message\":{\"content\":\"he\"},\"done\":false}\n"), POPS_EPROVIDER);
	CHECK(strstr(r.error, "truncated"));
	pops_provider_result_dispose(&r);
}

TEST(error_replies_become_one_line_provider_errors)
{
	pops_provider_result r;

	CHECK_INT(parse(&r, "openai", 200, "{\"error\":{\"message\":\"boom\\nagain\",\"type\":\"server_error\"}}"), POPS_EPROVIDER);
	CHECK_STR(r.error, "error in an HTTP 200 reply: boom again");
	CHECK(!r.text);
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "openai", 429, "{\"error\":{\"message\":\"You exceeded your current quota\",\"code\":\"insufficient_quota\"}}"), POPS_EPROVIDER);
	CHECK_STR(r.error, "HTTP 429: You exceeded your current quota (quota exhausted: not retried)");
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "anthropic", 200, "{\"id\":\"x\",\"content\":[{\"type\":\"te"), POPS_EPROVIDER);
	CHECK_STR(r.error, "reply is not a JSON object (HTTP 200)");
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "openai", 200, ""), POPS_EPROVIDER);
	CHECK_STR(r.error, "empty reply body (HTTP 200)");
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "openai", 502, "<html>\x1b[31mbad</html>"), POPS_EPROVIDER);
	CHECK_STR(r.error, "HTTP 502: <html>?[31mbad</html>");
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "openai", 200, "{\"choices\":[]}"), POPS_EPROVIDER);
	CHECK_STR(r.error, "reply has no choices[0].message");
	pops_provider_result_dispose(&r);
}

TEST(a_reply_of_the_wrong_shape_is_a_provider_error_not_empty_output)
{
	pops_provider_result r;

	CHECK_INT(parse(&r, "openai", 200, "{\"choices\":[{\"message\":{\"content\":5}}]}"), POPS_EPROVIDER);
	CHECK_STR(r.error, "reply's choices[0].message.content is a number, not text");
	CHECK(!r.text);
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "openai", 200, "{\"choices\":{\"0\":{\"message\":{\"content\":\"x\"}}}}"),
	          POPS_EPROVIDER);
	CHECK_STR(r.error, "reply has no choices array (choices is an object)");
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "anthropic", 200, "{\"content\":[{\"type\":\"text\",\"text\":5}]}"), POPS_EPROVIDER);
	CHECK_STR(r.error, "reply has a text block whose text is a number");
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "ollama", 200, "{\"message\":{\"content\":[1]},\"done\":true}"), POPS_EPROVIDER);
	CHECK_STR(r.error, "reply's message.content is an array, not text");
	pops_provider_result_dispose(&r);
	/* still fine: null content (a refusal, tool calls) and an array of text parts */
	CHECK_INT(parse(&r, "openai", 200, "{\"choices\":[{\"message\":{\"content\":null,\"refusal\":\"no\"}}]}"), 0);
	CHECK_STR(r.text, "no");
	pops_provider_result_dispose(&r);
	CHECK_INT(parse(&r, "openai", 200, "{\"choices\":[{\"message\":{\"content\":[{\"type\":\"text\","
	                "\"text\":\"a\"},{\"type\":\"text\",\"text\":\"b\"}]}}]}"), 0);
	CHECK_STR(r.text, "ab");
	pops_provider_result_dispose(&r);
}

TEST(wire_nul_in_output_is_an_error_naming_the_offset)
{
	pops_provider_result r;
	static const char raw[] = "{\"choices\":[{\"message\":{\"content\":\"ab\0cd\"},\"finish_reason\":\"stop\"}]}";

	memset(&r, 0, sizeof(r));
	CHECK_INT(pops_wire_parse(&r, "openai", 200,
	    "{\"choices\":[{\"message\":{\"content\":\"hello\\u0000world\"},\"finish_reason\":\"stop\"}]}",
	    strlen("{\"choices\":[{\"message\":{\"content\":\"hello\\u0000world\"},\"finish_reason\":\"stop\"}]}")),
	    POPS_EPROVIDER);
	CHECK_INT(r.status, POPS_EPROVIDER);
	CHECK_STR(r.error, "model output contains a NUL byte at offset 5");
	CHECK(r.text == NULL);
	/* a raw NUL byte in the body too */
	CHECK_INT(pops_wire_parse(&r, "openai", 200, raw, sizeof(raw) - 1), POPS_EPROVIDER);
	CHECK_STR(r.error, "model output contains a NUL byte at offset 2");
	/* an escaped backslash followed by u0000 is text */
	CHECK_INT(pops_wire_parse(&r, "openai", 200,
	    "{\"choices\":[{\"message\":{\"content\":\"a\\\\u0000b\"},\"finish_reason\":\"stop\"}]}",
	    strlen("{\"choices\":[{\"message\":{\"content\":\"a\\\\u0000b\"},\"finish_reason\":\"stop\"}]}")),
	    POPS_OK);
	CHECK_STR(r.text, "a\\u0000b");
	pops_provider_result_dispose(&r);
}

TEST(wire_nul_marker_is_a_byte_absent_from_the_body)
{
	pops_buf out = POPS_BUF_INIT;
	char body[] = "\"x\xff\\u0000\"";
	int m;

	CHECK_INT(pops_wire_nul_mark(&out, "\"plain\"", 7), 0);
	m = pops_wire_nul_mark(&out, body, strlen(body));
	CHECK(m > 0 && m != 0xff);
	CHECK_INT((int)out.size, 5);
	CHECK_INT((unsigned char)out.ptr[3], m);
	pops_buf_dispose(&out);
}

TEST(streaming_bodies_ask_for_a_stream_and_keep_pops_keys_out)
{
	cJSON *msgs = cJSON_Parse("[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"U\"}]");
	cJSON *cfg = cJSON_Parse("{\"stream\":true,\"cache\":true}");
	pops_provider_cfg o = prov("openai", "http://h/v1", NULL), a = prov("anthropic", "http://h", NULL);
	pops_provider_cfg l = prov("ollama", "http://h", NULL);
	pops_provider_request req = { &o, "m", msgs, cfg, NULL, 0, NULL, 0 };
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_wire_body(&b, &req), 0);
	CHECK_STR(b.ptr, "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
	          "{\"role\":\"user\",\"content\":\"U\"}],\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
	req.provider = &a;
	CHECK_INT(pops_wire_body(&b, &req), 0);
	CHECK_STR(b.ptr, "{\"model\":\"m\",\"max_tokens\":1024,\"system\":[{\"type\":\"text\",\"text\":\"S\","
	          "\"cache_control\":{\"type\":\"ephemeral\"}}],\"messages\":[{\"role\":\"user\",\"content\":\"U\"}],"
	          "\"stream\":true}");
	req.provider = &l;
	CHECK_INT(pops_wire_body(&b, &req), 0);
	CHECK_STR(b.ptr, "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"S\"},"
	          "{\"role\":\"user\",\"content\":\"U\"}],\"stream\":true}");
	/* the caller's flag streams too; without cache the system prompt stays a string */
	req.provider = &a;
	req.config = NULL;
	req.stream = 1;
	CHECK_INT(pops_wire_body(&b, &req), 0);
	CHECK_STR(b.ptr, "{\"model\":\"m\",\"max_tokens\":1024,\"system\":\"S\","
	          "\"messages\":[{\"role\":\"user\",\"content\":\"U\"}],\"stream\":true}");
	pops_buf_dispose(&b);
	cJSON_Delete(msgs);
	cJSON_Delete(cfg);
}

TEST(anthropic_cache_writes_are_counted_and_priced_at_cache_write)
{
	static const char body[] = "{\"content\":[{\"type\":\"text\",\"text\":\"x\"}],\"stop_reason\":\"end_turn\","
		"\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":1000,\"cache_read_input_tokens\":2000,\"output_tokens\":100}}";
	pops_provider_result res;
	pops_price_cfg price = { "c", 3.0, 15.0, 0.30, 3.75 };
	pops_config cfg;

	memset(&res, 0, sizeof(res));
	memset(&cfg, 0, sizeof(cfg));
	cfg.prices = &price;
	cfg.nprices = 1;
	CHECK_INT(pops_wire_parse(&res, "anthropic", 200, body, strlen(body)), 0);
	CHECK_INT(res.input_tokens, 3010);
	CHECK_INT(res.cached_tokens, 2000);
	CHECK_INT(res.cache_write_tokens, 1000);
	pops_provider_price(&res, &cfg, "c");
	CHECK(res.priced);
	/* 10 * 3 + 2000 * 0.30 + 1000 * 3.75 + 100 * 15, per million */
	CHECK(fabs(res.cost_usd - (30.0 + 600.0 + 3750.0 + 1500.0) / 1e6) < 1e-12);
	/* without cache_write, writes cost input */
	price.cache_write = -1;
	pops_provider_price(&res, &cfg, "c");
	CHECK(fabs(res.cost_usd - (30.0 + 600.0 + 3000.0 + 1500.0) / 1e6) < 1e-12);
	pops_provider_result_dispose(&res);
}
