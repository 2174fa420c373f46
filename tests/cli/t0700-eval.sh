#!/bin/sh
# pops eval run / merge end to end against tests/fakellm (which echoes the
# last user message; models named *judge* answer with a verdict, "fail"
# when the prompt holds [[fail]]).
. "$(dirname "$0")/lib.sh"

XSD="$ROOT/tests/data/junit.xsd"

# eval_project [provider-extra]: pops project wired to this case's fakellm
eval_project() {
	extra=${1:-}
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" $extra }
	  prose: { type: openai, base_url: "$FAKELLM_URL/v1", headers: { x-fakellm-reply: "Looks fine to me, pass." } }
	models:
	  fast: { provider: fake, id: m-1 }
	  slow: { provider: fake, id: m-2 }
	  judge: { provider: fake, id: fake-judge-1 }
	  chatty: { provider: prose, id: chatty-1 }
	pricing:
	  m-1: { input: 1, output: 2 }
	  m-2: { input: 1, output: 2 }
	  fake-judge-1: { input: 1, output: 1 }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nCapital: {{city}}\n" >prompts/cap.prompt &&
	cat >datasets/cap.jsonl <<-\EOT &&
	{"id":"fr","vars":{"city":"Paris"},"expected":"paris"}
	{"id":"it","vars":{"city":"Rome"},"expected":"rome"}
	{"id":"de","vars":{"city":"Berlin"},"expected":"berlin"}
	{"id":"es","vars":{"city":"Madrid"},"expected":"lisbon"}
	EOT
	cat >evals/cap.yaml <<-\EOT &&
	prompt: cap
	dataset: datasets/cap.jsonl
	threshold: 0.5
	assert:
	  - { type: icontains, value: "{{expected}}" }
	  - { type: regex, value: "^Capital: \\w+$" }
	EOT
	git add -A && git commit -q -m "cap prompt and suite"
}

test_expect_success 'a passing run: summary, exit 0, every report valid' '
	start_fakellm &&
	eval_project &&
	pops eval run --junit r.xml --json r.json --md r.md >out &&
	grep -q "4 runs: 3 passed, 1 failed, 0 errors" out &&
	grep -q "pass rate 75.0% (95% CI 30.1–95.4%), threshold 50.0%: pass" out &&
	grep -q "FAIL  es: output does not contain .lisbon. (ignoring case)" out &&
	grep -q "^result: pass" out &&
	grep -q "latency p50" out &&
	xmllint --noout --schema "$XSD" r.xml &&
	grep -q "<testcase classname=\"evals/cap.yaml/cap\" name=\"es\"" r.xml &&
	grep -q "tests=\"4\" failures=\"1\" errors=\"0\"" r.xml &&
	python3 -c "import json; d=json.load(open(\"r.json\")); assert d[\"schema_version\"]==1 and len(d[\"cases\"])==4 and d[\"complete\"]" &&
	grep -q "| evals/cap.yaml | fast |" r.md
'

test_expect_success 'below threshold exits 1 and says why' '
	start_fakellm &&
	eval_project &&
	test_expect_code 1 pops eval run --threshold 0.9 >out &&
	grep -q "result: fail: evals/cap.yaml \[fast\]: pass rate 75.0% is below the threshold 90.0%" out
'

test_expect_success 'evidence is recorded on HEAD, not with --no-store' '
	start_fakellm &&
	eval_project &&
	pops eval run --no-store >/dev/null &&
	test_must_fail git notes --ref=pops show HEAD 2>/dev/null &&
	pops eval run >/dev/null &&
	git notes --ref=pops show HEAD >note &&
	grep -q "\"suite\":\"evals/cap.yaml\"" note &&
	grep -q "\"model\":\"m-1\"" note &&
	grep -q "\"fingerprint\":\"[0-9a-f]\{64\}\"" note &&
	grep -q "\"fr#0\":true" note
'

