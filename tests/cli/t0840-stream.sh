#!/bin/sh
# Streaming (config.stream, --stream) against tests/fakellm in the three
# wire formats: the assembled output equals the non-streaming one, the
# time to first token is recorded per case and in the summary, an
# interrupted stream is a provider error; prompt-cache accounting
# (cached_input, cache_write) and Anthropic cache_control breakpoints.
. "$(dirname "$0")/lib.sh"

# stream_project: three providers on this case's fakellm, one prompt and suite per format.
# fakellm answers after 40 ms and sends 5 chunks 10 ms apart.
stream_project() {
	extra=${1:-}
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fo: { type: openai, base_url: "$FAKELLM_URL/v1", headers: { x-fakellm-stream-chunks: "5", x-fakellm-chunk-ms: "10" $extra } }
	  fa: { type: anthropic, base_url: "$FAKELLM_URL", headers: { x-fakellm-stream-chunks: "5", x-fakellm-chunk-ms: "10" $extra } }
	  fl: { type: ollama, base_url: "$FAKELLM_URL", headers: { x-fakellm-stream-chunks: "5", x-fakellm-chunk-ms: "10" $extra } }
	models:
	  o: { provider: fo, id: gpt-4o-mini-2024-07-18 }
	  a: { provider: fa, id: claude-sonnet-4-5-20250929 }
	  l: { provider: fl, id: "llama3:8b" }
	pricing:
	  gpt-4o-mini-2024-07-18: { input: 1.0, output: 2.0, cached_input: 0.5 }
	  claude-sonnet-4-5-20250929: { input: 3.0, output: 15.0, cached_input: 0.3, cache_write: 3.75 }
	EOT
	mkdir -p datasets &&
	cat >datasets/words.jsonl <<-\EOT &&
	{"id":"short","vars":{"w":"hi"}}
	{"id":"long","vars":{"w":"a longer answer with accents: caf\u00e9, na\u00efve, \u00fcber"}}
	{"id":"json","vars":{"w":"{\"quoted\": \"yes\\n\"}"}}
	EOT
	for m in o a l; do
		printf -- "---\nmodel: %s\n---\n{{role \"system\"}}\nBe exact.\n{{role \"user\"}}\nSay {{w}}\n" $m >prompts/p$m.prompt &&
		printf "prompt: p%s\ndataset: datasets/words.jsonl\nthreshold: 1.0\nassert:\n  - { type: contains, value: \"Say\" }\n" $m >evals/p$m.yaml || return 1
	done &&
	git add -A && git commit -q -m "stream suites"
}

