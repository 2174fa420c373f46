#!/bin/sh
# What a batched run tells the user: a Batch API answer has no latency of
# its own (null, out of the percentiles, a latency-ms assertion on it is an
# error saying why), the summary has the batch ids and wall time, and the
# terminal, Markdown, JUnit and HTML reports say "batch" and the batch price.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

POPS_BATCH_POLL_MS=30
POPS_BATCH_POLL_MAX_MS=100
FK_KEY=sk-batch-info-1
export POPS_BATCH_POLL_MS POPS_BATCH_POLL_MAX_MS FK_KEY

info_project() {
	eval_project 3 &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1", api_key_env: FK_KEY }
	  anth: { type: anthropic, base_url: "$FAKELLM_URL", api_key_env: FK_KEY }
	models:
	  fast: { provider: fake, id: m-1 }
	  claude: { provider: anth, id: claude-1 }
	pricing:
	  m-1: { input: 2, output: 4 }
	EOT
	git add -A && git commit -q -m "batch info"
}

test_expect_success 'batch answers: latency null, ids and wall time in the summary, every report says batch' '
	start_fakellm --batch-ms 40 --api-key $FK_KEY &&
	info_project &&
	pops eval run --batch --json r.json --md r.md --junit r.xml --html r.html >out 2>err &&
	grep -q "3 runs: 3 passed" out &&
	grep -q "^  batch (OpenAI Batch API, 1 batch, [0-9.]* s): cost at the batch price, no per-request latency$" out &&
	grep -q "latency not measured (Batch API)" out &&
	python3 -c "
import json
d = json.load(open(\"r.json\"))
s = d[\"summary\"][0]
assert s[\"mode\"] == \"batch\" and s[\"batches\"] == [\"batch_fk1\"], s
assert s[\"batch_provider\"] == \"openai\" and s[\"batch_wall_ms\"] > 0, s
assert s[\"latency_n\"] == 0 and s[\"latency_p50\"] == 0, s
for c in d[\"cases\"]:
    assert c[\"batch\"] is True and c[\"latency_ms\"] is None, c
" &&
	grep -q "| fast (batch) | ✅ pass |.*(batch price) | n/a (batch) |" r.md &&
	grep -q "echo.yaml on fast: batch (OpenAI Batch API, 1 batch, [0-9.]* s): cost at the batch price" r.md &&
	grep -q "<property name=\"mode\" value=\"batch\"/>" r.xml &&
	grep -q "<property name=\"batches\" value=\"\[&quot;batch_fk1&quot;\]\"/>" r.xml &&
	grep -q "<property name=\"batch\" value=\"batch (OpenAI Batch API, 1 batch" r.xml &&
	grep -q "data-k=\"mode\">batch (OpenAI Batch API, 1 batch" r.html &&
	grep -q "data-k=\"latency_p50\">n/a</td>" r.html
'

test_expect_success 'a run without --batch says nothing of batches' '
	start_fakellm --api-key $FK_KEY &&
	info_project &&
	pops eval run --json r.json --md r.md --junit r.xml >out &&
	! grep -qi "batch" out r.md r.xml &&
	python3 -c "
import json
d = json.load(open(\"r.json\"))
s = d[\"summary\"][0]
assert \"mode\" not in s and \"batches\" not in s and \"batch_wall_ms\" not in s, s
assert all(isinstance(c[\"latency_ms\"], (int, float)) for c in d[\"cases\"])
"
'

test_expect_success 'latency-ms on a Batch API answer is an error saying why, also from the cache' '
	start_fakellm --batch-ms 40 --api-key $FK_KEY &&
	info_project &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 1.0\nassert:\n  - { type: latency-ms, threshold: 60000 }\n" >evals/echo.yaml &&
	git commit -q -am "a latency assertion" &&
	test_expect_code 4 pops eval run --batch --model claude --json r.json >out 2>err &&
	grep -q "batch (Anthropic Message Batches API, 1 batch" out &&
	grep -q "latency is not measured for Batch API answers; drop the assertion or run without --batch" out &&
	python3 -c "
import json
d = json.load(open(\"r.json\"))
assert all(c[\"status\"] == \"error\" for c in d[\"cases\"]), d[\"cases\"]
" &&
	test_expect_code 4 pops eval run --model claude --json r2.json >out2 &&
	grep -q "3 cached, 0 sent" out2 &&
	python3 -c "
import json
d = json.load(open(\"r2.json\"))
for c in d[\"cases\"]:
    assert c[\"latency_ms\"] is None and c[\"status\"] == \"error\", c
"
'

test_done
