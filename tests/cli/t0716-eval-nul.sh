#!/bin/sh
# Model output with NUL bytes: a per-case error naming the offset, never a
# pass or a failure; the run and every report stay whole. fakellm sends
# "[[nul]]" of an echoed prompt as \u0000; an exec provider prints one.
. "$(dirname "$0")/lib.sh"

XSD="$ROOT/tests/data/junit.xsd"

nul_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	  ant: { type: anthropic, base_url: "$FAKELLM_URL" }
	  ex: { type: exec, command: ["python3", "$PWD/prov.py"] }
	models:
	  fast: { provider: fake, id: m-1 }
	  claude: { provider: ant, id: c-1 }
	  local: { provider: ex, id: x-1 }
	EOT
	cat >prov.py <<-\EOT &&
	import json, sys
	req = json.load(sys.stdin)
	text = req["messages"][-1]["content"][0]["text"]
	if "[[raw]]" in text:
	    # a raw NUL byte inside the JSON string
	    sys.stdout.buffer.write(b"{\"text\":\"raw\x00byte\"}")
	else:
	    print(json.dumps({"text": text.replace("[[nul]]", "\u0000")}))
	EOT
	printf -- "---\nmodel: fast\n---\nSay: {{w}}\n" >prompts/say.prompt &&
	cat >evals/say.yaml <<-\EOT &&
	prompt: say
	threshold: 1.0
	tests:
	  - { id: ok1, vars: { w: "hello" } }
	  - { id: nul, vars: { w: "abc[[nul]]def" } }
	  - { id: ok2, vars: { w: "world" } }
	assert:
	  - { type: contains, value: "Say:" }
	  - { type: not-contains, value: "def" }
	EOT
	git add -A && git commit -q -m "say suite"
}

test_expect_success 'a NUL in the output is a per-case error with its offset; reports valid' '
	start_fakellm &&
	nul_project &&
	test_expect_code 4 pops eval run --junit r.xml --json r.json --md r.md >out &&
	grep -q "3 runs: 2 passed, 0 failed, 1 error; 0 cached, 3 sent$" out &&
	grep -q "ERROR nul: model output contains a NUL byte at offset 8" out &&
	xmllint --noout --schema "$XSD" r.xml &&
	grep -q "<error message=\"model output contains a NUL byte at offset 8\"" r.xml &&
	grep -q "tests=\"3\" failures=\"0\" errors=\"1\"" r.xml &&
	python3 - <<-\EOP &&
	import json
	d = json.load(open("r.json"))
	by = {c["id"]: c for c in d["cases"]}
	assert by["nul"]["status"] == "error", by["nul"]
	assert "offset 8" in by["nul"]["error"]
	assert by["ok1"]["status"] == by["ok2"]["status"] == "pass"
	EOP
	grep -q "| evals/say.yaml | fast |" r.md
'

test_expect_success 'tolerated by max_error_rate: the NUL case is neither a pass nor a failure' '
	start_fakellm &&
	nul_project &&
	echo "max_error_rate: 0.5" >>evals/say.yaml &&
	pops eval run >out &&
	grep -q "pass rate 100.0%" out &&
	grep -q "^result: pass" out
'

test_expect_success 'the anthropic wire too' '
	start_fakellm &&
	nul_project &&
	test_expect_code 4 pops eval run --model claude >out &&
	grep -q "ERROR nul: model output contains a NUL byte at offset 8" out
'

test_expect_success 'an exec provider printing \u0000 or a raw NUL byte: per-case errors' '
	start_fakellm &&
	nul_project &&
	sed -i "s/- { id: ok2, vars: { w: \"world\" } }/- { id: raw, vars: { w: \"[[raw]]\" } }/" evals/say.yaml &&
	test_expect_code 4 pops eval run --model local --junit r.xml >out &&
	grep -q "3 runs: 1 passed, 0 failed, 2 errors" out &&
	grep -q "ERROR nul: model output contains a NUL byte at offset 8" out &&
	grep -q "ERROR raw: model output contains a NUL byte at offset 3" out &&
	xmllint --noout --schema "$XSD" r.xml
'

test_expect_success 'an escaped backslash before u0000 is plain text, not a NUL' '
	start_fakellm &&
	nul_project &&
	cat >prov.py <<-\EOT &&
	import sys
	sys.stdin.read()
	sys.stdout.write("{\"text\": \"Say: a\\\\u0000b\"}")
	EOT
	pops eval run --model local --json r.json >out &&
	grep -q "3 runs: 3 passed" out &&
	python3 - <<-\EOP
	import json
	d = json.load(open("r.json"))
	assert all(c["output"] == "Say: a\\u0000b" for c in d["cases"]), d["cases"][0]["output"]
	EOP
'

test_done
