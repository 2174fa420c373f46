#!/bin/sh
# pops eval run --sample N [--seed S] [--stratify FIELD]: a reproducible
# subset of each suite's cases. The same seed picks the same cases whatever
# the row order; --stratify keeps the field's proportions with at least one
# case per value; the evidence is partial ("sample"), never what a gate takes.
. "$(dirname "$0")/lib.sh"

sample_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	environments:
	  - name: staging
	    require: { suites: [evals/say.yaml] }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nSay {{word}}\n" >prompts/say.prompt &&
	python3 -c "
import json
langs = [\"en\"] * 6 + [\"fr\"] * 4 + [\"de\"] * 2
for i, l in enumerate(langs):
    print(json.dumps({\"id\": \"c%02d\" % i, \"vars\": {\"word\": \"w%d\" % i, \"lang\": l}}))
" >datasets/say.jsonl &&
	printf "prompt: say\ndataset: datasets/say.jsonl\nassert:\n  - { type: icontains, value: \"{{word}}\" }\n" >evals/say.yaml &&
	git add -A && git commit -q -m "say suite"
}

# the ids and langs of the cases a JSON report ran, sorted
ran() {
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
for c in sorted(d[\"cases\"], key=lambda c: c[\"id\"]):
    print(c[\"id\"], c[\"vars\"][\"lang\"])
" "$1"
}

test_expect_success 'stratified: proportions kept, every stratum present, partial evidence' '
	start_fakellm &&
	sample_project &&
	pops eval run --no-cache --sample 4 --seed 7 --stratify lang --json a.json >out &&
	ran a.json >a &&
	test "$(wc -l <a)" = 4 &&
	test "$(grep -c " en$" a)" = 2 &&
	test "$(grep -c " fr$" a)" = 1 &&
	test "$(grep -c " de$" a)" = 1 &&
	test "$(fakellm_stat chat)" = 4 &&
	git notes --ref=pops show HEAD >note &&
	python3 -c "
import json
r = json.load(open(\"note\"))[\"results\"][0]
assert r[\"kind\"] == \"partial\" and r[\"partial_reasons\"] == [\"sample\"], r
assert r[\"cases\"] == 4, r
" &&
	test_expect_code 1 pops promote staging say --dry-run 2>err &&
	grep -q "is partial (sample): gates take only complete runs" err
'

test_expect_success 'the same seed, the same cases, whatever the row order; another seed differs' '
	start_fakellm &&
	sample_project &&
	pops eval run --no-store --sample 5 --seed 3 --stratify lang --json a.json >/dev/null &&
	ran a.json >a &&
	pops eval run --no-store --sample 5 --seed 3 --stratify lang --json b.json >/dev/null &&
	ran b.json >b &&
	test_cmp a b &&
	tac datasets/say.jsonl >rev && mv rev datasets/say.jsonl &&
	pops eval run --no-store --sample 5 --seed 3 --stratify lang --json c.json >/dev/null 2>&1 &&
	ran c.json >c &&
	test_cmp a c &&
	for s in 1 2 4 5 6; do
		pops eval run --no-store --sample 5 --seed $s --stratify lang --json d$s.json >/dev/null 2>&1 &&
		ran d$s.json >d$s || return 1
	done &&
	! { cmp -s a d1 && cmp -s a d2 && cmp -s a d4 && cmp -s a d5 && cmp -s a d6; }
'

test_expect_success 'without --stratify a plain sample; N over the cases is the whole suite' '
	start_fakellm &&
	sample_project &&
	pops eval run --no-cache --sample 3 --json a.json >/dev/null &&
	test "$(ran a.json | wc -l)" = 3 &&
	pops eval run --no-cache --sample 50 --json b.json >/dev/null &&
	test "$(ran b.json | wc -l)" = 12 &&
	git notes --ref=pops show HEAD >note &&
	python3 -c "
import json
k = sorted(r[\"kind\"] for r in json.load(open(\"note\"))[\"results\"])
assert k == [\"complete\"], k
" &&
	pops eval run --dry-run --sample 2 >plan &&
	grep -q "2 cases" plan
'

test_expect_success '--seed or --stratify without --sample is a usage error' '
	start_fakellm &&
	sample_project &&
	test_expect_code 2 pops eval run --seed 3 2>err &&
	grep -q -- "--seed needs --sample N" err &&
	test_expect_code 2 pops eval run --stratify lang 2>err &&
	grep -q -- "--stratify needs --sample N" err &&
	test_expect_code 2 pops eval run --sample 0 2>err &&
	test "$(fakellm_stat chat)" = 0
'

test_done
