#!/bin/sh
# Canary rollouts (issue 19): promote --canary keeps the current release
# stable and records the new one as canary with a share and a salt; the
# gate applies to the canary (and again at rollout complete); a plain
# promote is refused while a rollout runs; set, complete and rollback
# are one ledger commit each, shown by release log, rollout status and
# status; the ledger stays valid for git and for pops.
. "$(dirname "$0")/lib.sh"

# echo@1 released to dev and staging (staging requires evals/echo.yaml),
# then echo@2 committed and released to dev; prod has no gate and nothing
rollout_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1, config: { max_tokens: 200 } }
	environments:
	  - name: dev
	  - name: staging
	    require: { suites: [evals/echo.yaml] }
	  - name: prod
	EOT
	mkdir -p datasets &&
	printf "Be brief." >prompts/_style.prompt &&
	printf -- "---\nmodel: fast\n---\n{{> style}} Echo: {{word}}\n" >prompts/echo.prompt &&
	printf "{\"id\":\"c1\",\"vars\":{\"word\":\"apple\"},\"expected\":\"apple\"}\n" >datasets/echo.jsonl &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 1.0\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m "echo suite" &&
	pops promote dev >/dev/null &&
	pops eval run >/dev/null &&
	pops promote staging echo >/dev/null &&
	printf -- "---\nmodel: fast\n---\n{{> style}} Repeat: {{word}}\n" >prompts/echo.prompt &&
	git commit -q -am "echo v2" &&
	pops promote dev echo >/dev/null
}

# race_set <env1> <pct1> <env2> <pct2>: two rollout set at the same moment
# (waits for those two only: the fake LLM server runs in the background too)
race_set() {
	rm -f go
	( while [ ! -f go ]; do sleep 0.01; done; pops rollout set "$1" echo "$2" >o1 2>e1; echo $? >r1 ) &
	p1=$!
	( while [ ! -f go ]; do sleep 0.01; done; pops rollout set "$3" echo "$4" >o2 2>e2; echo $? >r2 ) &
	p2=$!
	touch go
	wait "$p1" "$p2"
}

ledger() {
	git rev-parse --verify -q refs/pops/releases
}

# entry <env>: the ledger's JSON entry of echo in env, as a file `entry`
entry() {
	git cat-file blob "refs/pops/releases:$1/echo.json" >entry
}

test_expect_success 'promote --canary: refused without evidence for the canary, then recorded' '
	start_fakellm &&
	rollout_project &&
	before=$(ledger) &&
	test_expect_code 1 pops promote staging echo --canary 10 2>err &&
	grep -q "requires a passing eval of echo@2" err &&
	test "$(ledger)" = "$before" &&
	pops eval run >/dev/null &&
	pops promote staging echo --canary 10 >out &&
	grep -q "promoted echo@2 as canary (10%) to staging" out &&
	entry staging &&
	python3 - <<-\EOP &&
	import json, re
	e = json.load(open("entry"))
	assert e["schema_version"] == 3 and e["version"] == 1, e
	r = e["rollout"]
	assert r["percent"] == 10 and re.fullmatch("[0-9a-f]{16}", r["salt"]), r
	assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["since"]), r
	c = r["canary"]
	assert c["version"] == 2 and c["evidence"] and c["resolved_model"]["id"] == "m-1", c
	assert [p["name"] for p in c["partials"]] == ["style"], c
	assert "schema_version" not in c and "prompt" not in c and "rollout" not in c, c
	EOP
	test "$(git rev-parse refs/pops/releases:staging/echo@canary.prompt)" = \
	     "$(git rev-parse HEAD:prompts/echo.prompt)" &&
	test "$(git rev-parse refs/pops/releases:staging/echo.prompt)" = \
	     "$(git rev-parse HEAD~1:prompts/echo.prompt)" &&
	git cat-file -e refs/pops/releases:staging/echo@canary@partials/_style.prompt &&
	git log -1 --format=%B refs/pops/releases >msg &&
	head -n 1 msg >subject &&
	echo "promote echo@2 to staging as canary (10%)" >expect &&
	test_cmp expect subject &&
	grep -q "^Pops-Rollout: start$" msg &&
	grep -q "^Pops-Canary: 10$" msg &&
	grep -q "^Pops-Salt: [0-9a-f]\{16\}$" msg &&
	grep -q "^Pops-Version: 2$" msg &&
	git fsck --no-dangling
