#!/bin/sh
# The list, JSON-in-prose, rouge-n and word-count assertions, and weighted
# case scores, end to end: tests/fakellm echoes the prompt, so each row's
# `text` is the output its assertions see. Every type has a row that
# passes and one that fails (ids say which).
. "$(dirname "$0")/lib.sh"

# types_project: pops project on this case's fakellm with an echo prompt
types_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	EOT
	printf -- "---\nmodel: fast\n---\n{{{text}}}\n" >prompts/echo.prompt &&
	cat >evals/types.yaml <<-\EOT &&
	prompt: echo
	threshold: 0
	vars: { text: "a red fox ran" }
	tests:
	  - { id: any-pass, assert: [ { type: contains-any, value: [cat, fox] } ] }
	  - { id: any-fail, assert: [ { type: contains-any, value: [cat, dog] } ] }
	  - { id: all-pass, assert: [ { type: contains-all, value: [red, "{{animal}}"] } ], vars: { animal: fox } }
	  - { id: all-fail, assert: [ { type: contains-all, value: [red, dog] } ] }
	  - { id: iany-pass, assert: [ { type: icontains-any, value: [CAT, FOX] } ] }
	  - { id: iany-fail, assert: [ { type: icontains-any, value: [CAT, DOG] } ] }
	  - { id: iall-pass, assert: [ { type: icontains-all, value: "RED, Fox" } ] }
	  - { id: iall-fail, assert: [ { type: icontains-all, value: "RED, Dog" } ] }
	  - { id: notany-pass, assert: [ { type: not-contains-any, value: [cat, dog] } ] }
	  - { id: notany-fail, assert: [ { type: not-contains-any, value: [cat, fox] } ] }
	  - { id: notall-pass, assert: [ { type: not-contains-all, value: [red, dog] } ] }
	  - { id: notall-fail, assert: [ { type: not-contains-all, value: [red, fox] } ] }
	  - { id: inotany-pass, assert: [ { type: not-icontains-any, value: [CAT] } ] }
	  - { id: inotany-fail, assert: [ { type: not-icontains-any, value: [FOX] } ] }
	  - { id: inotall-pass, assert: [ { type: not-icontains-all, value: [RED, DOG] } ] }
	  - { id: inotall-fail, assert: [ { type: not-icontains-all, value: [RED, FOX] } ] }
	  - id: json-pass
	    vars: { text: "Sure:\n```json\n{\"n\": 3, \"tags\": [\"a\"]}\n```\nAnything else?" }
	    assert: [ { type: contains-json, schema: { type: object, required: [n], properties: { n: { type: integer } } } } ]
	  - id: json-fail
	    vars: { text: "Sure: {\"n\": \"three\"} and [1, 2" }
	    assert: [ { type: contains-json, schema: { type: object, required: [n], properties: { n: { type: integer } } } } ]
	  - { id: anyjson-pass, vars: { text: "ids [1, 2, 3] here" }, assert: [ { type: contains-json } ] }
	  - { id: anyjson-fail, vars: { text: "no {json here" }, assert: [ { type: contains-json } ] }
	  - { id: notjson-pass, vars: { text: "plain words" }, assert: [ { type: not-contains-json } ] }
	  - { id: notjson-fail, vars: { text: "x {\"a\": 1}" }, assert: [ { type: not-contains-json } ] }
	  - { id: rouge-pass, vars: { text: "The cat sat on the mat." }, expected: "the cat sat on mats", assert: [ { type: rouge-n, value: "{{expected}}" } ] }
	  - { id: rouge-fail, vars: { text: "A dog ran far away." }, expected: "the cat sat on mats", assert: [ { type: rouge-n, value: "{{expected}}" } ] }
	  - { id: rouge2-pass, vars: { text: "sat on the mat, the cat" }, assert: [ { type: rouge-n, n: 2, threshold: 0.5, value: "the cat sat on the mat" } ] }
	  - { id: rouge2-fail, vars: { text: "mat the on sat cat the" }, assert: [ { type: rouge-n, n: 2, threshold: 0.5, value: "the cat sat on the mat" } ] }
	  - { id: words-pass, assert: [ { type: word-count, min: 2, max: 4 } ] }
	  - { id: words-fail, assert: [ { type: word-count, max: 3 } ] }
	  - { id: exactwords-pass, assert: [ { type: word-count, value: 4 } ] }
	  - { id: exactwords-fail, assert: [ { type: word-count, value: 5 } ] }
	EOT
	git add -A && git commit -q -m "echo prompt, assertion types suite"
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

