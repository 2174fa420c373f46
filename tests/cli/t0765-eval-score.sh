#!/bin/sh
# pops eval score (issue 20): a suite's assertions and tests/fakellm's
# judge (verdict "fail" when the prompt holds [[fail]]) applied to outputs
# production recorded, without calling the model under test; skipped
# records counted by reason; production evidence for the released
# closure that served them, which eval trend shows and gates ignore.
. "$(dirname "$0")/lib.sh"

# echo released to prod; evals/prod.yaml checks production answers
score_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	  judge: { provider: fake, id: fake-judge-1 }
	environments:
	  - name: prod
	    require: { suites: [evals/echo.yaml] }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nEcho: {{word}}\n" >prompts/echo.prompt &&
	printf "{\"id\":\"c1\",\"vars\":{\"word\":\"w1\"},\"expected\":\"w1\"}\n" >datasets/echo.jsonl &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/echo.yaml &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 0.5\nassert:\n  - { type: not-icontains, value: sorry }\n" >evals/prod.yaml &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 0.5\nassert:\n  - { type: judge, model: judge, rubric: \"echoes the word\" }\n" >evals/judged.yaml &&
	git add -A && git commit -q -m "echo suites" &&
	pops eval run evals/echo.yaml >/dev/null &&
	pops promote prod echo >/dev/null
}

# five records of echo@1 in prod: one says sorry, one has no output
write_records() {
	cat >records.jsonl <<-\EOT
	{"trace_id":"t1","vars":{"word":"a"},"output":"Echo: a","model":"m-1","latency_ms":120,"tokens":{"input":5,"output":2},"cost":0.001,"timestamp":"2026-11-30T10:00:00Z","served":"echo@1:prod","feedback":{"thumbs":"up"}}
	{"trace_id":"t2","vars":{"word":"b"},"output":"sorry, no","model":"m-1","latency_ms":300,"timestamp":"2026-11-30T12:30:00.250Z","served":"echo@1:prod","feedback":{"thumbs":"down","correction":"Echo: b"}}

	{"trace_id":"t3","vars":{"word":"c"},"output":"Echo: c","timestamp":"2026-11-29T23:00:00+01:00","served":"echo@1:prod","metadata":{"region":"eu"}}
	{"trace_id":"t4","vars":{"word":"d"},"timestamp":"2026-11-30T11:00:00Z","served":"echo@1:prod"}
	{"vars":{"word":"e"},"output":"Echo: e","served":"echo@1:prod"}
	EOT
}

test_expect_success 'score: recorded outputs scored, the skipped record counted, nothing sent to the model' '
	start_fakellm &&
	score_project &&
	write_records &&
	before=$(fakellm_stat requests) &&
	pops eval score evals/prod.yaml --outputs records.jsonl --json rep.json >out &&
	test "$(fakellm_stat requests)" = "$before" &&
	grep -q "^5 records, 1 skipped: 1 no output (2026-11-29T22:00:00Z to 2026-11-30T12:30:00Z)$" out &&
	grep -q "3 passed" out &&
	python3 - <<-\EOP
	import json
	r = json.load(open("rep.json"))
	s = r["summary"][0]
	assert s["source"] == "production", s
	assert s["records"] == 5 and s["skipped"] == {"no output": 1}, s
	assert s["window"] == {"from": "2026-11-29T22:00:00Z", "to": "2026-11-30T12:30:00Z"}, s
	assert s["served"] == "echo@1:prod", s
	assert (s["cases"], s["passed"], s["failed"]) == (4, 3, 1), s
	cases = {c["id"]: c for c in r["cases"]}
	assert sorted(cases) == ["record-5", "t1", "t2", "t3"], sorted(cases)
	t1 = cases["t1"]
	assert t1["output"] == "Echo: a" and t1["model_id"] == "m-1", t1
	assert t1["latency_ms"] == 120 and t1["input_tokens"] == 5 and t1["cost_usd"] == 0.001, t1
	assert t1["source"] == {"file": "records.jsonl", "trace_id": "t1", "line": 1,
	                        "timestamp": "2026-11-30T10:00:00Z", "served": "echo@1:prod"}, t1
	assert t1["feedback"] == {"thumbs": "up"}, t1
	assert cases["t2"]["status"] == "fail" and cases["t2"]["feedback"]["thumbs"] == "down"
	assert cases["t3"]["meta"] == {"region": "eu"}, cases["t3"]
	EOP
