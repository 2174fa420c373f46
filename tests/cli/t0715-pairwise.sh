#!/bin/sh
# pairwise assertions against tests/fakellm: its pairwise judge prefers the
# response holding "[[better]]" (tie when both or neither do); the baseline
# is the prompt at a git revision (--baseline HEAD~1).
. "$(dirname "$0")/lib.sh"

XSD="$ROOT/tests/data/junit.xsd"

# pair_project OLD NEW [judge-provider-extra]: prompt qa committed as OLD,
# then as NEW (HEAD~1 = OLD); the suite compares with a pairwise judge
pair_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	  jfake: { type: openai, base_url: "$FAKELLM_URL/v1" ${3:-} }
	models:
	  fast: { provider: fake, id: m-1 }
	  judge: { provider: jfake, id: fake-judge-1 }
	EOT
	cat >evals/qa.yaml <<-\EOT &&
	prompt: qa
	threshold: 1.0
	tests:
	  - { id: one, vars: { q: "first" } }
	  - { id: two, vars: { q: "second" } }
	assert:
	  - { type: icontains, value: "Q:" }
	  - { type: pairwise, model: judge, rubric: "Which answer is better?" }
	EOT
	printf -- "---\nmodel: fast\n---\nQ: {{q}} %s\n" "$1" >prompts/qa.prompt &&
	git add -A && git commit -q -m "qa v1" &&
	printf -- "---\nmodel: fast\n---\nQ: {{q}} %s\n" "$2" >prompts/qa.prompt &&
	git commit -q -am "qa v2"
}

test_expect_success 'win: preferred in both orders passes; reports carry both verdicts' '
	start_fakellm &&
	pair_project "plain" "[[better]]" &&
	pops eval run --baseline HEAD~1 --junit r.xml --json r.json >out &&
	grep -q "2 runs: 2 passed, 0 failed, 0 errors" out &&
	grep -q "^result: pass" out &&
	xmllint --noout --schema "$XSD" r.xml &&
	python3 - <<-\EOP &&
	import json
	d = json.load(open("r.json"))
	for c in d["cases"]:
	    p = [a for a in c["asserts"] if a["type"] == "pairwise"][0]
	    assert p["pass"] and p["outcome"] == "win", p
	    assert p["verdicts"] == {"current_as_a": "A", "current_as_b": "B"}, p
	    assert p["reason"].startswith("win against the baseline"), p
	    assert "plain" in p["baseline_output"] and "[[better]]" in c["output"], p
	    assert set(p["reasoning"]) == {"current_as_a", "current_as_b"}, p
	EOP
	git notes --ref=pops show HEAD >note &&
	grep -q "\"pairwise_baseline_blob\":\"$(git rev-parse HEAD~1:prompts/qa.prompt)\"" note
'

test_expect_success 'loss: the baseline preferred in both orders fails the case, exit 1' '
	start_fakellm &&
	pair_project "[[better]]" "plain" &&
	test_expect_code 1 pops eval run --baseline HEAD~1 --junit r.xml >out &&
	grep -q "2 runs: 0 passed, 2 failed, 0 errors" out &&
	grep -q "FAIL  one: loss against the baseline (verdict .B. with this output as A, .A. with it as B)" out &&
	xmllint --noout --schema "$XSD" r.xml &&
	grep -q "<failure message=\"loss against the baseline" r.xml
'

test_expect_success 'tie: judges that disagree between the orders give a tie, which passes unless require: win' '
	start_fakellm &&
	pair_project "plain" "[[better]]" ", headers: { x-fakellm-verdict: A }" &&
	pops eval run --baseline HEAD~1 --json r.json >out &&
	grep -q "2 runs: 2 passed, 0 failed, 0 errors" out &&
	python3 -c "import json; d=json.load(open(\"r.json\")); p=[a for a in d[\"cases\"][0][\"asserts\"] if a[\"type\"]==\"pairwise\"][0]; assert p[\"outcome\"]==\"tie\" and p[\"verdicts\"]=={\"current_as_a\":\"A\",\"current_as_b\":\"A\"}, p" &&
	sed -i "s/rubric: \"Which answer is better?\"/rubric: x, require: win/" evals/qa.yaml &&
	test_expect_code 1 pops eval run --baseline HEAD~1 >out &&
	grep -q "FAIL  one: tie against the baseline (verdict .A. with this output as A, .A. with it as B)" out
