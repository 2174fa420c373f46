#!/bin/sh
# Crash safety: pops killed with SIGKILL at arbitrary points never leaves
# the repository corrupt or half-updated, and the next run completes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

# git fsck finds nothing wrong (dangling objects from a killed writer are fine)
fsck_clean() {
	git fsck --no-dangling >fsck.out 2>&1 || { cat fsck.out >&2; return 1; }
	if grep -v "^Checking\|^notice" fsck.out | grep -q .; then
		cat fsck.out >&2
		return 1
	fi
}

# kill_at MS cmd...: start cmd, SIGKILL it after MS milliseconds (if it is
# still running); the command's output goes to ./killed.out
kill_at() {
	ms=$1
	shift
	"$@" >killed.out 2>&1 &
	pid=$!
	sleep "$(printf "%d.%03d" $((ms / 1000)) $((ms % 1000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	return 0
}

test_expect_success 'eval run killed at 8 points: fsck clean, cache and note whole, re-run pays only for the rest' '
	start_fakellm --latency 150 &&
	eval_project 10 &&
	i=1 &&
	while [ $i -le 8 ]; do
		kill_at $(( (i * 113) % 1000 )) "$POPS_BIN" eval run -j 2 &&
		fsck_clean &&
		cache_sane >/dev/null &&
		note_sane &&
		i=$((i + 1)) || return 1
	done &&
	rm -rf .pops/cache &&
	kill_at 500 "$POPS_BIN" eval run -j 2 &&
	cached=$(cache_sane) &&
	before=$(fakellm_stat chat) &&
	pops eval run -j 2 >out &&
	grep -q "10 runs: 10 passed, 0 failed, 0 errors" out &&
	test $(( $(fakellm_stat chat) - before )) = $((10 - cached)) &&
	fsck_clean &&
	note_sane &&
	git notes --ref=pops show HEAD >/dev/null
'

test_expect_success 'a corrupt or foreign cache entry is ignored and replaced, never trusted' '
	start_fakellm &&
	eval_project 4 &&
	pops eval run --no-store >/dev/null &&
	test "$(cache_sane)" = 4 &&
	set -- $(find .pops/cache -name "*.json" | sort) &&
	printf "{\"key\":\"trunc" >"$1" &&
	cp "$4" "$2" &&
	: >"$3" &&
	before=$(fakellm_stat chat) &&
	pops eval run --no-store >out &&
	grep -q "4 runs: 4 passed, 0 failed, 0 errors" out &&
	# the torn, the foreign and the empty entry were misses, and rewritten
	test $(( $(fakellm_stat chat) - before )) = 3 &&
	test "$(cache_sane)" = 4
'

test_expect_success 'SIGINT: partial reports marked incomplete, exit 130; the re-run pays only for the rest' '
	start_fakellm --latency 400 &&
	eval_project 12 &&
	{ "$POPS_BIN" eval run -j 2 --junit r.xml --json r.json >out 2>err & pid=$!; } &&
	sleep 1.5 && kill -INT $pid &&
	test_expect_code 130 wait $pid &&
	python3 -c "import json; d=json.load(open(\"r.json\")); assert not d[\"complete\"]" &&
	xmllint --noout r.xml &&
	grep -q "incomplete" r.xml &&
	cached=$(cache_sane) &&
	test "$cached" -ge 1 && test "$cached" -lt 12 &&
	fsck_clean &&
	before=$(fakellm_stat chat) &&
	pops eval run -j 2 >out &&
	grep -q "12 runs: 12 passed" out &&
	test $(( $(fakellm_stat chat) - before )) = $((12 - cached))
'

test_expect_success 'promote killed at 12 points: ledger before or after, fsck clean, re-run completes' '
	setup_prompts 12 &&
	pops promote dev p12 >/dev/null &&
	i=1 &&
	while [ $i -le 11 ]; do
		before=$(git rev-parse refs/pops/releases) &&
		kill_at $(( (i * 17) % 160 )) "$POPS_BIN" promote dev p$i &&
		fsck_clean &&
		after=$(git rev-parse refs/pops/releases) &&
		if [ "$after" != "$before" ]; then
			# after: exactly one new commit on top, with the whole entry
			test "$(git rev-parse "$after^")" = "$before" &&
			test "$(git log -1 --format=%s "$after")" = "promote p$i@1 to dev" &&
			git cat-file -e "$after:dev/p$i.prompt" &&
			git cat-file -e "$after:dev/p$i.json" || return 1
		fi &&
		# when the killed run had finished, the re-run has nothing to do;
		# killed inside the ref lock window, it leaves the lock file (as
		# git leaves index.lock): the re-run must name it, and removing
		# it as told lets the next run through
		{ pops promote dev p$i >rerun.out 2>&1 ||
		  { test "$after" != "$before" && grep -q "already has this version" rerun.out; } ||
		  { lock=$(sed -n "s/.* is locked by \(.*\.lock\) (left by a killed process?).*/\1/p" rerun.out) &&
		    test -n "$lock" && rm "$lock" && pops promote dev p$i >rerun.out 2>&1; } ||
		  { cat rerun.out killed.out >&2; false; }; } &&
		git cat-file -e "refs/pops/releases:dev/p$i.json" &&
		i=$((i + 1)) || return 1
	done &&
	test "$(git log --format=%s refs/pops/releases | grep -c "^promote p[0-9]*@1 to dev$")" = 12 &&
	fsck_clean
'

test_done
