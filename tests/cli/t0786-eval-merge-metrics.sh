#!/bin/sh
# pops eval merge recomputes what the parts' summaries cannot add up:
# the classification metrics from the records' label and expected_label,
# and the jury agreement (Fleiss' kappa) from the records' jury verdicts,
# so a merged sharded run reports exactly what one whole run reports.
# fakellm echoes the prompt (the predicted label is in the text) and its
# judge MODEL fails on "[[fail:MODEL]]".
. "$(dirname "$0")/lib.sh"

metrics_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	  ja: { provider: fake, id: judge-a }
	  jb: { provider: fake, id: judge-b }
	  jc: { provider: fake, id: judge-c }
	EOT
	printf -- "---\nmodel: fast\n---\n{{text}}\n" >prompts/cls.prompt &&
	mkdir -p datasets &&
	cat >datasets/cls.jsonl <<-\EOT &&
	{"id":"b1","vars":{"text":"category: billing"},"expected":{"queue":"billing"}}
	{"id":"b2","vars":{"text":"category: billing [[fail:judge-c]]"},"expected":{"queue":"billing"}}
	{"id":"b3","vars":{"text":"category: bug"},"expected":{"queue":"billing"}}
	{"id":"g1","vars":{"text":"category: bug [[fail:judge-a]] [[fail:judge-b]]"},"expected":{"queue":"bug"}}
	{"id":"g2","vars":{"text":"category: billing"},"expected":{"queue":"bug"}}
	{"id":"g3","vars":{"text":"category: account [[fail:judge-b]]"},"expected":{"queue":"bug"}}
	{"id":"a1","vars":{"text":"category: account"},"expected":{"queue":"account"}}
	{"id":"a2","vars":{"text":"no idea [[fail:judge-a]] [[fail:judge-b]] [[fail:judge-c]]"},"expected":{"queue":"account"}}
	{"id":"u1","vars":{"text":"category: bug"}}
	EOT
	cat >evals/cls.yaml <<-\EOT &&
	prompt: cls
	dataset: datasets/cls.jsonl
	threshold: 0
	metrics:
	  classification:
	    label: "category: (\\w+)"
	    expected: "{{expected.queue}}"
	    threshold_macro_f1: 0.9
	    min_f1: { billing: 0.5 }
	assert:
	  - { type: judge, models: [ja, jb, jc], aggregate: majority, rubric: "answers well" }
	EOT
	git add -A && git commit -q -m "classifier suite with a jury"
}

test_expect_success 'merged shards: classification, kappa, jury cases and verdict as one run' '
	start_fakellm &&
	metrics_project &&
	test_expect_code 1 pops eval run evals/cls.yaml --no-store --json whole.json >/dev/null &&
	test_expect_code 1 pops eval run evals/cls.yaml --no-store --shard 1/2 --json p1.json >/dev/null &&
	test_expect_code 1 pops eval run evals/cls.yaml --no-store --shard 2/2 --json p2.json >/dev/null &&
	test -s p1.json && test -s p2.json &&
	test_expect_code 1 pops eval merge --no-store --json merged.json --md merged.md p1.json p2.json >out &&
	python3 - whole.json merged.json p1.json <<-\EOF &&
	import json, sys
	w, m, p1 = (json.load(open(f))["summary"][0] for f in sys.argv[1:])
	# the parts differ from the whole: the merge did not just keep one
	assert p1["classification"] != w["classification"] or p1["kappa"] != w["kappa"], p1
	assert w["classification"]["unlabelled"] == 1, w["classification"]
	for k in ("classification", "kappa", "jury_cases", "verdict", "reason", "cases", "passed"):
	    assert m[k] == w[k], (k, m.get(k), w.get(k))
	assert w["jury_cases"] == 9 and w["verdict"] == "fail", w
	assert "macro F1" in w["reason"], w["reason"]
	EOF
	grep -q "Jury agreement on fast: Fleiss. kappa" merged.md
'

test_done