'

test_expect_success 'score: production evidence for the released closure, ignored by the gate, shown by trend' '
	start_fakellm &&
	score_project &&
	write_records &&
	pops eval score evals/prod.yaml --outputs records.jsonl >out &&
	git notes --ref=pops show HEAD >note &&
	git cat-file blob refs/pops/releases:prod/echo.json >entry &&
	python3 - <<-\EOP &&
	import json
	blob = json.load(open("entry"))["blob"]
	rs = [r for r in json.load(open("note"))["results"] if r.get("kind") == "production"]
	assert len(rs) == 1, rs
	p = rs[0]
	assert p["prompt_blob"] == blob and p["suite"] == "evals/prod.yaml", p
	assert p["window"] == {"from": "2026-11-29T22:00:00Z", "to": "2026-11-30T12:30:00Z"}, p
	assert p["date"] == "2026-11-30T12:30:00Z" and p["records"] == 5, p
	assert p["passed"] == 3 and p["failed"] == 1 and "case_results" not in p, p
	assert p["dataset_blob"] is None and p["served"] == "echo@1:prod", p
	EOP
	pops eval trend evals/prod.yaml --since 2000-01-01 --json >trend.json &&
	python3 -c "import json; t = json.load(open(\"trend.json\")); s = t[\"series\"][0]; assert s[\"suite\"] == \"evals/prod.yaml\", s; assert s[\"windows\"][0][\"production\"], s" &&
	pops eval score evals/prod.yaml --outputs records.jsonl >/dev/null &&
	git notes --ref=pops show HEAD >note &&
	python3 -c "import json; rs = json.load(open(\"note\"))[\"results\"]; assert len([r for r in rs if r.get(\"kind\") == \"production\"]) == 1, rs"
'

test_expect_success 'score: judges are called through the cache; records without the vars they need are skipped' '
	start_fakellm &&
	score_project &&
	cat >records.jsonl <<-\EOT &&
	{"trace_id":"j1","vars":{"word":"a"},"output":"Echo: a","served":"echo@1:prod"}
	{"trace_id":"j2","vars":{"word":"b"},"output":"nope [[fail]]","served":"echo@1:prod"}
	{"trace_id":"j3","vars":{"other":"c"},"output":"Echo: c","served":"echo@1:prod"}
	EOT
	before=$(fakellm_stat requests) &&
	pops eval score evals/judged.yaml --outputs records.jsonl --json rep.json >out &&
	test "$(fakellm_stat requests)" = "$((before + 2))" &&
	grep -q "^3 records, 1 skipped: 1 missing vars$" out &&
	grep -q "skipped (missing vars), first: records.jsonl:3: row .j3. lacks .word." out &&
	python3 -c "import json; s = json.load(open(\"rep.json\"))[\"summary\"][0]; assert (s[\"passed\"], s[\"failed\"]) == (1, 1), s" &&
	pops eval score evals/judged.yaml --outputs records.jsonl >out2 &&
	test "$(fakellm_stat requests)" = "$((before + 2))" &&
	printf "{\"trace_id\":\"o1\",\"vars\":{\"input\":\"say a\"},\"output\":\"a\"}\n" >spans.jsonl &&
	pops eval score evals/judged.yaml --outputs spans.jsonl --json o.json >out3 &&
	grep -q "^1 record$" out3 &&
	python3 -c "import json; c = json.load(open(\"o.json\"))[\"cases\"][0]; assert c[\"status\"] == \"pass\" and c[\"asserts\"][0][\"type\"] == \"judge\", c"
'

