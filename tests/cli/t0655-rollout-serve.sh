#!/bin/sh
# Serving a canary rollout: the name:env~stable and name:env~canary
# addresses, render --key (which side a request key gets, by the bucket
# rule of lib/rollout.h), and export bundles that carry both sides.
. "$(dirname "$0")/lib.sh"

# a project whose one environment, prod, promotes from HEAD; $1: the
# provider's base URL (nothing is sent unless an eval runs)
prod_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "${1:-http://127.0.0.1:9}/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	environments:
	  - name: prod
	EOT
	git commit -q -am "prod only"
}

# prod: support/summarize@1 stable (with _style v1), @2 canary at 50%
# (with _style v2); other@1 released without a rollout
setup_rollout() {
	prod_project &&
	mkdir -p prompts/support &&
	printf -- "---\nmodel: fast\n---\nSummarize {{text}}. {{> style}}\n" >prompts/support/summarize.prompt &&
	printf -- "Style one." >prompts/_style.prompt &&
	printf -- "---\nmodel: fast\n---\nOther {{text}}.\n" >prompts/other.prompt &&
	git add -A && git commit -q -m "summarize, other" &&
	pops promote prod >/dev/null &&
	printf -- "---\nmodel: fast\n---\nSummarize briefly {{text}}. {{> style}}\n" >prompts/support/summarize.prompt &&
	printf -- "Style two." >prompts/_style.prompt &&
	git commit -q -am "summarize v2, style v2" &&
	pops promote prod support/summarize --canary 50 >/dev/null
}

# the rollout's salt, as the ledger records it
salt() {
	git show refs/pops/releases:prod/support/summarize.json >entry.json &&
	python3 -c "import json; print(json.load(open('entry.json'))['rollout']['salt'])"
}

# bucket SALT KEY: the bucket rule, computed here independently of pops
bucket() {
	python3 -c "import hashlib, sys; d = hashlib.sha256((sys.argv[1] + ':' + sys.argv[2]).encode()).digest(); print(int.from_bytes(d[:8], 'big') % 10000)" "$1" "$2"
}

# key_on SALT SIDE: the first key user-N whose bucket puts it on SIDE at 50%
key_on() {
	python3 - "$1" "$2" <<-\EOP
	import hashlib, sys
	salt, side = sys.argv[1], sys.argv[2]
	for n in range(10000):
	    k = "user-%d" % n
	    b = int.from_bytes(hashlib.sha256((salt + ":" + k).encode()).digest()[:8], "big") % 10000
	    if (b < 5000) == (side == "canary"):
	        print(k)
	        break
	EOP
}

test_expect_success 'the test computes buckets as documented (contract vectors)' '
	test "$(bucket 4f2a91c0d3b5e6a7 user-42)" = 6898 &&
	test "$(bucket 4f2a91c0d3b5e6a7 alice)" = 8247 &&
	test "$(bucket s "")" = 2920
'

test_expect_success 'name:env is the stable side, ~stable and ~canary each side' '
	setup_rollout &&
	pops prompt show support/summarize:prod >plain &&
	pops prompt show support/summarize:prod~stable >stable &&
	pops prompt show support/summarize:prod~canary >canary &&
	test_cmp plain stable &&
	grep -q "^Summarize {{text}}" stable &&
	grep -q "^Summarize briefly {{text}}" canary &&
	pops render --json support/summarize:prod --var text=x >plain.json &&
	pops render --json support/summarize:prod~stable --var text=x >stable.json &&
	pops render --json support/summarize:prod~canary --var text=x >canary.json &&
	test_cmp plain.json stable.json &&
	grep -q "Summarize x. Style one." stable.json &&
	grep -q "Summarize briefly x. Style two." canary.json &&
	pops prompt diff support/summarize:prod~stable support/summarize:prod~canary >d &&
	grep -q "^-Summarize {{text}}" d &&
	grep -q "^+Summarize briefly {{text}}" d
'

test_expect_success 'the canary of a prompt with no rollout is a clear error; ~stable is the release' '
	setup_rollout &&
	test_expect_code 2 pops render other:prod~canary --var text=x 2>err &&
	grep -q "^error: other has no rollout in prod" err &&
	test_expect_code 2 pops prompt show other:prod~canary 2>err &&
	grep -q "other has no rollout in prod" err &&
	pops prompt show other:prod~stable >stable &&
	pops prompt show other:prod >plain &&
	test_cmp plain stable &&
	test_expect_code 2 pops prompt show support/summarize:prod~beta 2>err &&
	grep -q "after .~. give .stable. or .canary." err &&
	pops prompt show other:prod >out &&
	grep -q "^Other" out
'

