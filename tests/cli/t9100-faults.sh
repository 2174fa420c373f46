#!/bin/sh
# Fault injection with tests/fakellm: rate-limit storms, 5xx bursts,
# dropped connections, malformed and truncated bodies, a server that
# never answers and one that dies mid-run. Each run ends (no hang) with
# the right exit code, provider errors as JUnit <error>s (never passes
# or failures), and complete, valid reports.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

XSD="$ROOT/tests/data/junit.xsd"

# reports_valid: the JUnit validates against the schema, the JSON parses
# and is complete with one case per run
reports_valid() {
	xmllint --noout --schema "$XSD" r.xml &&
	python3 -c "import json,sys; d=json.load(open(\"r.json\")); assert d[\"schema_version\"]==1 and d[\"complete\"] and len(d[\"cases\"])==$1, d.get(\"complete\")"
}

# run_eval: pops eval run with reports, bounded by a watchdog (a hang is
# a failure, not a stuck make check); exit code in ./code
run_eval() {
	timeout 120 "$POPS_BIN" eval run --no-store --no-cache --junit r.xml --json r.json "$@" >out 2>err
	echo $? >code
}

code_is() {
	test "$(cat code)" = "$1" || { echo "exit $(cat code), expected $1" >&2; cat out err >&2; return 1; }
}

test_expect_success '429 storm with retry-after: every case passes, retry-after honoured, requests counted' '
	start_fakellm --fault 429 --fail-times 2 --retry-after 1 &&
	eval_project 6 &&
	start=$(date +%s) &&
	run_eval -j 6 &&
	end=$(date +%s) &&
	code_is 0 &&
	grep -q "6 runs: 6 passed, 0 failed, 0 errors" out &&
	reports_valid 6 &&
	test "$(fakellm_stat chat)" = 18 &&
	test "$(fakellm_stat faults)" = 12 &&
	# two waits of retry-after: 1 each, at least
	test $((end - start)) -ge 2
'

test_expect_success '5xx bursts (500, 502, 503, 529) are retried until they pass' '
	start_fakellm &&
	eval_project 4 &&
	for code in 500 502 503 529; do
		sed -i "/^  fake:/s|}\$|, headers: { x-fakellm-fault: \"$code\", x-fakellm-fail-times: \"2\" } }|" pops.yaml &&
		run_eval -j 4 &&
		code_is 0 &&
		grep -q "4 runs: 4 passed, 0 failed, 0 errors" out &&
		reports_valid 4 &&
		git checkout -q pops.yaml || return 1
	done
'

test_expect_success 'a persistent 5xx is an error after the retries: exit 4, <error> per case' '
	start_fakellm --fault 503 &&
	eval_project 3 &&
	run_eval -j 3 &&
	code_is 4 &&
	grep -q "0 passed, 0 failed, 3 errors" out &&
	reports_valid 3 &&
	test "$(grep -c "<error " r.xml)" = 3 &&
	! grep -q "<failure" r.xml &&
	# first attempt plus the retries, for each case
	test "$(fakellm_stat chat)" = 15
'

test_expect_success 'dropped and reset connections are retried; when they persist, errors' '
	start_fakellm &&
	eval_project 3 &&
	for f in drop reset; do
		sed -i "/^  fake:/s|}\$|, headers: { x-fakellm-fault: \"$f\", x-fakellm-fail-times: \"1\" } }|" pops.yaml &&
		run_eval -j 3 &&
		code_is 0 &&
		grep -q "3 runs: 3 passed" out &&
		reports_valid 3 &&
		git checkout -q pops.yaml &&
		sed -i "/^  fake:/s|}\$|, headers: { x-fakellm-fault: \"$f\" } }|" pops.yaml &&
		run_eval -j 3 &&
		code_is 4 &&
		grep -q "0 passed, 0 failed, 3 errors" out &&
		reports_valid 3 &&
		git checkout -q pops.yaml || return 1
	done
'

test_expect_success 'malformed, truncated, non-JSON, empty and error-in-200 bodies are errors, never passes' '
	start_fakellm &&
	eval_project 2 &&
	for f in malformed notjson empty error200; do
		sed -i "/^  fake:/s|}\$|, headers: { x-fakellm-fault: \"$f\" } }|" pops.yaml &&
		run_eval -j 2 &&
		code_is 4 &&
		grep -q "0 passed, 0 failed, 2 errors" out &&
		reports_valid 2 &&
		test "$(grep -c "<error " r.xml)" = 2 &&
		git checkout -q pops.yaml || return 1
	done
'

test_expect_success 'a server that accepts and never answers: the timeout fires and the run ends' '
	start_fakellm --latency 600000 &&
	eval_project 2 ", timeout: 0.5" &&
	start=$(date +%s) &&
	run_eval -j 2 &&
	end=$(date +%s) &&
	code_is 4 &&
	grep -q "0 passed, 0 failed, 2 errors" out &&
	grep -qi "timed\? \?out" r.xml &&
	reports_valid 2 &&
	test $((end - start)) -lt 60
'

test_expect_success 'the server dies mid-run: finished cases kept, the rest are errors, reports complete' '
	start_fakellm --latency 200 &&
	eval_project 12 &&
	{ timeout 120 "$POPS_BIN" eval run --no-store --no-cache -j 1 --junit r.xml --json r.json >out 2>err & pid=$!; } &&
	sleep 1 &&
	kill -9 "$(cat "$TRASH/case-$test_count.fakellm.pid")" &&
	{ wait $pid; echo $? >code; } &&
	code_is 4 &&
	grep -q "12 runs: [1-9][0-9]* passed, 0 failed, [1-9][0-9]* errors\?; 0 cached, [0-9]* sent" out &&
	reports_valid 12 &&
	grep -q "<error " r.xml
'

test_done