test_expect_success 'score: OpenTelemetry GenAI spans as the OTLP file exporter writes them' '
	start_fakellm &&
	score_project &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 0.5\nassert:\n  - { type: icontains, value: bonjour }\n" >evals/otel.yaml &&
	cat >spans.json <<-\EOT &&
	{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"app"}}]},"scopeSpans":[{"scope":{"name":"openai"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat m-1","startTimeUnixNano":"1764496800000000000","endTimeUnixNano":"1764496800500000000","attributes":[{"key":"gen_ai.operation.name","value":{"stringValue":"chat"}},{"key":"gen_ai.request.model","value":{"stringValue":"m-1"}},{"key":"gen_ai.usage.input_tokens","value":{"intValue":"12"}},{"key":"gen_ai.usage.output_tokens","value":{"intValue":"3"}},{"key":"gen_ai.input.messages","value":{"stringValue":"[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"say hello in French\"}]}]"}},{"key":"gen_ai.output.messages","value":{"stringValue":"[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"Bonjour\"}],\"finish_reason\":\"stop\"}]"}}]}]}]}]}
	EOT
	pops eval score evals/otel.yaml --outputs spans.json --json rep.json >out &&
	grep -q "^1 record " out &&
	python3 -c "import json; r = json.load(open(\"rep.json\")); c = r[\"cases\"][0]; assert c[\"id\"] == \"5b8efff798038103d269b633813fc60c\" and c[\"status\"] == \"pass\" and c[\"input_tokens\"] == 12, c"
'

test_expect_success 'score: JUnit and Markdown reports as eval run writes them; eval run keeps a row meta' '
	start_fakellm &&
	score_project &&
	write_records &&
	pops eval score evals/prod.yaml --outputs records.jsonl --junit rep.xml --md rep.md >out &&
	grep -q "name=\"t2\"" rep.xml &&
	grep -q "sorry" rep.xml &&
	grep -q "evals/prod.yaml" rep.md &&
	printf "{\"id\":\"m1\",\"vars\":{\"word\":\"w1\"},\"expected\":\"w1\",\"meta\":{\"source\":\"prod.jsonl\",\"trace_id\":\"t9\"}}\n" >datasets/meta.jsonl &&
	pops eval run evals/echo.yaml --dataset datasets/meta.jsonl --no-store --json run.json >out &&
	python3 -c "import json; c = json.load(open(\"run.json\"))[\"cases\"][0]; assert c[\"meta\"] == {\"source\": \"prod.jsonl\", \"trace_id\": \"t9\"}, c"
'

test_expect_success 'score --env: the env release; bad input is refused before anything is scored' '
	start_fakellm &&
	score_project &&
	write_records &&
	sed "s/,\"served\":\"echo@1:prod\"//" records.jsonl >plain.jsonl &&
	pops eval score evals/prod.yaml --outputs plain.jsonl --env prod --json rep.json >out &&
	python3 -c "import json; s = json.load(open(\"rep.json\"))[\"summary\"][0]; assert s[\"env\"] == \"prod\" and s[\"source\"] == \"production\", s" &&
	test_expect_code 2 pops eval score evals/prod.yaml --outputs none.jsonl 2>err &&
	grep -q "none.jsonl" err &&
	test_expect_code 2 pops eval score evals/prod.yaml --outputs plain.jsonl --env nowhere 2>err &&
	grep -q "env nowhere: no such environment" err &&
	test_expect_code 2 pops eval score evals/prod.yaml --outputs plain.jsonl --format xml 2>err &&
	grep -q "unknown records format .xml." err &&
	sed "s/echo@1:prod/other@2:prod/" records.jsonl >other.jsonl &&
	test_expect_code 2 pops eval score evals/prod.yaml --outputs other.jsonl 2>err &&
	grep -q "served by .other@2:prod., but evals/prod.yaml evaluates .echo." err &&
	printf "{\"output\":\"x\"}\n{bad\n" >bad.jsonl &&
	test_expect_code 2 pops eval score evals/prod.yaml --outputs bad.jsonl --json rep2.json 2>err &&
	grep -q "bad.jsonl:2" err &&
	! test -e rep2.json
'

test_done
