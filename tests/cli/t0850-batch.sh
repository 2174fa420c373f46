#!/bin/sh
# pops eval run --batch: the requests go through the providers' Batch APIs
# (tests/fakellm/batch.c, one stage every --batch-ms), results join by
# custom_id, fill the cache, and a killed run resumes its batch instead of
# paying twice. POPS_BATCH_POLL_MS keeps the polling fast.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

POPS_BATCH_POLL_MS=50
POPS_BATCH_POLL_MAX_MS=200
export POPS_BATCH_POLL_MS POPS_BATCH_POLL_MAX_MS

# batch_project [provider-type]: 5 echo cases wired to this case's fakellm
batch_project() {
	eval_project 5 &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1", api_key_env: FK_KEY }
	  anth: { type: anthropic, base_url: "$FAKELLM_URL", api_key_env: FK_KEY }
	  olla: { type: ollama, base_url: "$FAKELLM_URL" }
	models:
	  fast: { provider: fake, id: m-1 }
	  claude: { provider: anth, id: claude-1 }
	  local: { provider: olla, id: llama-1 }
	  judge: { provider: fake, id: fake-judge-1 }
	pricing:
	  m-1: { input: 2, output: 4 }
	  claude-1: { input: 2, output: 4, batch_input: 0.5, batch_output: 1 }
	EOT
	git add -A && git commit -q -m "batch providers"
}