'

test_expect_success 'a plain promote is refused while a rollout runs; the same canary again is nothing to do' '
	start_fakellm &&
	rollout_project &&
	pops eval run >/dev/null &&
	pops promote staging echo --canary 10 >/dev/null &&
	before=$(ledger) &&
	test_expect_code 1 pops promote staging echo 2>err &&
	grep -q "a canary rollout of echo is running in staging: pops rollout complete, pops rollback, or pops promote --canary" err &&
	test "$(ledger)" = "$before" &&
	pops promote staging echo --canary 10 >out 2>err &&
	grep -q "already in staging (nothing to do)" err &&
	test "$(ledger)" = "$before"
'

test_expect_success 'promote --canary needs a stable release, a new closure and a share of 1..99' '
	start_fakellm &&
	rollout_project &&
	test_expect_code 1 pops promote prod echo --canary 10 2>err &&
	grep -q "nothing to keep as stable; promote without --canary first" err &&
	pops promote prod echo --from dev >/dev/null &&
	test_expect_code 1 pops promote prod echo --from dev --canary 10 2>err &&
	grep -q "is the stable release of echo in prod already" err &&
	test_expect_code 2 pops promote prod echo --canary 100 2>err &&
	grep -q "canary" err &&
	test_expect_code 2 pops promote prod echo --canary 0 2>/dev/null
'

test_expect_success 'rollout set and status (text and --json); status has a rollout line' '
	start_fakellm &&
	rollout_project &&
	pops eval run >/dev/null &&
	pops promote staging echo --canary 10 >/dev/null &&
	salt=$(git log -1 --format=%B refs/pops/releases | sed -n "s/^Pops-Salt: //p") &&
	pops rollout set staging echo 25 >out &&
	grep -q "canary echo@2 in staging: 10% -> 25%" out &&
	git log -1 --format=%B refs/pops/releases >msg &&
	head -n 1 msg >subject &&
	echo "rollout echo@2 in staging: 10% -> 25%" >expect &&
	test_cmp expect subject &&
	grep -q "^Pops-Rollout: set$" msg &&
	grep -q "^Pops-Canary: 25$" msg &&
	grep -q "^Pops-Salt: $salt$" msg &&
	before=$(ledger) &&
	pops rollout set staging echo 25 2>err &&
	grep -q "at 25% already (nothing to do)" err &&
	test "$(ledger)" = "$before" &&
	test_expect_code 2 pops rollout set staging echo 100 2>err &&
	grep -q "from 1 to 99" err &&
	test_expect_code 2 pops rollout set dev echo 20 2>err &&
	grep -q "echo has no rollout in dev" err &&
	pops rollout status >out &&
	grep -q "^staging  echo    @1      @2      25%    [0-9-]*T[0-9:]*Z$" out &&
	pops rollout status dev >out 2>err &&
	test_must_be_empty out &&
	grep -q "no canary rollout is running in dev" err &&
	pops rollout status --json >json &&
	python3 - "$salt" <<-\EOP &&
	import json, sys
	d = json.load(open("json"))
	assert d["schema_version"] == 1, d
	[r] = d["rollouts"]
	assert (r["env"], r["prompt"], r["stable_version"], r["canary_version"], r["percent"]) == \
	       ("staging", "echo", 1, 2, 25), r
	assert r["salt"] == sys.argv[1] and r["canary"]["version"] == 2 and r["stable"]["version"] == 1, r
	EOP
	pops status >out &&
	grep -q "^rollout: echo in staging: stable @1, canary @2 at 25% since " out
'

