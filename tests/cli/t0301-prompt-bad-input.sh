#!/bin/sh
# Bad input to the prompt commands: a clear one-line error, exit 2, and
# nothing written (HEAD, index, refs and work tree unchanged).
. "$(dirname "$0")/lib.sh"

# snapshot of everything a failed command must leave alone. git status
# must not refresh the index itself (GIT_OPTIONAL_LOCKS=0): it rewrites a
# racily clean index, which showed as a change whenever the two snapshots
# straddled a minute; full-iso times catch a real rewrite in the same minute
# (-A: the directories themselves change as the cases write err files).
snap() {
	{ git rev-parse HEAD 2>/dev/null; git for-each-ref;
	  GIT_OPTIONAL_LOCKS=0 git status --porcelain --untracked-files=no;
	  ls -lAR --time-style=full-iso prompts; ls -lA --time-style=full-iso .git; } >"$1"
}

one_prompt() {
	setup_project &&
	printf -- "---\nmodel: fast\n---\nv1\n" >prompts/s.prompt &&
	pops prompt add s >/dev/null
}

test_expect_success 'not a git repository' '
	mkdir plain && cd plain &&
	test_expect_code 2 pops prompt list 2>err &&
	grep -q "^error: not a git repository" err &&
	test_expect_code 2 pops prompt show s 2>err &&
	test_expect_code 2 pops prompt diff s 2>err &&
	grep -q "^error: not a git repository" err
'

test_expect_success 'unborn branch: log and @latest say there are no commits' '
	git init -q . && pops init . >/dev/null &&
	printf "x\n" >prompts/s.prompt &&
	test_expect_code 2 pops prompt log s 2>err &&
	grep -q "^error: HEAD has no commits yet (unborn branch .main.)" err &&
	test_expect_code 2 pops prompt show s@latest 2>err &&
	grep -q "no commits yet" err &&
	pops prompt show s >out && test_cmp prompts/s.prompt out
'

test_expect_success 'add on an unborn branch makes the root commit' '
	git init -q . && pops init . >/dev/null &&
	printf "x\n" >prompts/s.prompt &&
	pops prompt add s >out &&
	grep -q "^s@1 " out &&
	git log --format=%s >log && echo "prompt: add s" >expect && test_cmp expect log
'

test_expect_success 'unknown prompt, with the file it looked for' '
	one_prompt && snap before &&
	test_expect_code 2 pops prompt show nope 2>err &&
	grep -q "^error: prompt .nope. not found (no file prompts/nope.prompt)$" err &&
	test_expect_code 2 pops prompt log nope 2>err &&
	grep -q "^error: prompt .nope. has no committed version" err &&
	test_expect_code 2 pops prompt add nope 2>err &&
	snap after && test_cmp before after
'

test_expect_success 'version out of range and bad version syntax' '
	one_prompt &&
	test_expect_code 2 pops prompt show s@2 2>err &&
	grep -q "^error: version 2 of .s. does not exist (latest is 1)$" err &&
	test_expect_code 2 pops prompt show s@-1 2>err &&
	grep -q "s@-1. does not exist" err &&
	test_expect_code 2 pops prompt show s@0 2>err &&
	grep -q "^error: invalid address .s@0." err &&
	test_expect_code 2 pops prompt show s@x 2>err &&
	test_expect_code 2 pops prompt show s@ 2>err
'

test_expect_success 'bad and ambiguous revisions' '
	one_prompt &&
	test_expect_code 2 pops prompt show "s#nosuchbranch" 2>err &&
	grep -q "^error: unknown revision .nosuchbranch.$" err &&
	test_expect_code 2 pops prompt show "s#HEAD~5" 2>err &&
	test_expect_code 2 pops prompt show "s#" 2>err &&
	grep -q "invalid address" err &&
	# enough objects that two share a 4-digit prefix, then use that prefix
	awk "BEGIN { for (i = 0; i < 1500; i++) { s = \"x\" i; printf \"blob\\ndata %d\\n%s\\n\", length(s), s } }" >stream &&
	git fast-import --quiet <stream &&
	git cat-file --batch-all-objects --batch-check="%(objectname)" | cut -c1-4 | sort | uniq -d | head -n 1 >dup &&
	test -s dup &&
	test_expect_code 2 pops prompt show "s#$(cat dup)" 2>err &&
	grep -q "^error: revision .$(cat dup). is ambiguous" err
'

test_expect_success 'unknown environment and no ledger yet' '
	one_prompt &&
	test_expect_code 2 pops prompt show s:prd 2>err &&
	grep -q "^error: unknown environment .prd. (did you mean .prod.?)$" err &&
	test_expect_code 2 pops prompt show s:prod 2>err &&
	grep -q "^error: no release of .s. in env .prod. (nothing has been promoted yet)$" err
'

