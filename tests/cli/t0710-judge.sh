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
