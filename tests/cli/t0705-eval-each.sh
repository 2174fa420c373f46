#!/bin/sh
# Each eval command once, small: the file tests/valgrind.list runs under
# valgrind (eval run with a judge and every report, eval merge, judge
# calibrate).
. "$(dirname "$0")/lib.sh"

test_expect_success 'eval run (judge, reports), eval merge, judge calibrate' '
	start_fakellm &&
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	  judge: { provider: fake, id: fake-judge-1 }
	pricing:
	  m-1: { input: 1, output: 2 }
	EOT
	printf -- "---\nmodel: fast\n---\nSay {{w}}\n" >prompts/say.prompt &&
	cat >evals/say.yaml <<-\EOT &&
	prompt: say
	threshold: 0.5
	tests:
	  - { id: a, vars: { w: apple }, expected: apple }
	  - { id: b, vars: { w: "[[fail]]" }, expected: pear }
	assert:
	  - { type: icontains, value: "{{expected}}" }
	  - { type: judge, model: judge, rubric: "says a fruit" }
	EOT
	git add -A && git commit -q -m suite &&
	pops eval run --junit r.xml --json r.json --md r.md >out &&
	grep -q "2 runs: 1 passed, 1 failed, 0 errors" out &&
	xmllint --noout --schema "$ROOT/tests/data/junit.xsd" r.xml &&
	pops eval merge r.json --junit m.xml >out2 &&
	grep -q "2 runs: 1 passed, 1 failed, 0 errors" out2 &&
	printf "{\"id\":\"x\",\"output\":\"ok\",\"label\":\"pass\"}\n{\"id\":\"y\",\"output\":\"[[fail]]\",\"label\":\"pass\"}\n" >labels.jsonl &&
	pops judge calibrate --labels labels.jsonl --suite evals/say.yaml >cal &&
	grep -q "TPR            0.500" cal
'

test_done
