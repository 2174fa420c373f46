#!/bin/sh
# similar / not-similar end to end: tests/fakellm echoes the prompt and
# embeds texts as hashed character trigrams, so a text near the expected
# one is similar and an unrelated one is not. Embeddings are batched (many
# inputs per request), cached like responses, and the expected side is
# embedded once per run.
. "$(dirname "$0")/lib.sh"

# sim_project [embeddings-line]: an echo prompt and a suite of similar rows
sim_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	  local: { type: ollama, base_url: "$FAKELLM_URL" }
	models:
	  fast: { provider: fake, id: m-1 }
	  emb: { provider: fake, id: text-embedding-3-small }
	  oemb: { provider: local, id: nomic-embed-text }
	pricing:
	  m-1: { input: 0, output: 0 }
	  text-embedding-3-small: { input: 20000, output: 0 }
	${1-embeddings: emb}
	EOT
	printf -- "---\nmodel: fast\n---\n{{{text}}}\n" >prompts/echo.prompt &&
	cat >evals/sim.yaml <<-\EOT &&
	prompt: echo
	threshold: 0
	tests:
	  - { id: near-pass, vars: { text: "The capital of France is Paris." }, expected: "the capital of France is Paris", assert: [ { type: similar } ] }
	  - { id: far-fail, vars: { text: "Bananas are yellow fruit." }, expected: "the capital of France is Paris", assert: [ { type: similar } ] }
	  - { id: not-pass, vars: { text: "Bananas are yellow fruit." }, assert: [ { type: not-similar, value: "the capital of France is Paris" } ] }
	  - { id: not-fail, vars: { text: "the capital of France is Paris" }, assert: [ { type: not-similar, value: "The capital of France is Paris!" } ] }
	  - { id: low-threshold-pass, vars: { text: "Paris is the capital" }, expected: "the capital of France is Paris", assert: [ { type: similar, threshold: 0.3 } ] }
	  - { id: ollama-pass, vars: { text: "The capital of France is Paris." }, expected: "the capital of France is Paris", assert: [ { type: similar, model: oemb } ] }
	EOT
	git add -A && git commit -q -m "similar suite"
}

# statuses FILE: "id status" per case of a JSON report, sorted
statuses() {
	python3 -c 'import json,sys
for c in sorted(json.load(open(sys.argv[1]))["cases"], key=lambda c: (c["id"], c["repeat"])):
    print(c["id"], c["status"])' "$1"
}

