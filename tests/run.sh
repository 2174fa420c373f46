#!/bin/sh
# Runs every test that `make check` promises, in this order:
#   1. unit tests (C) built with ASan + UBSan
#   2. CLI tests (tests/cli/t*.sh) against the ASan binary
#   3. fuzz corpus replay (tests/fuzz/corpus) with ASan + UBSan
#   4. valgrind: the unit tests and the CLI tests in tests/valgrind.list
#      against the release build
# and ends with one line: "N passed, N failed". Exit status 1 on any failure.
#
# Usage: tests/run.sh [pattern]   (only CLI test files whose name contains pattern)

set -u
cd "$(dirname "$0")/.." || exit 3
ROOT=$(pwd)
SHARED=$(cd "${SHARED:-../shared}" 2>/dev/null && pwd || echo "${SHARED:-../shared}")
export SHARED
if [ ! -d "$SHARED/spec/mustache" ] || [ ! -d "$SHARED/corpus" ]; then
	echo "pops: the conformance suites and corpus were not found in '$SHARED' (expected" \
	     "../shared beside the checkout; set SHARED=/path/to/shared): the tests that read" \
	     "them will fail and say so"
fi
PATTERN=${1:-}
JOBS=${JOBS:-2}
LOG=$ROOT/build/test-logs
rm -rf "$LOG"
mkdir -p "$LOG"

passed=0
failed=0

# add the counts from a log's last "N passed, N failed" line; a run that
# exits non-zero without reporting a failure (crash, leak report) counts
# as one failure
tally() { # name log status
	set -- "$1" "$2" "$3" $(grep -E '[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1 |
		awk '{ for (i = 2; i <= NF; i++) { if ($i == "passed,") p = $(i-1); if ($i == "failed") f = $(i-1) } }
		     END { print p + 0, f + 0 }')
	p=${4:-0}
	f=${5:-0}
	if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "FAIL $1: exited $3 without a failing case (crash or sanitizer report)"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -ne 0 ]; then
		echo "---- $1 ($2)"
		grep -v '^ok ' "$2" | tail -n 80
		echo "----"
	else
		echo "ok   $1: $p passed"
	fi
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=86:print_stacktrace=1}

# 1. unit tests
if [ -z "$PATTERN" ]; then
	build/asan/unit-tests >"$LOG/unit.log" 2>&1
	tally "unit tests (asan)" "$LOG/unit.log" $?
fi

# 2. CLI tests, JOBS at a time
ls tests/cli/t[0-9]*.sh 2>/dev/null | grep -F -- "$PATTERN" >"$LOG/cli.list"
POPS_BIN=$ROOT/build/asan/pops FAKELLM_BIN=$ROOT/build/asan/fakellm \
xargs -P "$JOBS" -I{} sh -c 'n=$(basename {} .sh); sh {} >"$0/$n.log" 2>&1; echo $? >"$0/$n.rc"' "$LOG" <"$LOG/cli.list"
while read -r t; do
	n=$(basename "$t" .sh)
	tally "$n" "$LOG/$n.log" "$(cat "$LOG/$n.rc" 2>/dev/null || echo 1)"
done <"$LOG/cli.list"

if [ -z "$PATTERN" ]; then
	# 3. fuzz corpus replay
	if [ -x build/asan/fuzz-replay ]; then
		build/asan/fuzz-replay tests/fuzz/corpus >"$LOG/fuzz.log" 2>&1
		tally "fuzz corpus replay (asan)" "$LOG/fuzz.log" $?
	fi

	# 4. valgrind on the release build
	if command -v valgrind >/dev/null 2>&1; then
		VG="valgrind -q --error-exitcode=87 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
		$VG build/rel/unit-tests >"$LOG/unit-valgrind.log" 2>&1
		tally "unit tests (valgrind)" "$LOG/unit-valgrind.log" $?
		grep -v '^#' tests/valgrind.list 2>/dev/null | while read -r t; do
			[ -n "$t" ] && echo "$t"
		done >"$LOG/vg.list"
		POPS_BIN=$ROOT/pops FAKELLM_BIN=$ROOT/build/rel/fakellm POPS_VALGRIND=1 \
		xargs -P "$JOBS" -I{} sh -c 'n=$(basename {} .sh); sh tests/cli/{} >"$0/vg-$n.log" 2>&1; echo $? >"$0/vg-$n.rc"' "$LOG" <"$LOG/vg.list"
		while read -r t; do
			n=$(basename "$t" .sh)
			tally "$n (valgrind)" "$LOG/vg-$n.log" "$(cat "$LOG/vg-$n.rc" 2>/dev/null || echo 1)"
		done <"$LOG/vg.list"
	else
		echo "FAIL valgrind not installed (make deps installs it)"
		failed=$((failed + 1))
	fi
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
