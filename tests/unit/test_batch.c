#include "unit.h"
#include "batch.h"
#include "config.h"

TEST(batch_openai_line_is_a_jsonl_request_to_chat_completions)
{
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_batch_line(&b, "openai", "k1", "{\"model\":\"m\"}", 13), 0);
	CHECK_STR(b.ptr, "{\"custom_id\":\"k1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
	                 "\"body\":{\"model\":\"m\"}}\n");
	pops_buf_dispose(&b);
}

TEST(batch_anthropic_line_is_a_request_element_with_params)
{
	pops_buf b = POPS_BUF_INIT;

	CHECK_INT(pops_batch_line(&b, "anthropic", "k2", "{\"max_tokens\":5}", 16), 0);
	CHECK_STR(b.ptr, "{\"custom_id\":\"k2\",\"params\":{\"max_tokens\":5}}");
	CHECK_INT(pops_batch_line(&b, "openai", "k3", "not json", 8), POPS_EINVALID);
	pops_buf_dispose(&b);
}

TEST(batch_status_normalises_both_providers)
{
	pops_batch_status st;
	const char *o = "{\"id\":\"batch_1\",\"status\":\"in_progress\",\"output_file_id\":null,"
	                "\"request_counts\":{\"total\":10,\"completed\":4,\"failed\":1}}";
	const char *a = "{\"id\":\"msgbatch_1\",\"processing_status\":\"ended\",\"results_url\":\"http://x/r\","
	                "\"request_counts\":{\"processing\":0,\"succeeded\":7,\"errored\":1,\"canceled\":1,\"expired\":1}}";

	memset(&st, 0, sizeof(st));
	CHECK_INT(pops_batch_parse_status(&st, "openai", o, strlen(o)), 0);
	CHECK_STR(st.id, "batch_1");
	CHECK_STR(st.status, "in_progress");
	CHECK_INT(st.ended, 0);
	CHECK_INT(st.total, 10);
	CHECK_INT(st.succeeded, 4);
	CHECK_INT(st.failed, 1);
	CHECK(st.output == NULL);
	CHECK_INT(pops_batch_parse_status(&st, "anthropic", a, strlen(a)), 0);
	CHECK_INT(st.ended, 1);
	CHECK_INT(st.total, 10);
	CHECK_INT(st.failed, 3);
	CHECK_STR(st.output, "http://x/r");
	CHECK_INT(pops_batch_parse_status(&st, "openai", "[]", 2), POPS_EPROVIDER);
	pops_batch_status_dispose(&st);
}

TEST(batch_result_lines_give_answers_or_provider_errors)
{
	pops_provider_result res;
	char *id = NULL;
	const char *ok = "{\"id\":\"r1\",\"custom_id\":\"c1\",\"response\":{\"status_code\":200,\"body\":"
	                 "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},"
	                 "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}},"
	                 "\"error\":null}";
	const char *exp = "{\"custom_id\":\"c2\",\"response\":null,\"error\":{\"code\":\"batch_expired\","
	                  "\"message\":\"too late\"}}";
	const char *aerr = "{\"custom_id\":\"c3\",\"result\":{\"type\":\"errored\",\"error\":{\"type\":\"error\","
	                   "\"error\":{\"type\":\"invalid_request_error\",\"message\":\"bad params\"}}}}";
	const char *acan = "{\"custom_id\":\"c4\",\"result\":{\"type\":\"canceled\"}}";

	memset(&res, 0, sizeof(res));
	CHECK_INT(pops_batch_parse_line(&id, &res, "openai", ok, strlen(ok)), POPS_OK);
	CHECK_STR(id, "c1");
	CHECK_STR(res.text, "hi");
	CHECK_INT(res.input_tokens, 3);
	free(id);
	pops_provider_result_dispose(&res);
	CHECK_INT(pops_batch_parse_line(&id, &res, "openai", exp, strlen(exp)), POPS_EPROVIDER);
	CHECK_STR(id, "c2");
	CHECK_STR(res.error, "batch: expired: too late");
	free(id);
	pops_provider_result_dispose(&res);
	CHECK_INT(pops_batch_parse_line(&id, &res, "anthropic", aerr, strlen(aerr)), POPS_EPROVIDER);
	CHECK_STR(res.error, "batch: errored: bad params");
	free(id);
	pops_provider_result_dispose(&res);
	CHECK_INT(pops_batch_parse_line(&id, &res, "anthropic", acan, strlen(acan)), POPS_EPROVIDER);
	CHECK_STR(id, "c4");
	CHECK_STR(res.error, "batch: cancelled");
	free(id);
	pops_provider_result_dispose(&res);
	CHECK_INT(pops_batch_parse_line(&id, &res, "openai", "{", 1), POPS_EPROVIDER);
	CHECK(id == NULL);
	pops_provider_result_dispose(&res);
}

TEST(batch_price_is_half_unless_pops_yaml_gives_one)
{
	const char *y = "version: 1\nproviders:\n  p: { type: openai, base_url: http://x/v1 }\n"
	                "models:\n  a: { provider: p, id: m-1 }\npricing:\n"
	                "  m-1: { input: 2, output: 4 }\n  m-2: { input: 2, output: 4, batch_input: 0.1, batch_output: 0.2 }\n";
	pops_config *cfg = NULL;
	pops_provider_result res;

	CHECK_INT(pops_config_parse(&cfg, y, strlen(y), "/tmp/pops.yaml"), 0);
	memset(&res, 0, sizeof(res));
	res.input_tokens = 1000000;
	res.output_tokens = 1000000;
	pops_batch_price(&res, cfg, "m-1");
	CHECK_INT(res.priced, 1);
	CHECK(res.cost_usd > 2.999 && res.cost_usd < 3.001);
	pops_batch_price(&res, cfg, "m-2");
	CHECK(res.cost_usd > 0.299 && res.cost_usd < 0.301);
	pops_batch_price(&res, cfg, "unknown");
	CHECK_INT(res.priced, 0);
	pops_config_free(cfg);
}

TEST(batch_refuses_providers_without_a_batch_api)
{
	pops_provider_cfg p;

	memset(&p, 0, sizeof(p));
	p.name = "o";
	p.type = "ollama";
	CHECK_INT(pops_batch_supported(&p), 0);
	CHECK_ERR_HAS("provider 'o' (type ollama) has no Batch API");
	p.type = "anthropic";
	CHECK_INT(pops_batch_supported(&p), 1);
	p.type = "openai";
	CHECK_INT(pops_batch_supported(&p), 1);
}
