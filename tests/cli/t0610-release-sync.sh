#!/bin/sh
# pops push / pops pull: the ledger and evidence notes through a bare remote.
. "$(dirname "$0")/lib.sh"

# origin.git (bare) and a clone "a" with one prompt, released to dev and pushed
setup_remote() {
	git init -q --bare origin.git &&
	git init -q a && (
		cd a &&
		"$POPS_BIN" init . >/dev/null &&
		printf -- "---\nmodel: fast\n---\nHi {{name}}\n" >prompts/hello.prompt &&
		git add -A && git commit -q -m hello &&
		git remote add origin ../origin.git &&
		git push -q origin main
	)
}

test_expect_success 'push sends the ledger and notes; a second clone pulls them' '
	setup_remote &&
	(cd a && pops promote dev >/dev/null &&
	 git notes --ref pops add -m "{\"schema_version\":1,\"results\":[]}" HEAD &&
	 pops push >out && grep -q "refs/pops/releases: pushed" out &&
	 grep -q "refs/notes/pops: pushed" out) &&
	test "$(git -C origin.git rev-parse refs/pops/releases)" = "$(git -C a rev-parse refs/pops/releases)" &&
	git clone -q origin.git b &&
	(cd b && test_must_fail git rev-parse -q --verify refs/pops/releases &&
	 pops pull >out && grep -q "refs/pops/releases: new" out &&
	 grep -q "refs/notes/pops: new" out &&
	 pops release list >list && grep -q "^dev  *hello  *@1" list &&
	 pops pull >out && grep -q "refs/pops/releases: up to date" out &&
	 git fsck --no-dangling)
'

test_expect_success 'diverged ledgers merge keeping both histories; push then succeeds' '
	setup_remote &&
	(cd a && pops promote dev >/dev/null && pops push >/dev/null) &&
	git clone -q origin.git b &&
	(cd b && pops pull >/dev/null && pops promote staging >/dev/null && pops push >/dev/null) &&
	(cd a &&
	 printf -- "---\nmodel: fast\n---\nBye\n" >prompts/bye.prompt &&
	 git add -A && git commit -q -m bye &&
	 pops promote dev bye >/dev/null &&
	 test_expect_code 1 pops push 2>err &&
	 grep -q "run .pops pull origin. first" err &&
	 pops pull >out &&
	 grep -q "merged (both histories kept)" out &&
	 git log --format=%s refs/pops/releases >log &&
	 grep -q "^merge ledger from origin" log &&
	 grep -q "promote hello@1 to staging" log &&
	 grep -q "promote bye@1 to dev" log &&
	 test "$(git rev-list --parents -n 1 refs/pops/releases | wc -w)" = 3 &&
	 pops release list >list &&
	 grep -q "^staging  *hello" list && grep -q "^dev  *bye" list &&
	 pops push >/dev/null &&
	 git fsck --no-dangling) &&
	(cd b && pops pull >out && grep -q "fast-forward" out)
'

test_expect_success 'conflicting releases of the same prompt are refused and nothing changes' '
	setup_remote &&
	(cd a && pops promote dev >/dev/null && pops push >/dev/null) &&
	git clone -q origin.git b &&
	(cd b && pops pull >/dev/null &&
	 printf -- "---\nmodel: fast\n---\nHi from b\n" >prompts/hello.prompt &&
	 git commit -q -am b && pops promote dev >/dev/null && pops push >/dev/null) &&
	(cd a &&
	 printf -- "---\nmodel: fast\n---\nHi from a\n" >prompts/hello.prompt &&
	 git commit -q -am a && pops promote dev >/dev/null &&
	 before=$(git rev-parse refs/pops/releases) &&
	 test_expect_code 1 pops pull 2>err &&
	 grep -q "refs/pops/releases diverged from .origin. and both changed dev/hello" err &&
	 grep -q "^hint: " err &&
	 test "$(git rev-parse refs/pops/releases)" = "$before")
'

test_expect_success 'diverged evidence notes on the same commit are united' '
	setup_remote &&
	git clone -q origin.git b &&
	(cd a && git notes --ref pops add -m "{\"schema_version\":1,\"results\":[{\"fingerprint\":\"fa\"}]}" HEAD &&
	 pops push >/dev/null) &&
	(cd b && git notes --ref pops add -m "{\"schema_version\":1,\"results\":[{\"fingerprint\":\"fb\"}]}" HEAD &&
	 pops pull >out && grep -q "refs/notes/pops: .* merged" out &&
	 git notes --ref pops show HEAD >note &&
	 grep -q "\"fa\"" note && grep -q "\"fb\"" note)
'

test_expect_success 'unknown and unreachable remotes: clear errors, ledger unchanged' '
	setup_remote &&
	(cd a && pops promote dev >/dev/null &&
	 before=$(git rev-parse refs/pops/releases) &&
	 test_expect_code 2 pops push nosuch 2>err &&
	 grep -q "no remote named .nosuch." err &&
	 test_expect_code 3 pops pull ../does-not-exist.git 2>err &&
	 grep -q "^error: cannot fetch from .\.\./does-not-exist.git" err &&
	 test_expect_code 3 pops push file:///nonexistent/x.git 2>err &&
	 grep -q "^error: cannot push to" err &&
	 test "$(git rev-parse refs/pops/releases)" = "$before")
'

test_expect_success 'pull refuses a ledger or notes pops never writes; no local ref moves' '
	setup_remote &&
	(cd a && pops promote dev >/dev/null && pops push >/dev/null) &&
	git clone -q origin.git b &&
	(cd b && pops pull >/dev/null) &&
	before=$(git -C b rev-parse refs/pops/releases) &&
	(cd a &&
	 bl=$(git rev-parse HEAD:prompts/hello.prompt) &&
	 evil=$(printf "100644 blob %s\t..\n" "$bl" | git mktree) &&
	 top=$(printf "040000 tree %s\tstaging\n" "$evil" | git mktree) &&
	 c=$(echo evil | git commit-tree "$top" -p refs/pops/releases) &&
	 git update-ref refs/pops/releases "$c" &&
	 git push -q origin refs/pops/releases) &&
	(cd b && test_expect_code 3 pops pull 2>err &&
	 grep -q "sent a bad refs/pops/releases, nothing was changed: ledger entry staging/.. is corrupt" err &&
	 test "$(git rev-parse refs/pops/releases)" = "$before" &&
	 test_must_fail git rev-parse -q --verify refs/notes/pops) &&
	(cd a && git update-ref refs/pops/releases "$before" &&
	 git push -q -f origin refs/pops/releases &&
	 git notes --ref pops add -m "not json" HEAD &&
	 git push -q origin refs/notes/pops) &&
	(cd b && test_expect_code 3 pops pull 2>err &&
	 grep -q "sent a bad refs/notes/pops: entry .* is not a pops note" err &&
	 test_must_fail git rev-parse -q --verify refs/notes/pops)
'

test_done