test_expect_success 'rollout complete checks the gate again; the canary becomes stable (schema 2 again)' '
	start_fakellm &&
	rollout_project &&
	pops promote staging echo --canary 10 --force --reason "try it" >/dev/null 2>&1 &&
	before=$(ledger) &&
	test_expect_code 1 pops rollout complete staging echo 2>err &&
	grep -q "requires a passing eval of echo@2" err &&
	grep -q "to satisfy: pops eval run evals/echo.yaml" err &&
	test "$(ledger)" = "$before" &&
	pops eval run >/dev/null &&
	pops rollout complete staging echo >out &&
	grep -q "completed the rollout of echo in staging: @2 is stable" out &&
	git log -1 --format=%B refs/pops/releases >msg &&
	head -n 1 msg >subject &&
	echo "promote echo@2 to staging: rollout complete" >expect &&
	test_cmp expect subject &&
	grep -q "^Pops-Rollout: complete$" msg &&
	grep -q "^Pops-Version: 2$" msg &&
	grep -q "^Pops-Evidence: " msg &&
	entry staging &&
	python3 -c "import json; e = json.load(open(\"entry\")); assert e[\"schema_version\"] == 2 and e[\"version\"] == 2 and \"rollout\" not in e, e" &&
	test_must_fail git cat-file -e refs/pops/releases:staging/echo@canary.prompt 2>/dev/null &&
	test_must_fail git cat-file -e refs/pops/releases:staging/echo@canary@partials 2>/dev/null &&
	test_expect_code 2 pops rollout complete staging echo 2>err &&
	grep -q "echo has no rollout in staging" err &&
	git fsck --no-dangling
'

test_expect_success 'rollback during a rollout ends it and keeps stable; no other target then' '
	start_fakellm &&
	rollout_project &&
	pops eval run >/dev/null &&
	pops promote staging echo --canary 10 >/dev/null &&
	test_expect_code 2 pops rollback staging echo --to @1 2>err &&
	grep -q "a canary rollout of echo is running in staging" err &&
	pops rollback staging echo >out &&
	grep -q "ended the canary rollout of echo in staging: canary @2 (10%) off, echo@1 stays" out &&
	git log -1 --format=%B refs/pops/releases >msg &&
	head -n 1 msg >subject &&
	echo "rollback echo in staging: end canary @2, keep @1" >expect &&
	test_cmp expect subject &&
	grep -q "^Pops-Rollout: abort$" msg &&
	grep -q "^Pops-Version: 1$" msg &&
	entry staging &&
	python3 -c "import json; e = json.load(open(\"entry\")); assert e[\"schema_version\"] == 2 and e[\"version\"] == 1, e" &&
	test_must_fail git cat-file -e refs/pops/releases:staging/echo@canary.prompt 2>/dev/null &&
	pops promote staging echo >out &&
	grep -q "promoted echo@2 to staging" out &&
	git fsck --no-dangling
'

test_expect_success 'release log shows every rollout step, in text and --json' '
	start_fakellm &&
	rollout_project &&
	pops eval run >/dev/null &&
	pops promote staging echo --canary 10 >/dev/null &&
	pops rollout set staging echo 50 >/dev/null &&
	pops rollout complete staging echo >/dev/null &&
	pops release log staging echo >log &&
	grep -q "    promote echo@2 to staging: rollout complete" log &&
	grep -q "    rollout echo@2 in staging: 10% -> 50%" log &&
	grep -q "    promote echo@2 to staging as canary (10%)" log &&
	grep -q "    rollout set  canary 50%  salt [0-9a-f]\{16\}" log &&
	grep -q "    rollout start  canary 10%  salt " log &&
	grep -q "    rollout complete  salt " log &&
	pops release log --json staging echo >json &&
	python3 - <<-\EOP
	import json
	es = json.load(open("json"))["entries"]
	got = [(e["action"], e["rollout"], e["canary_percent"], e["version"]) for e in es]
	assert got == [("promote", "complete", None, 2), ("rollout", "set", 50, 2),
	               ("promote", "start", 10, 2), ("promote", None, None, 1)], got
	assert len({e["salt"] for e in es[:3]}) == 1 and es[3]["salt"] is None, es
	EOP
'

