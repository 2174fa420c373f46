#!/bin/sh
# The command line itself: version, help, dispatch, exit codes, -C.
. "$(dirname "$0")/lib.sh"

test_expect_success '--version prints the version and exits 0' '
	pops --version >out &&
	grep -E "^pops [0-9]+\.[0-9]+\.[0-9]+" out
'

test_expect_success '-h lists the commands on stdout; bare pops on stderr, exit 2' '
	pops -h >out 2>err &&
	grep -q "^   init " out &&
	test_must_be_empty err &&
	test_expect_code 2 pops >out2 2>err2 &&
	test_must_be_empty out2 &&
	test_cmp out err2 &&
	test_expect_code 2 pops eval >out2 2>err2 &&
	test_must_be_empty out2 &&
	grep -q "^usage: pops eval" err2
'

test_expect_success 'hidden commands are not listed' '
	pops -h >out &&
	! grep -q __complete out
'

test_expect_success 'an unknown command exits 2 and suggests the closest' '
	test_expect_code 2 pops inti 2>err &&
	grep -q "^error: '"'"'inti'"'"' is not a pops command" err &&
	grep -q "^hint: did you mean '"'"'pops init'"'"'?" err
'

test_expect_success 'an unknown global option exits 2 with usage' '
	test_expect_code 2 pops --frobnicate 2>err &&
	grep -q "^error: unknown option" err &&
	grep -q "^usage: pops" err
'

test_expect_success 'an unknown command option exits 2, suggests, and prints usage to stderr' '
	test_expect_code 2 pops init --forse 2>err >out &&
	test_must_be_empty out &&
	grep -q "unknown option .--forse. (did you mean .--force.?)" err &&
	grep -q "^usage: pops init" err
'

test_expect_success 'a stray extra argument is a usage error' '
	test_expect_code 2 pops init a b 2>err &&
	grep -q "unexpected argument .b." err
'

test_expect_success 'every command answers -h on stdout with exit 0 outside a repository' '
	pops __complete "" >cmds &&
	while read -r c; do
		pops __complete "$c" "" >subs || exit 1
		# a group lists subcommands; a command completes its arguments
		if pops "$c" -h | grep -q "^usage: pops $c <command>"; then
			while read -r s; do
				pops "$c" "$s" -h >out 2>err || { echo "$c $s -h failed"; exit 1; }
				test_must_be_empty err || exit 1
				grep -q "^usage: pops $c $s" out || { echo "$c $s: no usage"; exit 1; }
			done <subs
		fi
		pops "$c" -h >out 2>err || { echo "$c -h failed"; exit 1; }
		test_must_be_empty err || exit 1
		grep -q "^usage: pops $c" out || { echo "$c: no usage"; exit 1; }
	done <cmds
'

test_expect_success 'help <cmd> prints the command usage when not on a terminal' '
	pops help init >out &&
	grep -q "^usage: pops init \[<options>\] \[<dir>\]" out &&
	grep -q -- "--force" out
'

test_expect_success 'pops X -h and pops help X print the same text, summary included' '
	pops __complete "" >cmds &&
	while read -r c; do
		pops "$c" -h >h.out || { echo "$c -h failed"; exit 1; }
		POPS_NO_MAN=1 pops help "$c" >help.out || { echo "help $c failed"; exit 1; }
		test_cmp h.out help.out || { echo "pops $c -h differs from pops help $c"; exit 1; }
		if grep -q "^usage: pops $c <command>" h.out; then
			pops __complete "$c" "" >subs || exit 1
			while read -r s; do
				pops "$c" "$s" -h >h.out || exit 1
				POPS_NO_MAN=1 pops help "$c" "$s" >help.out || exit 1
				test_cmp h.out help.out || { echo "pops $c $s -h differs"; exit 1; }
			done <subs
		fi
	done <cmds &&
	pops render -h >out &&
	sed -n 3p out >line &&
	echo "Render a prompt'"'"'s messages for some variables" >expect &&
	test_cmp expect line
'

test_expect_success 'help for an unknown command exits 2' '
	test_expect_code 2 pops help nosuch 2>err &&
	grep -q "not a pops command" err
'

test_expect_success '-C runs in another directory' '
	mkdir sub &&
	pops -C sub init >out &&
	test -f sub/pops.yaml &&
	test -d sub/.git
'

test_expect_success '-C to a missing directory exits 2' '
	test_expect_code 2 pops -C nowhere init 2>err &&
	grep -q "cannot change to .nowhere." err
'

test_expect_success '-C is repeatable (each relative to the last, as git) and has --directory' '
	mkdir -p a/b &&
	pops -C a -C b init >out &&
	test -f a/b/pops.yaml &&
	mkdir c &&
	pops --directory=c -C "" init >out &&
	test -f c/pops.yaml &&
	test_expect_code 2 pops -C 2>err &&
	grep -q "option -C needs a value" err &&
	test_expect_code 2 pops --bogus status 2>err &&
	grep -q "unknown option .--bogus." err &&
	grep -q "^usage: pops \[<options>\] <command>" err
'

test_expect_success 'numbers and shards are checked by the option table, before any work' '
	test_expect_code 2 pops eval run --threshold 1.5 2>err &&
	grep -q "option --threshold: expected a number from 0 to 1, got .1.5." err &&
	test_expect_code 2 pops eval run --threshold x 2>err &&
	grep -q "option --threshold" err &&
	test_expect_code 2 pops eval run --max-cost -0.5 2>err &&
	grep -q "option --max-cost: expected a number >= 0" err &&
	test_expect_code 2 pops eval run --shard 4/3 2>err &&
	grep -q "option --shard: expected i/n with 1 <= i <= n" err &&
	test_expect_code 2 pops eval run --shard 1/0 2>err
'

test_expect_success 'a failed write to stdout is an error (exit 3)' '
	test_expect_code 3 pops --version >/dev/full 2>err &&
	grep -q "write failure" err
'

test_done