test_expect_success 'eval run and status warn when what the evidence describes is not committed' '
	start_fakellm &&
	eval_project &&
	pops eval run >out 2>err &&
	! grep -q "no commit holds" err &&
	echo "{\"id\":\"pt\",\"vars\":{\"city\":\"Lisbon\"},\"expected\":\"lisbon\"}" >>datasets/cap.jsonl &&
	sed "s/threshold: 0.5/threshold: 0.4/" evals/cap.yaml >evals/new.yaml &&
	pops eval run evals/cap.yaml evals/new.yaml >out 2>err &&
	grep -q "^warning: datasets/cap.jsonl (dataset) is modified since the last commit: the evidence of this run describes a file no commit holds$" err &&
	grep -q "^warning: evals/new.yaml (suite) is untracked: " err &&
	test $(grep -c "datasets/cap.jsonl" err) -eq 1 &&
	! grep -q "pops.yaml\|cap.prompt" err &&
	grep -q "^hint: commit them first" err &&
	pops eval run --no-store evals/cap.yaml >out 2>err &&
	! grep -q "no commit holds" err &&
	pops eval run --dry-run evals/cap.yaml >out 2>err &&
	! grep -q "no commit holds" err &&
	printf "environments:\n  - name: dev\n    require: { suites: [evals/cap.yaml] }\n" >>pops.yaml &&
	pops status >out 2>err &&
	grep -q "^warning: pops.yaml (project file) is modified since the last commit: the evidence the gates read" err &&
	grep -q "^warning: datasets/cap.jsonl (dataset) is modified" err &&
	! grep -q "new.yaml" err &&
	git add -A && git commit -q -m "all of it" &&
	pops status >out 2>err &&
	! grep -q "^warning" err
'

test_expect_success 'bad suites exit 2 with file:line and send nothing' '
	start_fakellm &&
	eval_project &&
	printf "prompt: cap\ndataset: datasets/cap.jsonl\nassert:\n  - {type: containz, value: x}\n" >evals/bad.yaml &&
	test_expect_code 2 pops eval run evals/bad.yaml 2>err &&
	grep -q "error: evals/bad.yaml:4: unknown assertion type .containz. (did you mean .contains.?)" err &&
	printf "prompt: cap\ndataset: datasets/cap.jsonl\nassert:\n  - {type: regex, value: \"(a\"}\n" >evals/bad.yaml &&
	test_expect_code 2 pops eval run evals/bad.yaml 2>err &&
	grep -q "evals/bad.yaml:4: invalid regex .(a.: missing closing parenthesis at offset 2" err &&
	printf "prompt: cap\ndataset: datasets/none.jsonl\n" >evals/bad.yaml &&
	test_expect_code 2 pops eval run evals/bad.yaml 2>err &&
	grep -q "dataset .datasets/none.jsonl. not found" err &&
	printf "{\"city\":\"a\"}\n{\"city\": oops}\n" >datasets/bad.jsonl &&
	test_expect_code 2 pops eval run --dataset datasets/bad.jsonl 2>err &&
	grep -q "datasets/bad.jsonl:2:.*invalid JSON" err &&
	printf "city,expected\nParis,paris\nRome\n" >datasets/bad.csv &&
	test_expect_code 2 pops eval run --dataset datasets/bad.csv 2>err &&
	grep -q "datasets/bad.csv:3: row has 1 fields but the header has 2" err &&
	test "$(fakellm_stat requests)" = 0
'

test_expect_success 'provider errors are errors, not failures: exit 4' '
	start_fakellm &&
	eval_project ", headers: { x-fakellm-fault: \"500\" }, max_concurrency: 4" &&
	test_expect_code 4 pops eval run -j 4 --junit r.xml >out &&
	grep -q "0 passed, 0 failed, 4 errors" out &&
	grep -q "^result: error" out &&
	xmllint --noout --schema "$XSD" r.xml &&
	grep -q "errors=\"4\"" r.xml
'

test_expect_success 'judge: verdicts read, prose is an error, self-judging refused' '
	start_fakellm &&
	eval_project &&
	cat >evals/j.yaml <<-\EOT &&
	prompt: cap
	threshold: 0.5
	tests:
	  - { id: good, vars: { city: Oslo } }
	  - { id: bad, vars: { city: "[[fail]]" } }
	assert:
	  - { type: judge, model: judge, rubric: "names a city" }
	EOT
	pops eval run evals/j.yaml >out &&
	grep -q "2 runs: 1 passed, 1 failed, 0 errors" out &&
	sed -i "s/model: judge/model: chatty/" evals/j.yaml &&
	test_expect_code 4 pops eval run evals/j.yaml >out &&
	grep -q "judge gave no" out &&
	sed -i "s/model: chatty/model: fast/" evals/j.yaml &&
	test_expect_code 2 pops eval run evals/j.yaml 2>err &&
	grep -q "is the model under test" err
