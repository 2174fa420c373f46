#!/bin/sh
# Providers and the HTTP engine end to end: pops model ping against
# tests/fakellm (exact requests, retries, retry-after, timeouts, bad
# replies) and the API key never leaking anywhere.
. "$(dirname "$0")/lib.sh"

KEY=sk-pops-test-KEY-7f3a9c1e
export KEY

# a project whose providers point at fakellm; $1 = extra provider keys
fake_project() {
	{ test -d .git || setup_project; } &&
	cat >pops.yaml <<-EOT
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1", api_key_env: POPS_TEST_KEY ${1:-} }
	  fakea: { type: anthropic, base_url: "$FAKELLM_URL", api_key_env: POPS_TEST_KEY ${1:-} }
	  fakeo: { type: ollama, base_url: "$FAKELLM_URL" ${1:-} }
	  azure: { type: openai, base_url: "$FAKELLM_URL/openai/deployments/d1", api_version: "2024-06-01", api_key_env: POPS_TEST_KEY }
	models:
	  f: { provider: fake, id: fake-model-1 }
	  fa: { provider: fakea, id: claude-test-20250101 }
	  fo: { provider: fakeo, id: "llama3:8b" }
	  az: { provider: azure, id: gpt-4o-2024-08-06 }
	pricing:
	  fake-model-1: { input: 1.0, output: 2.0 }
	EOT
}

test_expect_success 'openai: the exact request sent, the key as a bearer token, priced result' '
	start_fakellm --api-key "$KEY" &&
	fake_project &&
	POPS_TEST_KEY=$KEY pops model ping f >out 2>err &&
	grep -q "^f	fake/fake-model-1	latency_ms=[0-9]*	input_tokens=7	output_tokens=7	cached_tokens=0	cost_usd=0.000021	attempts=1$" out &&
	fakellm_get /__requests >reqs &&
	grep -q "\"path\":\"/v1/chat/completions\"" reqs &&
	grep -q "\"authorization\":\"\[redacted\]\"" reqs &&
	grep -q "\"content-type\":\"application/json\"" reqs &&
	grep -q "\"body\":{\"model\":\"fake-model-1\",\"messages\":\[{\"role\":\"user\",\"content\":\"Reply with the word pong.\"}\],\"max_tokens\":16}" reqs
'

test_expect_success 'anthropic: x-api-key, anthropic-version, max_tokens; ollama native; azure path and api-key' '
	start_fakellm --api-key "$KEY" &&
	fake_project &&
	POPS_TEST_KEY=$KEY pops model ping fa >out &&
	grep -q "input_tokens=7	output_tokens=7" out &&
	POPS_TEST_KEY=$KEY pops model ping fo >out &&
	grep -q "^fo	fakeo/llama3:8b	" out &&
	POPS_TEST_KEY=$KEY pops model ping az >out &&
	fakellm_get /__requests >reqs &&
	grep -q "\"path\":\"/v1/messages\",\"headers\":{.*\"anthropic-version\":\"2023-06-01\".*\"x-api-key\":\"\[redacted\]\"" reqs &&
	grep -q "\"body\":{\"model\":\"claude-test-20250101\",\"max_tokens\":16," reqs &&
	grep -q "\"path\":\"/api/chat\",.*\"body\":{\"model\":\"llama3:8b\",\"messages\":\[{\"role\":\"user\",\"content\":\"Reply with the word pong.\"}\],\"stream\":false,\"options\":{\"num_predict\":16}}" reqs &&
	grep -q "\"path\":\"/openai/deployments/d1/chat/completions?api-version=2024-06-01\",\"headers\":{.*\"api-key\":\"\[redacted\]\"" reqs
'

test_expect_success 'a missing key variable is named, exit 2, nothing sent' '
	start_fakellm &&
	fake_project &&
	test_expect_code 2 env -u POPS_TEST_KEY "$POPS_BIN" model ping f 2>err &&
	grep -q "^error: f (fake/fake-model-1): environment variable POPS_TEST_KEY is not set" err &&
	test "$(fakellm_stat requests)" = 0
'

test_expect_success '503 twice then success: three attempts counted by the server' '
	start_fakellm &&
	fake_project ", headers: { x-fakellm-fault: \"503\", x-fakellm-fail-times: \"2\" }" &&
	POPS_TEST_KEY=$KEY pops model ping f >out &&
	grep -q "attempts=3$" out &&
	test "$(fakellm_stat requests)" = 3
'