test_expect_success 'render --key serves each key the side its bucket picks' '
	setup_rollout &&
	s=$(salt) &&
	kc=$(key_on "$s" canary) && ks=$(key_on "$s" stable) &&
	test -n "$kc" && test -n "$ks" &&
	bc=$(bucket "$s" "$kc") && bs=$(bucket "$s" "$ks") &&
	pops render support/summarize:prod --key "$kc" --var text=x >out 2>err &&
	grep -q "^Summarize briefly x. Style two." out &&
	grep -q "^pops: key .$kc. gets the canary: support/summarize@2:prod~canary (bucket $bc < 5000, canary at 50%)" err &&
	pops render support/summarize:prod --key "$ks" --var text=x >out 2>err &&
	grep -q "^Summarize x. Style one." out &&
	grep -q "^pops: key .$ks. gets the stable side: support/summarize@1:prod~stable (bucket $bs >= 5000, canary at 50%)" err &&
	pops render --json support/summarize:prod --key "$kc" --var text=x >k.json 2>err &&
	test_must_be_empty err &&
	pops render --json support/summarize:prod~canary --var text=x >c.json &&
	test_cmp c.json k.json &&
	pops render --json support/summarize:prod --key "$ks" --var text=x >k.json &&
	pops render --json support/summarize:prod~stable --var text=x >s.json &&
	test_cmp s.json k.json
'

test_expect_success 'render --key: no rollout serves the release; files and fixed addresses are usage errors' '
	setup_rollout &&
	pops render other:prod --key user-1 --var text=x >out 2>err &&
	grep -q "^Other x." out &&
	grep -q "^pops: no rollout of other in prod: key .user-1. gets other@1:prod" err &&
	test_expect_code 2 pops render prompts/other.prompt --key user-1 --var text=x 2>err &&
	grep -q "^error: --key picks a side of a canary rollout: give an address name:env, not the file" err &&
	test_expect_code 2 pops render support/summarize@1 --key user-1 --var text=x 2>err &&
	grep -q "a request key picks a side only of name:env" err &&
	test_expect_code 2 pops render support/summarize:prod~canary --key user-1 --var text=x 2>err &&
	grep -q "a request key picks a side only of name:env" err &&
	test_expect_code 2 pops render support/summarize --key user-1 --var text=x 2>err
'

test_expect_success 'export with a rollout: schema 3, canary files and partials of its own' '
	setup_rollout &&
	pops export --env prod out >msg &&
	grep -q "^exported 2 prompts (1 with a canary) and 1 partial from prod" msg &&
	test "$(cat out/support/summarize.prompt)" = "$(git show HEAD~1:prompts/support/summarize.prompt)" &&
	test "$(cat out/@canary/support/summarize.prompt)" = "$(git show HEAD:prompts/support/summarize.prompt)" &&
	test "$(cat out/_style.prompt)" = "Style one." &&
	test "$(cat out/@canary/support/summarize@partials/_style.prompt)" = "Style two." &&
	! test -e out/@canary/other.prompt &&
	s=$(salt) &&
	python3 - "$s" "$(git rev-parse refs/pops/releases)" "$(git rev-parse refs/pops/releases~1)" <<-\EOP
	import json, sys
	salt, tip, first = sys.argv[1:]
	m = json.load(open("out/manifest.json"))
	assert m["schema_version"] == 3 and m["generator"] == "pops", m
	p = {e["name"]: e for e in m["prompts"]}
	assert "rollout" not in p["other"]
	s = p["support/summarize"]
	assert s["version"] == 1 and s["file"] == "support/summarize.prompt", s
	assert s["ledger_commit"] == first, (s["ledger_commit"], first)
	r = s["rollout"]
	assert r["percent"] == 50 and r["salt"] == salt, r
	assert len(r["since"]) == 20 and r["since"].endswith("Z"), r
	c = r["canary"]
	assert c["version"] == 2 and c["file"] == "@canary/support/summarize.prompt", c
	assert c["ledger_commit"] == tip, c
	assert c["model"]["alias"] == "fast" and c["model"]["id"], c
	assert c["partials"] == [{"name": "style", "file": "_style.prompt", "version": 2,
	                          "blob": c["partials"][0]["blob"],
	                          "path": "@canary/support/summarize@partials/_style.prompt"}], c
	assert s["partials"][0]["blob"] != c["partials"][0]["blob"]
	assert [x["file"] for x in m["partials"]] == ["_style.prompt"], m["partials"]
	EOP
'

test_expect_success 'export --format json with a rollout: the canary and its partials inline' '
	setup_rollout &&
	pops export --env prod --format json out >/dev/null &&
	test "$(find out -type f)" = out/manifest.json &&
	python3 - <<-\EOP
	import json
	m = json.load(open("out/manifest.json"))
	assert m["schema_version"] == 3 and m["format"] == "json"
	c = [e for e in m["prompts"] if e["name"] == "support/summarize"][0]["rollout"]["canary"]
	assert c["content"].startswith("---\nmodel: fast\n---\nSummarize briefly"), c
	assert "file" not in c and c["partials"][0]["content"] == "Style two.", c
	assert "path" not in c["partials"][0]
	EOP
