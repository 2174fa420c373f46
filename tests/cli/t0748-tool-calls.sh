#!/bin/sh
# Tool calls: a prompt declares tools (pops.yaml tools: or tools/NAME.json),
# they are sent in each provider's format, the calls of the answer are kept
# beside the text (case records, the cache), checked by the tool-call
# assertions, part of the evidence fingerprint and of a release's closure.
# tests/fakellm answers a request that offers tools with one call per
# [[tool:NAME {json}]] marker in the prompt.
. "$(dirname "$0")/lib.sh"

# tools_project TYPE: a project on this case's fakellm (provider TYPE) whose
# prompt `agent` declares lookup (pops.yaml) and send (tools/send.json)
tools_project() {
	setup_project &&
	base="$FAKELLM_URL/v1" &&
	if [ "$1" != openai ]; then base="$FAKELLM_URL"; fi &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: $1, base_url: "$base", api_key_env: FAKE_KEY }
	models:
	  fast: { provider: fake, id: m-1 }
	tools:
	  lookup:
	    description: Look an order up by its id.
	    parameters:
	      type: object
	      required: [id]
	      properties: { id: { type: integer } }
	EOT
	mkdir tools &&
	cat >tools/send.json <<-\EOT &&
	{"description": "Send a message.",
	 "parameters": {"type": "object", "required": ["to"], "properties": {"to": {"type": "string"}}}}
	EOT
	printf -- "---\nmodel: fast\ntools: [lookup, send]\n---\n{{{text}}}\n" >prompts/agent.prompt &&
	cat >evals/tools.yaml <<-\EOT &&
	prompt: agent
	threshold: 0
	tests:
	  - id: call-pass
	    vars: { text: "find it [[tool:lookup {\"id\": 7}]]" }
	    assert: [ { type: tool-call, name: lookup, arguments: { id: 7 } } ]
	  - id: call-fail
	    vars: { text: "find it [[tool:lookup {\"id\": 8}]]" }
	    assert: [ { type: tool-call, name: lookup, arguments: { id: 7 } } ]
	  - id: callvar-pass
	    vars: { text: "mail [[tool:send {\"to\": \"ann\"}]]", who: ann }
	    assert: [ { type: tool-call, name: send, arguments: { to: "{{who}}" } } ]
	  - id: callpath-pass
	    vars: { text: "[[tool:lookup {\"id\": 7}]]" }
	    assert: [ { type: tool-call, name: lookup, path: "$.id", value: 7 } ]
	  - id: callschema-fail
	    vars: { text: "[[tool:lookup {\"id\": \"seven\"}]]" }
	    assert: [ { type: tool-call, name: lookup, schema: { properties: { id: { type: integer } } } } ]
	  - id: notcall-pass
	    vars: { text: "[[tool:lookup {\"id\": 7}]]" }
	    assert: [ { type: not-tool-call, name: send } ]
	  - id: notcall-fail
	    vars: { text: "[[tool:send {\"to\": \"bo\"}]]" }
	    assert: [ { type: not-tool-call, name: send } ]
	  - id: calls-pass
	    vars: { text: "[[tool:lookup {\"id\": 1}]] then [[tool:send {\"to\": \"x\"}]]" }
	    assert: [ { type: tool-calls, order: strict, value: [ { name: lookup, arguments: { id: 1 } }, send ] } ]
	  - id: calls-fail
	    vars: { text: "[[tool:send {\"to\": \"x\"}]] then [[tool:lookup {\"id\": 1}]]" }
	    assert: [ { type: tool-calls, order: strict, value: [ lookup, send ] } ]
	  - id: callsany-pass
	    vars: { text: "[[tool:send {\"to\": \"y\"}]] then [[tool:lookup {\"id\": 1}]]" }
	    assert: [ { type: tool-calls, value: [ lookup, send ] } ]
	  - id: valid-pass
	    vars: { text: "[[tool:lookup {\"id\": 3}]]" }
	    assert: [ { type: is-valid-tool-call } ]
	  - id: valid-fail
	    vars: { text: "[[tool:send {\"to\": 5}]]" }
	    assert: [ { type: is-valid-tool-call } ]
	  - id: undeclared-fail
	    vars: { text: "[[tool:delete {}]]" }
	    assert: [ { type: is-valid-tool-call } ]
	  - id: nocall-fail
	    vars: { text: "just words" }
	    assert: [ { type: tool-call } ]
	EOT
	git add -A && git commit -q -m "agent prompt with tools, tool-call suite"
}

# statuses FILE: "id status" per case of a JSON report, sorted
statuses() {
	python3 -c 'import json,sys
for c in sorted(json.load(open(sys.argv[1]))["cases"], key=lambda c: c["id"]):
    print(c["id"], c["status"])' "$1"
}

# reason FILE ID: the reason of the first assertion of case ID
reason() {
	python3 -c 'import json,sys
c=[c for c in json.load(open(sys.argv[1]))["cases"] if c["id"]==sys.argv[2]][0]
print(c["asserts"][0].get("reason",""))' "$1" "$2"
}

