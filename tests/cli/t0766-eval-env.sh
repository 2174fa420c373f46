#!/bin/sh
# pops eval run --env (issue 20, provider drift): evaluate exactly what an
# environment serves (its released prompt blob, partials and model,
# whatever the work tree and the aliases say today) on the suite's golden
# dataset; during a rollout ~canary and ~stable pick a side. The evidence
# names the env and is kept as a series (nightly reruns), not replaced.
. "$(dirname "$0")/lib.sh"

# echo@1 ("Echo:") released to prod; echo@2 ("Repeat:") its 50% canary;
# then the alias fast moves to m-2 and the work tree changes again
env_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	environments:
	  - name: prod
	    require: { suites: [evals/echo.yaml] }
	EOT
	mkdir -p datasets &&
	printf "Be brief." >prompts/_style.prompt &&
	printf -- "---\nmodel: fast\n---\n{{> style}} Echo: {{word}}\n" >prompts/echo.prompt &&
	printf "{\"id\":\"c1\",\"vars\":{\"word\":\"apple\"},\"expected\":\"apple\"}\n" >datasets/echo.jsonl &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 1.0\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m "echo suite" &&
	pops eval run >/dev/null &&
	pops promote prod echo >/dev/null &&
	printf -- "---\nmodel: fast\n---\n{{> style}} Repeat: {{word}}\n" >prompts/echo.prompt &&
	git commit -q -am "echo v2" &&
	pops eval run >/dev/null &&
	pops promote prod echo --canary 50 >/dev/null &&
	sed -i "s/id: m-1/id: m-2/" pops.yaml &&
	printf "Be verbose." >prompts/_style.prompt &&
	printf -- "---\nmodel: fast\n---\n{{> style}} Say: {{word}}\n" >prompts/echo.prompt &&
	git commit -q -am "echo v3, fast is m-2"
}

test_expect_success '--env prod: the released closure runs, not the work tree or today'\''s alias' '
	start_fakellm &&
	env_project &&
	pops eval run evals/echo.yaml --env prod --json rep.json >out &&
	git cat-file blob refs/pops/releases:prod/echo.json >entry &&
	python3 - <<-\EOP
	import json
	r = json.load(open("rep.json"))
	s, c = r["summary"][0], r["cases"][0]
	assert s["model_id"] == "m-1" and s["passed"] == 1, s
	assert "Be brief. Echo: apple" in c["output"], c["output"]
	EOP
'

test_expect_success '--env prod~canary and ~stable pick a side of the rollout' '
	start_fakellm &&
	env_project &&
	pops eval run evals/echo.yaml --env prod~canary --json canary.json >out &&
	pops eval run evals/echo.yaml --env prod~stable --json stable.json >out &&
	python3 - <<-\EOP
	import json
	canary = json.load(open("canary.json"))["cases"][0]["output"]
	stable = json.load(open("stable.json"))["cases"][0]["output"]
	assert "Be brief. Repeat: apple" in canary, canary
	assert "Be brief. Echo: apple" in stable, stable
	EOP
'

test_expect_success '--env: evidence for the closure with the env, nightly reruns kept side by side' '
	start_fakellm &&
	env_project &&
	pops eval run evals/echo.yaml --env prod~stable >/dev/null &&
	git cat-file blob refs/pops/releases:prod/echo.json >entry &&
	git notes --ref=pops show HEAD >note1 &&
	sleep 1 &&
	pops eval run evals/echo.yaml --env prod~stable --no-cache >/dev/null &&
	git notes --ref=pops show HEAD >note2 &&
	python3 - <<-\EOP
	import json
	blob = json.load(open("entry"))["blob"]
	one = [r for r in json.load(open("note1"))["results"] if r.get("env")]
	two = [r for r in json.load(open("note2"))["results"] if r.get("env")]
	assert len(one) == 1 and len(two) == 2, (one, two)
	r = one[0]
	assert r["env"] == "prod~stable" and r["kind"] == "complete", r
	assert r["prompt_blob"] == blob and r["model"] == "m-1", r
	assert two[0]["fingerprint"] == two[1]["fingerprint"], two
	EOP
'

test_expect_success '--env: an unknown env, or with --prompt, is refused before anything is sent' '
	start_fakellm &&
	env_project &&
	before=$(fakellm_stat requests) &&
	test_expect_code 2 pops eval run evals/echo.yaml --env nowhere 2>err &&
	grep -q "env nowhere: no such environment in pops.yaml" err &&
	test_expect_code 2 pops eval run evals/echo.yaml --env prod --prompt echo@1 2>err &&
	grep -q -- "--env and --prompt cannot be used together" err &&
	test "$(fakellm_stat requests)" = "$before"
'

test_done