test_expect_success 'unsafe names: .., absolute, control characters' '
	one_prompt && snap before &&
	test_expect_code 2 pops prompt show ../pops 2>err &&
	grep -q "^error: invalid prompt name .../pops.: .\.. and .\.\.. are not allowed$" err &&
	test_expect_code 2 pops prompt show a/../../x@1 2>err &&
	test_expect_code 2 pops prompt show /etc/passwd 2>err &&
	grep -q "absolute paths" err &&
	test_expect_code 2 pops prompt log "$(printf "bad\033name")" 2>err &&
	grep -q "^error: invalid prompt name .bad?name.: control characters" err &&
	test_expect_code 2 pops prompt add ../pops.yaml 2>err &&
	test_expect_code 2 pops prompt add /etc/hostname 2>err &&
	grep -q "outside the prompts directory" err &&
	snap after && test_cmp before after
'

test_expect_success 'one name rule: a UTF-8 name add takes is promoted, rendered and exported' '
	setup_project &&
	printf -- "---\nmodel: fast\n---\nHallo\n" >prompts/grüße.prompt &&
	mkdir prompts/日本 &&
	printf -- "---\nmodel: fast\n---\nkonnichiwa\n" >prompts/日本/要約.prompt &&
	pops prompt add grüße 日本/要約 >out &&
	grep -q "^grüße@1 " out &&
	pops promote dev grüße 日本/要約 >out &&
	grep -q "^promoted grüße@1 to dev" out &&
	pops render grüße:dev >out &&
	grep -q "Hallo" out &&
	pops export --env dev bundle >/dev/null &&
	test -f bundle/grüße.prompt &&
	test -f "bundle/日本/要約.prompt" &&
	pops prompt list >out &&
	grep -q "^grüße  *1 .* dev=1$" out &&
	grep -q "^日本/要約  *1 .* dev=1$" out
'

test_expect_success 'one name rule: what add refuses, promote and the ledger refuse too' '
	one_prompt &&
	zw=$(printf "a\342\200\213b") &&
	printf "x\n" >"prompts/$zw.prompt" &&
	test_expect_code 2 pops prompt add "$zw" 2>err &&
	grep -q "invisible characters" err &&
	test_expect_code 2 pops promote dev "$zw" 2>err &&
	grep -q "invalid prompt name" err &&
	test_expect_code 2 pops prompt add .hidden 2>err &&
	grep -q "may not start with" err
'

test_expect_success 'list warns about and lint fails a file whose name breaks the rule' '
	one_prompt &&
	printf -- "---\nmodel: fast\n---\nv1\n" >"prompts/my prompt.prompt" &&
	pops prompt list >out 2>err &&
	! grep -q "my prompt" out &&
	grep -q "^warning: prompts/my prompt.prompt: not a valid prompt name: spaces are not allowed" err &&
	git add -A && git commit -q -m "a file with a space" &&
	pops prompt list >out 2>err &&
	test $(grep -c "my prompt" err) -eq 1 &&
	test_expect_code 2 pops prompt lint 2>err &&
	grep -q "^error: .*prompts/my prompt.prompt: not a valid prompt name: spaces are not allowed" err &&
	grep -q "1 error" err &&
	rm "prompts/my prompt.prompt" &&
	pops prompt lint 2>err
'

test_expect_success 'symlinks escaping the prompts directory are refused' '
	one_prompt &&
	echo secret >../outside.prompt &&
	ln -s ../../outside.prompt prompts/evil.prompt &&
	mkdir -p ../elsewhere && ln -s ../../elsewhere prompts/dir &&
	echo secret >../elsewhere/x.prompt &&
	snap before &&
	test_expect_code 2 pops prompt show evil 2>err &&
	grep -q "^error: prompts/evil.prompt resolves outside the prompts directory" err &&
	test_expect_code 2 pops prompt show dir/x 2>err &&
	grep -q "resolves outside" err &&
	test_expect_code 2 pops prompt add evil 2>err &&
	test_expect_code 2 pops prompt add prompts/evil.prompt 2>err &&
	grep -q "resolves outside" err &&
	snap after && test_cmp before after &&
	! grep -rq secret .git/objects 2>/dev/null
'

test_expect_success 'a symlink committed to git is not followed' '
	setup_project &&
	ln -s /etc/hostname prompts/link.prompt &&
	git add prompts && git commit -q -m link &&
	test_expect_code 2 pops prompt show link@1 2>err &&
	grep -q "is a symbolic link in git" err
'

test_expect_success 'usage errors: missing arguments, unknown options' '
	one_prompt &&
	test_expect_code 2 pops prompt show 2>err &&
	test_expect_code 2 pops prompt log --bogus s 2>err &&
	grep -q "^usage: pops prompt log" err &&
	test_expect_code 2 pops prompt diff a b c 2>err &&
	test_expect_code 2 pops prompt nosuch 2>err &&
	grep -q "did you mean\|see .pops prompt -h." err
'

test_expect_success '-h works outside a repository with empty stderr' '
	for c in add list show log diff; do
		pops prompt $c -h >out 2>err &&
		grep -q "^usage: pops prompt $c" out &&
		test_must_be_empty err || exit 1
	done
'

test_done