'

test_expect_success 'both orders say tie: a tie' '
	start_fakellm &&
	pair_project "plain" "plain too" &&
	pops eval run --baseline HEAD~1 --json r.json >out &&
	grep -q "tie against the baseline (verdict .tie. with this output as A, .tie. with it as B)" r.json
'

test_expect_success 'no baseline: exit 2 naming suite file:line and --baseline, nothing sent' '
	start_fakellm &&
	pair_project "plain" "[[better]]" &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "evals/qa.yaml:8: .pairwise. compares each output with the baseline.s: pass --baseline env|rev" err &&
	test "$(fakellm_stat chat)" = 0
'

test_expect_success 'the pairwise judge must not be the model under test; pass_score and require are checked' '
	start_fakellm &&
	pair_project "plain" "[[better]]" &&
	test_expect_code 2 pops eval run --baseline HEAD~1 --model judge 2>err &&
	grep -q "evals/qa.yaml:8: the judge .judge. is the model under test" err &&
	sed -i "s/rubric: \"Which answer is better?\"/rubric: x, require: always/" evals/qa.yaml &&
	test_expect_code 2 pops eval run --baseline HEAD~1 2>err &&
	grep -q "evals/qa.yaml:8: .require. is for .pairwise. only: .win. or .win-or-tie." err &&
	test "$(fakellm_stat chat)" = 0
'

test_expect_success 'a prose judge reply is an error, never a pass; reports stay valid' '
	start_fakellm &&
	pair_project "plain" "[[better]]" ", headers: { x-fakellm-reply: \"Response A is clearly better.\" }" &&
	test_expect_code 4 pops eval run --baseline HEAD~1 --junit r.xml --json r.json >out &&
	grep -q "2 runs: 0 passed, 0 failed, 2 errors" out &&
	grep -q "ERROR one: pairwise judge gave no verdict" out &&
	xmllint --noout --schema "$XSD" r.xml &&
	grep -q "<error message=\"pairwise judge gave no verdict" r.xml &&
	python3 -c "import json; d=json.load(open(\"r.json\")); assert all(c[\"status\"]==\"error\" for c in d[\"cases\"])"
'

test_expect_success 'a verdict outside A/B/tie is an error too' '
	start_fakellm &&
	pair_project "plain" "[[better]]" ", headers: { x-fakellm-verdict: maybe }" &&
	test_expect_code 4 pops eval run --baseline HEAD~1 >out &&
	grep -q "ERROR one: pairwise judge gave no valid verdict: expected \"verdict\": \"A\", \"B\" or \"tie\"" out
'

test_expect_success 'an overriding pairwise prompt is used; the baseline comparison shows too' '
	start_fakellm &&
	pair_project "plain" "[[better]]" &&
	printf -- "---\nname: mine\n---\nMY PAIRWISE {{rubric}}\n<response_a>\n{{output_b}}\n</response_a>\n<response_b>\n{{output_a}}\n</response_b>\n{{format}}\n" >pw.prompt &&
	sed -i "s/rubric: \"Which answer is better?\"/rubric: x, prompt: pw.prompt/" evals/qa.yaml &&
	test_expect_code 1 pops eval run --baseline HEAD~1 --json r.json >out &&
	grep -q "loss against the baseline" out &&
	grep -q "baseline HEAD~1 (run)" out &&
	fakellm_get /__requests | grep -q "MY PAIRWISE"
'

test_done
