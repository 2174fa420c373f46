#!/bin/sh
# CI-native output: under GitHub Actions (or --annotations github) one
# ::error per failing case at its dataset line, escaped as the Actions
# toolkit does, at most 50 and a notice for the rest, the Markdown
# summary appended to $GITHUB_STEP_SUMMARY; --annotations gitlab writes
# a Code Quality report; the Markdown summary is a sticky PR comment.
. "$(dirname "$0")/lib.sh"

# gha CMD...: CMD as GitHub Actions runs it
gha() {
	(GITHUB_ACTIONS=true && export GITHUB_ACTIONS && "$@")
}

# gate CMD...: CMD's exit is a verdict (0 or 1), not an error
gate() {
	"$@"
	test $? -le 1
}

# ci_project: a JSONL dataset with a blank line, a YAML and a CSV one, inline tests
ci_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	  slow: { provider: fake, id: m-2 }
	pricing:
	  m-1: { input: 1, output: 2 }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nCapital: {{city}}\n" >prompts/cap.prompt &&
	cat >datasets/cap.jsonl <<-\EOT &&
	{"id":"fr","vars":{"city":"Paris"},"expected":"paris"}

	{"id":"es","vars":{"city":"Madrid"},"expected":"lisbon"}
	{"id":"a,b:c","vars":{"city":"Rome"},"expected":"100% milan"}
	EOT
	printf "prompt: cap\ndataset: datasets/cap.jsonl\nthreshold: 0.5\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/cap.yaml &&
	cat >datasets/cap.yaml <<-\EOT &&
	- id: ok
	  vars: { city: Oslo }
	  expected: oslo

	- id: bad
	  vars: { city: Bern }
	  expected: zurich
	EOT
	printf "prompt: cap\ndataset: datasets/cap.yaml\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/yaml.yaml &&
	printf "id,city,expected\nv,\"Vienna\nWien\",vienna\nw,Warsaw,krakow\n" >datasets/cap.csv &&
	printf "prompt: cap\ndataset: datasets/cap.csv\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/csv.yaml &&
	cat >evals/inline.yaml <<-\EOT &&
	prompt: cap
	tests:
	  - { id: in1, vars: { city: Lima }, expected: lima }
	  - { id: in2, vars: { city: Quito }, expected: bogota }
	assert:
	  - { type: icontains, value: "{{expected}}" }
	EOT
	git add -A && git commit -q -m "ci project"
}

test_expect_success 'GITHUB_ACTIONS=true: one ::error per failing case at its dataset line, escaped' '
	start_fakellm &&
	ci_project &&
	test_expect_code 1 gha pops eval run --no-store evals/cap.yaml evals/yaml.yaml \
		evals/csv.yaml evals/inline.yaml >out &&
	grep "^::" out >ann &&
	grep -q "^::error file=datasets/cap.jsonl,line=3,title=evals/cap.yaml es::output does not contain .lisbon.*$" ann &&
	grep -q "^::error file=datasets/cap.jsonl,line=4,title=evals/cap.yaml a%2Cb%3Ac::output does not contain .100%25 milan.*$" ann &&
	grep -q "^::error file=datasets/cap.yaml,line=5,title=evals/yaml.yaml bad::" ann &&
	grep -q "^::error file=datasets/cap.csv,line=4,title=evals/csv.yaml w::" ann &&
	grep -q "^::error file=evals/inline.yaml,line=4,title=evals/inline.yaml in2::" ann &&
	test $(wc -l <ann) = 5 &&
	! grep -q "::warning\|::notice" ann &&
	test_expect_code 1 pops eval run --no-store evals/cap.yaml --annotations github --json r.json >out2 &&
	grep -q "^::error file=datasets/cap.jsonl,line=3," out2 &&
	python3 - <<-\EOP
	import json
	d = json.load(open("r.json"))
	assert d["summary"][0]["dataset"] == "datasets/cap.jsonl", d["summary"][0]
	lines = {c["id"]: c["line"] for c in d["cases"]}
	assert lines == {"fr": 1, "es": 3, "a,b:c": 4}, lines
	assert all("file" not in c for c in d["cases"]), d["cases"]
	EOP
'

test_expect_success 'no annotations outside Actions, nor with --annotations none; a bad value is exit 2' '
	start_fakellm &&
	ci_project &&
	test_expect_code 1 pops eval run --no-store evals/cap.yaml >out &&
	! grep -q "^::" out &&
	test_expect_code 1 gha pops eval run --no-store --annotations none evals/cap.yaml >out &&
	! grep -q "^::" out &&
	test_expect_code 2 pops eval run --annotations jenkins evals/cap.yaml 2>err &&
	grep -q "^error: --annotations .jenkins.: expected github, gitlab, gitlab:FILE or none" err &&
	test "$(fakellm_stat requests)" -ge 1
'

test_expect_success 'a project below the top of the repository: paths from the top' '
	start_fakellm &&
	mkdir -p top/sub && cd top/sub &&
	ci_project &&
	mv .git .. && cd .. &&
	git add -A && git commit -q -m "the project moves to sub/" &&
	test -f sub/pops.yaml && test -d .git &&
	test_expect_code 1 gha pops -C sub eval run --no-store evals/cap.yaml >out &&
	grep -q "^::error file=sub/datasets/cap.jsonl,line=3," out
'