test_expect_success '529 overloaded on anthropic is retried' '
	start_fakellm &&
	fake_project ", headers: { x-fakellm-fault: \"529\", x-fakellm-fail-times: \"1\" }" &&
	POPS_TEST_KEY=$KEY pops model ping fa >out &&
	grep -q "attempts=2$" out
'

test_expect_success '429 with retry-after-ms is honoured' '
	start_fakellm &&
	fake_project ", headers: { x-fakellm-fault: \"429\", x-fakellm-fail-times: \"1\", x-fakellm-retry-after-ms: \"700\" }" &&
	start=$(date +%s%N) &&
	POPS_TEST_KEY=$KEY pops model ping f >out &&
	end=$(date +%s%N) &&
	grep -q "attempts=2$" out &&
	test $(( (end - start) / 1000000 )) -ge 700
'

test_expect_success 'retries give up: exit 4 with the status and attempt count' '
	start_fakellm &&
	fake_project ", headers: { x-fakellm-fault: \"500\" }" &&
	test_expect_code 4 env POPS_TEST_KEY=$KEY "$POPS_BIN" model ping --max-attempts 2 f 2>err &&
	grep -q "^error: f (fake/fake-model-1): HTTP 500: fakellm injected fault (after 2 attempts)$" err &&
	test "$(fakellm_stat requests)" = 2
'

test_expect_success 'never retried: 401, 400, 404, quota-exhausted 429, x-should-retry false' '
	start_fakellm &&
	for f in 401 400 404 quota; do
		fake_project ", headers: { x-fakellm-fault: \"$f\" }" &&
		test_expect_code 4 env POPS_TEST_KEY=$KEY "$POPS_BIN" model ping f 2>err || return 1
	done &&
	grep -q "quota exhausted: not retried" err &&
	fake_project ", headers: { x-fakellm-fault: \"503\", x-fakellm-should-retry: \"false\" }" &&
	test_expect_code 4 env POPS_TEST_KEY=$KEY "$POPS_BIN" model ping f 2>err &&
	test "$(fakellm_stat requests)" = 5
'

test_expect_success 'a slow trickle hits the timeout: exit 4, no hang' '
	start_fakellm --trickle-ms 200 &&
	fake_project ", headers: { x-fakellm-fault: trickle }" &&
	start=$(date +%s) &&
	test_expect_code 4 env POPS_TEST_KEY=$KEY "$POPS_BIN" model ping --timeout 700ms f 2>err &&
	end=$(date +%s) &&
	test $((end - start)) -le 5 &&
	grep -qi "timeout\|timed out\|deadline" err
'

test_expect_success 'bad replies: malformed, truncated, error inside 200, not JSON, empty' '
	start_fakellm &&
	fake_project ", headers: { x-fakellm-fault: malformed }" &&
	test_expect_code 4 env POPS_TEST_KEY=$KEY "$POPS_BIN" model ping f 2>err &&
	grep -q "reply is not a JSON object (HTTP 200)" err &&
	fake_project ", headers: { x-fakellm-fault: error200 }" &&
	test_expect_code 4 env POPS_TEST_KEY=$KEY "$POPS_BIN" model ping f 2>err &&
	grep -q "error in an HTTP 200 reply: The server had an error" err &&
	fake_project ", headers: { x-fakellm-fault: notjson }" &&
	test_expect_code 4 env POPS_TEST_KEY=$KEY "$POPS_BIN" model ping f 2>err &&
	fake_project ", headers: { x-fakellm-fault: empty }" &&
	test_expect_code 4 env POPS_TEST_KEY=$KEY "$POPS_BIN" model ping f 2>err &&
	grep -q "empty reply body" err &&
	fake_project ", headers: { x-fakellm-fault: drop }" &&
	test_expect_code 4 env POPS_TEST_KEY=$KEY "$POPS_BIN" model ping --max-attempts 2 f 2>err &&
	test "$(fakellm_stat requests)" = 6
'

test_expect_success 'a 100 MB body is refused at the cap, in bounded memory' '
	start_fakellm &&
	fake_project ", headers: { x-fakellm-fault: huge }" &&
	test_expect_code 4 env POPS_TEST_KEY=$KEY "$POPS_BIN" model ping f 2>err &&
	grep -q "response body exceeds the limit of 16777216 bytes" err
'

