#!/bin/sh
# Release closures: a model upgrade or a partial edit is a release like a
# prompt edit; name:env renders from the ledger alone; old ledgers still
# read; a ledger that lost a partial or holds names pops never writes is
# refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-release.sh"

# echo uses the partial _style, which uses _inner
setup_closure() {
	setup_project &&
	printf -- "---\nmodel: fast\n---\nAnswer {{q}}. {{> style}}\n" >prompts/echo.prompt &&
	printf -- "Be brief. {{> inner}}" >prompts/_style.prompt &&
	printf -- "Inner v1." >prompts/_inner.prompt &&
	git add -A && git commit -q -m "echo with partials"
}

# pin <id> [config]: the `fast` alias's model (and config), committed
pin() {
	sed -i "s|^  fast: .*|  fast:  { provider: openai, id: $1${2:+, config: $2} }|" pops.yaml &&
	git commit -q -am "pin fast to $1"
}

ledger() {
	git rev-parse --verify -q refs/pops/releases || echo none
}

test_expect_success 'a model upgrade is promoted through every environment, the version stays' '
	setup_closure &&
	pops promote dev >/dev/null && pops promote staging >/dev/null && pops promote prod >/dev/null &&
	pin gpt-4.1-mini-2025-04-14 &&
	pops status >st &&
	grep -q "^dev  *echo  *@1 .*model gpt-4o-mini-2024-07-18 -> gpt-4.1-mini-2025-04-14" st &&
	pops promote dev >out &&
	grep -q "promoted echo@1 to dev (ledger [0-9a-f]*): model gpt-4o-mini-2024-07-18 -> gpt-4.1-mini-2025-04-14" out &&
	git show -s --format=%B refs/pops/releases >msg &&
	grep -qx "Pops-Model: gpt-4.1-mini-2025-04-14" msg &&
	grep -qx "Pops-Version: 1" msg &&
	grep -qx "model gpt-4o-mini-2024-07-18 -> gpt-4.1-mini-2025-04-14" msg &&
	pops promote staging >out && grep -q "promoted echo@1 to staging" out &&
	pops promote prod >out && grep -q "promoted echo@1 to prod" out &&
	pops status --json >st.json &&
	python3 -c "
