#!/bin/sh
# Judge calibration as a release gate: pops judge calibrate records its
# result in refs/notes/pops, keyed by the judge fingerprint (model id,
# config, judge prompt, rubric), and an environment's
# require.calibrated_judges.min_kappa refuses a promotion whose gating
# suite has a judge without such a calibration. tests/fakellm's judge
# says "fail" when the prompt holds [[fail]], else "pass".
. "$(dirname "$0")/lib.sh"

calib_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1", api_key_env: CALIB_SECRET_KEY }
	models:
	  fast: { provider: fake, id: m-1 }
	  judge: { provider: fake, id: fake-judge-1 }
	environments:
	  - name: staging
	    require: { suites: [evals/qa.yaml], calibrated_judges: { min_kappa: 0.6 } }
	EOT
	printf -- "---\nmodel: fast\n---\nQ: {{q}}\n" >prompts/qa.prompt &&
	cat >evals/qa.yaml <<-\EOT &&
	prompt: qa
	tests: [ { vars: { q: x } } ]
	assert:
	  - { type: judge, model: judge, rubric: "answers the question" }
	EOT
	# the judge agrees with 4 of 6 labels: kappa 0.333
	cat >weak.jsonl <<-\EOT &&
	{"id":"a","output":"fine answer","label":"pass"}
	{"id":"b","output":"also fine","label":"pass"}
	{"id":"c","output":"bad [[fail]]","label":"fail"}
	{"id":"d","output":"looks ok to the judge","label":"fail"}
	{"id":"e","output":"wrongly failed [[fail]]","label":"pass"}
	{"id":"f","output":"[[fail]] again","label":"fail"}
	EOT
	# and with all of these: kappa 1
	cat >good.jsonl <<-\EOT &&
	{"id":"a","output":"fine answer","label":"pass"}
	{"id":"b","output":"also fine","label":"pass"}
	{"id":"c","output":"bad [[fail]]","label":"fail"}
	{"id":"f","output":"[[fail]] again","label":"fail"}
	EOT
	git add -A && git commit -q -m "qa with a judged suite" &&
	CALIB_SECRET_KEY=sk-calib-secret-123 pops eval run evals/qa.yaml >eval.out
}

# run pops with the provider's key set, as a user would
kp() {
	CALIB_SECRET_KEY=sk-calib-secret-123 pops "$@"
}

test_expect_success 'never calibrated, then below min_kappa: refused; at or above: promoted' '
	start_fakellm &&
	calib_project &&
	test_expect_code 1 pops promote staging qa 2>err &&
	grep -q "requires calibrated judges (min_kappa 0.6): suite evals/qa.yaml, judge judge (fake-judge-1): never calibrated" err &&
	grep -q "pops judge calibrate evals/qa.yaml --labels FILE" err &&
	kp judge calibrate evals/qa.yaml --labels weak.jsonl >out &&
	grep -q "Cohen.s kappa  0.333" out &&
	grep -q "judge fingerprint [0-9a-f]\{12\}" out &&
	test_expect_code 1 pops promote staging qa 2>err &&
	grep -q "suite evals/qa.yaml, judge judge (fake-judge-1): kappa 0.333 (95% CI" err &&
	grep -q "n=6" err &&
	kp judge calibrate --suite evals/qa.yaml --labels good.jsonl >out &&
	grep -q "Cohen.s kappa  1.000" out &&
	pops promote staging qa >out &&
	grep -q "promoted qa@1 to staging" out
'

test_expect_success 'the note keeps the judge and the rates, never the API key' '
	start_fakellm &&
	calib_project &&
	kp judge calibrate evals/qa.yaml --labels weak.jsonl >/dev/null &&
	kp judge calibrate evals/qa.yaml --labels good.jsonl >/dev/null &&
	git notes --ref=pops show HEAD >note &&
	! grep -q sk-calib-secret note &&
	! grep -q CALIB_SECRET_KEY note &&
	grep -q "\"judge_model\":\"fake-judge-1\"" note &&
	grep -q "\"rubric\":\"answers the question\"" note &&
	grep -q "\"kind\":\"complete\"" note &&
	test "$(grep -o "\"kind\":\"calibration\"" note | wc -l)" = 1 &&
	grep -q "\"kappa\":1" note
'

test_expect_success '--json: rates, interval, n and the judge fingerprint; --no-store writes nothing' '
	start_fakellm &&
	calib_project &&
	kp judge calibrate evals/qa.yaml --labels weak.jsonl --json --no-store >out.json &&
	python3 - out.json <<-\EOF &&
	import json, sys
	r = json.load(open(sys.argv[1]))
	assert r["kind"] == "calibration", r
	assert r["n"] == 6 and r["tp"] == 2 and r["tn"] == 2 and r["fp"] == 1 and r["fn"] == 1, r
	assert abs(r["kappa"] - 1 / 3) < 1e-9, r
	assert r["kappa_low"] < r["kappa"] < r["kappa_high"], r
	assert abs(r["tpr"] - 2 / 3) < 1e-9 and abs(r["tnr"] - 2 / 3) < 1e-9, r
	assert len(r["fingerprint"]) == 64 and r["judge"] == "judge", r
	assert r["judge_model"] == "fake-judge-1" and r["stored"] is False, r
	assert r["labels"] == "weak.jsonl" and len(r["labels_blob"]) == 40, r
	EOF
	git notes --ref=pops show HEAD >note &&
	! grep -q calibration note