test_expect_success 'every new type: its -pass row passes and its -fail row fails' '
	start_fakellm &&
	types_project &&
	pops eval run --json r.json >out &&
	grep -q "30 runs: 15 passed, 15 failed, 0 errors" out &&
	statuses r.json >got &&
	sed -n "s/^\(.*-\(pass\|fail\)\) .*/\1 \2/p" got >want &&
	test_line_count=$(wc -l <want) &&
	test "$test_line_count" = 30 &&
	test_cmp want got
'

test_expect_success 'failure reasons name what was missing or found' '
	start_fakellm &&
	types_project &&
	pops eval run --json r.json >/dev/null &&
	test "$(reason r.json any-fail)" = "output contains none of '"'"'cat'"'"', '"'"'dog'"'"'" &&
	test "$(reason r.json all-fail)" = "output does not contain '"'"'dog'"'"'" &&
	test "$(reason r.json iall-fail)" = "output does not contain '"'"'Dog'"'"' (ignoring case)" &&
	test "$(reason r.json notany-fail)" = "output contains '"'"'fox'"'"'" &&
	reason r.json json-fail >why &&
	grep -q "^no JSON in the output matches the schema (last: \$.n: expected integer, got string)" why &&
	test "$(reason r.json anyjson-fail)" = "output contains no JSON" &&
	test "$(reason r.json words-fail)" = "output has 4 words, expected at most 3" &&
	test "$(reason r.json exactwords-fail)" = "output has 4 words, expected exactly 5"
'

test_expect_success 'rouge-n: the score is the recall, a passing one under 1 still passes the case' '
	start_fakellm &&
	types_project &&
	pops eval run --json r.json >/dev/null &&
	test "$(reason r.json rouge-pass)" = "ROUGE-1 recall 0.80 (4 of 5 1-grams of '"'"'the cat sat on mats'"'"')" &&
	test "$(reason r.json rouge-fail)" = "ROUGE-1 recall 0.00 (0 of 5 1-grams of '"'"'the cat sat on mats'"'"'), below the threshold 0.75" &&
	test "$(reason r.json rouge2-pass)" = "ROUGE-2 recall 0.80 (4 of 5 2-grams of '"'"'the cat sat on the mat'"'"')" &&
	python3 -c "import json; d={c[\"id\"]: c for c in json.load(open(\"r.json\"))[\"cases\"]}; assert d[\"rouge-pass\"][\"score\"]==0.8 and d[\"rouge-pass\"][\"status\"]==\"pass\", d[\"rouge-pass\"]"
'

test_expect_success 'weights: the case passes when its weighted score reaches case_threshold; reports say the score' '
	start_fakellm &&
	types_project &&
	cat >evals/weights.yaml <<-\EOT &&
	prompt: echo
	threshold: 0
	case_threshold: 0.7
	assert:
	  - { type: contains, value: fox, weight: 3 }
	  - { type: contains, value: red }
	  - { type: word-count, max: 3, weight: 0 }
	tests:
	  - { id: heavy-pass, vars: { text: "a brown fox ran" } }
	  - { id: light-fail, vars: { text: "a red dog ran" } }
	  - { id: row-threshold-pass, threshold: 0.2, vars: { text: "a red dog ran" } }
	EOT
	git add -A && git commit -q -m weights &&
	pops eval run evals/weights.yaml --json r.json --md r.md >out &&
	grep -q "3 runs: 2 passed, 1 failed, 0 errors" out &&
	grep -q "FAIL  light-fail: score 0.25 < 0.70: output does not contain .fox.; output has 4 words, expected at most 3" out &&
	grep -q "| light-fail | fail | score 0.25 < 0.70: output does not contain" r.md &&
	python3 -c "import json; d={c[\"id\"]: c for c in json.load(open(\"r.json\"))[\"cases\"]}; assert d[\"heavy-pass\"][\"score\"]==0.75 and d[\"heavy-pass\"][\"status\"]==\"pass\" and d[\"row-threshold-pass\"][\"status\"]==\"pass\", d"
