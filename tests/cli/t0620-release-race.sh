#!/bin/sh
# Concurrent promotes: every ref update is compare-and-swap, so promotes
# started at the same moment are all recorded, none overwriting another.
. "$(dirname "$0")/lib.sh"

# N prompts p1..pN, committed
setup_prompts() {
	setup_project &&
	i=1 && while [ $i -le "$1" ]; do
		printf -- "---\nmodel: fast\n---\nPrompt %s\n" $i >prompts/p$i.prompt
		i=$((i + 1))
	done &&
	git add -A && git commit -q -m prompts
}

# start N promotes of different prompts at the same moment; all must succeed
race() {
	rm -f go rc.* &&
	i=1 && while [ $i -le "$1" ]; do
		( while [ ! -f go ]; do :; done; pops promote dev p$i >out.$i 2>err.$i; echo $? >rc.$i ) &
		i=$((i + 1))
	done &&
	touch go &&
	wait &&
	i=1 && while [ $i -le "$1" ]; do
		test "$(cat rc.$i)" = 0 || { echo "promote p$i exited $(cat rc.$i)"; cat err.$i; return 1; }
		i=$((i + 1))
	done
}

test_expect_success 'two promotes started at the same moment are both recorded' '
	setup_prompts 2 &&
	race 2 &&
	test "$(git rev-list --count refs/pops/releases)" = 2 &&
	git cat-file -e refs/pops/releases:dev/p1.prompt &&
	git cat-file -e refs/pops/releases:dev/p2.prompt &&
	git fsck --no-dangling
'

test_expect_success 'eight promotes at once: eight ledger commits, eight entries' '
	setup_prompts 8 &&
	race 8 &&
	test "$(git rev-list --count refs/pops/releases)" = 8 &&
	git ls-tree -r --name-only refs/pops/releases >files &&
	test "$(grep -c "\.prompt$" files)" = 8 &&
	git log --format=%s refs/pops/releases >log &&
	test "$(sort -u log | wc -l)" = 8 &&
	git fsck --no-dangling
'

test_expect_success 'racing promotes of the same prompt record it once; the loser has nothing to do' '
	setup_prompts 1 &&
	{ ( pops promote dev p1 >o1 2>e1; echo $? >r1 ) &
	  ( pops promote dev p1 >o2 2>e2; echo $? >r2 ) &
	  wait; } &&
	test "$(git rev-list --count refs/pops/releases)" = 1 &&
	cat r1 r2 >codes &&
	printf "0\n0\n" >expect && test_cmp expect codes &&
	cat e1 e2 >errs &&
	grep -q "p1@1 is already in dev (nothing to do)" errs
'

test_expect_success 'a ref lock left by a killed writer is named at once; removing it lets promote through' '
	setup_prompts 2 &&
	pops promote dev p1 >/dev/null &&
	printf -- "---\nmodel: fast\n---\nPrompt 1, again\n" >prompts/p1.prompt &&
	git commit -q -am "p1 v2" &&
	pops promote dev p1 >/dev/null &&
	before=$(git rev-parse refs/pops/releases) &&
	: >.git/refs/pops/releases.lock &&
	touch -d "1 minute ago" .git/refs/pops/releases.lock &&
	test_expect_code 3 pops promote dev p2 2>err &&
	grep -q "refs/pops/releases is locked by .*/refs/pops/releases.lock (left by a killed process?); if no other pops or git command is running, remove that file" err &&
	test "$(git rev-parse refs/pops/releases)" = "$before" &&
	test_expect_code 3 pops rollback dev p1 2>err &&
	grep -q "is locked by" err &&
	rm .git/refs/pops/releases.lock &&
	pops promote dev p2 >out &&
	grep -q "promoted p2@1 to dev" out
'

test_done