'

test_expect_success 'a changed rubric or judge config is another judge: calibrate it again' '
	start_fakellm &&
	calib_project &&
	kp judge calibrate evals/qa.yaml --labels good.jsonl >/dev/null &&
	pops promote staging qa >/dev/null &&
	sed -i "s/answers the question/answers the question politely/" evals/qa.yaml &&
	printf -- "---\nmodel: fast\n---\nQ: {{q}}?\n" >prompts/qa.prompt &&
	git add -A && git commit -q -m "qa v2, stricter rubric" &&
	kp eval run evals/qa.yaml >/dev/null &&
	test_expect_code 1 pops promote staging qa 2>err &&
	grep -q "suite evals/qa.yaml, judge judge (fake-judge-1): never calibrated" err &&
	kp judge calibrate evals/qa.yaml --labels good.jsonl >/dev/null &&
	pops promote staging qa >out &&
	grep -q "promoted qa@2 to staging" out &&
	sed -i "s/judge: { provider: fake, id: fake-judge-1 }/judge: { provider: fake, id: fake-judge-1, config: { top_p: 0.5 } }/" pops.yaml &&
	printf -- "---\nmodel: fast\n---\nQ: {{q}}??\n" >prompts/qa.prompt &&
	git add -A && git commit -q -m "qa v3, judge temperature" &&
	kp eval run evals/qa.yaml >/dev/null &&
	test_expect_code 1 pops promote staging qa 2>err &&
	grep -q "judge judge (fake-judge-1): never calibrated" err
'

test_expect_success 'a jury: each judge is calibrated, the others with --model; a second judge with --assert' '
	start_fakellm &&
	calib_project &&
	sed -i "s/^  judge: { provider: fake, id: fake-judge-1 }/&\n  judge2: { provider: fake, id: fake-judge-2 }/" pops.yaml &&
	cat >evals/qa.yaml <<-\EOT &&
	prompt: qa
	tests: [ { vars: { q: x } } ]
	assert:
	  - { type: judge, models: [judge, judge2], rubric: "answers the question" }
	  - { type: judge, model: judge2, rubric: "is polite" }
	EOT
	git add -A && git commit -q -m "a jury" &&
	kp eval run evals/qa.yaml >/dev/null &&
	kp judge calibrate evals/qa.yaml --labels good.jsonl >/dev/null &&
	test_expect_code 1 pops promote staging qa 2>err &&
	! grep -q "judge judge (fake-judge-1)" err &&
	grep -q "judge judge2 (fake-judge-2): never calibrated" err &&
	grep -q "pops judge calibrate evals/qa.yaml --labels FILE --model judge2" err &&
	grep -q "pops judge calibrate evals/qa.yaml --labels FILE --assert 2" err &&
	kp judge calibrate evals/qa.yaml --labels good.jsonl --model judge2 >/dev/null &&
	kp judge calibrate evals/qa.yaml --labels good.jsonl --assert 2 >out &&
	grep -q "judge judge2 (fake-judge-2)" out &&
	pops promote staging qa >out &&
	grep -q "promoted qa@1 to staging" out &&
	test_expect_code 2 pops judge calibrate evals/qa.yaml --labels good.jsonl --assert 3 2>err &&
	grep -q "has 2 .judge. assertions" err
'

test_expect_success 'calibrated_judges needs a min_kappa in -1..1, named in pops.yaml' '
	start_fakellm &&
	calib_project &&
	sed -i "s/min_kappa: 0.6/min_kappa: 2/" pops.yaml &&
	test_expect_code 2 pops promote staging qa 2>err &&
	grep -q "pops.yaml:[0-9]*:.*min_kappa" err &&
	sed -i "s/calibrated_judges: { min_kappa: 2 }/calibrated_judges: {}/" pops.yaml &&
	test_expect_code 2 pops promote staging qa 2>err &&
	grep -q "pops.yaml:[0-9]*:.*min_kappa" err
'

test_expect_success 'calibrate without a suite, or with two, is a usage error' '
	start_fakellm &&
	calib_project &&
	test_expect_code 2 pops judge calibrate --labels good.jsonl 2>err &&
	grep -q "which suite" err &&
	test_expect_code 2 pops judge calibrate evals/qa.yaml --suite evals/other.yaml --labels good.jsonl 2>err &&
	grep -q "give the suite once" err
'

test_done
