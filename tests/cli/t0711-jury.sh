#!/bin/sh
# Juries (judge with models: [...] and aggregate), scored rubrics (scale,
# criteria, steps, threshold), self_consistency and --no-cache-judge,
# against tests/fakellm's judges: "[[fail:MODEL]]" in the graded text
# fails that judge only, "[[score=N]]" answers score N, and
# "[[fail-restated]]" fails a judge asked with the rubric reworded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

jury_project() {
	fake_project ja=judge-a jb=judge-b jc=judge-c &&
	printf -- "---\nmodel: fast\n---\n{{text}}\n" >prompts/echo.prompt &&
	git add -A && git commit -q -m "jury project"
}

# judges FILE ID: "model pass" per judge of the first assertion of case ID, then its pass and reason
judges() {
	python3 -c 'import json,sys
c=[c for c in json.load(open(sys.argv[1]))["cases"] if c["id"]==sys.argv[2]][0]
a=c["asserts"][0]
for j in a.get("judges",[]): print(j["model"], j["pass"], j.get("error", False))
print("entry", a["pass"], a.get("error", False), a.get("aggregate", "-"), a.get("scale", "-"))
print("reason", a["reason"])' "$1" "$2"
}

test_expect_success 'jury: one of three disagrees; majority passes, all fails; kappa' '
	start_fakellm &&
	jury_project &&
	cat >evals/jury.yaml <<-\EOT &&
	prompt: echo
	threshold: 0
	tests:
	  - { id: agree, vars: { text: "fine answer" } }
	  - { id: split, vars: { text: "fine answer [[fail:judge-c]]" } }
	  - { id: most-fail, vars: { text: "bad [[fail:judge-a]] [[fail:judge-b]]" } }
	assert:
	  - { type: judge, models: [ja, jb, jc], aggregate: majority, rubric: "answers well" }
	EOT
	pops eval run evals/jury.yaml --no-store --json r.json >out &&
	judges r.json split >split &&
	grep -q "^ja True False$" split &&
	grep -q "^jc False False$" split &&
	grep -q "^entry True False majority -$" split &&
	grep -q "^reason 2 of 3 judges pass (majority); jc: fakellm judge" split &&
	judges r.json most-fail >mf &&
	grep -q "^entry False False majority" mf &&
	python3 - r.json <<-\EOF &&
	import json, sys
	s = json.load(open(sys.argv[1]))["summary"][0]
	# rows (pass, fail): (3,0) (2,1) (1,2): P-bar (1 + 1/3 + 1/3) / 3 = 5/9,
	# p = 6/9, 3/9, Pe = 5/9: kappa 0, no agreement beyond chance
	assert s["jury_cases"] == 3, s
	assert abs(s["kappa"]) < 1e-9, s["kappa"]
	assert s["passed"] == 2 and s["failed"] == 1
	EOF
	grep -q "jury agreement: Fleiss. kappa 0.000 over 3 verdicts" out &&
	sed -i "s/aggregate: majority/aggregate: all/" evals/jury.yaml &&
	pops eval run evals/jury.yaml --no-store --json r.json >out &&
	judges r.json split >split &&
	grep -q "^entry False False all -$" split &&
	sed -i "s/aggregate: all/aggregate: any/" evals/jury.yaml &&
	pops eval run evals/jury.yaml --no-store --json r.json >out &&
	judges r.json most-fail >mf &&
	grep -q "^entry True False any" mf
'

test_expect_success 'scored rubric: scale 1-10, threshold, criteria and steps reach the judge' '
	start_fakellm &&
	jury_project &&
	cat >evals/rubric.yaml <<-\EOT &&
	prompt: echo
	threshold: 0
	tests:
	  - { id: eight, vars: { text: "good [[score=8]]" } }
	  - { id: six, vars: { text: "meh [[score=6]]" } }
	assert:
	  - type: judge
	    model: ja
	    rubric: "Clear and correct."
	    scale: 1-10
	    threshold: 7
	    criteria: { 1: "wrong", 10: "correct and clear" }
	    steps: [ "List the claims.", "Check each claim." ]
	EOT
	pops eval run evals/rubric.yaml --no-store --json r.json >out &&
	judges r.json eight >e &&
	grep -q "^entry True False - 1-10$" e &&
	judges r.json six >s &&
	grep -q "^entry False False - 1-10$" s &&
	python3 - r.json <<-\EOF &&
	import json, sys
	c = {c["id"]: c for c in json.load(open(sys.argv[1]))["cases"]}
	assert abs(c["eight"]["asserts"][0]["score"] - 7 / 9) < 1e-9
	EOF
	fakellm_get /__requests >log &&
	grep -q "10: correct and clear" log &&
	grep -q "2. Check each claim." log &&
	grep -q "integer 1 to 10" log
'