batches() {
	fakellm_get /__batches | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

FK_KEY=sk-batch-secret-1234
export FK_KEY

test_expect_success 'openai: one batch, joined by custom_id, half price, recorded, then all cache hits' '
	start_fakellm --batch-ms 60 --api-key $FK_KEY &&
	batch_project &&
	pops eval run --batch --json r.json >out 2>err &&
	grep -q "5 runs: 5 passed, 0 failed, 0 errors" out &&
	grep -q "batch batch_fk1 (fake): submitted 5 requests" err &&
	grep -q "batch batch_fk1 (fake): completed, 5/5 done, 0 failed" err &&
	test "$(batches submitted)" = 1 &&
	test "$(fakellm_stat chat)" = 0 &&
	python3 -c "
import json
d = json.load(open(\"r.json\"))
s = d[\"summary\"][0]
assert s[\"mode\"] == \"batch\" and s[\"sent\"] == 5, s
for c in d[\"cases\"]:
    assert c[\"batch\"] is True and c[\"output\"].endswith(c[\"expected\"]), c
    # half of input 2 / output 4 per million tokens
    assert abs(c[\"cost_usd\"] - (c[\"input_tokens\"] * 1 + c[\"output_tokens\"] * 2) / 1e6) < 1e-12, c
" &&
	! grep -q "$FK_KEY" .pops/batches.json &&
	grep -q "\"collected\":	true" .pops/batches.json &&
	pops eval run --json r2.json >out2 &&
	grep -q "5 cached, 0 sent" out2 &&
	python3 -c "
import json
d = json.load(open(\"r2.json\"))
assert \"mode\" not in d[\"summary\"][0]
assert all(\"batch\" not in c and c[\"cached\"] for c in d[\"cases\"])
" &&
	test "$(fakellm_stat chat)" = 0
'

test_expect_success 'only what the cache lacks is submitted; errored and expired requests are errors' '
	start_fakellm --batch-ms 40 --api-key $FK_KEY &&
	batch_project &&
	pops eval run --filter "c[12]" >/dev/null &&
	echo "{\"id\":\"bad\",\"vars\":{\"word\":\"BATCHFAIL\"},\"expected\":\"BATCHFAIL\"}" >>datasets/echo.jsonl &&
	echo "{\"id\":\"old\",\"vars\":{\"word\":\"BATCHEXPIRE\"},\"expected\":\"BATCHEXPIRE\"}" >>datasets/echo.jsonl &&
	git commit -q -am "two rows the batch cannot answer" &&
	test_expect_code 4 pops eval run --batch --json r.json >out 2>err &&
	grep -q "submitted 5 requests" err &&
	grep -q "7 runs: 5 passed, 0 failed, 2 errors; 2 cached, 5 sent" out &&
	grep -q "ERROR bad: HTTP 400: fakellm: BATCHFAIL" out &&
	grep -q "ERROR old: batch: expired" out &&
	grep -q "2 of 5 requests failed or expired" err
'

test_expect_success 'anthropic: message batches, pops.yaml batch prices' '
	start_fakellm --batch-ms 40 --api-key $FK_KEY &&
	batch_project &&
	pops eval run --batch --model claude --json r.json >out 2>err &&
	grep -q "5 runs: 5 passed" out &&
	grep -q "batch msgbatch_fk1 (anth): ended, 5/5 done, 0 failed" err &&
	test "$(batches anthropic)" = 1 &&
	python3 -c "
import json
for c in json.load(open(\"r.json\"))[\"cases\"]:
    assert abs(c[\"cost_usd\"] - (c[\"input_tokens\"] * 0.5 + c[\"output_tokens\"] * 1) / 1e6) < 1e-12, c
"
'

test_expect_success 'a killed run resumes its batch: one submission, never paid twice' '
	start_fakellm --batch-ms 400 --api-key $FK_KEY &&
	batch_project &&
	{ "$POPS_BIN" eval run --batch >out1 2>err1 & pid=$!; } &&
	n=0 &&
	while ! grep -q "\"batch_fk1\"" .pops/batches.json 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.05; n=$((n + 1))
	done &&
	kill -9 $pid &&
	{ wait $pid || :; } &&
	test "$(batches submitted)" = 1 &&
	pops eval run --batch >out 2>err &&
	grep -q "batch batch_fk1 (fake): waiting for it" err &&
	! grep -q "submitted 5 requests" err &&
	grep -q "5 runs: 5 passed" out &&
	test "$(batches submitted)" = 1
'

test_expect_success 'Ctrl-C while polling: interrupted (130), the rerun resumes' '
	start_fakellm --batch-ms 300 --api-key $FK_KEY &&
	batch_project &&
	{ "$POPS_BIN" eval run --batch >out1 2>err1 & pid=$!; } &&
	n=0 &&
	while ! grep -q "in_progress\|validating" err1 && [ $n -lt 100 ]; do
		sleep 0.05; n=$((n + 1))
	done &&
	kill -INT $pid &&
	{ wait $pid; echo $? >rc; } &&
	test "$(cat rc)" = 130 &&
	pops eval run --batch >out 2>err &&
	grep -q "5 runs: 5 passed" out &&
	test "$(batches submitted)" = 1
'

test_expect_success 'a bounded number of polls: 130 and how to resume' '
	start_fakellm --batch-ms 5000 --api-key $FK_KEY &&
	batch_project &&
	test_expect_code 130 env POPS_BATCH_MAX_POLLS=2 "$POPS_BIN" eval run --batch >out 2>err &&
	grep -q "still validating after 2 polls: run the same command again to resume" err &&
	test "$(batches polls)" = 2
'

test_expect_success 'past the limit the requests are split into several batches' '
	start_fakellm --batch-ms 30 --api-key $FK_KEY &&
	batch_project &&
	env POPS_BATCH_MAX_REQUESTS=2 "$POPS_BIN" eval run --batch >out 2>err &&
	grep -q "5 runs: 5 passed" out &&
	test "$(batches submitted)" = 3
'

test_expect_success 'judge calls are batched too, as a second batch' '
	start_fakellm --batch-ms 30 --api-key $FK_KEY &&
	batch_project &&
	cat >>evals/echo.yaml <<-\EOT &&
	  - { type: judge, model: judge, rubric: "echoes the word" }
	EOT
	git commit -q -am "a judge" &&
	pops eval run --batch >out 2>err &&
	grep -q "5 runs: 5 passed" out &&
	grep -q "batch batch_fk1 (fake): submitted 5 requests" err &&
	grep -q "batch batch_fk2 (fake): submitted 5 requests" err &&
	test "$(batches submitted)" = 2 &&
	test "$(fakellm_stat chat)" = 0
'

test_expect_success 'providers without a Batch API, and options --batch cannot honour, are refused' '
	start_fakellm &&
	batch_project &&
	test_expect_code 2 pops eval run --batch --model local 2>err &&
	grep -q "provider .olla. (type ollama) has no Batch API" err &&
	test "$(fakellm_stat requests)" = 0 &&
	test_expect_code 2 pops eval run --batch --stream 2>err &&
	grep -q -- "--batch and --stream do not go together" err &&
	test_expect_code 2 pops eval run --batch --max-cost 1 2>err &&
	grep -q -- "--batch and --max-cost" err &&
	test ! -e .pops/batches.json
'

test_expect_success 'pops eval batches lists and cancels' '
	start_fakellm --batch-ms 3000 --api-key $FK_KEY &&
	batch_project &&
	pops eval batches >out 2>err &&
	grep -q "no batches recorded" err &&
	test_expect_code 130 env POPS_BATCH_MAX_POLLS=1 "$POPS_BIN" eval run --batch >/dev/null 2>&1 &&
	pops eval batches >out &&
	grep -q "^batch_fk1 *fake *validating *0/5 *.*evals/echo.yaml" out &&
	pops eval batches --json >out.json &&
	python3 -c "import json; b=json.load(open(\"out.json\")); assert b[0][\"id\"]==\"batch_fk1\" and b[0][\"requests\"]==5" &&
	pops eval batches --cancel batch_fk1 >out &&
	grep -q "batch batch_fk1 (fake): cancelling" out &&
	test "$(batches cancelled)" = 1 &&
	test_expect_code 2 pops eval batches --cancel nope 2>err &&
	grep -q "no batch .nope." err
'

test_done
