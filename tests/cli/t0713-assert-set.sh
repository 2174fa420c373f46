#!/bin/sh
# assert-set (a group of assertions scored as one, with its own threshold
# and weight) and score_threshold, promptfoo's name for case_threshold.
# fakellm echoes the prompt, so each row's text is its output.
. "$(dirname "$0")/lib.sh"

set_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	EOT
	printf -- "---\nmodel: fast\n---\n{{text}}\n" >prompts/echo.prompt &&
	cat >evals/set.yaml <<-\EOT &&
	prompt: echo
	threshold: 0
	score_threshold: 0.5
	tests:
	  - { id: both, vars: { text: "red fox, short" } }
	  - { id: half-set, vars: { text: "red cat" } }
	  - { id: none, vars: { text: "blue cat and many more words than four" } }
	assert:
	  # weight 3: the set alone decides a case at score_threshold 0.5
	  - type: assert-set
	    weight: 3
	    threshold: 0.5
	    assert:
	      - { type: contains, value: red }
	      - { type: contains, value: fox }
	  - { type: word-count, max: 4 }
	EOT
	git add -A && git commit -q -m "set suite"
}

# case FILE ID: status, score and the set's pass, score and reason
case_line() {
	python3 -c 'import json,sys
c=[c for c in json.load(open(sys.argv[1]))["cases"] if c["id"]==sys.argv[2]][0]
a=c["asserts"][0]
print(c["status"], round(c["score"], 3), a["pass"], round(a["score"], 3), a.get("reason", ""))' "$1" "$2"
}

test_expect_success 'assert-set: its own threshold, its weight in the case score' '
	start_fakellm &&
	set_project &&
	pops eval run evals/set.yaml --no-store --json r.json >out &&
	test "$(case_line r.json both)" = "pass 1 True 1 " &&
	# the set passes its threshold at score 0.5; the case (3 x 0.5 + 1) / 4
	test "$(case_line r.json half-set)" = "pass 0.625 True 0.5 " &&
	test "$(case_line r.json none)" = "fail 0 False 0 set score 0.00 < 0.50: contains: output does not contain '"'"'red'"'"'; contains: output does not contain '"'"'fox'"'"'" &&
	python3 -c "import json; s=json.load(open(\"r.json\"))[\"summary\"][0]; assert s[\"passed\"] == 2, s"
'

test_expect_success 'score_threshold is case_threshold; both at once is refused' '
	start_fakellm &&
	set_project &&
	sed -i "s/score_threshold: 0.5/score_threshold: 0.9/" evals/set.yaml &&
	pops eval run evals/set.yaml --no-store --json r.json >out &&
	test "$(case_line r.json half-set | cut -d" " -f1)" = fail &&
	sed -i "s/^score_threshold: 0.9/score_threshold: 0.9\ncase_threshold: 0.9/" evals/set.yaml &&
	test_expect_code 2 pops eval run evals/set.yaml --no-store 2>err &&
	grep -q "evals/set.yaml:3: .score_threshold. is another name for .case_threshold.: keep one" err
'

test_expect_success 'assert-set with a judge inside fails at load' '
	start_fakellm &&
	set_project &&
	printf "prompt: echo\ntests: [ { vars: { text: x } } ]\nassert:\n  - { type: assert-set, assert: [ { type: judge, model: fast, rubric: r } ] }\n" >evals/bad.yaml &&
	test_expect_code 2 pops eval run evals/bad.yaml --no-store 2>err &&
	grep -q "evals/bad.yaml:4: .judge. cannot be inside an .assert-set." err
'

test_done