test_expect_success 'unreachable host: a clear error after retries, exit 4' '
	setup_project &&
	cat >pops.yaml <<-\EOT &&
	version: 1
	providers:
	  dead: { type: openai, base_url: "http://127.0.0.1:1/v1" }
	models:
	  d: { provider: dead, id: m-2024-01-01 }
	EOT
	test_expect_code 4 pops model ping --max-attempts 2 d 2>err &&
	grep -q "^error: d (dead/m-2024-01-01): .*connect.* (after 2 attempts)$" err
'

test_expect_success 'the API key never appears in output, cache, cassette or errors' '
	start_fakellm --api-key "$KEY" &&
	fake_project &&
	POPS_TEST_KEY=$KEY pops model ping --cache f >out 2>err &&
	POPS_TEST_KEY=$KEY pops model ping --cache f >>out 2>>err &&
	POPS_TEST_KEY=$KEY pops model ping --record tape.jsonl f >>out 2>>err &&
	test_must_fail env POPS_TEST_KEY=wrong-$KEY "$POPS_BIN" model ping fa >>out 2>>err &&
	grep -q "HTTP 401" err &&
	test -s tape.jsonl && test -d .pops/cache &&
	! grep -r -- "$KEY" . out err
'

test_expect_success 'TLS failure (https to a plain HTTP server) is reported at once, not retried' '
	start_fakellm &&
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  tls: { type: openai, base_url: "https://127.0.0.1:$FAKELLM_PORT/v1" }
	models:
	  t: { provider: tls, id: m-2024-01-01 }
	EOT
	test_expect_code 4 pops model ping t 2>err &&
	grep -q "^error: t (tls/m-2024-01-01): TLS or URL error: " err
'

test_expect_success '--count/--jobs: requests overlap; a provider max_concurrency of 1 serialises them' '
	start_fakellm --latency 300 &&
	fake_project &&
	POPS_TEST_KEY=$KEY pops model ping -n 4 -j 4 f >out &&
	test $(grep -c "attempts=1$" out) = 4 &&
	# four pings on four connections, plus the one this query opens
	test "$(fakellm_stat connections)" = 5 &&
	fake_project ", max_concurrency: 1" &&
	start=$(date +%s%N) &&
	POPS_TEST_KEY=$KEY pops model ping -n 4 -j 4 f >out &&
	end=$(date +%s%N) &&
	test $(grep -c "attempts=1$" out) = 4 &&
	test $(( (end - start) / 1000000 )) -ge 1200 &&
	test "$(fakellm_stat requests)" = 8 &&
	# one more for the serialised pings, one per query
	test "$(fakellm_stat connections)" = 8
'

test_expect_success 'exec provider: request JSON on stdin, result JSON on stdout, timeout' '
	setup_project &&
	cat >prov.sh <<-\EOT &&
	#!/bin/sh
	cat >request.json
	case "$1" in slow) exec sleep 30 ;; bad) echo "not json"; exit 0 ;; fail) exit 3 ;; esac
	echo "{\"text\":\"exec says hi\",\"usage\":{\"input_tokens\":3,\"output_tokens\":2}}"
	EOT
	chmod +x prov.sh &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  ex: { type: exec, command: ["$PWD/prov.sh", "ok"] }
	  slow: { type: exec, command: ["$PWD/prov.sh", "slow"], timeout: 0.5 }
	  bad: { type: exec, command: "$PWD/prov.sh bad" }
	  fail: { type: exec, command: ["$PWD/prov.sh", "fail"] }
	models:
	  e: { provider: ex, id: tool-1 }
	  s: { provider: slow, id: tool-1 }
	  b: { provider: bad, id: tool-1 }
	  f: { provider: fail, id: tool-1 }
	EOT
	pops model ping e >out &&
	grep -q "^e	ex/tool-1	latency_ms=[0-9]*	input_tokens=3	output_tokens=2	" out &&
	grep -q "^{\"model\":\"tool-1\",\"messages\":\[{\"role\":\"user\",\"content\":\[{\"text\":\"Reply with the word pong.\"}\]}\],\"config\":{\"max_tokens\":16},\"output_schema\":null,\"repeat\":0}$" request.json &&
	start=$(date +%s) &&
	test_expect_code 4 pops model ping s 2>err &&
	end=$(date +%s) &&
	test $((end - start)) -le 20 &&
	grep -q "timed out" err &&
	test_expect_code 4 pops model ping b 2>err &&
	grep -q "did not print a JSON object" err &&
	test_expect_code 4 pops model ping f 2>err &&
	grep -q "command exited with status 3" err
'

test_done
