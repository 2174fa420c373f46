#!/bin/sh
# pops eval merge records the evidence of a whole shard set exactly as one
# unsharded run would, and nothing for a partial or mixed set. Each shard
# records its own evidence as partial: shown, never taken by a gate.
. "$(dirname "$0")/lib.sh"

merge_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	environments:
	  - name: staging
	    require: { suites: [evals/cap.yaml] }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nCapital: {{city}}\n" >prompts/cap.prompt &&
	cat >datasets/cap.jsonl <<-\EOT &&
	{"id":"fr","vars":{"city":"Paris"},"expected":"paris"}
	{"id":"it","vars":{"city":"Rome"},"expected":"rome"}
	{"id":"de","vars":{"city":"Berlin"},"expected":"berlin"}
	{"id":"es","vars":{"city":"Madrid"},"expected":"lisbon"}
	{"id":"pt","vars":{"city":"Lisbon"},"expected":"lisbon"}
	EOT
	printf "prompt: cap\ndataset: datasets/cap.jsonl\nthreshold: 0.5\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/cap.yaml &&
	git add -A && git commit -q -m "cap suite"
}

# the note on HEAD without what differs from run to run
note_core() {
	git notes --ref=pops show HEAD | python3 -c "
import json, sys
d = json.load(sys.stdin)
for r in d[\"results\"]:
    r.pop(\"date\"); r.pop(\"pops_version\")
print(json.dumps(d, sort_keys=True))"
}

# no_complete [rev]: no complete result in the note on rev (default HEAD);
# a note of partial results only, or none
no_complete() {
	git notes --ref=pops show "${1:-HEAD}" 2>/dev/null | python3 -c "
import json, sys
text = sys.stdin.read()
for r in (json.loads(text)[\"results\"] if text else []):
    assert r[\"kind\"] == \"partial\", r
    assert any(x.startswith(\"--shard \") for x in r[\"partial_reasons\"]), r
"
}

test_expect_success 'merge of every shard records what one run records; gates and log see it' '
	start_fakellm &&
	merge_project &&
	pops eval run >/dev/null &&
	note_core >full &&
	git update-ref -d refs/notes/pops &&
	pops eval run --shard 1/2 --json p1.json >/dev/null &&
	pops eval run --shard 2/2 --json p2.json >/dev/null &&
	git notes --ref=pops show HEAD >/dev/null &&
	no_complete &&
	test_expect_code 1 pops promote staging cap --dry-run 2>err &&
	grep -q "the evidence of [0-9-]* is partial (--shard 2/2): gates take only complete runs" err &&
	pops prompt log cap >log &&
	grep -q "\[evals/cap.yaml 67% pass, partial: --shard 2/2\]" log &&
	pops eval merge p2.json p1.json >out 2>err &&
	grep -q "evidence recorded on [0-9a-f]\{12\} for 1 suite run" err &&
	note_core >merged &&
	test_cmp full merged &&
	grep -q "\"cases\": 5" merged &&
	pops promote staging cap --dry-run >out &&
	grep -q "would promote cap@1 to staging" out &&
	pops prompt log cap >log &&
	grep -q "\[evals/cap.yaml 80% pass\]" log
'

test_expect_success 'a lone shard, a duplicate or --no-store record nothing complete and say why' '
	start_fakellm &&
	merge_project &&
	pops eval run --shard 1/2 --json p1.json >/dev/null &&
	pops eval run --shard 2/2 --json p2.json >/dev/null &&
	pops eval merge p1.json >out 2>err &&
	grep -q "warning: evidence not recorded: shard 2/2 is missing: merge every shard to record the run" err &&
	no_complete &&
	pops eval merge p1.json p1.json >out 2>err &&
	grep -q "evidence not recorded: shard 1/2 is given twice (p1.json)" err &&
	pops eval run --shard 1/3 --json q1.json >/dev/null &&
	pops eval merge p1.json q1.json p2.json >out 2>err &&
	grep -q "evidence not recorded: q1.json is shard 1/3, not one of 2" err &&
	pops eval merge --no-store p1.json p2.json >out 2>err &&
	! grep -q "evidence" err &&
	no_complete
'

test_expect_success 'shards of different commits or contents record nothing complete' '
	start_fakellm &&
	merge_project &&
	pops eval run --shard 1/2 --json p1.json >/dev/null &&
	git commit -q --allow-empty -m "another commit" &&
	pops eval run --shard 2/2 --json p2.json >/dev/null &&
	pops eval merge p1.json p2.json >out 2>err &&
	grep -q "evidence not recorded: the shards evaluated different commits ([0-9a-f]\{12\} in p1.json, [0-9a-f]\{12\} in p2.json)" err &&
	printf -- "---\nmodel: fast\n---\nCity: {{city}}\n" >prompts/cap.prompt &&
	pops eval run --shard 1/2 --json p1.json >/dev/null &&
	pops eval merge p1.json p2.json >out 2>err &&
	grep -q "evidence not recorded: p1.json and p2.json did not evaluate the same content" err &&
	no_complete &&
	no_complete HEAD~1
'

test_expect_success 'an unsharded report merges silently: its run recorded its own evidence' '
	start_fakellm &&
	merge_project &&
	pops eval run --no-store --json all.json >/dev/null &&
	pops eval merge all.json >out 2>err &&
	! grep -q evidence err &&
	test_must_fail git notes --ref=pops show HEAD 2>/dev/null
'

test_done
