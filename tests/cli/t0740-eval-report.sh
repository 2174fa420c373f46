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

test_expect_success 'a failing case shows every failed assertion: three, +N more; all in reports; -v the output' '
	start_fakellm &&
	report_project &&
	cat >evals/many.yaml <<-\EOT &&
	prompt: say
	tests:
	  - { id: many, vars: { w: kiwi } }
	assert:
	  - { type: contains, value: a1 }
	  - { type: contains, value: a2 }
	  - { type: contains, value: kiwi }
	  - { type: contains, value: a3 }
	  - { type: contains, value: a4 }
	  - { type: levenshtein, value: "Say kiwis and more", threshold: 2 }
	EOT
	test_expect_code 1 pops eval run --md r.md --junit r.xml evals/many.yaml >out &&
	grep -q "^    FAIL  many: output does not contain .a1.; output does not contain .a2.; output does not contain .a3. (+2 more)$" out &&
	test_must_fail grep -q "output:" out &&
	grep -q "output does not contain .a4.; edit distance 10 to .Say kiwis and more., more than the 2 allowed" r.md &&
	grep -q "edit distance 10 to" r.xml &&
	test_expect_code 1 pops eval run -v evals/many.yaml >out &&
	grep -q "^          output: Say kiwi$" out &&
	test_expect_code 1 pops eval run --verbose evals/many.yaml >out &&
	grep -q "output: Say kiwi" out
'

test_done
