#!/bin/sh
# Concurrency: pops processes racing on the same repository never lose
# each other's updates.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

test_expect_success 'two eval runs at once in one repository both complete; cache and notes stay whole' '
	start_fakellm --latency 50 &&
	eval_project 10 &&
	{ "$POPS_BIN" eval run -j 2 --json a.json >out.a 2>err.a & pa=$!; } &&
	{ "$POPS_BIN" eval run -j 2 --json b.json >out.b 2>err.b & pb=$!; } &&
	{ wait $pa; echo $? >code.a; } &&
	{ wait $pb; echo $? >code.b; } &&
	test "$(cat code.a)" = 0 && test "$(cat code.b)" = 0 &&
	grep -q "10 runs: 10 passed, 0 failed, 0 errors" out.a &&
	grep -q "10 runs: 10 passed, 0 failed, 0 errors" out.b &&
	test "$(cache_sane)" = 10 &&
	note_sane &&
	git notes --ref=pops show HEAD >note &&
	python3 -c "import json; d=json.load(open(\"note\")); assert len(d[\"results\"])==1, d" &&
	git fsck --no-dangling
'

test_expect_success '8 promotes to the same environment at once are all recorded' '
	setup_prompts 8 &&
	pops promote dev p1 >/dev/null &&
	git update-ref -d refs/pops/releases &&
	for i in 1 2 3 4 5 6 7 8; do
		pops promote dev p$i >out.$i 2>&1 &
	done &&
	fails=0 &&
	for i in 1 2 3 4 5 6 7 8; do
		wait %$i 2>/dev/null || true
	done &&
	wait &&
	for i in 1 2 3 4 5 6 7 8; do
		grep -q "promoted p$i@1 to dev" out.$i || { cat out.$i >&2; fails=1; }
	done &&
	test $fails = 0 &&
	git log --format=%s refs/pops/releases >log &&
	test "$(wc -l <log)" = 8 &&
	for i in 1 2 3 4 5 6 7 8; do
		grep -qx "promote p$i@1 to dev" log &&
		git cat-file -e refs/pops/releases:dev/p$i.prompt &&
		git cat-file -e refs/pops/releases:dev/p$i.json || return 1
	done &&
	git fsck --no-dangling
'

test_done
