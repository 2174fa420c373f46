#!/bin/sh
# metrics.classification: per-label precision/recall/F1, macro and micro
# F1, accuracy and the confusion matrix of a classifier suite, their gate
# beside the pass rate and the --baseline comparison. fakellm echoes the
# prompt, so each row's text decides the "predicted" label.
. "$(dirname "$0")/lib.sh"

# 8 rows, known matrix (rows expected, columns predicted; (none), account, billing, bug):
#   account: 1 (none), 1 account; billing: 2 billing, 1 bug; bug: 1 account, 1 billing, 1 bug
class_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	EOT
	printf -- "---\nmodel: fast\n---\n{{text}}\n" >prompts/cls.prompt &&
	mkdir -p datasets &&
	cat >datasets/cls.jsonl <<-\EOT &&
	{"id":"b1","vars":{"text":"category: billing"},"expected":{"queue":"billing"}}
	{"id":"b2","vars":{"text":"category: billing"},"expected":{"queue":"billing"}}
	{"id":"b3","vars":{"text":"category: bug"},"expected":{"queue":"billing"}}
	{"id":"g1","vars":{"text":"category: bug"},"expected":{"queue":"bug"}}
	{"id":"g2","vars":{"text":"category: billing"},"expected":{"queue":"bug"}}
	{"id":"g3","vars":{"text":"category: account"},"expected":{"queue":"bug"}}
	{"id":"a1","vars":{"text":"category: account"},"expected":{"queue":"account"}}
	{"id":"a2","vars":{"text":"no idea"},"expected":{"queue":"account"}}
	EOT
	cat >evals/cls.yaml <<-\EOT &&
	prompt: cls
	dataset: datasets/cls.jsonl
	threshold: 0
	metrics:
	  classification:
	    label: "category: (\\w+)"
	    expected: "{{expected.queue}}"
	    threshold_macro_f1: 0.5
	EOT
	git add -A && git commit -q -m "classifier suite"
}

test_expect_success 'metrics: exact per-label numbers, matrix and record labels' '
	start_fakellm &&
	class_project &&
	pops eval run evals/cls.yaml --no-store --json r.json --md r.md >out &&
	python3 - r.json <<-\EOF &&
	import json, sys
	r = json.load(open(sys.argv[1]))
	c = r["summary"][0]["classification"]
	by = {l["label"]: l for l in c["labels"]}
	def near(a, b):
	    assert abs(a - b) < 1e-9, (a, b)
	assert [l["label"] for l in c["labels"]] == ["(none)", "account", "billing", "bug"]
	near(by["billing"]["precision"], 2 / 3); near(by["billing"]["recall"], 2 / 3)
	near(by["bug"]["precision"], 0.5); near(by["bug"]["recall"], 1 / 3); near(by["bug"]["f1"], 0.4)
	near(by["account"]["f1"], 0.5); assert by["account"]["support"] == 2
	assert by["(none)"]["support"] == 0
	near(c["macro_f1"], (2 / 3 + 0.4 + 0.5) / 3)
	near(c["accuracy"], 0.5); near(c["micro_f1"], 0.5)
	assert c["confusion"]["labels"] == ["(none)", "account", "billing", "bug"]
	assert c["confusion"]["matrix"] == [[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 2, 1], [0, 1, 1, 1]]
	near(c["threshold_macro_f1"], 0.5)
	assert r["summary"][0]["verdict"] == "pass"
	cases = {x["id"]: x for x in r["cases"]}
	assert cases["b3"]["label"] == "bug" and cases["b3"]["expected_label"] == "billing"
	assert cases["a2"]["label"] == "(none)"
	EOF
	grep -q "classification: macro F1 0.522 (threshold 0.50), micro F1 0.500, accuracy 50.0%" out &&
	grep -q "^    bug  .*0.500   0.333  0.400        3$" out &&
	grep -q "### Classification: evals/cls.yaml on fast" r.md &&
	grep -q "| billing | 0.67 | 0.67 | 0.67 | 3 |" r.md &&
	grep -q "| \*\*bug\*\* | 0 | 1 | 1 | 1 |" r.md
'

test_expect_success 'metrics gate: macro F1 and a per-label minimum fail a passing suite' '
	start_fakellm &&
	class_project &&
	sed -i "s/threshold_macro_f1: 0.5/threshold_macro_f1: 0.6/" evals/cls.yaml &&
	test_expect_code 1 pops eval run evals/cls.yaml --no-store --json r.json >out &&
	grep -q "macro F1 0.52 is below threshold_macro_f1 0.60" out &&
	sed -i "s/threshold_macro_f1: 0.6/min_f1: { billing: 0.6, bug: 0.5 }/" evals/cls.yaml &&
	test_expect_code 1 pops eval run evals/cls.yaml --no-store >out &&
	grep -q "F1 of label .bug. 0.40 is below its min_f1 0.50" out &&
	sed -i "s/bug: 0.5/bug: 0.4/" evals/cls.yaml &&
	pops eval run evals/cls.yaml --no-store >out
'

test_expect_success 'metrics: bad label spec fails at load with file:line' '
	start_fakellm &&
	class_project &&
	sed -i "s/label: .*/label: \"(a)(b)\"/" evals/cls.yaml &&
	test_expect_code 2 pops eval run evals/cls.yaml --no-store 2>err &&
	grep -q "evals/cls.yaml:6: .label. regex has 2 groups" err &&
	sed -i "s/label: .*/lable: x/" evals/cls.yaml &&
	test_expect_code 2 pops eval run evals/cls.yaml --no-store 2>err &&
	grep -q "evals/cls.yaml:6: " err
'

test_expect_success 'metrics --baseline: per-label F1 against the previous revision' '
	start_fakellm &&
	class_project &&
	sed -i "s/{{text}}/{{text}} category: billing/" prompts/cls.prompt &&
	sed -i "s/threshold_macro_f1: 0.5/threshold_macro_f1: 0.4/" evals/cls.yaml &&
	git commit -qam "answer billing when unsure" &&
	pops eval run evals/cls.yaml --no-store --baseline HEAD~1 --json r.json --md r.md >out &&
	python3 - r.json <<-\EOF &&
	import json, sys
	s = json.load(open(sys.argv[1]))["summary"][0]
	d = {x["label"]: x for x in s["baseline"]["classification"]}
	# a2 now reads "billing" (no longer (none)): account unchanged, billing precision 2/4
	assert abs(d["account"]["delta"]) < 1e-9, d
	assert abs(d["billing"]["baseline_f1"] - 2 / 3) < 1e-9, d
	assert abs(d["billing"]["f1"] - 4 / 7) < 1e-9, d
	EOF
	grep -q "F1 -0.095 vs baseline" out &&
	grep -q "| billing | 0.50 | 0.67 | 0.57 | 3 | -0.10 (was 0.67) |" r.md
'

test_done
