#!/bin/sh
# Promotion gates and eval evidence on real runs against tests/fakellm:
# the gate takes only complete evidence with the full fingerprint of the
# release (prompt, partials, model and config, suite, dataset, judges,
# exec scripts), says what changed when the evidence is older, refuses
# partial runs, and reports an outage as provider failures, not a fail.
. "$(dirname "$0")/lib.sh"

# a project whose prompt `echo` uses the partial _style; fakellm echoes
# the prompt, so every case passes; staging requires evals/echo.yaml
gate_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" ${1:-} }
	models:
	  fast: { provider: fake, id: m-1, config: { max_tokens: 200 } }
	  judge: { provider: fake, id: fake-judge-1 }
	environments:
	  - name: dev
	  - name: staging
	    require: { suites: [evals/echo.yaml] }
	EOT
	mkdir -p datasets &&
	printf "Be brief." >prompts/_style.prompt &&
	printf -- "---\nmodel: fast\n---\n{{> style}} Echo: {{word}}\n" >prompts/echo.prompt &&
	cat >datasets/echo.jsonl <<-\EOT &&
	{"id":"c1","vars":{"word":"apple"},"expected":"apple"}
	{"id":"c2","vars":{"word":"pear"},"expected":"pear"}
	{"id":"c3","vars":{"word":"fig"},"expected":"fig"}
	{"id":"c4","vars":{"word":"plum"},"expected":"plum"}
	EOT
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 1.0\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m "echo suite" &&
	pops promote dev >/dev/null
}

# refused <what>: promote staging is refused (exit 1), the reason holding
# <what>, the fix the plain suite run, and the ledger left alone
refused() {
	before=$(git rev-parse --verify -q refs/pops/releases) &&
	test_expect_code 1 pops promote staging echo 2>err &&
	grep -q -- "$1" err &&
	grep -q "to satisfy: pops eval run evals/echo.yaml$" err &&
	test "$(git rev-parse --verify -q refs/pops/releases)" = "$before"
}

