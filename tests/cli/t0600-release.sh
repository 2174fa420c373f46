#!/bin/sh
# Releases: promote through environments, gates, force, rollback, export,
# the ledger's layout and its bad-input paths.
. "$(dirname "$0")/lib.sh"

MODEL=gpt-4o-mini-2024-07-18

# a project with two prompts committed (version 1 each)
setup_release() {
	setup_project &&
	mkdir -p prompts/support &&
	printf -- "---\nmodel: fast\n---\nSummarize: {{text}}\n" >prompts/summarize.prompt &&
	printf -- "---\nmodel: fast\n---\nTriage: {{ticket}}\n" >prompts/support/triage.prompt &&
	printf -- "Be brief.\n" >prompts/_style.prompt &&
	git add -A && git commit -q -m "two prompts"
}

# replace the environments section of pops.yaml
set_envs() {
	sed -i "/^environments:/,\$d" pops.yaml &&
	printf "environments:\n%s\n" "$1" >>pops.yaml
}

# new_version <prompt> <text>: commit a new version of the prompt
new_version() {
	printf -- "---\nmodel: fast\n---\n%s\n" "$2" >"prompts/$1.prompt" &&
	git add -A && git commit -q -m "$1: $2"
}

# smoke_suite: evals/smoke.yaml, a suite of one inline case for summarize
smoke_suite() {
	mkdir -p evals &&
	printf "prompt: summarize\ntests:\n  - { vars: { text: hi } }\n" >evals/smoke.yaml
}

# eval_note <suite> <json>: replace HEAD's note with one result that has
# the fingerprint a real run of <suite> would record (pops eval run
# --dry-run --json says which), complete, with the fields of <json>
eval_note() {
	pops eval run --dry-run --json .git/plan.json "$1" >/dev/null &&
	python3 - "$2" >.git/note.json <<-\EOP &&
	import json, sys
	p = json.load(open(".git/plan.json"))["plans"][0]
	r = dict(p["evidence"])
	r.update(fingerprint=p["fingerprint"], kind="complete", model_alias=p["model"])
	r.update(json.loads(sys.argv[1]))
	print(json.dumps({"schema_version": 1, "results": [r]}))
	EOP
	git notes --ref pops add -f -F .git/note.json HEAD
}

# add_evidence <prompt> <suite> <pass_rate> [verdict]: an eval result note on HEAD
add_evidence() {
	eval_note "$2" "{\"cases\":20,\"passed\":19,\"failed\":1,\"errors\":0,\"pass_rate\":$3,\"ci_low\":0.76,\"ci_high\":0.99,\"threshold\":0.9,\"verdict\":\"${4:-pass}\",\"date\":\"2026-11-24T12:00:00Z\"}"
}

ledger() {
	git rev-parse --verify -q refs/pops/releases || echo none
}

test_expect_success 'promote goes dev -> staging -> prod and the ledger is plain git' '
	setup_release &&
	pops promote dev >out &&
	grep -q "promoted summarize@1 to dev" out &&
	grep -q "promoted support/triage@1 to dev" out &&
	pops promote staging summarize >out &&
	grep -q "promoted summarize@1 to staging" out &&
	pops promote prod summarize >out &&
	git log --format=%s refs/pops/releases >log &&
	cat >expect <<-\EOF_ &&
	promote summarize@1 to prod
	promote summarize@1 to staging
	promote support/triage@1 to dev
	promote summarize@1 to dev
	EOF_
	test_cmp expect log &&
	git cat-file -e refs/pops/releases:prod/summarize.prompt &&
	git cat-file -e refs/pops/releases:dev/support/triage.json &&
	test "$(git rev-parse refs/pops/releases:prod/summarize.prompt)" = "$(git rev-parse HEAD:prompts/summarize.prompt)" &&
	git show -s --format=%B refs/pops/releases >msg &&
	grep -qx "Pops-Env: prod" msg &&
	grep -qx "Pops-Prompt: summarize" msg &&
	grep -qx "Pops-Version: 1" msg &&
	grep -qx "Pops-Source: $(git rev-parse HEAD)" msg &&
	grep -qx "Pops-Model: $MODEL" msg &&
	git show refs/pops/releases:prod/summarize.json >entry &&
	grep -q "\"schema_version\":.*2" entry &&
	grep -q "\"model_alias\":.*\"fast\"" entry &&
	git fsck --no-dangling 2>fsck &&
	test_must_be_empty fsck