# outputs NAME.json: "id<TAB>output" per case, sorted
outputs() {
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); [print(c[\"id\"]+\"\\t\"+json.dumps(c[\"output\"])) for c in sorted(d[\"cases\"], key=lambda c: c[\"id\"])]" "$1"
}

test_expect_success 'each format: streamed output equals the non-streaming output, ttft recorded and <= total' '
	start_fakellm --latency 40 &&
	stream_project &&
	for m in o a l; do
		pops eval run --no-cache --no-store --json plain-$m.json evals/p$m.yaml >out-plain-$m &&
		pops eval run --no-cache --no-store --stream --json stream-$m.json evals/p$m.yaml >out-$m &&
		outputs plain-$m.json >plain-$m.txt &&
		outputs stream-$m.json >stream-$m.txt &&
		test_cmp plain-$m.txt stream-$m.txt &&
		test $(wc -l <stream-$m.txt) = 3 &&
		python3 - stream-$m.json plain-$m.json <<-\EOP &&
		import json, sys
		d = json.load(open(sys.argv[1]))
		for c in d["cases"]:
		    # first chunk after the 40 ms latency, the last 4 x 10 ms later
		    assert 35 <= c["ttft_ms"] <= c["latency_ms"], c
		    assert c["latency_ms"] >= c["ttft_ms"] + 30, c
		    assert c["status"] == "pass", c
		s = d["summary"][0]
		assert 35 <= s["ttft_p50"] <= s["ttft_p95"] <= s["ttft_p99"] <= s["latency_p99"], s
		p = json.load(open(sys.argv[2]))
		assert all("ttft_ms" not in c for c in p["cases"])
		EOP
		grep -q "time to first token p50 [0-9]* ms p95 [0-9]* ms p99 [0-9]* ms" out-$m &&
		! grep -q "time to first token" out-plain-$m || return 1
	done &&
	fakellm_get /__requests >reqs &&
	grep -q "\"body\":{\"model\":\"gpt-4o-mini-2024-07-18\",.*\"stream\":true,\"stream_options\":{\"include_usage\":true}}" reqs &&
	grep -q "\"path\":\"/v1/messages\",.*\"stream\":true}" reqs &&
	grep -q "\"path\":\"/api/chat\",.*\"stream\":true" reqs
'

test_expect_success 'config.stream: true in the frontmatter streams; stream and cache are not sent as fields' '
	start_fakellm &&
	stream_project &&
	printf -- "---\nmodel: o\nconfig:\n  stream: true\n  cache: true\n  temperature: 0\n---\nSay {{w}}\n" >prompts/po.prompt &&
	git commit -q -am "stream in the prompt" &&
	pops eval run --no-cache --no-store --json r.json evals/po.yaml >out &&
	python3 -c "import json; d=json.load(open(\"r.json\")); assert all(\"ttft_ms\" in c for c in d[\"cases\"])" &&
	fakellm_get /__requests >reqs &&
	grep -q "\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}" reqs &&
	! grep -q "\"cache\":" reqs
'

test_expect_success 'a stream that ends without its final event is a provider error, never a short output' '
	start_fakellm &&
	stream_project ", x-fakellm-stream-end: \"3\"" &&
	for m in o a l; do
		test_expect_code 4 pops eval run --no-cache --no-store --stream --json r-$m.json evals/p$m.yaml >out 2>err &&
		python3 - r-$m.json <<-\EOP || return 1
		import json, sys
		d = json.load(open(sys.argv[1]))
		for c in d["cases"]:
		    assert c["status"] == "error", c
		    assert "output" not in c, c
		    assert "stream ended before its final event" in c["error"], c
		EOP
	done
'

test_expect_success 'a dropped connection mid-stream is retried; the result is the whole output' '
	start_fakellm &&
	stream_project ", x-fakellm-stream-drop: \"2\", x-fakellm-fail-times: \"1\"" &&
	pops eval run --no-cache --no-store --json plain.json evals/pa.yaml >out &&
	pops eval run --no-cache --no-store --stream --json r.json evals/pa.yaml >out &&
	outputs plain.json >plain.txt && outputs r.json >stream.txt &&
	test_cmp plain.txt stream.txt &&
	python3 -c "import json; d=json.load(open(\"r.json\")); assert all(c[\"attempts\"] == 2 and c[\"status\"] == \"pass\" for c in d[\"cases\"]), d[\"cases\"]"
'

test_expect_success 'ttft-ms assertion: passes under the ceiling, fails over it, an error when not streamed' '
	start_fakellm --latency 40 &&
	stream_project &&
	printf "prompt: po\ndataset: datasets/words.jsonl\nthreshold: 1.0\nassert:\n  - { type: ttft-ms, value: 5000 }\n" >evals/fast.yaml &&
	printf "prompt: po\ndataset: datasets/words.jsonl\nthreshold: 1.0\nassert:\n  - { type: ttft-ms, value: 10 }\n" >evals/slow.yaml &&
	git add -A && git commit -q -m ttft &&
	pops eval run --no-cache --no-store --stream evals/fast.yaml >out &&
	grep -q "3 runs: 3 passed" out &&
	test_expect_code 1 pops eval run --no-cache --no-store --stream evals/slow.yaml >out &&
	grep -q "time to first token [0-9]* ms is over 10 ms" out &&
	test_expect_code 4 pops eval run --no-cache --no-store evals/fast.yaml >out 2>&1 &&
	grep -q "time to first token is unknown: the reply was not streamed" out
'

test_expect_success 'cache hits keep their time to first token' '
	start_fakellm --latency 40 &&
	stream_project &&
	pops eval run --no-store --stream --json r1.json evals/po.yaml >out &&
	pops eval run --no-store --stream --json r2.json evals/po.yaml >out &&
	test "$(fakellm_stat requests)" = 3 &&
	python3 -c "import json; d=json.load(open(\"r2.json\")); assert all(c[\"cached\"] and c[\"ttft_ms\"] >= 35 for c in d[\"cases\"]), d[\"cases\"]"
'

test_expect_success 'OpenAI cached prompt tokens: priced at cached_input, the cached share in the summary' '
	start_fakellm --cached-tokens 4 &&
	stream_project &&
	pops eval run --no-cache --no-store --stream --json r.json evals/po.yaml >out &&
	grep -q "prompt cache: 12 of [0-9]* input tokens ([0-9]*%)" out &&
	python3 - r.json <<-\EOP
	import json, sys
	d = json.load(open(sys.argv[1]))
	tin = 0
	for c in d["cases"]:
	    assert c["cached_tokens"] == 4, c
	    want = ((c["input_tokens"] - 4) * 1.0 + 4 * 0.5 + c["output_tokens"] * 2.0) / 1e6
	    assert abs(c["cost_usd"] - want) < 1e-12, (c, want)
	    tin += c["input_tokens"]
	s = d["summary"][0]
	assert s["cached_input_tokens"] == 12, s
	assert abs(s["cached_input_share"] - 12.0 / tin) < 1e-9, s
	EOP
'

test_expect_success 'config.cache on Anthropic: a cache_control breakpoint on the system prompt, writes priced at cache_write' '
	start_fakellm --cached-tokens 2 --cache-write-tokens 3 &&
	stream_project &&
	printf -- "---\nmodel: a\nconfig:\n  cache: true\n---\n{{role \"system\"}}\nBe exact.\n{{role \"user\"}}\nSay {{w}}\n" >prompts/pa.prompt &&
	git commit -q -am "cache the system prompt" &&
	for s in "" --stream; do
		pops eval run --no-cache --no-store $s --json r$s.json evals/pa.yaml >out || return 1
		python3 - r$s.json <<-\EOP || return 1
		import json, sys
		d = json.load(open(sys.argv[1]))
		for c in d["cases"]:
		    assert c["cached_tokens"] == 2, c
		    # input_tokens holds the cache reads (2) and writes (3)
		    want = ((c["input_tokens"] - 5) * 3.0 + 2 * 0.3 + 3 * 3.75 + c["output_tokens"] * 15.0) / 1e6
		    assert abs(c["cost_usd"] - want) < 1e-12, (c, want)
		EOP
	done &&
	fakellm_get /__requests >reqs &&
	grep -q "\"system\":\[{\"type\":\"text\",\"text\":\"\\\\nBe exact.\\\\n\",\"cache_control\":{\"type\":\"ephemeral\"}}\]" reqs &&
	! grep -q "\"cache\":" reqs
'

test_done
