#!/bin/sh
# pops export: what it writes (the release closures and manifest.json)
# and what it refuses to replace: a directory is the user's unless it
# holds nothing but a pops export, unchanged.
. "$(dirname "$0")/lib.sh"

# a project with one released prompt (dev)
setup_export() {
	setup_project &&
	printf -- "---\nmodel: fast\n---\nSummarize: {{text}}\n" >prompts/summarize.prompt &&
	git add -A && git commit -q -m "summarize" &&
	pops promote dev >/dev/null
}

# no temporary or set-aside directory is left beside the export
no_leftovers() {
	ls -a "${1:-.}" >entries &&
	! grep -q "tmp-\|old-" entries
}

test_expect_success 'export never replaces an application directory that has a manifest.json (issue 15)' '
	setup_export &&
	mkdir -p app/src &&
	echo "{\"name\":\"pwa\"}" >app/manifest.json &&
	echo code >app/src/app.js &&
	test_expect_code 2 pops export --env dev app 2>err &&
	grep -q "app/manifest.json. was not written by pops export" err &&
	grep -q "nothing was changed" err &&
	test "$(cat app/src/app.js)" = code &&
	test "$(cat app/manifest.json)" = "{\"name\":\"pwa\"}" &&
	test "$(find app | sort | tr "\n" " ")" = "app app/manifest.json app/src app/src/app.js " &&
	no_leftovers
'

test_expect_success 'a directory of other files, with no manifest, is refused untouched' '
	setup_export &&
	mkdir keep && echo precious >keep/file &&
	test_expect_code 2 pops export --env dev keep 2>err &&
	grep -q "holds no pops export (no manifest.json)" err &&
	test "$(cat keep/file)" = precious &&
	echo file >plain &&
	test_expect_code 2 pops export --env dev plain 2>err &&
	grep -q "exists and is not a directory" err &&
	test "$(cat plain)" = file &&
	no_leftovers
'

test_expect_success 'a previous export is replaced; an empty or missing directory is fine' '
	setup_export &&
	mkdir empty &&
	pops export --env dev empty >out &&
	grep -q "exported 1 prompt from dev" out &&
	test -f empty/summarize.prompt &&
	pops export --env dev build/prompts >/dev/null &&
	pops export --env dev build/prompts >/dev/null &&
	cmp prompts/summarize.prompt build/prompts/summarize.prompt &&
	no_leftovers build &&
	no_leftovers
'

test_expect_success 'a previous export with a file added, edited, linked or emptied is the user'"'"'s' '
	setup_export &&
	pops export --env dev out >/dev/null &&
	echo mine >out/notes.txt &&
	test_expect_code 2 pops export --env dev out 2>err &&
	grep -q "holds .notes.txt. (a file its manifest.json does not list)" err &&
	test "$(cat out/notes.txt)" = mine &&
	rm out/notes.txt &&
	echo "my edit" >>out/summarize.prompt &&
	test_expect_code 2 pops export --env dev out 2>err &&
	grep -q "out/summarize.prompt. was changed since pops exported it" err &&
	grep -q "my edit" out/summarize.prompt &&
	git show HEAD:prompts/summarize.prompt >out/summarize.prompt &&
	mkdir out/sub &&
	test_expect_code 2 pops export --env dev out 2>err &&
	grep -q "holds .sub. (a directory)" err &&
	rmdir out/sub &&
	ln -s ../pops.yaml out/link.prompt &&
	test_expect_code 2 pops export --env dev out 2>err &&
	grep -q "holds .link.prompt. (a symbolic link)" err &&
	rm out/link.prompt &&
	mkfifo out/pipe &&
	test_expect_code 2 pops export --env dev out 2>err &&
	grep -q "holds .pipe. (not a regular file)" err &&
	rm out/pipe &&
	pops export --env dev out >/dev/null &&
	no_leftovers
'

test_expect_success 'a symbolic link to an export is refused, not replaced by a directory' '
	setup_export &&
	pops export --env dev out >/dev/null &&
	ln -s out link &&
	test_expect_code 2 pops export --env dev link 2>err &&
	grep -q "is a symbolic link" err &&
	test -L link
'

test_expect_success 'a manifest that lists files outside the directory is not a pops export' '
	setup_export &&
	mkdir out &&
	echo outside >x.prompt &&
	blob=$(git hash-object x.prompt) &&
	ledger=$(git rev-parse refs/pops/releases) &&
	printf "{\"schema_version\":1,\"env\":\"dev\",\"ledger_commit\":\"%s\",\"format\":\"files\",\"prompts\":[{\"name\":\"x\",\"blob\":\"%s\",\"file\":\"../x.prompt\"}]}\n" \
		"$ledger" "$blob" >out/manifest.json &&
	test_expect_code 2 pops export --env dev out 2>err &&
	grep -q "not written by pops export (an entry without a safe file name)" err &&
	test "$(cat x.prompt)" = outside &&
	test -f out/manifest.json
'

test_expect_success 'an export written by the previous pops (schema 1) is replaced' '
	setup_export &&
	mkdir -p old/support &&
	git show HEAD:prompts/summarize.prompt >old/support/s.prompt &&
	blob=$(git hash-object old/support/s.prompt) &&
	ledger=$(git rev-parse refs/pops/releases) &&
	printf "{\"schema_version\":1,\"env\":\"dev\",\"ledger_commit\":\"%s\",\"format\":\"files\",\"prompts\":[{\"name\":\"support/s\",\"version\":1,\"blob\":\"%s\",\"file\":\"support/s.prompt\"}]}\n" \
		"$ledger" "$blob" >old/manifest.json &&
	pops export --env dev old >/dev/null &&
	test "$(find old | sort | tr "\n" " ")" = "old old/manifest.json old/summarize.prompt "
'

test_done