# kinds: the kind of every result in HEAD's note, sorted, one a line
kinds() {
	git notes --ref=pops show HEAD | python3 -c "
import json, sys
for k in sorted(r[\"kind\"] + (\" \" + \",\".join(r.get(\"partial_reasons\", [])) if r[\"kind\"] == \"partial\" else \"\")
                for r in json.load(sys.stdin)[\"results\"]):
    print(k)"
}

DATE_RE="[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]"

test_expect_success 'complete evidence of the exact release promotes; the note keeps every field' '
	start_fakellm &&
	gate_project &&
	refused "requires a passing eval of echo@1 with evals/echo.yaml on m-1: none recorded" &&
	pops eval run >out &&
	grep -q "4 runs: 4 passed" out &&
	git notes --ref=pops show HEAD >note &&
	python3 - <<-\EOP &&
	import json
	r = json.load(open("note"))["results"][0]
	for k in ("prompt_blob", "partial_blobs", "provider_type", "model", "model_config", "suite",
	          "suite_blob", "dataset", "dataset_blob", "judge_model", "judge_config",
	          "judge_prompt_blob", "exec_blobs", "scoring_version", "fingerprint"):
	    assert k in r, k
	assert r["kind"] == "complete" and "partial_reasons" not in r, r
	assert r["partial_blobs"] == {"style": r["partial_blobs"]["style"]}, r
	assert r["model_config"] == {"max_tokens": 200} and r["provider_type"] == "openai", r
	assert (r["passed"], r["failed"], r["errors"]) == (4, 0, 0), r
	EOP
	pops promote staging echo >out &&
	grep -q "promoted echo@1 to staging" out &&
	git show -s --format=%B refs/pops/releases >msg &&
	grep -qx "Pops-Evidence: $(python3 -c "import json; print(json.load(open(\"note\"))[\"results\"][0][\"fingerprint\"])")" msg
'

test_expect_success 'a changed dataset: the old evidence does not count, the refusal names it' '
	start_fakellm &&
	gate_project &&
	pops eval run >/dev/null &&
	echo "{\"id\":\"c5\",\"vars\":{\"word\":\"kiwi\"},\"expected\":\"kiwi\"}" >>datasets/echo.jsonl &&
	git commit -q -am "harder dataset" &&
	refused "with evals/echo.yaml on m-1: the dataset datasets/echo.jsonl changed since the evidence of $DATE_RE$" &&
	pops eval run >/dev/null &&
	pops promote staging echo >out &&
	grep -q "promoted echo@1 to staging" out
'

test_expect_success 'a changed partial: the new closure needs its own evidence' '
	start_fakellm &&
	gate_project &&
	pops eval run >/dev/null &&
	printf "Be very brief." >prompts/_style.prompt &&
	git commit -q -am "style 2" &&
	pops promote dev >/dev/null &&
	refused "with evals/echo.yaml on m-1: partial _style changed since the evidence of $DATE_RE$" &&
	pops eval run >/dev/null &&
	pops promote staging echo >out &&
	grep -q "promoted echo@1 to staging" out
'

test_expect_success 'a changed model config in pops.yaml names the key' '
	start_fakellm &&
	gate_project &&
	pops eval run >/dev/null &&
	sed -i "s/max_tokens: 200/max_tokens: 300/" pops.yaml &&
	git commit -q -am "more tokens" &&
	pops promote dev >/dev/null &&
	refused "model config changed (max_tokens) since the evidence of" &&
	pops eval run >/dev/null &&
	pops promote staging echo >/dev/null
'

test_expect_success 'a changed judge prompt file, or exec script, invalidates the evidence' '
	start_fakellm &&
	gate_project &&
	mkdir -p judges checks &&
	printf -- "---\nconfig: { temperature: 0 }\n---\nGrade {{output}} by {{rubric}}. {{format}}\n" >judges/strict.prompt &&
	printf "#!/bin/sh\nexit 0\n" >checks/ok.sh && chmod +x checks/ok.sh &&
	cat >>evals/echo.yaml <<-\EOT &&
	  - { type: judge, model: judge, rubric: echoes, prompt: judges/strict.prompt }
	  - { type: exec, command: [checks/ok.sh] }
	EOT
	git add -A && git commit -q -m "judge and exec" &&
	pops eval run >out &&
	grep -q "4 runs: 4 passed" out &&
	printf -- "---\nconfig: { temperature: 0 }\n---\nGrade strictly {{output}} by {{rubric}}. {{format}}\n" >judges/strict.prompt &&
	git commit -q -am "stricter judge" &&
	refused "judge prompt changed since the evidence of" &&
	pops eval run >/dev/null &&
	printf "#!/bin/sh\ntrue\n" >checks/ok.sh &&
	git commit -q -am "other check" &&
	refused "exec script checks/ok.sh changed since the evidence of" &&
	pops eval run >/dev/null &&
	pops promote staging echo >/dev/null
'

test_expect_success 'partial runs are recorded as partial, shown as such, and never pass a gate' '
	start_fakellm &&
	gate_project &&
	head -n 2 datasets/echo.jsonl >small.jsonl &&
	pops eval run --dataset small.jsonl >/dev/null &&
	test "$(kinds)" = "partial --dataset small.jsonl" &&
	refused "the evidence of $DATE_RE is partial (--dataset small.jsonl)" &&
	pops eval run --filter "^c[12]$" >/dev/null &&
	refused "the evidence of $DATE_RE is partial (--filter): gates take only complete runs of the suite" &&
	pops prompt log echo >log &&
	grep -q "\[evals/echo.yaml 100% pass, partial: --filter\]" log &&
	pops eval run --threshold 0.5 >/dev/null &&
	refused "is partial (--threshold 0.5)" &&
	pops eval run --repeat 2 >/dev/null &&
	refused "is partial (--repeat 2)" &&
	pops eval run --shard 1/2 >/dev/null &&
	refused "is partial (--shard 1/2)" &&
	printf "%s\n" "partial --dataset small.jsonl" "partial --shard 1/2" >expect &&
	kinds >actual &&
	test_cmp expect actual &&
	# a filter that leaves no case out runs the suite as configured
	pops eval run --filter "^c" >/dev/null &&
	printf "%s\n" complete "partial --dataset small.jsonl" >expect &&
	kinds >actual &&
	test_cmp expect actual &&
	pops promote staging echo >out &&
	grep -q "promoted echo@1 to staging" out
'

test_expect_success 'merged shards are complete evidence; the shard results they cover go' '
	start_fakellm &&
	gate_project &&
	pops eval run --shard 1/2 --json p1.json >/dev/null &&
	pops eval run --shard 2/2 --json p2.json >/dev/null &&
	refused "is partial (--shard 2/2)" &&
	pops eval merge p1.json p2.json >/dev/null 2>err &&
	grep -q "evidence recorded" err &&
	test "$(kinds)" = complete &&
	pops promote staging echo >out &&
	grep -q "promoted echo@1 to staging" out
'

test_expect_success 'an all-error run is reported as provider failures, and never replaces a pass' '
	start_fakellm &&
	gate_project ", headers: { x-fakellm-fault: \"400\" }" &&
	test_expect_code 4 pops eval run >out &&
	grep -q "0 passed, 0 failed, 4 errors" out &&
	test "$(kinds)" = complete &&
	refused "echo@1 errored (provider failures) in the run of $DATE_RE (4 of 4 runs errored): rerun pops eval run evals/echo.yaml" &&
	! grep -q "failed it" err &&
	pops prompt log echo >log &&
	grep -q "\[evals/echo.yaml errored\]" log &&
	# the provider back (the headers are no part of the fingerprint): a pass
	sed -i "s/, headers: { x-fakellm-fault: \"400\" }//" pops.yaml &&
	pops eval run >/dev/null &&
	git checkout -q pops.yaml &&
	test_expect_code 4 pops eval run --no-cache >out 2>err &&
	grep -q "^pops: evals/echo.yaml: an errored run does not replace the pass result of" err &&
	git notes --ref=pops show HEAD >note &&
	grep -q "\"verdict\":\"pass\"" note &&
	! grep -q "\"verdict\":\"error\"" note &&
	pops promote staging echo >out &&
	grep -q "promoted echo@1 to staging" out
'

test_expect_success 'the fix names --prompt when the work tree has another version' '
	start_fakellm &&
	gate_project &&
	printf "  - name: prod\n    require: { from: staging, suites: [evals/echo.yaml] }\n" >>pops.yaml &&
	git commit -q -am "prod" &&
	pops eval run >/dev/null &&
	pops promote staging echo >/dev/null &&
	printf -- "---\nmodel: fast\n---\n{{> style}} Say: {{word}}\n" >prompts/echo.prompt &&
	echo "{\"id\":\"c5\",\"vars\":{\"word\":\"kiwi\"},\"expected\":\"kiwi\"}" >>datasets/echo.jsonl &&
	git commit -q -am "echo 2, harder dataset" &&
	test_expect_code 1 pops promote prod echo 2>err &&
	grep -q "echo@1 with evals/echo.yaml on m-1: the dataset datasets/echo.jsonl changed since" err &&
	grep -q "to satisfy: pops eval run evals/echo.yaml --prompt echo@1$" err &&
	pops eval run evals/echo.yaml --prompt echo@1 >/dev/null &&
	pops promote prod echo >out &&
	grep -q "promoted echo@1 to prod" out
'

test_expect_success 'a missing dataset is exit 2 before anything is sent or written' '
	start_fakellm &&
	gate_project &&
	sed -i "s|datasets/echo.jsonl|datasets/gone.jsonl|" evals/echo.yaml &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "error: evals/echo.yaml: dataset .datasets/gone.jsonl. not found" err &&
	test "$(fakellm_stat requests)" = 0 &&
	test_must_fail git notes --ref=pops show HEAD 2>/dev/null &&
	git checkout -q evals/echo.yaml &&
	printf "  - { type: exec, command: [checks/none.sh] }\n" >>evals/echo.yaml &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "evals/echo.yaml:6: exec program .checks/none.sh. not found" err &&
	test "$(fakellm_stat requests)" = 0 &&
	# with several suites, a bad later one stops the run before the first is sent
	git checkout -q evals/echo.yaml &&
	printf "prompt: echo\ndataset: datasets/gone.jsonl\n" >evals/zz.yaml &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "error: evals/zz.yaml: dataset .datasets/gone.jsonl. not found" err &&
	test "$(fakellm_stat requests)" = 0 &&
	test_must_fail git notes --ref=pops show HEAD 2>/dev/null
'

test_expect_success 'a suite gate on a broken suite is unmet, not a crash; --force records past it' '
	start_fakellm &&
	gate_project &&
	sed -i "s|datasets/echo.jsonl|datasets/gone.jsonl|" evals/echo.yaml &&
	git commit -q -am "break the suite" &&
	test_expect_code 1 pops promote staging echo 2>err &&
	grep -q "whose evidence fingerprint cannot be computed: evals/echo.yaml: dataset .datasets/gone.jsonl. not found" err &&
	pops promote staging echo --force --reason "suite broken upstream" >out 2>/dev/null &&
	grep -q "promoted echo@1 to staging by force" out
'

test_expect_success '--baseline reuses stored evidence only for the exact fingerprint' '
	start_fakellm &&
	gate_project &&
	pops eval run >/dev/null &&
	printf -- "---\nmodel: fast\n---\n{{> style}} Say: {{word}}\n" >prompts/echo.prompt &&
	git commit -q -am "echo 2" &&
	pops eval run --baseline HEAD~1 >out &&
	grep -q "baseline HEAD~1 (evidence)" out &&
	echo "{\"id\":\"c5\",\"vars\":{\"word\":\"kiwi\"},\"expected\":\"kiwi\"}" >>datasets/echo.jsonl &&
	git commit -q -am "harder dataset" &&
	pops eval run --baseline HEAD~2 >out &&
	grep -q "baseline HEAD~2 (run)" out &&
	pops eval run --baseline HEAD~2 >out &&
	grep -q "baseline HEAD~2 (evidence)" out
'

test_expect_success 'prompt diff --evals marks partial results' '
	start_fakellm &&
	gate_project &&
	pops eval run --filter "^c1$" >/dev/null &&
	printf -- "---\nmodel: fast\n---\n{{> style}} Say: {{word}}\n" >prompts/echo.prompt &&
	git commit -q -am "echo 2" &&
	pops eval run >/dev/null &&
	pops prompt diff echo@1 echo@2 --evals >out &&
	grep -q "evals/echo.yaml (m-1): pass rate 100.0% (partial) .* 100.0%$" out &&
	pops prompt diff echo@1 echo@2 --evals --json >d.json &&
	python3 -c "
import json; r = json.load(open(\"d.json\"))[\"evals\"][\"evals/echo.yaml (m-1)\"]
assert (r[\"a_kind\"], r[\"b_kind\"]) == (\"partial\", \"complete\"), r"
'

test_expect_success 'a model upgrade goes dev -> staging -> prod, each gate asking for evidence on the new model' '
	start_fakellm &&
	gate_project &&
	printf "  - name: prod\n    require: { from: staging, suites: [evals/echo.yaml], no_regression: true }\n" >>pops.yaml &&
	git commit -q -am "prod gate" &&
	pops promote dev >/dev/null &&
	pops eval run >/dev/null &&
	pops promote staging >/dev/null && pops promote prod >/dev/null &&
	sed -i "s/id: m-1,/id: m-2,/" pops.yaml &&
	git commit -q -am "pin fast to m-2" &&
	pops status >st &&
	grep -q "^prod  *echo  *@1 .*model m-1 -> m-2" st &&
	pops promote dev >out &&
	grep -q "promoted echo@1 to dev (ledger [0-9a-f]*): model m-1 -> m-2" out &&
	refused "on m-2: model m-1 -> m-2 since the evidence of" &&
	pops eval run --baseline prod >out &&
	grep -q "4 runs: 4 passed" out &&
	grep -q "baseline prod (evidence): 0 newly failing" out &&
	pops promote staging >out &&
	grep -q "promoted echo@1 to staging" out &&
	pops promote prod >out &&
	grep -q "promoted echo@1 to prod" out &&
	git show refs/pops/releases:prod/echo.json >entry &&
	grep -q "\"id\":.*\"m-2\"" entry
'

test_expect_success 'name:env runs on the model it was released with, whatever the alias says now' '
	start_fakellm &&
	gate_project &&
	sed -i "s/id: m-1,/id: m-2,/" pops.yaml &&
	git commit -q -am "pin fast to m-2" &&
	pops eval run --prompt echo:dev --no-store --json r.json >out &&
	python3 -c "
import json; s = json.load(open(\"r.json\"))[\"summary\"][0]
assert s[\"model_id\"] == \"m-1\", s
" &&
	pops eval run --no-store --json r.json >out &&
	python3 -c "
import json; s = json.load(open(\"r.json\"))[\"summary\"][0]
assert s[\"model_id\"] == \"m-2\", s
"
'

test_done
