#!/bin/sh
# pops report FILE.json re-renders a JSON report, a run's or a merged
# shard set's, as the run would have written it: HTML, Markdown, JUnit.
. "$(dirname "$0")/lib.sh"

CHECK="python3 $ROOT/tests/browser/report_check.py"

# two suites on this case's fakellm (it echoes the prompt), one failing case
report_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	  slow: { provider: fake, id: m-2 }
	EOT
	printf -- "---\nmodel: fast\n---\nSay {{w}}\n" >prompts/say.prompt &&
	printf "prompt: say\ntests:\n  - { id: one, vars: { w: apple } }\n  - { id: two, vars: { w: pear } }\nassert:\n  - { type: contains, value: apple }\n" >evals/a.yaml &&
	printf "prompt: say\ntests:\n  - { id: x, vars: { w: fig } }\n" >evals/b.yaml &&
	git add -A && git commit -q -m "two suites"
}

test_expect_success 'the HTML, Markdown and JUnit of a JSON report are the run'"'"'s own' '
	start_fakellm &&
	report_project &&
	test_expect_code 1 pops eval run --no-store --json r.json --html run.html --md run.md --junit run.xml >out &&
	pops report r.json --html again.html --md again.md --junit again.xml &&
	test_cmp run.html again.html &&
	test_cmp run.md again.md &&
	test_cmp run.xml again.xml
'

test_expect_success 'a merged shard set re-renders like its merge; "-" is standard output' '
	start_fakellm &&
	report_project &&
	test_expect_code 1 pops eval run --shard 1/2 --json p1.json >/dev/null &&
	test_expect_code 1 pops eval run --shard 2/2 --json p2.json >/dev/null &&
	test_expect_code 1 pops eval merge --no-store --json m.json --html merged.html p1.json p2.json >out &&
	pops report m.json --html - >again.html &&
	test_cmp merged.html again.html &&
	$CHECK summary again.html m.json >got &&
	grep -q "^ok: 2 summary rows" got
'

test_expect_success 'an incomplete report stays marked incomplete' '
	start_fakellm &&
	report_project &&
	test_expect_code 1 pops eval run --no-store --json r.json >out &&
	python3 -c "import json; d=json.load(open(\"r.json\")); d[\"complete\"]=False; json.dump(d, open(\"r.json\", \"w\"))" &&
	pops report r.json --md s.md --html s.html &&
	grep -q "Incomplete run" s.md &&
	grep -q "class=\"incomplete\"" s.html
'

test_expect_success 'several models are a matrix: a flip is marked, diffed, and the flip filter shows it' '
	start_fakellm &&
	report_project &&
	test_expect_code 1 pops eval run --no-store --model fast,slow --json r.json evals/a.yaml >out &&
	python3 - <<-\EOP &&
	import json
	d = json.load(open("r.json"))
	for c in d["cases"]:
	    if c["model"] == "slow" and c["id"] == "one":
	        c["status"] = "fail"
	        c["output"] = "Say green apple"
	json.dump(d, open("r.json", "w"))
	EOP
	pops report r.json --html m.html &&
	grep -q "class=\"case flip\" role=\"row\" id=\"a/one\"" m.html &&
	grep -q "Say <ins>green </ins>apple" m.html &&
	$CHECK filter m.html r.json fail >got &&
	grep -q "^ok: filter fail shows exactly the 2 fail cases" got &&
	python3 "$ROOT/tests/browser/report_check.py" fragment m.html a/one >got &&
	grep -q ":target" got
'

test_expect_success 'bad input: a clear error, exit 2, nothing written' '
	start_fakellm &&
	report_project &&
	echo keep >out.html &&
	test_expect_code 2 pops report missing-options.json 2>err &&
	grep -q "nothing to write for .missing-options.json." err &&
	test_expect_code 2 pops report nope.json --html out.html 2>err &&
	grep -q "cannot open .nope.json." err &&
	echo "{\"schema_version\":2}" >v2.json &&
	test_expect_code 2 pops report v2.json --html out.html 2>err &&
	grep -q "v2.json: not a pops eval JSON report (no schema_version 1)" err &&
	echo "{\"schema_version\":1,\"summary\":[{\"suite\":\"a\",\"model\":\"m\"}],\"cases\":[{\"id\":\"z\",\"suite\":\"b\",\"model\":\"m\"}]}" >orphan.json &&
	test_expect_code 2 pops report orphan.json --html out.html 2>err &&
	grep -q "case .z. names suite .b. on .m., which has no summary" err &&
	test_expect_code 2 pops report orphan.json --html orphan.json 2>err &&
	grep -q "is the report" err &&
	test "$(cat out.html)" = keep &&
	ls >files &&
	! grep -q tmp files
'

test_done