'

test_expect_success 'without a case threshold every weighted assertion must pass; weight 0 only reports' '
	start_fakellm &&
	types_project &&
	cat >evals/strict.yaml <<-\EOT &&
	prompt: echo
	threshold: 0
	assert:
	  - { type: contains, value: fox, weight: 9 }
	  - { type: contains, value: red }
	  - { type: word-count, max: 1, weight: 0 }
	tests:
	  - { id: all, vars: { text: "a red fox" } }
	  - { id: most, vars: { text: "a brown fox" } }
	EOT
	git add -A && git commit -q -m strict &&
	pops eval run evals/strict.yaml --json r.json >out &&
	grep -q "2 runs: 1 passed, 1 failed, 0 errors" out &&
	grep -q "FAIL  most: score 0.90: output does not contain .red.; output has 3 words" out &&
	statuses r.json >got &&
	printf "all pass\nmost fail\n" >want &&
	test_cmp want got
'

test_expect_success 'a judge score over pass_score but under 5 passes its case (score 0.75)' '
	start_fakellm &&
	types_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	  four: { type: openai, base_url: "$FAKELLM_URL/v1", headers: { x-fakellm-reply: "{\"reasoning\": \"good\", \"score\": 4}" } }
	models:
	  fast: { provider: fake, id: m-1 }
	  grader: { provider: four, id: fake-judge-4 }
	EOT
	cat >evals/judged.yaml <<-\EOT &&
	prompt: echo
	tests: [ { id: j, vars: { text: "a fine answer" } } ]
	assert:
	  - { type: judge, model: grader, rubric: "Is it fine?", pass_score: 3 }
	EOT
	git add -A && git commit -q -m judged &&
	pops eval run evals/judged.yaml --json r.json >out &&
	grep -q "1 runs\{0,1\}: 1 passed, 0 failed, 0 errors" out &&
	python3 -c "import json; c=json.load(open(\"r.json\"))[\"cases\"][0]; assert c[\"status\"]==\"pass\" and c[\"score\"]==0.75, c"
'

test_expect_success 'bad options of the new types: exit 2 naming file:line, nothing sent' '
	start_fakellm &&
	types_project &&
	cat >evals/bad.yaml <<-\EOT &&
	prompt: echo
	tests: [ { vars: { text: x } } ]
	assert:
	  - { type: rouge-n, value: x, n: 9 }
	EOT
	test_expect_code 2 pops eval run evals/bad.yaml 2>err &&
	grep -q "evals/bad.yaml:4: .rouge-n. .n. must be a whole number from 1 to 8" err &&
	cat >evals/bad.yaml <<-\EOT &&
	prompt: echo
	tests: [ { vars: { text: x } } ]
	assert:
	  - { type: word-count, min: 5, max: 2 }
	EOT
	test_expect_code 2 pops eval run evals/bad.yaml 2>err &&
	grep -q "evals/bad.yaml:4: .word-count. has .min. 5 above .max. 2" err &&
	cat >evals/bad.yaml <<-\EOT &&
	prompt: echo
	tests: [ { vars: { text: x } } ]
	assert:
	  - { type: contains-all, value: [] }
	EOT
	test_expect_code 2 pops eval run evals/bad.yaml 2>err &&
	grep -q "evals/bad.yaml:4: .contains-all. needs .value.: a list of strings" err &&
	test "$(fakellm_stat chat)" = 0
'

test_done