'

test_expect_success 'export --format prompt-yml with a rollout: the canary file with its partials inlined' '
	setup_rollout &&
	pops export --env prod --format prompt-yml out >/dev/null &&
	grep -q "Summarize briefly {{text}}. Style two." out/@canary/support/summarize.prompt.yml &&
	grep -q "Summarize {{text}}. Style one." out/support/summarize.prompt.yml &&
	! test -e out/@canary/support/summarize@partials &&
	pops export --env prod --format prompt-yml out >/dev/null
'

test_expect_success 'the canary file of a bundle renders as name:env~canary, with its own partials' '
	setup_rollout &&
	pops export --env prod out >/dev/null &&
	mkdir elsewhere && mv out elsewhere/ && cd elsewhere &&
	pops render --json out/@canary/support/summarize.prompt --var text=x >file.json &&
	pops render --json out/support/summarize.prompt --var text=x >stable.json &&
	cd .. &&
	pops render --json support/summarize:prod~canary --var text=x >addr.json &&
	pops render --json support/summarize:prod --var text=x >addr-stable.json &&
	grep -q "Style two." elsewhere/file.json &&
	test_cmp addr.json elsewhere/file.json &&
	test_cmp addr-stable.json elsewhere/stable.json
'

test_expect_success 're-export over a rollout bundle; an edited canary partial is the user'"'"'s' '
	setup_rollout &&
	pops export --env prod out >/dev/null &&
	pops export --env prod out >/dev/null &&
	test "$(cat out/@canary/support/summarize@partials/_style.prompt)" = "Style two." &&
	echo mine >>out/@canary/support/summarize@partials/_style.prompt &&
	test_expect_code 2 pops export --env prod out 2>err &&
	grep -q "_style.prompt. was changed since pops exported it" err &&
	grep -q mine out/@canary/support/summarize@partials/_style.prompt &&
	printf "Style two." >out/@canary/support/summarize@partials/_style.prompt &&
	echo x >out/@canary/extra.prompt &&
	test_expect_code 2 pops export --env prod out 2>err &&
	grep -q "holds .@canary/extra.prompt. (a file its manifest.json does not list)" err &&
	rm out/@canary/extra.prompt &&
	pops export --env prod out >/dev/null
'

test_expect_success 'a bundle without rollouts stays schema 2 after the rollout ends' '
	setup_rollout &&
	pops export --env prod out >/dev/null &&
	pops rollback prod support/summarize >/dev/null &&
	pops export --env prod out >/dev/null &&
	! test -e out/@canary &&
	python3 -c "import json; m = json.load(open(\"out/manifest.json\")); assert m[\"schema_version\"] == 2 and all(\"rollout\" not in p for p in m[\"prompts\"])"
'

# cap@1 (passes) stable in prod, cap@2 (fails the regex) canary at 50%
eval_rollout() {
	prod_project "$FAKELLM_URL" &&
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nCapital: {{city}}\n" >prompts/cap.prompt &&
	printf "%s\n" "{\"id\":\"fr\",\"vars\":{\"city\":\"Paris\"}}" "{\"id\":\"it\",\"vars\":{\"city\":\"Rome\"}}" >datasets/cap.jsonl &&
	cat >evals/cap.yaml <<-\EOT &&
	prompt: cap
	dataset: datasets/cap.jsonl
	threshold: 0.5
	assert:
	  - { type: regex, value: "^Capital: \\w+$" }
	EOT
	git add -A && git commit -q -m "cap" &&
	pops promote prod >/dev/null &&
	test_expect_code 2 pops eval run --no-store --baseline prod~canary 2>err &&
	grep -q "baseline prod~canary: cap has no rollout in prod" err &&
	printf -- "---\nmodel: fast\n---\nCity {{city}}\n" >prompts/cap.prompt &&
	git commit -q -am "worse cap" &&
	pops promote prod cap --canary 50 >/dev/null
}

test_expect_success 'eval run --baseline prod~stable and prod~canary compare with each side' '
	start_fakellm &&
	eval_rollout &&
	test_expect_code 1 pops eval run --no-store --baseline prod~stable >out &&
	grep -q "baseline prod~stable (run): 2 newly failing, 0 newly passing of 2 paired" out &&
	test_expect_code 1 pops eval run --no-store --baseline prod~canary >out &&
	grep -q "baseline prod~canary (run): 0 newly failing, 0 newly passing of 2 paired" out
'

test_done