test_expect_success 'a canary that replaces a running one keeps the salt; --from ENV takes stable, ENV~canary the canary' '
	start_fakellm &&
	rollout_project &&
	pops eval run >/dev/null &&
	pops promote staging echo --canary 10 >/dev/null &&
	salt=$(git log -1 --format=%B refs/pops/releases | sed -n "s/^Pops-Salt: //p") &&
	pops promote prod echo --from staging >out &&
	grep -q "promoted echo@1 to prod" out &&
	entry prod &&
	python3 -c "import json; e = json.load(open(\"entry\")); assert e[\"version\"] == 1 and e[\"schema_version\"] == 2, e" &&
	pops promote prod echo --from staging~canary --canary 30 >out &&
	grep -q "promoted echo@2 as canary (30%) to prod" out &&
	test_expect_code 2 pops promote prod echo --from dev~canary --canary 30 2>err &&
	grep -q "echo has no rollout in dev" err &&
	test_expect_code 2 pops promote prod echo --from staging~nope 2>err &&
	grep -q "after .~. use canary or stable" err &&
	printf -- "---\nmodel: fast\n---\n{{> style}} Say: {{word}}\n" >prompts/echo.prompt &&
	git commit -q -am "echo v3" &&
	pops eval run >/dev/null &&
	pops promote staging echo --from HEAD --canary 20 >out &&
	grep -q "promoted echo@3 as canary (20%) to staging" out &&
	git log -1 --format=%B refs/pops/releases >msg &&
	grep -q "^Pops-Salt: $salt$" msg &&
	entry staging &&
	python3 -c "import json; r = json.load(open(\"entry\"))[\"rollout\"]; assert r[\"canary\"][\"version\"] == 3 and r[\"percent\"] == 20, r" &&
	git fsck --no-dangling
'

test_expect_success 'entries without a rollout are untouched; a rollout ledger reads back after a fresh clone' '
	start_fakellm &&
	rollout_project &&
	dev_before=$(git rev-parse refs/pops/releases:dev/echo.json) &&
	git cat-file blob refs/pops/releases:dev/echo.json >dev.json &&
	python3 - <<-\EOP &&
	import json
	e = json.load(open("dev.json"))
	assert list(e) == ["schema_version", "prompt", "version", "blob", "source_commit", "model",
	                   "model_alias", "evidence", "ledger_reason", "resolved_model", "partials"], list(e)
	assert e["schema_version"] == 2, e
	EOP
	pops eval run >/dev/null &&
	pops promote staging echo --canary 10 >/dev/null &&
	pops rollout set staging echo 20 >/dev/null &&
	test "$(git rev-parse refs/pops/releases:dev/echo.json)" = "$dev_before" &&
	git clone -q --bare . ../copy.git &&
	git -C ../copy.git fetch -q origin "refs/pops/*:refs/pops/*" &&
	git -C ../copy.git fsck --no-dangling &&
	pops release list --json >json &&
	python3 - <<-\EOP
	import json
	envs = {e["name"]: e["releases"] for e in json.load(open("json"))["environments"]}
	[s] = envs["staging"]
	assert s["version"] == 1 and s["rollout"]["percent"] == 20 and s["rollout"]["canary"]["version"] == 2, s
	[d] = envs["dev"]
	assert "rollout" not in d, d
	EOP
'

test_expect_success 'two rollout writers at the same moment: both recorded, compare-and-swap' '
	start_fakellm &&
	rollout_project &&
	pops eval run >/dev/null &&
	pops promote staging echo --canary 10 >/dev/null &&
	pops promote prod echo --from staging >/dev/null &&
	pops promote prod echo --from staging~canary --canary 10 >/dev/null &&
	n=$(git rev-list --count refs/pops/releases) &&
	race_set staging 40 prod 60 &&
	cat r1 r2 >codes &&
	printf "0\n0\n" >expect && test_cmp expect codes &&
	test "$(git rev-list --count refs/pops/releases)" = $((n + 2)) &&
	pops rollout status --json >json &&
	python3 -c "import json; d = {(r[\"env\"], r[\"percent\"]) for r in json.load(open(\"json\"))[\"rollouts\"]}; assert d == {(\"staging\", 40), (\"prod\", 60)}, d" &&
	git fsck --no-dangling
'

test_done