test_expect_success 'jury mean: scores averaged against the scale threshold' '
	start_fakellm &&
	jury_project &&
	cat >evals/mean.yaml <<-\EOT &&
	prompt: echo
	threshold: 0
	tests:
	  - { id: hi, vars: { text: "x [[score:judge-a=5]] [[score:judge-b=4]]" } }
	  - { id: lo, vars: { text: "x [[score:judge-a=5]] [[score:judge-b=1]]" } }
	assert:
	  - { type: judge, models: [ja, jb], aggregate: mean, scale: 1-5, threshold: 4, rubric: r }
	EOT
	pops eval run evals/mean.yaml --no-store --json r.json >out &&
	judges r.json hi >h &&
	grep -q "^entry True False mean 1-5$" h &&
	judges r.json lo >l &&
	grep -q "^entry False False mean 1-5$" l
'

test_expect_success 'self_consistency: a judge that contradicts itself is an error, not a pass' '
	start_fakellm &&
	jury_project &&
	cat >evals/sc.yaml <<-\EOT &&
	prompt: echo
	threshold: 0
	tests:
	  - { id: steady, vars: { text: "fine" } }
	  - { id: flaky, vars: { text: "fine [[fail-restated]]" } }
	assert:
	  - { type: judge, model: ja, self_consistency: 2, rubric: "answers well" }
	EOT
	test_expect_code 4 pops eval run evals/sc.yaml --no-store --json r.json >out &&
	judges r.json steady >st &&
	grep -q "^entry True False" st &&
	judges r.json flaky >fl &&
	grep -q "^ja False True$" fl &&
	grep -q "^entry False True" fl &&
	grep -q "^reason self-consistency: pass with the rubric as written, fail with it reworded" fl &&
	fakellm_get /__requests >log &&
	grep -q "Restated: treat the output as failing" log
'

test_expect_success 'judge calls are cached; --no-cache-judge asks again' '
	start_fakellm &&
	jury_project &&
	cat >evals/jury.yaml <<-\EOT &&
	prompt: echo
	tests: [ { id: a, vars: { text: "fine" } } ]
	assert:
	  - { type: judge, models: [ja, jb], rubric: "answers well" }
	EOT
	pops eval run evals/jury.yaml --no-store >out &&
	pops eval run evals/jury.yaml --no-store --json r.json >out &&
	python3 -c "import json,sys; s=json.load(open(\"r.json\"))[\"summary\"][0]; assert s[\"sent\"] == 0, s" &&
	fakellm_stat requests >n1 &&
	pops eval run evals/jury.yaml --no-store --no-cache-judge >out &&
	fakellm_stat requests >n2 &&
	test $(($(cat n2) - $(cat n1))) = 2
'

test_expect_success 'dry run and evidence count every judge of a jury' '
	start_fakellm &&
	jury_project &&
	cat >evals/jury.yaml <<-\EOT &&
	prompt: echo
	tests: [ { id: a, vars: { text: "fine" } }, { id: b, vars: { text: "ok" } } ]
	assert:
	  - { type: judge, models: [ja, jb, jc], self_consistency: 2, rubric: "answers well" }
	EOT
	pops eval run --dry-run --json plan.json evals/jury.yaml >out &&
	python3 - <<-\EOP &&
	import json
	p = json.load(open("plan.json"))["plans"][0]
	assert p["judge_requests"] == 12, p["judge_requests"]
	assert sorted(p["evidence"]["judge_model"]) == ["judge-a", "judge-b", "judge-c"], p["evidence"]
	EOP
	test "$(fakellm_stat requests)" = 0
'

test_expect_success 'bad jury and rubric keys fail at load with file:line' '
	start_fakellm &&
	jury_project &&
	printf "prompt: echo\ntests: [ { vars: { text: x } } ]\nassert:\n  - { type: judge, models: [ja], rubric: r }\n" >evals/bad.yaml &&
	test_expect_code 2 pops eval run evals/bad.yaml --no-store 2>err &&
	grep -q "evals/bad.yaml:4: .models. must be a list of 2 to 15" err &&
	printf "prompt: echo\ntests: [ { vars: { text: x } } ]\nassert:\n  - { type: judge, model: ja, scale: 1-5, rubric: r }\n" >evals/bad.yaml &&
	test_expect_code 2 pops eval run evals/bad.yaml --no-store 2>err &&
	grep -q "evals/bad.yaml:4: a .scale. needs .threshold." err &&
	printf "prompt: echo\ntests: [ { vars: { text: x } } ]\nassert:\n  - { type: judge, models: [ja, nope], rubric: r }\n" >evals/bad.yaml &&
	test_expect_code 2 pops eval run evals/bad.yaml --no-store 2>err &&
	grep -q "evals/bad.yaml:4: unknown model .nope." err &&
	printf "prompt: echo\ntests: [ { vars: { text: x } } ]\nassert:\n  - { type: judge, models: [ja, jb], aggregate: most, rubric: r }\n" >evals/bad.yaml &&
	test_expect_code 2 pops eval run evals/bad.yaml --no-store 2>err &&
	grep -q "aggregate. must be majority, all, any or mean" err
'

test_done
