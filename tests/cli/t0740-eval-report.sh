#!/bin/sh
# What pops eval run reports is what happened: every failing suite in the
# result line, every failed assertion of a case, cached and sent runs,
# cost spent and saved, latency of the provider alone.
. "$(dirname "$0")/lib.sh"

# report_project: two suites on this case's fakellm (which echoes the prompt)
report_project() {
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
	  fake-judge-1: { input: 1, output: 1 }
	EOT
	printf -- "---\nmodel: fast\n---\nSay {{w}}\n" >prompts/say.prompt &&
	cat >evals/a.yaml <<-\EOT &&
	prompt: say
	threshold: 1.0
	tests:
	  - { id: one, vars: { w: apple } }
	  - { id: two, vars: { w: pear } }
	assert:
	  - { type: contains, value: apple }
	EOT
	cat >evals/b.yaml <<-\EOT &&
	prompt: say
	threshold: 0.9995
	tests:
	  - { id: x, vars: { w: fig } }
	assert:
	  - { type: contains, value: plum }
	EOT
	git add -A && git commit -q -m "two suites"
}

test_expect_success 'the result line names every failing suite, thresholds as written' '
	start_fakellm &&
	report_project &&
	test_expect_code 1 pops eval run >out &&
	grep -q "^result: fail: evals/a.yaml \[fast\]: pass rate 50.0% is below the threshold 100.0%; evals/b.yaml \[fast\]: pass rate 0.0% is below the threshold 99.95%$" out &&
	grep -q "threshold 99.95%: fail" out
'

test_done
