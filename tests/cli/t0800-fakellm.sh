#!/bin/sh
# tests/fakellm: the fake provider server the provider tests rely on.
. "$(dirname "$0")/lib.sh"

post() { # path body [curl args]: POST JSON, print the body
	p=$1 b=$2
	shift 2
	curl -s -m 10 -H 'content-type: application/json' "$@" -d "$b" "$FAKELLM_URL$p"
}

test_expect_success 'openai: echoes the last user message with usage and cached tokens' '
	start_fakellm --cached-tokens 2 &&
	post /v1/chat/completions "{\"model\":\"m1\",\"messages\":[{\"role\":\"system\",\"content\":\"sys\"},{\"role\":\"user\",\"content\":\"hello world\"}]}" >out &&
	cat >expect <<-\EOT &&
	{"id":"chatcmpl-fakellm","object":"chat.completion","created":1700000000,"model":"m1","choices":[{"index":0,"message":{"role":"assistant","content":"hello world"},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":3,"total_tokens":7,"prompt_tokens_details":{"cached_tokens":2}},"system_fingerprint":"fp_fakellm"}
	EOT
	echo >>out &&
	test_cmp expect out
'

test_expect_success 'openai: json_schema output is an instance of the schema; max_tokens cuts' '
	start_fakellm &&
	post /v1/chat/completions "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"o\",\"schema\":{\"type\":\"object\",\"properties\":{\"label\":{\"enum\":[\"spam\",\"ham\"]},\"n\":{\"type\":\"integer\"}}}}}}" >out &&
	grep -q "\"content\":\"{\\\\\"label\\\\\":\\\\\"spam\\\\\",\\\\\"n\\\\\":1}\"" out &&
	post /v1/chat/completions "{\"model\":\"m\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"abcdefgh\"}]}" >out2 &&
	grep -q "\"content\":\"abcd\".*\"finish_reason\":\"length\"" out2
'

test_expect_success 'anthropic: needs max_tokens and anthropic-version, counts cache reads outside input' '
	start_fakellm --cached-tokens 1 &&
	post /v1/messages "{\"model\":\"c\",\"max_tokens\":9,\"system\":\"s\",\"messages\":[{\"role\":\"user\",\"content\":\"hi there\"}]}" -H "anthropic-version: 2023-06-01" >out &&
	grep -q "\"content\":\[{\"type\":\"text\",\"text\":\"hi there\"}\]" out &&
	grep -q "\"input_tokens\":2,.*\"cache_read_input_tokens\":1,\"output_tokens\":2" out &&
	post /v1/messages "{\"model\":\"c\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}" -H "anthropic-version: 2023-06-01" >out2 &&
	grep -q "max_tokens: field required" out2 &&
	post /v1/messages "{\"model\":\"c\",\"max_tokens\":9,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}" >out3 &&
	grep -q "anthropic-version" out3
'

test_expect_success 'ollama: stream false is one object, the default streams NDJSON' '
	start_fakellm &&
	post /api/chat "{\"model\":\"l\",\"stream\":false,\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}" >out &&
	grep -q "\"content\":\"hello\"},\"done\":true,\"done_reason\":\"stop\"" out &&
	post /api/chat "{\"model\":\"l\",\"messages\":[{\"role\":\"user\",\"content\":\"hello ollama\"}]}" >nd &&
	test $(wc -l <nd) = 3 &&
	tail -n 1 nd >last && grep -q "\"done\":true" last
'

test_expect_success 'judge mode: verdict JSON, fail when the prompt has [[fail]]' '
	start_fakellm &&
	post /v1/chat/completions "{\"model\":\"fake-judge-1\",\"messages\":[{\"role\":\"user\",\"content\":\"grade: ok\"}]}" >pass &&
	grep -q "verdict.....pass" pass &&
	post /v1/chat/completions "{\"model\":\"fake-judge-1\",\"messages\":[{\"role\":\"user\",\"content\":\"grade: [[fail]]\"}]}" >fail &&
	grep -q "verdict.....fail" fail
'

test_expect_success 'faults: 429 with retry-after-ms, fail-times, quota, stats count them' '
	start_fakellm &&
	body="{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}" &&
	curl -s -i -H "x-fakellm-fault: 429" -H "x-fakellm-retry-after-ms: 30" -d "$body" "$FAKELLM_URL/v1/chat/completions" >h &&
	grep -q "^HTTP/1.1 429" h && grep -qi "^retry-after-ms: 30" h &&
	curl -s -o /dev/null -w "%{http_code}\n" -H "x-fakellm-fault: 503" -H "x-fakellm-fail-times: 2" -d "$body" "$FAKELLM_URL/v1/chat/completions" >codes &&
	curl -s -o /dev/null -w "%{http_code}\n" -H "x-fakellm-fault: 503" -H "x-fakellm-fail-times: 2" -d "$body" "$FAKELLM_URL/v1/chat/completions" >>codes &&
	curl -s -o /dev/null -w "%{http_code}\n" -H "x-fakellm-fault: 503" -H "x-fakellm-fail-times: 2" -d "$body" "$FAKELLM_URL/v1/chat/completions" >>codes &&
	printf "503\n503\n200\n" >expect && test_cmp expect codes &&
	curl -s -H "x-fakellm-fault: quota" -d "$body" "$FAKELLM_URL/v1/chat/completions" >q &&
	grep -q insufficient_quota q &&
	test "$(fakellm_stat requests)" = 5 &&
	test "$(fakellm_stat faults)" = 4
'

test_expect_success 'faults: drop, malformed, huge, trickle' '
	start_fakellm --huge-size 300000 &&
	body="{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}" &&
	test_must_fail curl -s -m 5 -H "x-fakellm-fault: drop" -d "$body" "$FAKELLM_URL/v1/chat/completions" >/dev/null &&
	curl -s -H "x-fakellm-fault: malformed" -d "$body" "$FAKELLM_URL/v1/chat/completions" >m &&
	test_must_fail python3 -c "import json,sys; json.load(open(\"m\"))" 2>/dev/null &&
	curl -s -H "x-fakellm-fault: huge" -d "$body" "$FAKELLM_URL/v1/chat/completions" >big &&
	test $(wc -c <big) = 300000 &&
	curl -s -m 10 -o /dev/null -w "%{time_total}\n" -H "x-fakellm-fault: trickle" -H "x-fakellm-trickle-ms: 2" -d "$body" "$FAKELLM_URL/v1/chat/completions" >t &&
	awk "{ exit !(\$1 > 0.2) }" t
'

test_expect_success 'api key: wrong or missing key is 401; /__requests redacts it' '
	start_fakellm --api-key sk-fakellm-secret-42 &&
	body="{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}" &&
	curl -s -o /dev/null -w "%{http_code}\n" -d "$body" "$FAKELLM_URL/v1/chat/completions" >c1 &&
	curl -s -o /dev/null -w "%{http_code}\n" -H "authorization: Bearer sk-fakellm-secret-42" -d "$body" "$FAKELLM_URL/v1/chat/completions" >>c1 &&
	printf "401\n200\n" >expect && test_cmp expect c1 &&
	fakellm_get /__requests >reqs &&
	grep -q "\"authorization\":\"\[redacted\]\"" reqs &&
	! grep -q sk-fakellm-secret-42 reqs
'

test_expect_success 'models list in OpenAI and Anthropic shapes' '
	start_fakellm --models a-1,b-2 &&
	fakellm_get /v1/models >o &&
	grep -q "\"object\":\"list\",\"data\":\[{\"id\":\"a-1\"" o &&
	curl -s -H "anthropic-version: 2023-06-01" "$FAKELLM_URL/v1/models" >a &&
	grep -q "\"type\":\"model\",\"id\":\"b-2\"" a
'

test_done
