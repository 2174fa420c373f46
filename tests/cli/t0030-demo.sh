#!/bin/sh
# `make demo` keeps working: prompts-example/demo.sh runs the workflow
# offline against the binary under test. Each section is required as soon
# as this pops has its command (and the example has its recorded
# responses), so the demo cannot quietly skip what exists.
. "$(dirname "$0")/lib.sh"

sums() {
	(cd "$ROOT/prompts-example" && find . -type f | sort | xargs cksum)
}

has() { "$POPS_BIN" "$@" -h >/dev/null 2>&1; }

test_expect_success 'the demo runs offline, exits 0 and leaves the example as it was' '
	sums >before &&
	mkdir tmp &&
	{ TMPDIR="$PWD/tmp" NO_COLOR=1 POPS="$POPS_BIN" sh "$ROOT/prompts-example/demo.sh" >out 2>err ||
		{ cat out err; false; }; } &&
	grep -q "^\$ pops render summarize" out &&
	grep -q "^\$ pops prompt diff summarize@1 summarize@2" out &&
	grep -q "config.max_tokens: 400 → 24" out &&
	sums >after &&
	test_cmp before after &&
	find tmp -mindepth 1 >left &&
	test_must_be_empty left
'

test_expect_success 'every section whose command exists runs (eval, gates, rollback)' '
	NO_COLOR=1 POPS="$POPS_BIN" sh "$ROOT/prompts-example/demo.sh" >out 2>&1 &&
	if has eval run && test -f "$ROOT/prompts-example/cassettes/example.cassette.jsonl"; then
		grep -q "^\$ pops eval run evals/summarize.yaml evals/triage.yaml" out &&
		! grep -q "no \"pops eval run\"" out &&
		if has promote; then
			grep -q "^\$ pops promote prod" out &&
			test $(grep -c "(exit 1, as expected)" out) -eq 2
		fi
	else
		grep -q "(skipped: " out
	fi
'

test_done
