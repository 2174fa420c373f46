#!/bin/sh
# pops eval run --affected [BASE]: a suite whose exact evidence fingerprint
# already has complete evidence is not run; its recorded results go into
# the reports and the exit code, so CI and the gate see every suite. With
# BASE, the files changed since BASE are listed and the suites they feed
# run whatever the evidence says. Without evidence (a shallow CI clone)
# everything runs, and pops says so.
. "$(dirname "$0")/lib.sh"

# two suites on two prompts: cap (5 cases) and greet (3 cases, one failing)
affected_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nCapital: {{city}}\n" >prompts/cap.prompt &&
	printf -- "---\nmodel: fast\n---\nHello {{name}}\n" >prompts/greet.prompt &&
	cat >datasets/cap.jsonl <<-\EOT &&
	{"id":"fr","vars":{"city":"Paris"},"expected":"paris"}
	{"id":"it","vars":{"city":"Rome"},"expected":"rome"}
	{"id":"de","vars":{"city":"Berlin"},"expected":"berlin"}
	{"id":"es","vars":{"city":"Madrid"},"expected":"madrid"}
	{"id":"pt","vars":{"city":"Lisbon"},"expected":"lisbon"}
	EOT
	cat >datasets/greet.jsonl <<-\EOT &&
	{"id":"ann","vars":{"name":"Ann"},"expected":"ann"}
	{"id":"bob","vars":{"name":"Bob"},"expected":"bob"}
	{"id":"cy","vars":{"name":"Cy"},"expected":"nobody"}
	EOT
	printf "prompt: cap\ndataset: datasets/cap.jsonl\nthreshold: 0.5\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/cap.yaml &&
	printf "prompt: greet\ndataset: datasets/greet.jsonl\nthreshold: 0.5\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/greet.yaml &&
	git add -A && git commit -q -m "two suites"
}

chats() {
	fakellm_stat chat
}

test_expect_success 'a changed prompt runs; the other suite is reused, in every report' '
	start_fakellm &&
	affected_project &&
	first=$(git rev-parse --short=7 HEAD) &&
	pops eval run --no-cache >/dev/null &&
	test "$(chats)" = 8 &&
	printf -- "---\nmodel: fast\n---\nThe capital: {{city}}\n" >prompts/cap.prompt &&
	git commit -q -am "cap v2" &&
	pops eval run --no-cache --affected --json r.json --junit r.xml --md r.md >out 2>err &&
	test "$(chats)" = 13 &&
	grep -q "evals/greet.yaml: evidence reused from $first ([0-9-]\{10\}), not run" err &&
	! grep -q "evals/cap.yaml: evidence reused" err &&
	python3 -c "