import json; d = json.load(open(\"st.json\"))
for env in d[\"environments\"]:
    r = env[\"releases\"][0]
    assert r[\"resolved_model\"][\"id\"] == \"gpt-4.1-mini-2025-04-14\", r
    assert r[\"resolved_model\"][\"provider\"] == \"openai\", r
    assert r[\"head_ahead\"] is False, r
" &&
	git fsck --strict --no-dangling 2>fsck && test_must_be_empty fsck
'

test_expect_success 'a model config change alone is a release that names the key' '
	setup_closure &&
	pops promote dev >/dev/null &&
	pin gpt-4o-mini-2024-07-18 "{ max_tokens: 24 }" &&
	pops release list >list &&
	grep -q "model config max_tokens (unset) -> 24" list &&
	pops promote dev >out &&
	grep -q "model config max_tokens (unset) -> 24" out &&
	git show refs/pops/releases:dev/echo.json >entry &&
	python3 -c "
import json; e = json.load(open(\"entry\"))
assert e[\"schema_version\"] == 2
assert e[\"resolved_model\"][\"config\"] == {\"max_tokens\": 24}, e
"
'

test_expect_success 'a partial edit (also a nested one) is a release; the ledger keeps each partial' '
	setup_closure &&
	pops promote dev >/dev/null &&
	printf -- "Inner v2." >prompts/_inner.prompt &&
	git commit -q -am "inner v2" &&
	pops status >st &&
	grep -q "^dev  *echo  *@1 .*partial _inner@1 -> @2" st &&
	pops promote dev >out &&
	grep -q "partial _inner@1 -> @2" out &&
	git show -s --format=%B refs/pops/releases >msg &&
	grep -qx "Pops-Partial: _inner@2 $(git rev-parse HEAD:prompts/_inner.prompt)" msg &&
	grep -qx "Pops-Partial: _style@1 $(git rev-parse HEAD:prompts/_style.prompt)" msg &&
	test "$(git rev-parse refs/pops/releases:dev/echo@partials/_inner.prompt)" = \
	     "$(git rev-parse HEAD:prompts/_inner.prompt)" &&
	pops promote dev 2>err &&
	grep -q "echo@1 is already in dev (nothing to do)" err &&
	git fsck --strict --no-dangling 2>fsck && test_must_be_empty fsck
'

test_expect_success 'name:env renders the released partials after HEAD changed them' '
	setup_closure &&
	pops promote dev >/dev/null &&
	printf -- "Be wordy. {{> inner}}" >prompts/_style.prompt &&
	printf -- "Inner v2." >prompts/_inner.prompt &&
	git commit -q -am "partials v2" &&
	pops render echo:dev --var q=x --json >dev.json &&
	grep -q "Be brief. Inner v1." dev.json &&
	pops render echo --var q=x --json >head.json &&
	grep -q "Be wordy. Inner v2." head.json &&
	pops prompt show echo:dev >show &&
	grep -q "Answer {{q}}" show
'

test_expect_success 'name:env renders from the ledger alone after the source history is gone' '
	setup_closure &&
	pops promote dev >/dev/null &&
	pops render echo:dev --var q=x --json >before.json &&
	src=$(git rev-parse HEAD) &&
	git checkout -q --orphan fresh &&
	git rm -q -r --cached prompts &&
	rm -f prompts/*.prompt &&
	git commit -q -m "new history" &&
	git branch -D main >/dev/null &&
	git reflog expire --expire=now --all &&
	git gc -q --prune=now &&
	test_must_fail git cat-file -e "$src" 2>/dev/null &&
	pops render echo:dev --var q=x --json >after.json &&
	test_cmp before.json after.json &&
	git fsck --strict --no-dangling 2>fsck && test_must_be_empty fsck
'


test_expect_success 'a ledger from the previous pops reads as before and is upgraded by the next promote' '
	setup_closure &&
	write_legacy_ledger &&
	pops render echo:dev --var q=x --json >r.json &&
	grep -q "Be brief. Inner v1." r.json &&
	pops status >st &&
	grep -q "^dev  *echo  *@1 .*same" st &&
	pops promote dev 2>err &&
	grep -q "already in dev (nothing to do)" err &&
	printf -- "Inner v2." >prompts/_inner.prompt &&
	git commit -q -am "inner v2" &&
	pops promote dev >out &&
	grep -q "partial _inner@1 -> @2" out &&
	git show refs/pops/releases:dev/echo.json >entry &&
	grep -q "\"schema_version\":.*2" entry
'

test_expect_success 'a release whose partial is missing from the ledger: exit 3 naming it' '
	setup_closure &&
	pops promote dev >/dev/null &&
	tip=$(git rev-parse refs/pops/releases) &&
	git read-tree --index-output=.git/ledger-index refs/pops/releases &&
	GIT_INDEX_FILE=.git/ledger-index git rm -q --cached "dev/echo@partials/_inner.prompt" &&
	t=$(GIT_INDEX_FILE=.git/ledger-index git write-tree) &&
	c=$(echo broken | git commit-tree "$t" -p "$tip") &&
	git update-ref refs/pops/releases "$c" &&
	test_expect_code 3 pops render echo:dev --var q=x 2>err &&
	grep -q "partial inner is missing from the release" err &&
	test_expect_code 3 pops status 2>err &&
	grep -q "partial inner is missing" err
'

test_expect_success 'a ledger entry named .. or of another mode is corrupt: exit 3, nothing written' '
	setup_closure &&
	pops promote dev >/dev/null &&
	b=$(git rev-parse HEAD:prompts/echo.prompt) &&
	evil=$(printf "100644 blob %s\t..\n" "$b" | git mktree) &&
	top=$(printf "040000 tree %s\tstaging\n" "$evil" | git mktree) &&
	c=$(echo evil | git commit-tree "$top" -p refs/pops/releases) &&
	git update-ref refs/pops/releases "$c" &&
	test_expect_code 3 pops release list 2>err &&
	grep -q "ledger entry staging/.. is corrupt" err &&
	link=$(printf "120000 blob %s\tx.prompt\n" "$b" | git mktree) &&
	top=$(printf "040000 tree %s\tstaging\n" "$link" | git mktree) &&
	c=$(echo link | git commit-tree "$top" -p refs/pops/releases) &&
	git update-ref refs/pops/releases "$c" &&
	test_expect_code 3 pops status 2>err &&
	grep -q "ledger entry staging/x.prompt is corrupt" err
'

test_expect_success 'an approval is for one exact release: a model upgrade needs a new one' '
	setup_closure &&
	sed -i "/^environments:/,\$d" pops.yaml &&
	printf "environments:\n  - name: dev\n  - name: prod\n    require: { from: dev, approvals: 1 }\n" >>pops.yaml &&
	git commit -q -am "prod needs an approval" &&
	pops promote dev >/dev/null &&
	pops approve prod echo:dev >out &&
	git show -s --format=%B refs/pops/releases >msg &&
	grep -q "^Pops-Closure: [0-9a-f]\{64\}$" msg &&
	pin gpt-4.1-mini-2025-04-14 &&
	pops promote dev >/dev/null &&
	test_expect_code 1 pops promote prod 2>err &&
	grep -q "requires 1 approval of echo@1 for prod: 0 so far" err &&
	grep -q "to satisfy: pops approve prod echo:dev" err &&
	pops approve prod echo:dev >/dev/null &&
	pops promote prod >out &&
	grep -q "promoted echo@1 to prod" out
'

test_done
