#!/bin/sh
# A fresh Debian 12 machine gets everything the tests and the demo run
# from `make deps`; a plain `make` never installs anything.
. "$(dirname "$0")/lib.sh"

test_expect_success 'every command the tests, the demo and the runner call comes from make deps' '
	make -s -C "$ROOT" print-deps >pkgs &&
	test -s pkgs &&
	python3 "$TEST_DIR/lib-deps.py" "$ROOT" pkgs >missing &&
	test_must_be_empty missing
'

test_expect_success 'a plain make builds only: it never runs apt-get or npm' '
	make -n -B -C "$ROOT" all >plan 2>&1 &&
	! grep -q "apt-get" plan &&
	! grep -q "npm install" plan &&
	make -n -B -C "$ROOT" deps >deps-plan 2>&1 &&
	grep -q "apt-get install" deps-plan
'

test_done
