#!/bin/sh
# pops init: creates the repository and the project skeleton.
. "$(dirname "$0")/lib.sh"

test_expect_success 'init creates a git repo, pops.yaml, directories and .gitignore' '
	pops init proj >out &&
	test -d proj/.git &&
	test -f proj/pops.yaml &&
	test -d proj/prompts && test -d proj/evals && test -d proj/datasets &&
	grep -qx ".pops/cache/" proj/.gitignore &&
	grep -q "Initialized empty git repository" out &&
	git -C proj status --porcelain >st &&
	grep -q "pops.yaml" st
'

test_expect_success 'init in an existing repository does not create another' '
	git init -q . &&
	mkdir sub &&
	pops init sub >out &&
	! grep -q "empty git repository" out &&
	test ! -d sub/.git &&
	test -f sub/pops.yaml
'

test_expect_success 'init refuses to overwrite pops.yaml and writes nothing' '
	git init -q . &&
	echo "version: 1" >pops.yaml &&
	test_expect_code 2 pops init 2>err &&
	grep -q "^error: .*pops.yaml. already exists" err &&
	grep -q "^hint: use .pops init --force." err &&
	test "$(cat pops.yaml)" = "version: 1" &&
	test ! -d prompts
'

test_expect_success 'init --force replaces pops.yaml' '
	git init -q . &&
	echo "version: 1" >pops.yaml &&
	pops init --force >out &&
	grep -q Reinitialized out &&
	grep -q "^environments:" pops.yaml
'

test_expect_success 'init keeps an existing .gitignore and adds the cache line once' '
	git init -q . &&
	printf "node_modules/" >.gitignore &&
	pops init >/dev/null &&
	pops init --force >/dev/null &&
	grep -qx "node_modules/" .gitignore &&
	test "$(grep -c "^.pops/cache/$" .gitignore)" = 1
'

test_expect_success 'the generated pops.yaml is valid and git sees the new files' '
	pops init . >/dev/null &&
	git add -A && git commit -q -m init &&
	git fsck --no-progress 2>&1 >/dev/null &&
	test "$(git log --oneline | wc -l)" = 1
'

test_expect_success 'init inside a project asks for --force before nesting one, and writes nothing' '
	pops init >/dev/null &&
	mkdir -p sub &&
	(cd sub && test_expect_code 2 pops init 2>../err) &&
	grep -q "^error: .\.. is inside the pops project of .*/pops.yaml.$" err &&
	grep -q "^hint: .*--force" err &&
	! test -e sub/pops.yaml &&
	! test -e sub/prompts &&
	test_expect_code 2 pops init sub/deeper 2>err &&
	grep -q "inside the pops project" err &&
	! test -e sub/deeper &&
	(cd sub && pops init --force >../out) &&
	test -f sub/pops.yaml &&
	grep -q "^Initialized pops project" out
'

test_expect_success 'init in a subdirectory of a repository without a project is fine' '
	git init -q . &&
	mkdir -p services/bot &&
	pops init services/bot >out &&
	! grep -q "empty git repository" out &&
	test -f services/bot/pops.yaml
'

test_expect_success 'init on a path that is a file fails with exit 3' '
	echo x >afile &&
	test_must_fail pops init afile/sub 2>err &&
	grep -q "^error: " err
'

test_done