# embed_stat KEY: requests or inputs fakellm's embeddings endpoints saw
embed_stat() {
	fakellm_get /__embed_stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

test_expect_success 'similar and not-similar: each -pass row passes and each -fail row fails' '
	start_fakellm &&
	sim_project &&
	pops eval run --json r.json >out &&
	grep -q "6 runs: 4 passed, 2 failed, 0 errors" out &&
	statuses r.json >got &&
	sed -n "s/^\(.*-\(pass\|fail\)\) .*/\1 \2/p" got >want &&
	test_cmp want got
'

test_expect_success 'the reason says the similarity; the score of similar is the similarity' '
	start_fakellm &&
	sim_project &&
	pops eval run --json r.json >/dev/null &&
	python3 -c "
import json, re
d = {c[\"id\"]: c for c in json.load(open(\"r.json\"))[\"cases\"]}
a = d[\"far-fail\"][\"asserts\"][0]
assert re.match(r\"cosine similarity 0\.\d\d to .the capital of France is Paris., below the threshold 0\.8$\", a[\"reason\"]), a
assert a[\"score\"] < 0.5, a
n = d[\"near-pass\"][\"asserts\"][0]
assert n[\"pass\"] and 0.8 <= n[\"score\"] <= 1 and n[\"reason\"].startswith(\"cosine similarity 0.\"), n
assert d[\"not-fail\"][\"asserts\"][0][\"reason\"].endswith(\", at or above the threshold 0.8\")
"
'

test_expect_success 'embeddings are batched: one request per model for the whole run, every distinct text once' '
	start_fakellm &&
	sim_project &&
	pops eval run --no-cache --repeat 3 >out &&
	grep -q "18 runs: 12 passed, 6 failed, 0 errors" out &&
	embed_stat requests >requests && echo 2 >want && test_cmp want requests &&
	embed_stat inputs >inputs && echo 7 >want && test_cmp want inputs
'

test_expect_success 'the expected side is embedded once per run; a second run is answered by the cache' '
	start_fakellm &&
	sim_project &&
	i=1 &&
	while [ $i -le 300 ]; do
		echo "{\"id\":\"c$i\",\"vars\":{\"text\":\"row number $i of many\"},\"expected\":\"row number of many\"}" || return 1
		i=$((i + 1))
	done >rows.jsonl &&
	printf "prompt: echo\ndataset: rows.jsonl\nthreshold: 0\nassert:\n  - { type: similar, threshold: 0.5 }\n" >evals/rows.yaml &&
	git add -A && git commit -q -m rows &&
	pops eval run evals/rows.yaml --json r.json >out &&
	grep -q "300 runs: 300 passed" out &&
	embed_stat inputs >inputs && echo 301 >want && test_cmp want inputs &&
	embed_stat requests >requests && echo 3 >want && test_cmp want requests &&
	curl -s "$FAKELLM_URL/__reset" >/dev/null &&
	pops eval run evals/rows.yaml >out2 &&
	grep -q "300 runs: 300 passed" out2 &&
	embed_stat requests >requests && echo 0 >want && test_cmp want requests
'

test_expect_success 'embeddings are costed at the model price' '
	start_fakellm &&
	sim_project &&
	printf "prompt: echo\nthreshold: 0\ntests:\n  - { vars: { text: abcdefgh }, expected: abcdefgh, assert: [ { type: similar } ] }\n" >evals/one.yaml &&
	git add -A && git commit -q -m one &&
	pops eval run evals/one.yaml --no-cache --json r.json >out &&
	python3 -c "
import json
s = json.load(open(\"r.json\"))[\"summary\"][0]
# abcdefgh is 2 tokens, embedded once at 20000 USD per million tokens
assert abs(s[\"cost_spent_usd\"] - 0.04) < 1e-9, s
"
'

test_expect_success 'an embeddings error is an error result naming the provider message' '
	start_fakellm &&
	sim_project &&
	printf "prompt: echo\nthreshold: 0\ntests:\n  - { id: bad, vars: { text: \"x [[embed-error]]\" }, expected: y, assert: [ { type: similar } ] }\n" >evals/bad.yaml &&
	git add -A && git commit -q -m bad &&
	test_expect_code 4 pops eval run evals/bad.yaml --json r.json >out &&
	grep -q "1 run: 0 passed, 0 failed, 1 error" out &&
	grep -q "ERROR bad: embeddings: fakellm: embeddings input refused" out
'

test_expect_success 'without a model nor pops.yaml embeddings: refused before anything is sent' '
	start_fakellm &&
	sim_project "" &&
	test_expect_code 2 pops eval run evals/sim.yaml 2>err &&
	grep -q "evals/sim.yaml:[0-9]*: .similar. needs an embeddings model: give it .model: <alias>. or set .embeddings: <alias>. in pops.yaml" err &&
	test "$(fakellm_stat requests)" = 0
'

test_expect_success 'an embeddings model on a provider without embeddings is refused' '
	start_fakellm &&
	sim_project &&
	cat >>pops.yaml <<-EOT &&
	  claude: { provider: ant, id: claude-x }
	EOT
	python3 - <<-\EOP &&
	import re
	t = open("pops.yaml").read()
	t = t.replace("providers:\n", "providers:\n  ant: { type: anthropic, base_url: \"http://127.0.0.1:9\" }\n")
	t = re.sub(r"(?m)^  claude:.*\n", "", t)
	t = t.replace("models:\n", "models:\n  claude: { provider: ant, id: claude-x }\n")
	open("pops.yaml", "w").write(t)
	EOP
	printf "prompt: echo\nthreshold: 0\ntests:\n  - { vars: { text: a }, expected: a, assert: [ { type: similar, model: claude } ] }\n" >evals/ant.yaml &&
	git add -A && git commit -q -m ant &&
	test_expect_code 2 pops eval run evals/ant.yaml 2>err &&
	grep -q "the embeddings model .claude. is on provider .ant. of type anthropic, which has no embeddings endpoint" err
'

test_expect_success 'a bad threshold is refused with file:line' '
	start_fakellm &&
	sim_project &&
	printf "prompt: echo\ntests:\n  - { vars: { text: a }, assert: [ { type: similar, value: a, threshold: 2 } ] }\n" >evals/th.yaml &&
	git add -A && git commit -q -m th &&
	test_expect_code 2 pops eval run evals/th.yaml 2>err &&
	grep -q "evals/th.yaml:3: .similar. .threshold. must be a number from -1 to 1" err
'


test_expect_success 'the embeddings model is part of the evidence fingerprint' '
	start_fakellm &&
	sim_project &&
	pops eval run evals/sim.yaml >/dev/null &&
	git notes --ref=pops show HEAD >note1 &&
	sed -i "s/id: text-embedding-3-small/id: text-embedding-3-large/" pops.yaml &&
	git commit -qam "larger embeddings" &&
	pops eval run evals/sim.yaml >/dev/null &&
	git notes --ref=pops show HEAD >note2 &&
	sed -n "s/.*\"fingerprint\":\"\([0-9a-f]*\)\".*/\1/p" note1 >fp1 &&
	sed -n "s/.*\"fingerprint\":\"\([0-9a-f]*\)\".*/\1/p" note2 >fp2 &&
	test -s fp1 &&
	! test_cmp fp1 fp2 &&
	grep -q "embeddings:text-embedding-3-large" note2
'

test_done