'

test_expect_success 'dry run: plan and estimate, nothing sent' '
	start_fakellm &&
	eval_project &&
	pops eval run --dry-run --repeat 2 >out &&
	grep -q "evals/cap.yaml on fast (m-1): 4 cases x 2 = 8 requests" out &&
	grep -q "~2048 output tokens, estimated" out &&
	test "$(fakellm_stat requests)" = 0
'

test_expect_success 'one case is "1 run", "1 case" and "1 request" (t0716: "1 error")' '
	start_fakellm &&
	eval_project &&
	pops eval run --dry-run --filter "^fr$" >out &&
	grep -q "evals/cap.yaml on fast (m-1): 1 case x 1 = 1 request," out &&
	pops eval run --no-store --filter "^fr$" >out &&
	grep -q "^  1 run: 1 passed, 0 failed, 0 errors; 0 cached, 1 sent$" out
'

test_expect_success 'shards merge into the same result as one run' '
	start_fakellm &&
	eval_project &&
	pops eval run --no-store --json all.json >/dev/null &&
	pops eval run --shard 1/2 --json p1.json >/dev/null &&
	pops eval run --shard 2/2 --json p2.json >/dev/null &&
	pops eval merge p1.json p2.json --junit m.xml --json m.json >out &&
	grep -q "4 runs: 3 passed, 1 failed, 0 errors" out &&
	xmllint --noout --schema "$XSD" m.xml &&
	python3 -c "import json; a=json.load(open(\"all.json\")); m=json.load(open(\"m.json\")); assert sorted(c[\"id\"] for c in a[\"cases\"])==sorted(c[\"id\"] for c in m[\"cases\"])" &&
	test_expect_code 2 pops eval merge out 2>err &&
	grep -q "not a pops eval JSON report" err
'

test_expect_success 'two models side by side; repeat gives pass@k' '
	start_fakellm &&
	eval_project &&
	pops eval run --model fast,slow --repeat 2 --no-store >out &&
	grep -q "cap.prompt\|cap on slow (m-2)" out &&
	grep -q "flips vs first model" out &&
	grep -q "pass@2" out
'

test_expect_success 'baseline: flips and McNemar against an older revision' '
	start_fakellm &&
	eval_project &&
	printf -- "---\nmodel: fast\n---\nCity {{city}}\n" >prompts/cap.prompt &&
	git commit -q -am "worse prompt" &&
	test_expect_code 1 pops eval run --no-store --baseline HEAD~1 --md r.md >out &&
	grep -q "baseline HEAD~1 (run): 3 newly failing, 0 newly passing of 4 paired" out &&
	grep -q "Baseline HEAD~1" r.md
'

test_expect_success 'interrupt: exit 130, reports marked incomplete' '
	start_fakellm --latency 3000 &&
	eval_project &&
	{ "$POPS_BIN" eval run -j 1 --junit r.xml --json r.json >out 2>err & pid=$!; } &&
	sleep 1 && kill -INT $pid &&
	test_expect_code 130 wait $pid &&
	grep -q "result: interrupted" out &&
	xmllint --noout --schema "$XSD" r.xml &&
	grep -q "name=\"incomplete\" value=\"true\"" r.xml &&
	grep -q "\"complete\":false" r.json
'

test_expect_success 'max-cost stops early: incomplete, exit 1' '
	start_fakellm &&
	eval_project &&
	test_expect_code 1 pops eval run -j 1 --max-cost 0.00001 >out &&
	grep -q "result: incomplete: stopped by --max-cost" out
'

test_expect_success 'a huge model output is a per-case error; reports stay valid' '
	start_fakellm --huge-size 20000000 &&
	eval_project ", headers: { x-fakellm-fault: huge }" &&
	test_expect_code 4 pops eval run --junit r.xml >out &&
	xmllint --noout --schema "$XSD" r.xml &&
	grep -q "4 errors" out
'

test_done