'

test_expect_success 'partials are not prompts; a new version is promoted; release list says what differs' '
	setup_release &&
	pops promote dev >out &&
	! grep -q _style out &&
	test_must_fail git cat-file -e refs/pops/releases:dev/_style.prompt 2>/dev/null &&
	pops promote staging >/dev/null &&
	new_version summarize "Summarize in one line: {{text}}" &&
	pops promote dev >out &&
	grep -q "promoted summarize@2 to dev" out &&
	! grep -q "triage" out &&
	pops release list >list &&
	grep -q "^dev  *summarize  *@2 .*same" list &&
	grep -q "^staging  *summarize  *@1 .*prompt @1 -> @2" list &&
	pops release list --json >json &&
	grep -q "\"head_ahead\":.*true" json
'

test_expect_success 'promoting what an environment has is exit 0, nothing to do, no ledger commit' '
	setup_release &&
	pops promote dev >/dev/null &&
	before=$(ledger) &&
	pops promote dev 2>err &&
	grep -q "^pops: summarize@1 is already in dev (nothing to do)" err &&
	test "$(ledger)" = "$before" &&
	pops promote dev summarize --json >json &&
	python3 -c "
import json; d = json.load(open(\"json\"))
assert d[\"changed\"] is False and d[\"status\"] == \"nothing\", d
assert d[\"prompts\"][0][\"changed\"] is False, d
" &&
	test "$(ledger)" = "$before" &&
	test_expect_code 1 pops promote prod summarize 2>err &&
	grep -q "not released in staging" err &&
	test "$(ledger)" = "$before"
'

test_expect_success 'unknown environment and unknown prompt: exit 2, ledger unchanged' '
	setup_release &&
	pops promote dev >/dev/null &&
	before=$(ledger) &&
	test_expect_code 2 pops promote prdo 2>err &&
	grep -q "unknown environment .prdo. (did you mean .prod.?)" err &&
	test_expect_code 2 pops promote dev nosuch 2>err &&
	grep -q "unknown prompt .nosuch." err &&
	test_expect_code 2 pops promote dev "../etc/passwd" 2>err &&
	grep -q "invalid prompt name .\.\./etc/passwd.: .\.. and .\.\.. are not allowed" err &&
	test_expect_code 2 pops rollback nowhere 2>err &&
	test_expect_code 2 pops promote 2>err &&
	grep -q "missing <env>" err &&
	test "$(ledger)" = "$before"
'

test_expect_success 'a refused promote lists every unmet requirement with its fix, exit 1' '
	setup_release &&
	smoke_suite &&
	set_envs "  - name: dev
  - name: staging
    require: { suites: [evals/smoke.yaml] }
  - name: prod
    require: { from: staging, suites: [evals/smoke.yaml], min_pass_rate: 0.95, approvals: 1 }" &&
	git add -A && git commit -q -m gates &&
	pops promote dev summarize >/dev/null &&
	before=$(ledger) &&
	test_expect_code 1 pops promote staging summarize 2>err &&
	grep -q "^error: promotion to staging refused" err &&
	grep -q "requires a passing eval of summarize@1 with evals/smoke.yaml on $MODEL" err &&
	grep -q "to satisfy: pops eval run evals/smoke.yaml" err &&
	grep -q "^hint: to override, add --force --reason" err &&
	test "$(ledger)" = "$before" &&
	test_expect_code 1 pops promote prod summarize --from dev 2>err &&
	grep -q "requires .from: staging." err &&
	grep -q "to satisfy: pops promote staging summarize" err &&
	grep -q "requires 1 approval of summarize@1 for prod: 0 so far" err &&
	grep -q "to satisfy: pops approve prod summarize:staging" err &&
	test "$(ledger)" = "$before" &&
	test_expect_code 1 pops promote staging summarize --json >json 2>/dev/null &&
	grep -q "\"status\":.*\"refused\"" json &&
	grep -q "\"fix\":.*\"pops eval run evals/smoke.yaml\"" json
'

test_expect_success 'gates are satisfied by evidence notes, approvals and the staging release' '
	setup_release &&
	smoke_suite &&
	set_envs "  - name: dev
  - name: staging
    require: { suites: [evals/smoke.yaml] }
  - name: prod
    require: { from: staging, suites: [evals/smoke.yaml], min_pass_rate: 0.95, approvals: 1 }" &&
	git add -A && git commit -q -m gates &&
	pops promote dev summarize >/dev/null &&
	add_evidence summarize evals/smoke.yaml 0.90 fail &&
	test_expect_code 1 pops promote staging summarize 2>err &&
	grep -q "requires evals/smoke.yaml to pass: summarize@1 failed it with pass rate 90.0%" err &&
	add_evidence summarize evals/smoke.yaml 0.90 pass &&
	pops promote staging summarize >out &&
	grep -q "promoted summarize@1 to staging" out &&
	git show -s --format=%B refs/pops/releases >msg &&
	grep -q "^Pops-Evidence: [0-9a-f]\{64\}$" msg &&
	test_expect_code 1 pops promote prod summarize 2>err &&
	grep -q "requires min_pass_rate 95.0% on evals/smoke.yaml: summarize@1 passed 90.0%" err &&
	grep -q "requires 1 approval" err &&
	pops approve prod summarize@1 >out &&
	grep -q "approved summarize@1 for prod" out &&
	test_expect_code 2 pops approve prod summarize@1 2>err &&
	grep -q "already approved" err &&
	add_evidence summarize evals/smoke.yaml 0.95 pass &&
	pops promote prod summarize --dry-run >out &&
	grep -q "would promote summarize@1 to prod (from staging)" out &&
	pops promote prod summarize >out &&
	grep -q "promoted summarize@1 to prod" out &&
	git show -s --format=%B refs/pops/releases >msg &&
	grep -qx "Approved-by: Pops Tester <tester@example.com>" msg &&
	pops release log prod summarize >log &&
	grep -q "approve summarize@1 for prod" log &&
	grep -q "evidence [0-9a-f]\{12\}" log
'

test_expect_success 'no_regression compares with the release the environment has now' '
	setup_release &&
	smoke_suite &&
	set_envs "  - name: dev
    require: { suites: [evals/smoke.yaml], no_regression: true }" &&
	git add -A && git commit -q -m gates &&
	add_evidence summarize evals/smoke.yaml 0.95 pass &&
	pops promote dev summarize >/dev/null &&
	new_version summarize "Worse: {{text}}" &&
	eval_note evals/smoke.yaml "{\"pass_rate\":0.5,\"ci_low\":0.3,\"ci_high\":0.7,\"verdict\":\"pass\",\"date\":\"2026-11-24T13:00:00Z\"}" &&
	test_expect_code 1 pops promote dev summarize 2>err &&
	grep -q "requires no_regression on evals/smoke.yaml: summarize@2 is a significant regression from @1" err
'

# case_evidence <prompt> <suite> <nfail>: a passing result on HEAD with 20
# per-case outcomes, the first <nfail> failed, and intervals that overlap
# (so only the paired McNemar test can call it a regression)
case_evidence() {
	cr= && i=0 &&
	while test $i -lt 20
	do
		v=true && test $i -ge $3 || v=false
		cr="$cr${cr:+,}\"c$i#0\":$v" && i=$((i + 1))
	done &&
	eval_note "$2" "{\"pass_rate\":0.9,\"ci_low\":0.5,\"ci_high\":1,\"verdict\":\"pass\",\"date\":\"2026-11-24T12:00:00Z\",\"case_results\":{$cr}}"
}

test_expect_success 'no_regression on per-case outcomes: 5 of 20 flipped is not significant, 6 is' '
	setup_release &&
	smoke_suite &&
	set_envs "  - name: dev
    require: { suites: [evals/smoke.yaml], no_regression: true }" &&
	git add -A && git commit -q -m gates &&
	case_evidence summarize evals/smoke.yaml 0 &&
	pops promote dev summarize >/dev/null &&
	new_version summarize "Five worse: {{text}}" &&
	case_evidence summarize evals/smoke.yaml 5 &&
	pops promote dev summarize --dry-run >out &&
	grep -q "would promote summarize@2 to dev" out &&
	new_version summarize "Six worse: {{text}}" &&
	case_evidence summarize evals/smoke.yaml 6 &&
	test_expect_code 1 pops promote dev summarize 2>err &&
	grep -q "summarize@3 is a significant regression from @1 (.*6 cases got worse, 0 better)" err
'

test_expect_success 'force needs a reason; the reason and the override are in the ledger' '
	setup_release &&
	smoke_suite &&
	set_envs "  - name: dev
    require: { suites: [evals/smoke.yaml] }" &&
	git add -A && git commit -q -m gates &&
	test_expect_code 2 pops promote dev summarize --force 2>err &&
	grep -q "needs --reason" err &&
	test "$(ledger)" = none &&
	pops promote dev summarize --force --reason "hotfix for incident 42" >out 2>err &&
	grep -q "promoted summarize@1 to dev by force" out &&
	grep -q "^warning: forced past: requires a passing eval" err &&
	git show -s --format=%B refs/pops/releases >msg &&
	grep -q "^promote summarize@1 to dev (forced)" msg &&
	grep -qx "Pops-Forced: yes" msg &&
	grep -qx "Pops-Reason: hotfix for incident 42" msg &&
	git show refs/pops/releases:dev/summarize.json >entry &&
	grep -q "\"ledger_reason\":.*\"hotfix for incident 42\"" entry &&
	pops release log --json >json &&
	grep -q "\"forced\":.*true" json
'

test_expect_success 'rollback restores the previous release; rolling back a rollback undoes it' '
	setup_release &&
	pops promote dev summarize >/dev/null &&
	new_version summarize "v2 {{text}}" &&
	pops promote dev summarize >/dev/null &&
	new_version summarize "v3 {{text}}" &&
	pops promote dev summarize >/dev/null &&
	n=$(git rev-list --count refs/pops/releases) &&
	pops rollback dev --reason "v3 is rude" >out &&
	grep -q "rolled back summarize in dev: summarize@3 -> summarize@2" out &&
	test "$(git rev-parse refs/pops/releases:dev/summarize.prompt)" = "$(git rev-parse HEAD~1:prompts/summarize.prompt)" &&
	git show -s --format=%B refs/pops/releases >msg &&
	grep -q "^rollback summarize to @2 in dev" msg &&
	grep -qx "Pops-Reason: v3 is rude" msg &&
	pops rollback dev summarize >out &&
	grep -q "summarize@2 -> summarize@3" out &&
	pops rollback dev summarize --to @1 >out &&
	grep -q "summarize@3 -> summarize@1" out &&
	test "$(git rev-list --count refs/pops/releases)" = $((n + 3)) &&
	git rev-list refs/pops/releases~3 >/dev/null &&
	pops rollback dev summarize --to refs/pops/releases~1 >out &&
	grep -q "summarize@1 -> summarize@3" out &&
	git fsck --no-dangling
'

test_expect_success 'rollback errors: never released, nothing earlier, unknown version; ledger unchanged' '
	setup_release &&
	test_expect_code 2 pops rollback dev 2>err &&
	grep -q "nothing has been released to dev yet" err &&
	pops promote dev summarize >/dev/null &&
	before=$(ledger) &&
	test_expect_code 2 pops rollback dev summarize 2>err &&
	grep -q "nothing to roll back to" err &&
	test_expect_code 2 pops rollback dev support/triage 2>err &&
	grep -q "never been released to .dev." err &&
	test_expect_code 2 pops rollback dev summarize --to @7 2>err &&
	grep -q "summarize@7 was never released to dev" err &&
	test_expect_code 2 pops rollback dev summarize --to @x 2>err &&
	test_expect_code 2 pops rollback dev summarize --to nosuchrev 2>err &&
	grep -q "unknown ledger revision" err &&
	test "$(ledger)" = "$before"
'

test_expect_success 'export writes the released blobs byte for byte and a manifest' '
	setup_release &&
	pops promote dev >/dev/null &&
	new_version summarize "newer {{text}}" &&
	pops export --env dev out >msg &&
	grep -q "exported 2 prompts from dev" msg &&
	git show HEAD~1:prompts/summarize.prompt >expect &&
	cmp expect out/summarize.prompt &&
	git cat-file blob refs/pops/releases:dev/support/triage.prompt >expect2 &&
	cmp expect2 out/support/triage.prompt &&
	grep -q "\"ledger_commit\":.*\"$(git rev-parse refs/pops/releases)\"" out/manifest.json &&
	grep -q "\"blob\":.*\"$(git rev-parse HEAD~1:prompts/summarize.prompt)\"" out/manifest.json &&
	grep -q "\"id\":.*\"$MODEL\"" out/manifest.json &&
	pops promote dev >/dev/null &&
	pops export --env dev out >/dev/null &&
	cmp prompts/summarize.prompt out/summarize.prompt &&
	pops export --env dev --format json js >/dev/null &&
	test "$(ls js)" = manifest.json &&
	grep -q "\"content\":.*newer" js/manifest.json &&
	ls -a . >entries &&
	! grep -q "tmp-" entries
'

test_expect_success 'export refuses a foreign directory and an empty environment' '
	setup_release &&
	pops promote dev >/dev/null &&
	mkdir keep && echo precious >keep/file &&
	test_expect_code 2 pops export --env dev keep 2>err &&
	grep -q "holds no pops export" err &&
	test "$(cat keep/file)" = precious &&
	test_expect_code 2 pops export --env prod out 2>err &&
	grep -q "nothing is released to prod" err &&
	test ! -e out &&
	test_expect_code 2 pops export --env nope out 2>err &&
	test_expect_code 2 pops export out 2>err &&
	grep -q "option --env is required" err
'

test_expect_success 'a corrupted ledger entry is a clear error and nothing is written' '
	setup_release &&
	pops promote dev >/dev/null &&
	GIT_INDEX_FILE=$PWD/.git/tmp-index git read-tree refs/pops/releases &&
	bad=$(echo "{not json" | git hash-object -w --stdin) &&
	GIT_INDEX_FILE=$PWD/.git/tmp-index git update-index --cacheinfo 100644,$bad,dev/summarize.json &&
	tree=$(GIT_INDEX_FILE=$PWD/.git/tmp-index git write-tree) &&
	c=$(git commit-tree $tree -p refs/pops/releases -m "hand edit") &&
	git update-ref refs/pops/releases $c &&
	new_version summarize "v2 {{text}}" &&
	test_expect_code 3 pops promote dev summarize 2>err &&
	grep -q "corrupt ledger entry .dev/summarize.json. in refs/pops/releases" err &&
	grep -q "not valid JSON" err &&
	test "$(ledger)" = "$c" &&
	test_expect_code 3 pops release list 2>err &&
	grep -q "corrupt ledger entry" err &&
	test_expect_code 3 pops export --env dev out 2>err &&
	test ! -e out &&
	pops release log >log &&
	grep -q "hand edit" log
'

test_expect_success 'release log filters by environment and prompt; --json has schema_version' '
	setup_release &&
	pops promote dev >/dev/null &&
	pops promote staging summarize >/dev/null &&
	pops release log staging >log &&
	grep -q "promote summarize@1 to staging" log &&
	! grep -q "to dev" log &&
	pops release log dev support/triage >log &&
	grep -q "support/triage@1 to dev" log &&
	! grep -q "summarize" log &&
	pops release log -n 1 --json >json &&
	grep -q "\"schema_version\":.*1" json &&
	test "$(grep -c "\"commit\":" json)" = 1 &&
	test_expect_code 2 pops release log nowhere 2>err
'

test_expect_success 'promote --from a commit and --json output' '
	setup_release &&
	first=$(git rev-parse HEAD) &&
	new_version summarize "v2 {{text}}" &&
	pops promote dev summarize --from "$first" --json >json &&
	grep -q "\"version\":.*1" json &&
	grep -q "\"status\":.*\"promoted\"" json &&
	grep -q "\"recorded\":.*true" json &&
	test_expect_code 2 pops promote dev summarize --from no-such-rev 2>err &&
	grep -q "neither an environment nor a commit" err
'

test_expect_success 'status shows the ledger tip and the release list' '
	setup_release &&
	pops status >out 2>err &&
	test_must_be_empty out &&
	grep -q "^pops: nothing released yet" err &&
	pops promote dev summarize >/dev/null &&
	pops status >out &&
	grep -q "^ledger refs/pops/releases at $(git rev-parse --short=12 refs/pops/releases)" out &&
	grep -q "^ENV  *PROMPT  *VERSION  *SOURCE  *MODEL  *HEAD$" out &&
	grep -q "^dev  *summarize  *@1 .*same" out &&
	pops status --json >json &&
	grep -q "\"environments\"" json
'

test_expect_success 'every release command answers -h outside a repository' '
	for c in promote rollback approve export push pull status "release log" "release list"; do
		pops $c -h >out 2>err || exit 1
		test_must_be_empty err || exit 1
		grep -q "^usage: pops $c" out || exit 1
	done
'

test_expect_success 'prompt list shows where each prompt is released; prompt log shows its evals' '
	setup_release &&
	pops promote dev >/dev/null &&
	pops promote staging summarize >/dev/null &&
	new_version summarize "Summarize briefly: {{text}}" &&
	smoke_suite &&
	add_evidence summarize evals/smoke.yaml 0.95 &&
	pops prompt list >out &&
	grep "^summarize " out >row &&
	grep -q " 2 " row &&
	grep -q "dev=1,staging=1" row &&
	grep "^support/triage " out | grep -q "dev=1" &&
	pops prompt list --json >list.json &&
	python3 -c "
import json
p={x[\"name\"]:x for x in json.load(open(\"list.json\"))[\"prompts\"]}
assert p[\"summarize\"][\"releases\"]=={\"dev\":1,\"staging\":1}, p
assert p[\"support/triage\"][\"releases\"]=={\"dev\":1}, p
" &&
	pops prompt log summarize >log &&
	grep "^@2 " log | grep -q "evals/smoke.yaml 95% pass" &&
	! grep "^@1 " log | grep -q "evals/smoke.yaml" &&
	pops prompt log --json summarize >log.json &&
	python3 -c "
import json
v=json.load(open(\"log.json\"))
assert v[0][\"version\"]==2 and v[0][\"evals\"][0][\"pass_rate\"]==0.95, v[0]
assert \"evals\" not in v[1] or not v[1][\"evals\"], v[1]
"
'

test_done
