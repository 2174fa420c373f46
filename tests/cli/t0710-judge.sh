#!/bin/sh
# pops judge calibrate against tests/fakellm's judge (verdict "fail" when
# the prompt holds [[fail]], else "pass").
. "$(dirname "$0")/lib.sh"

judge_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	  judge: { provider: fake, id: fake-judge-1 }
	EOT
	printf -- "---\nmodel: fast\n---\nQ: {{q}}\n" >prompts/qa.prompt &&
	cat >evals/qa.yaml <<-\EOT
	prompt: qa
	tests: [ { vars: { q: x } } ]
	assert:
	  - { type: judge, model: judge, rubric: "answers the question" }
	EOT
}

test_expect_success 'calibrate: rates, kappa and the disagreeing cases' '
	start_fakellm &&
	judge_project &&
	cat >labels.jsonl <<-\EOT &&
	{"id":"a","output":"fine answer","label":"pass"}
	{"id":"b","output":"also fine","label":"pass"}
	{"id":"c","output":"bad [[fail]]","label":"fail"}
	{"id":"d","output":"looks ok to the judge","label":"fail"}

	{"id":"e","output":"wrongly failed [[fail]]","label":true}
	{"id":"f","output":"[[fail]] again","label":"fail"}
	EOT
	pops judge calibrate --labels labels.jsonl --suite evals/qa.yaml >out &&
	grep -q "judge judge (fake-judge-1) on 6 labelled outputs" out &&
	grep -q "TPR            0.667" out &&
	grep -q "TNR            0.667" out &&
	grep -q "accuracy       0.667" out &&
	grep -q "Cohen.s kappa  0.333" out &&
	grep -q "  d: judge pass, human fail" out &&
	grep -q "  e: judge fail, human pass" out &&
	test "$(grep -c "judge .*, human" out)" = 2
'

test_expect_success 'calibrate: production records with thumbs feedback are labels' '
	start_fakellm &&
	judge_project &&
	cat >records.jsonl <<-\EOT &&
	{"trace_id":"r1","vars":{"q":"x"},"output":"fine answer","feedback":{"thumbs":"up"}}
	{"trace_id":"r2","vars":{"q":"x"},"output":"bad [[fail]]","feedback":{"thumbs":"down","correction":"better"}}
	{"trace_id":"r3","vars":{"q":"x"},"output":"judge likes it","feedback":{"thumbs":"down"}}
	{"trace_id":"r4","vars":{"q":"x"},"output":"nobody voted"}
	{"trace_id":"r5","vars":{"q":"x"},"output":"scored only","feedback":{"score":0.5}}
	EOT
	pops judge calibrate --labels records.jsonl --suite evals/qa.yaml >out &&
	grep -q "on 3 labelled outputs, 2 records without thumbs feedback left out" out &&
	grep -q "  r3: judge pass, human fail" out &&
	test "$(grep -c "judge .*, human" out)" = 1 &&
	cat >spans.json <<-\EOT &&
	{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"aa01","spanId":"b1","name":"chat m-1","startTimeUnixNano":"1796032800000000000","attributes":[{"key":"gen_ai.request.model","value":{"stringValue":"m-1"}},{"key":"gen_ai.input.messages","value":{"stringValue":"[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"q\"}]}]"}},{"key":"gen_ai.output.messages","value":{"stringValue":"[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"an answer\"}]}]"}}]}]}]}]}
	EOT
	pops judge calibrate --labels spans.json --suite evals/qa.yaml >out &&
	grep -q "on 0 labelled outputs, 1 record without thumbs feedback left out" out
'

test_expect_success 'calibrate: bad label line names file:line, exit 2' '
	start_fakellm &&
	judge_project &&
	printf "{\"id\":\"a\",\"output\":\"x\",\"label\":\"pass\"}\n{\"id\":\"b\",\"output\":\"x\",\"label\":\"maybe\"}\n" >labels.jsonl &&
	test_expect_code 2 pops judge calibrate --labels labels.jsonl --suite evals/qa.yaml 2>err &&
	grep -q "labels.jsonl:2: each line needs" err &&
	test_expect_code 2 pops judge calibrate --labels none.jsonl --suite evals/qa.yaml 2>err &&
	grep -q "none.jsonl: labels file not found" err
'

test_done
