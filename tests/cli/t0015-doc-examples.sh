#!/bin/sh
# Every example command line in the manual (man/*.scd) and the READMEs
# parses: `pops __parse` runs it through the real command lookup and
# option table and stops before the command runs, so an example with an
# option or argument pops does not take ("unknown option", "unexpected
# argument", a missing required option) fails here, not in a reader's
# terminal. lib-examples.py finds the examples.
. "$(dirname "$0")/lib.sh"

# check WHERE WORD...: the command line after "pops" parses
check() {
	where=$1
	shift
	n=$((n + 1))
	if ! pops __parse -- "$@" >/dev/null 2>parse.err; then
		echo "$where: pops $*" >>bad
		sed "s/^/    /" parse.err >>bad
	fi
}

test_expect_success 'the manual and the READMEs show examples to check' '
	python3 "$TEST_DIR/lib-examples.py" "$ROOT" >examples.sh &&
	test $(grep -c "^check man/" examples.sh) -ge 50 &&
	test $(grep -c "^check README.md:" examples.sh) -ge 15 &&
	grep -q "^check man/pops-workflows.7.scd:[0-9]* judge calibrate" examples.sh
'

test_expect_success 'every example command line parses' '
	python3 "$TEST_DIR/lib-examples.py" "$ROOT" >examples.sh &&
	: >bad && n=0 &&
	. ./examples.sh &&
	test $n -ge 60 &&
	test_must_be_empty bad
'

test_expect_success '__parse refuses what pops refuses, and runs nothing' '
	test_expect_code 2 pops __parse -- judge calibrate evals/s.yaml labels.jsonl 2>err &&
	grep -q "^error: unexpected argument .labels.jsonl." err &&
	test_expect_code 2 pops __parse -- eval run --frob 2>err &&
	grep -q "^error: unknown option .--frob." err &&
	test_expect_code 2 pops __parse -- nosuch 2>err &&
	grep -q "not a pops command" err &&
	test_expect_code 2 pops __parse -- prompt 2>err &&
	test_expect_code 2 pops __parse -- judge calibrate --suite s.yaml 2>err &&
	grep -q "option --labels is required" err &&
	pops __parse -- judge calibrate --labels l.jsonl --suite s.yaml >out 2>err &&
	test_must_be_empty out && test_must_be_empty err &&
	pops __parse -- init here >out &&
	! test -e here && ! test -e .git &&
	pops __parse -- eval run -h >out &&
	grep -q "^usage: pops eval run" out
'

test_done