import json
d = json.load(open(\"r.json\"))
s = {x[\"suite\"]: x for x in d[\"summary\"]}
g = s[\"evals/greet.yaml\"]
assert \"reused\" not in s[\"evals/cap.yaml\"], s
assert g[\"reused\"][\"commit\"].startswith(\"$first\"), g
assert len(g[\"reused\"][\"fingerprint\"]) == 64 and g[\"reused\"][\"date\"], g
assert g[\"cases\"] == 3 and g[\"passed\"] == 2 and g[\"failed\"] == 1, g
assert g[\"reused\"][\"cases\"] == {\"ann#0\": True, \"bob#0\": True, \"cy#0\": False}, g
assert not [c for c in d[\"cases\"] if c.get(\"id\") in (\"ann\", \"bob\", \"cy\")], d[\"cases\"]
assert len(d[\"cases\"]) == 5
" &&
	grep -q "<testsuite name=\"evals/greet.yaml \[fast\]\" tests=\"3\" failures=\"1\"" r.xml &&
	grep -q "name=\"reused_from\" value=\"$first" r.xml &&
	grep -q "<testcase classname=\"evals/greet.yaml/greet\" name=\"cy\"" r.xml &&
	test "$(grep -c "failed in the evidence reused from $first" r.xml)" = 1 &&
	grep -q "evals/greet.yaml (reused from $first)" r.md &&
	git notes --ref=pops show HEAD >note &&
	grep -q "evals/cap.yaml" note &&
	! grep -q "evals/greet.yaml" note
'

test_expect_success 'nothing changed: nothing runs, a failing reused verdict fails the run' '
	start_fakellm &&
	affected_project &&
	sed -i "s/threshold: 0.5/threshold: 0.9/" evals/greet.yaml &&
	git commit -q -am "strict greet" &&
	test_expect_code 1 pops eval run --no-cache >/dev/null &&
	test "$(chats)" = 8 &&
	echo "notes" >README.txt && git add README.txt && git commit -q -m "docs" &&
	test_expect_code 1 pops eval run --no-cache --affected >out 2>err &&
	test "$(chats)" = 8 &&
	grep -q "evals/cap.yaml: evidence reused from" err &&
	grep -q "evals/greet.yaml: evidence reused from" err &&
	grep -q "^result: fail: evals/greet.yaml \[fast\]" out &&
	sed -i "s/threshold: 0.9/threshold: 0.5/" evals/greet.yaml &&
	git commit -q -am "lenient greet" &&
	pops eval run --no-cache --affected evals/greet.yaml >out 2>err &&
	test "$(chats)" = 11 &&
	! grep -q "evidence reused" err &&
	grep -q "^result: pass" out
'

test_expect_success '--affected=BASE lists the changes and runs what they feed despite evidence' '
	start_fakellm &&
	affected_project &&
	pops eval run --no-cache >/dev/null &&
	printf -- "---\nmodel: fast\n---\nThe capital: {{city}}\n" >prompts/cap.prompt &&
	git commit -q -am "cap v2" &&
	pops eval run --no-cache evals/cap.yaml >/dev/null &&
	printf -- "---\nmodel: fast\n---\nCapital: {{city}}\n" >prompts/cap.prompt &&
	git commit -q -am "cap back to v1" &&
	test "$(chats)" = 13 &&
	pops eval run --no-cache --affected >out 2>err &&
	test "$(chats)" = 13 &&
	grep -q "evals/cap.yaml: evidence reused" err &&
	pops eval run --no-cache --affected=HEAD~1 >out 2>err &&
	test "$(chats)" = 18 &&
	grep -q "^changed since HEAD~1: 1 file: prompts/cap.prompt$" out &&
	grep -q "evals/cap.yaml: changed since HEAD~1 (prompts/cap.prompt), run" err &&
	grep -q "evals/greet.yaml: evidence reused" err
'

test_expect_success 'pops.yaml changes count only for the models a suite runs on' '
	start_fakellm &&
	affected_project &&
	pops eval run --no-cache >/dev/null &&
	cat >>pops.yaml <<-\EOT &&
	  other: { provider: fake, id: m-2 }
	EOT
	git commit -q -am "another model" &&
	pops eval run --no-cache --affected=HEAD~1 >out 2>err &&
	test "$(chats)" = 8 &&
	grep -q "^changed since HEAD~1: 1 file: pops.yaml$" out &&
	grep -q "evals/cap.yaml: evidence reused" err &&
	grep -q "evals/greet.yaml: evidence reused" err
'

test_expect_success 'no evidence (a shallow clone), or an unknown BASE: said, and everything runs' '
	start_fakellm &&
	affected_project &&
	pops eval run --no-cache --no-store --affected >out 2>err &&
	test "$(chats)" = 8 &&
	grep -q "no evidence here (refs/notes/pops is missing; in a CI clone fetch it" err &&
	pops eval run --no-cache >/dev/null &&
	pops eval run --no-cache --affected=origin/nosuch >out 2>err &&
	test "$(chats)" = 16 &&
	grep -q "affected=origin/nosuch: no such revision here" err &&
	grep -q "evals/cap.yaml: evidence reused" err
'

test_expect_success '-h shows the optional value; the next word stays a suite' '
	pops eval run -h >usage &&
	grep -q -- "--affected\[=<base>\]" usage &&
	start_fakellm &&
	affected_project &&
	pops eval run --no-cache evals/cap.yaml >/dev/null &&
	pops eval run --no-cache --affected evals/cap.yaml >out 2>err &&
	test "$(chats)" = 5 &&
	grep -q "evals/cap.yaml: evidence reused" err &&
	! grep -q greet err
'

test_done
