#!/bin/sh
# pops and plain git on the same repositories: plain commits are
# versions, renames keep history, merges count on the first-parent line,
# detached HEAD, linked worktrees and shallow clones work.
. "$(dirname "$0")/lib.sh"

# three versions of prompts/s.prompt made with plain git
three_versions() {
	setup_project &&
	for v in 1 2 3; do
		printf "version %s\n" $v >prompts/s.prompt &&
		git add prompts/s.prompt && git commit -q -m "s v$v" || return 1
		echo "$v" >other.txt && git add other.txt && git commit -q -m "other $v" || return 1
	done
}

test_expect_success 'plain git commits are versions and git log agrees' '
	three_versions &&
	pops prompt log --json s >log.json &&
	python3 -c "
import json,subprocess
v=json.load(open(\"log.json\"))
ids=subprocess.check_output([\"git\",\"log\",\"--first-parent\",\"--format=%H\",\"--\",\"prompts/s.prompt\"]).decode().split()
assert [x[\"commit\"] for x in v]==ids, (v, ids)
assert [x[\"version\"] for x in v]==[3,2,1]
" &&
	for n in 1 2 3; do
		pops prompt show s@$n >actual &&
		printf "version %s\n" $n >expect && test_cmp expect actual || exit 1
	done
'

test_expect_success 'a rename keeps the history, like git log --follow' '
	three_versions &&
	mkdir -p prompts/team &&
	git mv prompts/s.prompt prompts/team/summary.prompt &&
	git commit -q -m "rename" &&
	printf "version 4\n" >prompts/team/summary.prompt &&
	git commit -q -am "v4" &&
	pops prompt log team/summary >log &&
	[ $(wc -l <log) -eq 5 ] &&
	git log --follow --format=%h --abbrev=7 -- prompts/team/summary.prompt >git.ids &&
	awk "{print \$2}" log >pops.ids &&
	test_cmp git.ids pops.ids &&
	pops prompt show team/summary@1 >actual &&
	echo "version 1" >expect && test_cmp expect actual &&
	pops prompt log --json team/summary >l.json &&
	grep -q "\"path\":.*\"prompts/s.prompt\"" l.json &&
	pops prompt list >list &&
	grep -q "^team/summary  *5 " list
'

test_expect_success 'merges: versions follow the first-parent line' '
	three_versions &&
	git checkout -q -b feature &&
	printf "feature edit\n" >prompts/s.prompt && git commit -q -am "f1" &&
	printf "feature edit 2\n" >prompts/s.prompt && git commit -q -am "f2" &&
	git checkout -q main &&
	git merge -q --no-ff -m "merge feature" feature &&
	pops prompt log s >log &&
	[ $(wc -l <log) -eq 4 ] &&
	head -n 1 log >top && grep -q "merge feature" top &&
	git log --first-parent --format=%h --abbrev=7 -- prompts/s.prompt >git.ids &&
	awk "{print \$2}" log >pops.ids &&
	test_cmp git.ids pops.ids
'

test_expect_success 'detached HEAD: versions count from HEAD, add moves HEAD only' '
	three_versions &&
	git checkout -q --detach HEAD~2 &&
	pops prompt log s >log &&
	[ $(wc -l <log) -eq 2 ] &&
	pops prompt show s@latest >actual && echo "version 2" >expect && test_cmp expect actual &&
	main=$(git rev-parse main) &&
	printf "detached edit\n" >prompts/s.prompt &&
	pops prompt add s >out &&
	grep -q "^s@3 " out &&
	test "$(git rev-parse main)" = "$main" &&
	test_expect_code 1 git symbolic-ref -q HEAD &&
	git fsck --strict 2>&1 >fsck.out && test_must_be_empty fsck.out
'

test_expect_success 'linked worktree: read and add from it' '
	three_versions &&
	git worktree add -q ../wt -b side &&
	cd ../wt &&
	pops prompt show s@2 >actual && echo "version 2" >expect && test_cmp expect actual &&
	printf "from worktree\n" >prompts/s.prompt &&
	pops prompt add s >out &&
	grep -q "^s@4 " out &&
	git log -1 --format=%s side >subj && echo "prompt: update s" >expect && test_cmp expect subj &&
	cd - >/dev/null &&
	pops prompt log s >log && [ $(wc -l <log) -eq 3 ] &&
	git fsck --strict 2>&1 >fsck.out && test_must_be_empty fsck.out
'

test_expect_success 'shallow clone: versions are listed but not counted' '
	mkdir src && (cd src && three_versions) &&
	git clone -q --depth 2 "file://$PWD/src" shallow &&
	cd shallow &&
	test -f .git/shallow &&
	pops prompt log s >log 2>err &&
	grep -q "^@? " log &&
	! grep -q "^@[0-9]" log &&
	grep -q "shallow clone" err &&
	pops prompt log --json s >l.json &&
	grep -q "\"version\":.*null" l.json &&
	test_expect_code 2 pops prompt show s@1 2>err &&
	grep -q "cannot count the versions of .s. in a shallow clone" err &&
	pops prompt show s@latest >actual && echo "version 3" >expect && test_cmp expect actual &&
	pops prompt list >list 2>err &&
	grep -q "^s  *? " list
'

test_expect_success 'git commit-graph: same versions with and without it, newer commits too' '
	three_versions &&
	git commit-graph write --reachable &&
	test -f .git/objects/info/commit-graph &&
	printf "version 4\n" >prompts/s.prompt && git commit -q -am "s v4 after the graph" &&
	POPS_NO_VERSION_CACHE=1 pops prompt log --json s >with.json &&
	POPS_NO_VERSION_CACHE=1 POPS_NO_COMMIT_GRAPH=1 pops prompt log --json s >without.json &&
	test_cmp without.json with.json &&
	grep -c "\"version\":" with.json >n && echo 4 >expect && test_cmp expect n &&
	chmod u+w .git/objects/info/commit-graph &&
	printf "CGPH garbage" >.git/objects/info/commit-graph &&
	POPS_NO_VERSION_CACHE=1 pops prompt log --json s >garbage.json &&
	test_cmp without.json garbage.json
'

test_expect_success 'pops in a subdirectory project (monorepo) maps names under it' '
	git init -q . && mkdir -p svc && pops init svc >/dev/null &&
	git add -A && git commit -q -m init &&
	printf "x\n" >svc/prompts/a.prompt &&
	cd svc/prompts &&
	pops prompt add a.prompt >out && grep -q "^a@1 " out &&
	cd ../.. &&
	git show --name-only --format= HEAD >files && echo svc/prompts/a.prompt >expect &&
	test_cmp expect files &&
	pops -C svc prompt show a@1 >actual && test_cmp svc/prompts/a.prompt actual
'

test_done
