#!/bin/sh
# Calibration gates every judge that decides a case: the judges of a
# dataset row's (or inline test's) own assert: are calibrated with
# `pops judge calibrate SUITE --case ID` and refused by the gate naming
# the row's file:line; a scale judge is calibrated the way it judges
# (the scored prompt, its score against the threshold). tests/fakellm's
# judge fails on [[fail]], and answers score N for [[score=N]].
. "$(dirname "$0")/lib.sh"

cases_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	  judge: { provider: fake, id: fake-judge-1 }
	environments:
	  - name: staging
	    require: { suites: [evals/qa.yaml], calibrated_judges: { min_kappa: 0.6 } }
	EOT
	printf -- "---\nmodel: fast\n---\nQ: {{q}}\n" >prompts/qa.prompt &&
	mkdir -p datasets &&
	cat >datasets/qa.jsonl <<-\EOT &&
	{"id":"r1","vars":{"q":"a"}}
	{"id":"r2","vars":{"q":"b"},"assert":[{"type":"judge","model":"judge","rubric":"names a city"}]}
	{"id":"r3","vars":{"q":"c"},"assert":[{"type":"judge","model":"judge","rubric":"names a city"}]}
	EOT
	cat >evals/qa.yaml <<-\EOT &&
	prompt: qa
	dataset: datasets/qa.jsonl
	assert:
	  - { type: judge, model: judge, rubric: "answers the question" }
	EOT
	cat >good.jsonl <<-\EOT &&
	{"id":"a","output":"fine answer","label":"pass"}
	{"id":"b","output":"also fine","label":"pass"}
	{"id":"c","output":"bad [[fail]]","label":"fail"}
	{"id":"f","output":"[[fail]] again","label":"fail"}
	EOT
	git add -A && git commit -q -m "qa with judged rows" &&
	pops eval run evals/qa.yaml >eval.out
}

test_expect_success 'a dataset row judge is gated: refused at its file:line, calibrated with --case' '
	start_fakellm &&
	cases_project &&
	pops judge calibrate evals/qa.yaml --labels good.jsonl >/dev/null &&
	test_expect_code 1 pops promote staging qa 2>err &&
	grep -q "suite evals/qa.yaml, judge judge (fake-judge-1) at datasets/qa.jsonl:2 (case r2): never calibrated" err &&
	grep -q "pops judge calibrate evals/qa.yaml --labels FILE --case r2" err &&
	! grep -q "case r3" err &&
	pops judge calibrate evals/qa.yaml --labels good.jsonl --case r2 >out &&
	grep -q "Cohen.s kappa  1.000" out &&
	pops promote staging qa >out &&
	grep -q "promoted qa@1 to staging" out
'

test_expect_success 'an inline test judge too; --case on a case without one is a usage error' '
	start_fakellm &&
	cases_project &&
	cat >>evals/qa.yaml <<-\EOT &&
	tests:
	  - { id: t1, vars: { q: z }, assert: [ { type: judge, model: judge, rubric: "is short" } ] }
	EOT
	git add -A && git commit -q -m "an inline judged test" &&
	pops eval run evals/qa.yaml >/dev/null &&
	pops judge calibrate evals/qa.yaml --labels good.jsonl >/dev/null &&
	pops judge calibrate evals/qa.yaml --labels good.jsonl --case r2 >/dev/null &&
	test_expect_code 1 pops promote staging qa 2>err &&
	grep -q "at evals/qa.yaml:[0-9]* (case t1): never calibrated" err &&
	grep -q "pops judge calibrate evals/qa.yaml --labels FILE --case t1" err &&
	pops judge calibrate evals/qa.yaml --labels good.jsonl --case t1 >/dev/null &&
	pops promote staging qa >/dev/null &&
	test_expect_code 2 pops judge calibrate evals/qa.yaml --labels good.jsonl --case r1 2>err &&
	grep -q "no case .r1. with a .judge. assertion of its own" err
'

test_expect_success 'a scale judge is calibrated with its scored prompt and threshold' '
	start_fakellm &&
	cases_project &&
	cat >evals/qa.yaml <<-\EOT &&
	prompt: qa
	tests: [ { vars: { q: x } } ]
	assert:
	  - { type: judge, model: judge, scale: 1-5, threshold: 4, rubric: "answers the question" }
	EOT
	git add -A && git commit -q -m "a scale judge" &&
	pops eval run evals/qa.yaml >/dev/null &&
	cat >scale.jsonl <<-\EOT &&
	{"id":"a","output":"great [[score=5]]","label":"pass"}
	{"id":"b","output":"good [[score=4]]","label":"pass"}
	{"id":"c","output":"middling [[score=3]]","label":"fail"}
	{"id":"d","output":"poor [[score=2]]","label":"fail"}
	EOT
	pops judge calibrate evals/qa.yaml --labels scale.jsonl --json >out.json &&
	python3 - out.json <<-\EOF &&
	import json, sys
	r = json.load(open(sys.argv[1]))
	# score 3 is below the threshold 4: a fail, as the human said
	assert r["tp"] == 2 and r["tn"] == 2 and r["fp"] == 0 and r["fn"] == 0, r
	assert r["errors"] == 0 and r["kappa"] == 1, r
	assert r["scale_max"] == 5 and r["pass_score"] == 4, r
	EOF
	pops promote staging qa >out &&
	grep -q "promoted qa@1 to staging" out
'

test_expect_success 'a 1-10 scale judge: scores above 5 are scores, not errors; the gate finds it' '
	start_fakellm &&
	cases_project &&
	cat >evals/qa.yaml <<-\EOT &&
	prompt: qa
	tests: [ { vars: { q: "x [[score=8]]" } } ]
	assert:
	  - { type: judge, model: judge, scale: 1-10, threshold: 7, rubric: "answers the question" }
	EOT
	git add -A && git commit -q -m "a 1-10 scale judge" &&
	pops eval run evals/qa.yaml >/dev/null &&
	test_expect_code 1 pops promote staging qa 2>err &&
	grep -q "judge judge (fake-judge-1): never calibrated" err &&
	cat >scale.jsonl <<-\EOT &&
	{"id":"a","output":"great [[score=9]]","label":"pass"}
	{"id":"b","output":"good [[score=7]]","label":"pass"}
	{"id":"c","output":"middling [[score=6]]","label":"fail"}
	{"id":"d","output":"poor [[score=2]]","label":"fail"}
	EOT
	pops judge calibrate evals/qa.yaml --labels scale.jsonl --json >out.json &&
	python3 - out.json <<-\EOF &&
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["tp"] == 2 and r["tn"] == 2 and r["fp"] == 0 and r["fn"] == 0, r
	assert r["errors"] == 0 and r["kappa"] == 1, r
	assert r["scale_max"] == 10 and r["pass_score"] == 7, r
	EOF
	pops promote staging qa >out &&
	grep -q "promoted qa@1 to staging" out
'

test_done