test_expect_success 'at most 50 annotations, then one notice with how many more' '
	start_fakellm &&
	ci_project &&
	i=1 &&
	while [ $i -le 60 ]; do
		echo "{\"id\":\"c$i\",\"vars\":{\"city\":\"x$i\"},\"expected\":\"nope\"}" || return 1
		i=$((i + 1))
	done >datasets/many.jsonl &&
	printf "prompt: cap\ndataset: datasets/many.jsonl\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/many.yaml &&
	git add -A && git commit -q -m many &&
	test_expect_code 1 gha pops eval run --no-store evals/many.yaml >out &&
	test $(grep -c "^::error " out) = 50 &&
	grep -q "^::error file=datasets/many.jsonl,line=50,title=evals/many.yaml c50::" out &&
	test $(grep -c "^::notice " out) = 1 &&
	grep -q "^::notice title=pops eval::10 more failing or errored cases (0 errored) not annotated" out
'

test_expect_success 'the Markdown summary is appended to GITHUB_STEP_SUMMARY: verdict first, marker, link' '
	start_fakellm &&
	ci_project &&
	echo "# earlier step" >summary.md &&
	(GITHUB_STEP_SUMMARY=$PWD/summary.md && export GITHUB_STEP_SUMMARY &&
	 test_expect_code 1 gha pops eval run --no-store evals/cap.yaml evals/yaml.yaml --md r.md \
		--html-url "https://ci.example/run/1/report.html" >out) &&
	head -n 1 summary.md | grep -q "^# earlier step$" &&
	sed -n 2p summary.md | grep -q "^❌ 2 of 2 suites failed: evals/cap.yaml, evals/yaml.yaml$" &&
	sed -n 3p summary.md | grep -q "^<!-- pops-report -->$" &&
	grep -q "^\[Full report (HTML)\](<https://ci.example/run/1/report.html>)$" summary.md &&
	tail -n +2 summary.md >appended &&
	test_cmp r.md appended &&
	grep -q "^### ❌ evals/yaml.yaml$" r.md &&
	grep -q "^| evals/cap.yaml | fast | ❌ fail | 33.3% | 6.1–79.2% | 50.0% | 3 | 2 | 0 |" r.md &&
	grep -q "^<details><summary>1 failing, 0 errored: evals/yaml.yaml on fast</summary>$" r.md &&
	grep -q "^| bad | fail | output does not contain .zurich." r.md &&
	test "$(grep -c "<details>" r.md)" = "$(grep -c "</details>" r.md)"
'

test_expect_success 'a summary past 60,000 characters is cut at a row with a note' '
	start_fakellm &&
	ci_project &&
	long=$(python3 -c "print(\"y\" * 150)") &&
	for s in 1 2 3 4 5 6 7 8 9 10 11 12; do
		i=1 &&
		while [ $i -le 25 ]; do
			echo "{\"id\":\"s$s-$i-$long\",\"vars\":{\"city\":\"x\"},\"expected\":\"nope\"}" || return 1
			i=$((i + 1))
		done >datasets/long$s.jsonl &&
		printf "prompt: cap\ndataset: datasets/long$s.jsonl\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/long$s.yaml || return 1
	done &&
	git add -A && git commit -q -m long &&
	test_expect_code 1 pops eval run --no-store evals/long*.yaml --md r.md >out &&
	test $(wc -m <r.md) -le 60000 &&
	grep -q "^\*\*Truncated\*\*: [0-9]* more rows not shown" r.md &&
	test "$(grep -c "<details>" r.md)" = "$(grep -c "</details>" r.md)" &&
	grep -B2 "^</details>$" r.md | grep -q "|$"
'

test_expect_success '--annotations gitlab writes a Code Quality report; gitlab:FILE names it' '
	start_fakellm &&
	ci_project &&
	test_expect_code 1 pops eval run --no-store --annotations gitlab evals/cap.yaml evals/csv.yaml >out &&
	! grep -q "^::" out &&
	python3 - <<-\EOP &&
	import json
	d = json.load(open("gl-code-quality-report.json"))
	assert len(d) == 3, d
	for i in d:
	    assert set(i) == {"description", "check_name", "fingerprint", "severity", "location"}, i
	    assert i["severity"] == "major" and len(i["fingerprint"]) == 32, i
	locs = sorted((i["location"]["path"], i["location"]["lines"]["begin"]) for i in d)
	assert locs == [("datasets/cap.csv", 4), ("datasets/cap.jsonl", 3), ("datasets/cap.jsonl", 4)], locs
	assert len({i["fingerprint"] for i in d}) == 3
	open("fp1", "w").write(" ".join(sorted(i["fingerprint"] for i in d)))
	EOP
	mkdir reports &&
	test_expect_code 1 pops eval run --no-store --annotations gitlab:reports/cq.json evals/cap.yaml evals/csv.yaml >out &&
	python3 -c "
import json
d = json.load(open(\"reports/cq.json\"))
assert \" \".join(sorted(i[\"fingerprint\"] for i in d)) == open(\"fp1\").read()
"
'

test_expect_success 'eval merge annotates the merged shards and links the HTML report' '
	start_fakellm &&
	ci_project &&
	gate pops eval run --shard 1/2 --json p1.json evals/cap.yaml >/dev/null &&
	gate pops eval run --shard 2/2 --json p2.json evals/cap.yaml >/dev/null &&
	test_expect_code 1 gha pops eval merge --no-store p1.json p2.json \
		--md m.md --html-url https://ci.example/r.html >out &&
	test $(grep -c "^::error " out) = 2 &&
	grep -q "^::error file=datasets/cap.jsonl,line=3,title=evals/cap.yaml es::" out &&
	grep -q "(<https://ci.example/r.html>)" m.md
'

test_done