# check_statuses FILE: every -pass row passed, every -fail row failed
check_statuses() {
	statuses "$1" >st &&
	! grep -v -e "-pass pass$" -e "-fail fail$" st
}

test_expect_success 'openai: tools are sent, each assertion type passes and fails as its row says' '
	start_fakellm &&
	tools_project openai &&
	FAKE_KEY=k pops eval run --json r.json --junit j.xml --md r.md >out &&
	grep -q "14 runs: 7 passed, 7 failed, 0 errors" out &&
	check_statuses r.json &&
	grep -q "^tool calls: lookup({\"id\":8})</system-out>" j.xml &&
	grep -q "| call-fail | fail | lookup was called with .*; tool calls: lookup({\"id\":8}) |" r.md &&
	fakellm_get /__requests >reqs &&
	grep -q "\"tools\":\[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"description\":\"Look an order up by its id.\",\"parameters\":{\"type\":\"object\",\"required\":\[\"id\"\]" reqs &&
	grep -q "\"name\":\"send\",\"description\":\"Send a message.\"" reqs &&
	python3 -c "
import json; d = json.load(open(\"r.json\"))
c = {c[\"id\"]: c for c in d[\"cases\"]}
assert c[\"calls-pass\"][\"tool_calls\"] == [{\"name\": \"lookup\", \"arguments\": {\"id\": 1}},
                                         {\"name\": \"send\", \"arguments\": {\"to\": \"x\"}}], c[\"calls-pass\"]
assert c[\"calls-pass\"][\"finish_reason\"] == \"tool_calls\"
assert \"tool_calls\" not in c[\"nocall-fail\"]
assert c[\"calls-pass\"][\"asserts\"][0][\"score\"] == 1
assert abs(c[\"calls-fail\"][\"asserts\"][0][\"score\"] - 0.5) < 1e-9, c[\"calls-fail\"]
" &&
	reason r.json call-fail >why && grep -q "lookup was called with {\"id\":8}, expected {\"id\":7}" why &&
	reason r.json callschema-fail >why && grep -q "lookup arguments: \$.id: expected integer" why &&
	reason r.json calls-fail >why &&
	grep -q "precision 0.50, recall 0.50 (1 of 2 expected, 2 made, in order)" why &&
	reason r.json valid-fail >why && grep -q "send arguments do not match its schema" why &&
	reason r.json undeclared-fail >why && grep -q "calls .delete., which the prompt does not declare" why &&
	reason r.json nocall-fail >why && grep -q "the reply has no tool calls" why
'

test_expect_success 'the cache keeps the calls: a second run answers from it with the same results' '
	start_fakellm &&
	tools_project openai &&
	FAKE_KEY=k pops eval run --json r1.json >out &&
	FAKE_KEY=k pops eval run --json r2.json >out2 &&
	test "$(fakellm_stat chat)" = 14 &&
	statuses r1.json >s1 && statuses r2.json >s2 && test_cmp s1 s2 &&
	python3 -c "
import json; d = json.load(open(\"r2.json\"))
c = {c[\"id\"]: c for c in d[\"cases\"]}
assert c[\"calls-pass\"][\"cached\"] is True
assert [t[\"name\"] for t in c[\"calls-pass\"][\"tool_calls\"]] == [\"lookup\", \"send\"]
"
'

test_expect_success 'anthropic and ollama, streamed and not: the same calls, the same verdicts' '
	start_fakellm &&
	for t in anthropic ollama; do
		rm -rf proj && mkdir proj && (cd proj &&
		tools_project $t &&
		FAKE_KEY=k pops eval run --no-cache --json r.json >out &&
		grep -q "14 runs: 7 passed, 7 failed, 0 errors" out &&
		check_statuses r.json &&
		FAKE_KEY=k pops eval run --no-cache --stream --json s.json >out &&
		grep -q "14 runs: 7 passed, 7 failed, 0 errors" out &&
		check_statuses s.json) || return 1
	done &&
	fakellm_get /__requests >reqs &&
	grep -q "\"tools\":\[{\"name\":\"lookup\",\"description\":\"Look an order up by its id.\",\"input_schema\":{" reqs
'

test_expect_success 'openai streamed: tool-call deltas are assembled' '
	start_fakellm &&
	tools_project openai &&
	FAKE_KEY=k pops eval run --stream --json s.json >out &&
	grep -q "14 runs: 7 passed, 7 failed, 0 errors" out &&
	check_statuses s.json &&
	python3 -c "
import json; d = json.load(open(\"s.json\"))
c = {c[\"id\"]: c for c in d[\"cases\"]}
assert c[\"callvar-pass\"][\"tool_calls\"] == [{\"name\": \"send\", \"arguments\": {\"to\": \"ann\"}}], c
assert \"ttft_ms\" in c[\"callvar-pass\"]
"
'

test_expect_success 'toolChoice maps to each provider' '
	start_fakellm &&
	tools_project openai &&
	printf -- "---\nmodel: fast\ntools: [lookup, send]\ntoolChoice: send\n---\n{{{text}}}\n" >prompts/agent.prompt &&
	FAKE_KEY=k pops eval run --filter "^valid-pass$" >out &&
	fakellm_get /__requests >reqs &&
	grep -q "\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"send\"}}" reqs &&
	sed -i "s/type: openai, base_url: .*,/type: anthropic, base_url: \"$(echo "$FAKELLM_URL" | sed "s|/|\\\\/|g")\",/" pops.yaml &&
	printf -- "---\nmodel: fast\ntools: [lookup]\ntoolChoice: required\n---\n{{{text}}}\n" >prompts/agent.prompt &&
	FAKE_KEY=k pops eval run --filter "^valid-pass$" >out &&
	fakellm_get /__requests >reqs &&
	grep -q "\"tool_choice\":{\"type\":\"any\"}" reqs
'

test_expect_success 'a tool defined nowhere, a bad definition, a bad toolChoice: clear errors, nothing sent' '
	start_fakellm &&
	FAKE_KEY=k && export FAKE_KEY &&
	tools_project openai &&
	printf -- "---\nmodel: fast\ntools: [lookup, nosuch]\n---\n{{{text}}}\n" >prompts/agent.prompt &&
	test_expect_code 2 pops eval run >out 2>err &&
	grep -q "tool .nosuch. is not defined: add it under tools: in pops.yaml or as tools/nosuch.json" err &&
	printf -- "---\nmodel: fast\ntools: [send]\ntoolChoice: lookup\n---\n{{{text}}}\n" >prompts/agent.prompt &&
	test_expect_code 2 pops eval run >out 2>err &&
	grep -q "toolChoice .lookup. is neither auto, none, required nor one of the prompt" err &&
	printf -- "---\nmodel: fast\ntools: [send]\n---\n{{{text}}}\n" >prompts/agent.prompt &&
	echo "{\"parameters\": [1]}" >tools/send.json &&
	test_expect_code 2 pops eval run >out 2>err &&
	grep -q "tools/send.json: tool .send.: .parameters. must be a JSON Schema" err &&
	echo "{\"descripton\": \"x\"}" >tools/send.json &&
	test_expect_code 2 pops eval run >out 2>err &&
	grep -q "tools/send.json: tool .send. has an unknown key .descripton." err &&
	test "$(fakellm_stat chat)" = 0
'

test_expect_success 'pops prompt lint checks that the declared tools exist' '
	start_fakellm &&
	tools_project openai &&
	pops prompt lint >out 2>err &&
	printf -- "---\nmodel: fast\ntools: [lookup, gone]\n---\nx\n" >prompts/bad.prompt &&
	printf -- "---\nmodel: fast\ntools: [lookup]\ntoolChoice: send\n---\nx\n" >prompts/choice.prompt &&
	test_expect_code 2 pops prompt lint >out 2>err &&
	grep -q "prompts/bad.prompt: tool .gone. is not defined: add it under tools: in pops.yaml or as tools/gone.json" err &&
	grep -q "prompts/choice.prompt: toolChoice .send. is neither" err &&
	! grep -q "agent.prompt" err
'

test_expect_success 'a changed tool schema: the evidence no longer counts, the release names the tool' '
	start_fakellm &&
	FAKE_KEY=k && export FAKE_KEY &&
	tools_project openai &&
	cat >>pops.yaml <<-\EOT &&
	environments:
	  - name: dev
	  - name: staging
	    require: { suites: [evals/tools.yaml] }
	EOT
	git commit -q -am "environments" &&
	pops eval run >out &&
	git notes --ref=pops show HEAD >note &&
	python3 -c "
import json; r = json.load(open(\"note\"))[\"results\"][0]
d = r[\"tools\"][\"definitions\"]
assert [t[\"name\"] for t in d] == [\"lookup\", \"send\"], r
assert d[1][\"parameters\"][\"required\"] == [\"to\"], d
" &&
	pops promote dev >/dev/null && pops promote staging >out &&
	grep -q "promoted agent@1 to staging" out &&
	sed -i "s/\"to\"\]/\"to\", \"subject\"]/" tools/send.json &&
	git commit -q -am "send: subject required" &&
	pops status >st &&
	grep -q "tool send changed" st &&
	pops promote dev >out &&
	grep -q "tool send changed" out &&
	git show refs/pops/releases:dev/agent.json >entry &&
	python3 -c "
import json; e = json.load(open(\"entry\"))
t = e[\"resolved_model\"][\"tools\"][\"definitions\"]
assert t[1][\"parameters\"][\"required\"] == [\"to\", \"subject\"], t
" &&
	pops export --env dev bundle >/dev/null &&
	grep -q "\"subject\"" bundle/manifest.json &&
	test_must_fail pops promote staging >out 2>err &&
	grep -q "tools" err &&
	pops eval run >out &&
	pops promote staging >out &&
	grep -q "promoted agent@1 to staging" out
'

test_done
