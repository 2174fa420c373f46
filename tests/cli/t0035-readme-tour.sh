#!/bin/sh
# README.md's "A five-minute tour" runs as written: its console blocks'
# `$ ` lines run in order, in a new empty directory, with the pops under
# test first in PATH, and print what the README shows (hashes, dates and
# durations masked; see lib-tour.py for the rules). A README edit that
# drifts from pops, or a pops change that drifts from the README, fails
# here.
. "$(dirname "$0")/lib.sh"

TOUR="A five-minute tour"

# The reader's setup: pops on PATH, POPS_SRC the source tree, an identity
# like the one the README shows (pops' own commits take it from the git
# config, as libgit2 does), no provider keys.
tour_setup() {
	mkdir bin home tour &&
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$POPS_WRAP" "$POPS_BIN" >bin/pops &&
	chmod +x bin/pops &&
	HOME=$PWD/home &&
	git config --global user.name "Dana Demo" &&
	git config --global user.email "dana@example.com" &&
	git config --global init.defaultBranch main &&
	PATH=$PWD/bin:$PATH &&
	POPS_SRC=$ROOT &&
	export HOME PATH POPS_SRC &&
	unset OPENAI_API_KEY ANTHROPIC_API_KEY
}

test_expect_success 'the tour has commands and expected output to compare' '
	python3 "$TEST_DIR/lib-tour.py" script "$ROOT/README.md" "$TOUR" >tour.sh &&
	test $(grep -c "^echo .@@pops-tour [0-9]" tour.sh) -ge 15 &&
	grep -q "prompts-example/{pops.yaml,prompts,datasets,evals,cassettes}" tour.sh
'

test_expect_success 'the README tour runs as written and prints what it shows' '
	tour_setup &&
	python3 "$TEST_DIR/lib-tour.py" script "$ROOT/README.md" "$TOUR" >tour.sh &&
	(cd tour && bash ../tour.sh >../actual) &&
	cp actual "$TRASH/tour.actual" &&
	{ python3 "$TEST_DIR/lib-tour.py" check "$ROOT/README.md" "$TOUR" actual >diffs ||
		{ cat diffs; false; }; }
'

test_expect_success 'the matcher fails a drifted README (the check is not vacuous)' '
	sed "s/30 runs: 30 passed, 0 failed, 0 errors/30 runs: 29 passed, 1 failed, 0 errors/" \
		"$ROOT/README.md" >README.md &&
	! cmp -s README.md "$ROOT/README.md" &&
	test_expect_code 1 python3 "$TEST_DIR/lib-tour.py" check README.md "$TOUR" "$TRASH/tour.actual" >diffs &&
	grep -q "output differs" diffs
'

test_expect_success 'the matcher checks exit status, "..." and masks' '
	cat >R.md <<-\EOF &&
	## T
	```console
	$ echo abc1234def 2026-01-02 && echo x && echo y && echo z
	deadbee0 2025-12-31
	...
	z
	$ false                # exit 1: said so
	$ echo "a long line"
	a long ...
	```
	EOF
	python3 "$TEST_DIR/lib-tour.py" script R.md T >t.sh &&
	bash t.sh >actual &&
	python3 "$TEST_DIR/lib-tour.py" check R.md T actual &&
	sed "s/exit 1: said so/exit 0/" R.md >R2.md &&
	test_expect_code 1 python3 "$TEST_DIR/lib-tour.py" check R2.md T actual >diffs &&
	grep -q "exit status 1, the README expects 0" diffs
'

test_done
