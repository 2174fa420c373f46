#!/bin/sh
# Two `pops eval run --batch` in one repository at once (a CI matrix, two
# terminals): every change of .pops/batches.json is made under an
# advisory lock (.pops/batches.json.lock), so no run's record is lost and
# a rerun submits nothing; a lock held too long is a clear error.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

POPS_BATCH_POLL_MS=30
POPS_BATCH_POLL_MAX_MS=100
FK_KEY=sk-batch-parallel-1
export POPS_BATCH_POLL_MS POPS_BATCH_POLL_MAX_MS FK_KEY

# three models, three runs with their own fingerprints and batches
par_project() {
	eval_project 4 &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1", api_key_env: FK_KEY }
	  anth: { type: anthropic, base_url: "$FAKELLM_URL", api_key_env: FK_KEY }
	models:
	  fast: { provider: fake, id: m-1 }
	  other: { provider: fake, id: m-2 }
	  claude: { provider: anth, id: claude-1 }
	EOT
	git add -A && git commit -q -m "three batch models"
}

batches() {
	fakellm_get /__batches | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

recorded() {
	python3 -c "
import json
print(len(json.load(open(\".pops/batches.json\"))[\"batches\"]))
"
}

test_expect_success 'runs at once: every batch recorded, reruns submit nothing' '
	start_fakellm --batch-ms 30 --api-key $FK_KEY &&
	par_project &&
	{ "$POPS_BIN" eval run --batch --model fast >o1 2>e1 & p1=$!; } &&
	{ "$POPS_BIN" eval run --batch --model other >o2 2>e2 & p2=$!; } &&
	{ "$POPS_BIN" eval run --batch --model claude >o3 2>e3 & p3=$!; } &&
	wait $p1 && wait $p2 && wait $p3 &&
	grep -q "4 runs: 4 passed" o1 &&
	grep -q "4 runs: 4 passed" o2 &&
	grep -q "4 runs: 4 passed" o3 &&
	test "$(recorded)" = 3 &&
	python3 -c "
import json
for b in json.load(open(\".pops/batches.json\"))[\"batches\"]:
    assert b[\"collected\"] is True, b
" &&
	before=$(fakellm_get /__batches) &&
	pops eval run --batch --model fast >r1 2>re1 &&
	pops eval run --batch --model other >r2 2>re2 &&
	pops eval run --batch --model claude >r3 2>re3 &&
	! grep -q "submitted" re1 re2 re3 &&
	grep -q "4 cached, 0 sent" r1 &&
	test "$(fakellm_get /__batches)" = "$before" &&
	test "$(recorded)" = 3
'

test_expect_success 'a lock held too long: the error names the lock file, the holder and the batch' '
	start_fakellm --batch-ms 30 --api-key $FK_KEY &&
	par_project &&
	mkdir -p .pops &&
	{ echo 4242 >.pops/batches.json.lock; flock .pops/batches.json.lock sleep 30 & holder=$!; } &&
	sleep 0.2 &&
	test_expect_code 3 env POPS_BATCH_LOCK_MS=200 "$POPS_BIN" eval run --batch --model fast >out 2>err &&
	kill $holder &&
	grep -q "batches.json.lock: held by pid 4242 for over 200 ms" err &&
	grep -q "batch .batch_fk1. of provider .fake. is submitted but not recorded" err &&
	test ! -f .pops/batches.json &&
	pops eval run --batch --model fast >out 2>err &&
	grep -q "4 runs: 4 passed" out &&
	test "$(recorded)" = 1
'

test_done
