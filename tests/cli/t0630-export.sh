#!/bin/sh
# pops export: what it writes (the release closures and manifest.json)
# and what it refuses to replace: a directory is the user's unless it
# holds nothing but a pops export, unchanged.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-release.sh"

# a project with one released prompt (dev)
setup_export() {
	setup_project &&
	printf -- "---\nmodel: fast\n---\nSummarize: {{text}}\n" >prompts/summarize.prompt &&
	git add -A && git commit -q -m "summarize" &&
	pops promote dev >/dev/null
}

# echo uses the partial _style, which uses _inner; support/triage uses _style
setup_closure() {
	setup_project &&
	mkdir -p prompts/support &&
	printf -- "---\nmodel: fast\nconfig:\n  temperature: 0.2\n---\nAnswer {{q}}. {{> style}}\n" >prompts/echo.prompt &&
	printf -- "---\nmodel: fast\n---\nTriage {{ticket}}. {{> style}}\n" >prompts/support/triage.prompt &&
	printf -- "Be brief. {{> inner}}" >prompts/_style.prompt &&
	printf -- "Inner v1." >prompts/_inner.prompt &&
	git add -A && git commit -q -m "prompts with partials"
}

ledger() {
	git rev-parse --verify -q refs/pops/releases || echo none
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

test_expect_success 'export writes every released prompt, every partial it reaches, and a schema 2 manifest' '
	setup_closure &&
	pops promote dev echo >/dev/null &&
	l1=$(ledger) &&
	pops promote dev support/triage >/dev/null &&
	l2=$(ledger) &&
	pops export --env dev out >msg &&
	grep -q "^exported 2 prompts and 2 partials from dev (ledger $(git rev-parse --short=12 refs/pops/releases)) to out" msg &&
	(cd out && find . -type f | sort) >files &&
	printf "./_inner.prompt\n./_style.prompt\n./echo.prompt\n./manifest.json\n./support/triage.prompt\n" >expect &&
	test_cmp expect files &&
	for f in echo.prompt support/triage.prompt _style.prompt _inner.prompt; do
		git show "HEAD:prompts/$f" >expect && cmp expect "out/$f" || exit 1
	done &&
	pops --version >version &&
	python3 -c "
import json, subprocess
def git(*a): return subprocess.check_output((\"git\",) + a, text=True).strip()
m = json.load(open(\"out/manifest.json\"))
assert m[\"schema_version\"] == 2 and m[\"generator\"] == \"pops\", m
assert \"pops \" + m[\"pops_version\"] == open(\"version\").read().strip(), m
assert m[\"env\"] == \"dev\" and m[\"format\"] == \"files\", m
assert m[\"ledger_commit\"] == \"$l2\", m
p = {x[\"name\"]: x for x in m[\"prompts\"]}
assert sorted(p) == [\"echo\", \"support/triage\"], p
e = p[\"echo\"]
assert e[\"version\"] == 1 and e[\"file\"] == \"echo.prompt\", e
assert e[\"blob\"] == git(\"rev-parse\", \"HEAD:prompts/echo.prompt\"), e
assert e[\"source_commit\"] == git(\"rev-parse\", \"HEAD\"), e
assert e[\"ledger_commit\"] == \"$l1\", e
assert p[\"support/triage\"][\"ledger_commit\"] == \"$l2\", p
assert e[\"evidence\"] is None, e
assert e[\"model\"] == {\"alias\": \"fast\", \"provider\": \"openai\", \"type\": \"openai\",
                      \"id\": \"gpt-4o-mini-2024-07-18\", \"config\": {\"temperature\": 0.2}}, e
assert p[\"support/triage\"][\"model\"][\"config\"] == {}, p
want = [{\"name\": n, \"file\": \"_%s.prompt\" % n, \"version\": 1,
         \"blob\": git(\"rev-parse\", \"HEAD:prompts/_%s.prompt\" % n)} for n in (\"inner\", \"style\")]
assert e[\"partials\"] == want, e[\"partials\"]
assert p[\"support/triage\"][\"partials\"] == want, p
assert m[\"partials\"] == want, m[\"partials\"]
" &&
	git fsck --strict --no-dangling 2>fsck && test_must_be_empty fsck
'

test_expect_success 'export takes partials from the ledger: edited at HEAD, or with the source history gone' '
	setup_closure &&
	pops promote dev >/dev/null &&
	git show HEAD:prompts/_inner.prompt >released-inner &&
	printf -- "Inner v2." >prompts/_inner.prompt &&
	git commit -q -am "inner v2" &&
	pops export --env dev out >/dev/null &&
	cmp released-inner out/_inner.prompt &&
	src=$(git rev-parse HEAD~1) &&
	git checkout -q --orphan fresh &&
	git rm -q -r --cached prompts &&
	rm -rf prompts/* &&
	git commit -q -m "new history" &&
	git branch -D main >/dev/null &&
	git reflog expire --expire=now --all &&
	git gc -q --prune=now &&
	test_must_fail git cat-file -e "$src" 2>/dev/null &&
	pops export --env dev again >/dev/null &&
	diff -r out again
'

test_expect_success 'prompts released with different versions of one partial: exit 1, both named, nothing written' '
	setup_closure &&
	pops promote dev >/dev/null &&
	pops export --env dev out >/dev/null &&
	cp -R out before &&
	printf -- "Be very brief. {{> inner}}" >prompts/_style.prompt &&
	git commit -q -am "style v2" &&
	pops promote dev echo >/dev/null &&
	test_expect_code 1 pops export --env dev out 2>err &&
	grep -q "^error: echo and support/triage were released to dev with different versions of partial .style.: echo has _style@2 ([0-9a-f]*), support/triage has _style@1 ([0-9a-f]*); a bundle holds one _style.prompt: align them with .pops promote dev echo support/triage.$" err &&
	diff -r before out &&
	test_expect_code 1 pops export --env dev new 2>err &&
	test ! -e new &&
	no_leftovers &&
	pops promote dev echo support/triage >/dev/null &&
	pops export --env dev out >/dev/null &&
	git show HEAD:prompts/_style.prompt >expect &&
	cmp expect out/_style.prompt
'

test_expect_success 'export --format json carries the partials'"'"' text in the manifest' '
	setup_closure &&
	pops promote dev echo >/dev/null &&
	pops export --env dev --format json js >/dev/null &&
	test "$(ls js)" = manifest.json &&
	python3 -c "
import json
m = json.load(open(\"js/manifest.json\"))
assert m[\"format\"] == \"json\", m
assert [x[\"content\"] for x in m[\"partials\"]] == [\"Inner v1.\", \"Be brief. {{> inner}}\"], m
assert \"file\" not in m[\"partials\"][0], m
assert m[\"prompts\"][0][\"content\"].endswith(\"Answer {{q}}. {{> style}}\\n\"), m
" &&
	pops export --env dev --format json js >/dev/null
'

test_expect_success 'pops render of a bundle file takes its partials from the bundle, not the project' '
	setup_closure &&
	pops promote dev >/dev/null &&
	pops export --env dev out >/dev/null &&
	printf -- "Be wordy. {{> inner}}" >prompts/_style.prompt &&
	pops render support/triage:dev --var ticket=T --json >released.json &&
	pops render out/support/triage.prompt --var ticket=T --json >bundle.json &&
	grep -q "Be brief. Inner v1." bundle.json &&
	sed "s/\"name\":.*/NAME/" released.json >expect &&
	sed "s/\"name\":.*/NAME/" bundle.json >actual &&
	test_cmp expect actual &&
	here=$PWD &&
	outside="$TRASH/outside-$test_count" &&
	mkdir "$outside" && cp -R out "$outside/" && cd "$outside" &&
	pops render out/support/triage.prompt --var ticket=T --json >bundle.json &&
	sed "s/\"name\":.*/NAME/" bundle.json >actual &&
	test_cmp "$here/expect" actual
'


test_expect_success 'a release written before closures exports the partials of its source commit' '
	setup_closure &&
	write_legacy_ledger &&
	git show HEAD:prompts/_inner.prompt >released-inner &&
	printf -- "Inner v2." >prompts/_inner.prompt &&
	git commit -q -am "inner v2" &&
	pops export --env dev out >msg &&
	grep -q "exported 1 prompt and 2 partials" msg &&
	cmp released-inner out/_inner.prompt &&
	python3 -c "
import json
m = json.load(open(\"out/manifest.json\"))
e = m[\"prompts\"][0]
assert e[\"model\"] == {\"alias\": \"fast\", \"provider\": None, \"type\": None,
                      \"id\": \"gpt-4o-mini-2024-07-18\", \"config\": None}, e
assert [x[\"name\"] for x in e[\"partials\"]] == [\"inner\", \"style\"], e
assert e[\"partials\"][0][\"version\"] == 1, e
"
'

test_expect_success 'a pre-closure release whose source commit is gone: exit 3, nothing written' '
	setup_closure &&
	write_legacy_ledger &&
	git checkout -q --orphan fresh &&
	git commit -q -m "new history" &&
	git branch -D main >/dev/null &&
	git reflog expire --expire=now --all &&
	git gc -q --prune=now &&
	test_expect_code 3 pops export --env dev out 2>err &&
	grep -q "^error: cannot export dev/echo: it was released before pops recorded partials in the ledger, and its source commit [0-9a-f]* is not in this repository (git fetch, or promote it again)$" err &&
	! grep -q hint err &&
	test ! -e out &&
	no_leftovers
'

test_expect_success 'a ledger naming a partial outside the bundle is corrupt: exit 3, nothing written' '
	setup_closure &&
	pops promote dev echo >/dev/null &&
	mkdir -p deep/er &&
	git show refs/pops/releases:dev/echo.json >entry &&
	python3 -c "
import json
e = json.load(open(\"entry\"))
e[\"partials\"][0][\"name\"] = \"../../evil\"
e[\"partials\"][0][\"file\"] = \"../../_evil.prompt\"
json.dump(e, open(\"entry\", \"w\"))
" &&
	jb=$(git hash-object -w entry) &&
	git read-tree --index-output=.git/ledger-index refs/pops/releases &&
	GIT_INDEX_FILE=.git/ledger-index git update-index --cacheinfo "100644,$jb,dev/echo.json" &&
	t=$(GIT_INDEX_FILE=.git/ledger-index git write-tree) &&
	c=$(echo evil | git commit-tree "$t" -p refs/pops/releases) &&
	git update-ref refs/pops/releases "$c" &&
	cd deep/er &&
	test_expect_code 3 pops export --env dev out 2>err &&
	grep -q "corrupt ledger entry .dev/echo.json." err &&
	test ! -e out &&
	test ! -e ../../_evil.prompt && test ! -e ../_evil.prompt && test ! -e _evil.prompt
'

test_done
