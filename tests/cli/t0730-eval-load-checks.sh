#!/bin/sh
# pops eval run checks what it can before the first request: a wrong row,
# assertion value, alias, baseline, key or cassette is exit 2, with
# file:line, and the fake server receives nothing; nothing is stored.
. "$(dirname "$0")/lib.sh"

# load_project: a faq prompt with a required input, wired to this case's fakellm
load_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	  keyed: { type: openai, base_url: "$FAKELLM_URL/v1", api_key_env: POPS_T0730_KEY }
	models:
	  fast: { provider: fake, id: m-1 }
	  keyed: { provider: keyed, id: m-1 }
	  judge: { provider: fake, id: fake-judge-1 }
	  keyjudge: { provider: keyed, id: fake-judge-2 }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\ninput:\n  schema:\n    question: string\n    lang?: string\n    topic?: string\n---\nQ: {{question}}{{#if lang}} in {{lang}}{{/if}} {{topic}}\n" >prompts/faq.prompt &&
	cat >datasets/faq.jsonl <<-\EOT &&
	{"id":"ok","vars":{"question":"why","topic":"sky"},"expected":"why"}
	{"id":"ok2","vars":{"question":"how","topic":"sea","lang":"fr"},"expected":"how"}
	EOT
	cat >evals/faq.yaml <<-\EOT &&
	prompt: faq
	dataset: datasets/faq.jsonl
	assert:
	  - { type: icontains, value: "{{expected}}" }
	EOT
	git add -A && git commit -q -m "faq suite"
}

# no request reached the fake server, and no evidence was written
nothing_sent() {
	test "$(fakellm_stat requests)" = 0 &&
	test_must_fail git notes --ref=pops show HEAD 2>/dev/null
}

test_expect_success 'the suite as written passes (the cases below each break one thing)' '
	start_fakellm &&
	load_project &&
	pops eval run --no-store >out &&
	grep -q "2 runs: 2 passed" out
'

test_expect_success 'a row lacking a required input field: exit 2 naming the row, nothing sent' '
	start_fakellm &&
	load_project &&
	echo "{\"id\":\"noq\",\"vars\":{\"questoin\":\"what\",\"topic\":\"x\"},\"expected\":\"what\"}" >>datasets/faq.jsonl &&
	git commit -q -am "a row without question" &&
	test_expect_code 2 pops eval run --junit r.xml >out 2>err &&
	test_cmp - err <<-\EOT &&
	error: datasets/faq.jsonl:3: row '"'"'noq'"'"' lacks '"'"'question'"'"' (did you mean '"'"'questoin'"'"'?)
	EOT
	test ! -e r.xml &&
	nothing_sent
'

test_expect_success 'a row lacking a variable the template reads outside a guard: exit 2' '
	start_fakellm &&
	load_project &&
	echo "{\"id\":\"notopic\",\"vars\":{\"question\":\"what\",\"topc\":\"x\"},\"expected\":\"what\"}" >>datasets/faq.jsonl &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "^error: datasets/faq.jsonl:3: row .notopic. lacks .topic. (did you mean .topc.?)$" err &&
	nothing_sent
'

test_expect_success 'a variable only read under #if may be missing; suite vars and defaults count' '
	start_fakellm &&
	load_project &&
	printf "prompt: faq\nvars: { topic: general }\ntests:\n  - { id: inline, vars: { question: q } }\nassert:\n  - { type: contains, value: Q }\n" >evals/inline.yaml &&
	git add evals/inline.yaml && git commit -q -m inline &&
	pops eval run --no-store evals/inline.yaml >out &&
	grep -q "1 run: 1 passed" out &&
	fakellm_get /__reset >/dev/null &&
	printf "prompt: faq\ntests:\n  - { id: inline, vars: { question: q } }\n" >evals/inline.yaml &&
	test_expect_code 2 pops eval run evals/inline.yaml 2>err &&
	grep -q "^error: evals/inline.yaml:3: row .inline. lacks .topic.$" err &&
	nothing_sent
'

test_expect_success 'a row whose vars break the input schema: exit 2 before any request' '
	start_fakellm &&
	load_project &&
	echo "{\"id\":\"num\",\"vars\":{\"question\":7,\"topic\":\"x\"},\"expected\":\"7\"}" >>datasets/faq.jsonl &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "^error: datasets/faq.jsonl:3: row .num.: .*input.question: expected a string, got number" err &&
	nothing_sent
'

test_expect_success 'an assertion value that reads what a row lacks, or a regex invalid for one row: exit 2' '
	start_fakellm &&
	load_project &&
	echo "{\"id\":\"noexp\",\"vars\":{\"question\":\"what\",\"topic\":\"x\"}}" >>datasets/faq.jsonl &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "^error: datasets/faq.jsonl:3: row .noexp.: .icontains. value .{{expected}}. (evals/faq.yaml:4) reads .expected., which the row lacks$" err &&
	sed -i "\$d" datasets/faq.jsonl &&
	echo "{\"id\":\"paren\",\"vars\":{\"question\":\"(a\",\"topic\":\"x\"},\"expected\":\"(a\"}" >>datasets/faq.jsonl &&
	printf "  - { type: regex, value: \"^Q: {{expected}}\" }\n" >>evals/faq.yaml &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "^error: datasets/faq.jsonl:3: row .paren.: regex .^Q: {{expected}}. (evals/faq.yaml:5) becomes .^Q: (a., which is invalid: missing closing parenthesis" err &&
	nothing_sent
'

test_expect_success 'with several suites, a bad row in the last fails before the first runs' '
	start_fakellm &&
	load_project &&
	printf "prompt: faq\ntests:\n  - { id: t1, vars: { question: q, topic: t } }\n  - { id: t2, vars: { question: q } }\n" >evals/zz.yaml &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "^error: evals/zz.yaml:4: row .t2. lacks .topic.$" err &&
	nothing_sent
'

test_expect_success 'an unknown judge model: exit 2 at its line, nothing sent' '
	start_fakellm &&
	load_project &&
	printf "  - { type: judge, model: jduge, rubric: r }\n" >>evals/faq.yaml &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "^error: evals/faq.yaml:5: unknown model .jduge. (did you mean .judge.?)" err &&
	nothing_sent
'

test_expect_success 'an alias typo is named where it was written: --model, the suite' '
	start_fakellm &&
	load_project &&
	cp evals/faq.yaml evals/second.yaml &&
	test_expect_code 2 pops eval run --model fats evals/faq.yaml 2>err &&
	grep -q "^error: --model fats: unknown model .fats. (did you mean .fast.?)" err &&
	test_expect_code 2 pops eval run --model fast,fats 2>err &&
	grep -q "^error: --model fats: unknown model .fats." err &&
	printf "model: fsat\n" >>evals/second.yaml &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "^error: evals/second.yaml:5: unknown model .fsat. (did you mean .fast.?)" err &&
	nothing_sent
'

test_expect_success 'a missing API key variable: one message naming it, once, exit 2, nothing stored' '
	start_fakellm &&
	load_project &&
	unset POPS_T0730_KEY &&
	test_expect_code 2 pops eval run --model keyed --junit r.xml >out 2>err &&
	test_cmp - err <<-\EOT &&
	error: environment variable POPS_T0730_KEY is not set (provider '"'"'keyed'"'"' of model '"'"'keyed'"'"' reads its API key from it)
	EOT
	test_must_be_empty out &&
	test ! -e r.xml &&
	printf "  - { type: judge, model: keyjudge, rubric: r }\n" >>evals/faq.yaml &&
	git commit -q -am "a judge with a key" &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "^error: judge: environment variable POPS_T0730_KEY is not set (provider .keyed. of model .keyjudge." err &&
	test $(wc -l <err) = 1 &&
	nothing_sent &&
	POPS_T0730_KEY=k-123 pops eval run --no-store >out 2>err &&
	grep -q "2 runs: 2 passed" out
'

test_expect_success '--replay without the cassette: exit 2 once, before any case' '
	start_fakellm &&
	load_project &&
	cp evals/faq.yaml evals/second.yaml &&
	pops eval run --record --no-store evals/faq.yaml >/dev/null &&
	fakellm_get /__reset >/dev/null &&
	test_expect_code 2 pops eval run --replay >out 2>err &&
	grep -q "^error: evals/second.yaml: cassette .*second.cassette.jsonl. does not exist; record it first with --record$" err &&
	test $(wc -l <err) = 1 &&
	test_must_be_empty out &&
	nothing_sent
'

test_expect_success 'a replay provider without its cassette: exit 2 once, before any case' '
	start_fakellm &&
	load_project &&
	sed -i "s|^providers:|providers:\n  taped: { type: replay, cassette: tapes/none.jsonl }|; s|^models:|models:\n  taped: { provider: taped, id: m-1 }|" pops.yaml &&
	git commit -q -am taped &&
	test_expect_code 2 pops eval run --model taped >out 2>err &&
	test_cmp - err <<-\EOT &&
	error: provider '"'"'taped'"'"': cassette '"'"'tapes/none.jsonl'"'"' does not exist; record it first with --record
	EOT
	test_must_be_empty out &&
	nothing_sent
'

# baseline_project: echo released to prod with --from HEAD; faq added after
baseline_project() {
	load_project &&
	printf -- "---\nmodel: fast\n---\nEcho: {{w}}\n" >prompts/echo.prompt &&
	printf "prompt: echo\nthreshold: 1.0\ntests:\n  - { id: a, vars: { w: hi } }\nassert:\n  - { type: contains, value: hi }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m echo &&
	git rm -q prompts/faq.prompt evals/faq.yaml && git commit -q -m "no faq yet" &&
	pops promote prod --from HEAD --force -m test echo >/dev/null &&
	git revert --no-edit HEAD >/dev/null
}

test_expect_success '--baseline typo: exit 2 before anything is sent' '
	start_fakellm &&
	baseline_project &&
	test_expect_code 2 pops eval run --baseline prdo 2>err &&
	grep -q "^error: --baseline .prdo. is neither an environment in pops.yaml (did you mean .prod.?) nor a git revision$" err &&
	test_expect_code 2 pops eval run --dry-run --baseline HEAD~99 2>err &&
	grep -q "^error: --baseline .HEAD~99. is neither" err &&
	nothing_sent
'

test_expect_success '--baseline prod with a new prompt: a note, the others compare, exit by threshold' '
	start_fakellm &&
	baseline_project &&
	pops eval run --baseline prod --md r.md --json r.json >out &&
	grep -q "^  faq: no baseline in prod (new prompt)$" out &&
	grep -q "baseline prod (run): 0 newly failing, 0 newly passing of 1 paired" out &&
	grep -q "^result: pass: 2 suite runs" out &&
	grep -q "faq: no baseline in prod (new prompt)" r.md &&
	python3 -c "import json; d=json.load(open(\"r.json\")); b=[g[\"baseline\"] for g in d[\"summary\"] if g[\"suite\"]==\"evals/faq.yaml\"][0]; assert b[\"source\"]==\"none\", b" &&
	git notes --ref=pops show HEAD >note &&
	grep -q "evals/faq.yaml" note &&
	pops eval run --no-store --baseline HEAD~1 evals/faq.yaml >out &&
	grep -q "^  faq: no baseline at HEAD~1 (new prompt)$" out
'

test_expect_success 'pairwise with a new prompt: left out with the note, not an error' '
	start_fakellm &&
	baseline_project &&
	printf "  - { type: pairwise, model: judge }\n" >>evals/faq.yaml &&
	git commit -q -am pairwise &&
	pops eval run --no-store --baseline prod evals/faq.yaml >out &&
	grep -q "^  faq: no baseline in prod (new prompt)$" out &&
	grep -q "2 runs: 2 passed" out &&
	test "$(fakellm_stat requests)" = 2
'

test_done
