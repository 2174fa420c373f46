#!/bin/sh
# pops eval run --html: one self-contained file, checked in a real
# browser (Debian's chromium, headless, through the DevTools protocol):
# the summary says what the JSON report says, the "fail" filter shows the
# failing cases and nothing else, a case fragment scrolls to its case, no
# request is made, and hostile model output shows as text with no dialog.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

CHECK="python3 $ROOT/tests/browser/report_check.py"

# html_project: one suite on this case's fakellm (which echoes the prompt):
# two passing cases, three failing, two of them hostile markup, one long
html_project() {
	fake_project --priced &&
	printf -- "---\nmodel: fast\n---\nSay {{w}}\n" >prompts/say.prompt &&
	long=$(python3 -c "print(\"apple \" * 1000)") &&
	cat >evals/summarize.yaml <<-EOT &&
	prompt: say
	threshold: 0.9
	tests:
	  - { id: summary-01, vars: { w: apple } }
	  - { id: summary-07, vars: { w: pear } }
	  - { id: "script case", vars: { w: "</script><script>alert(1)</script>" } }
	  - { id: img/case, vars: { w: "<img src=x onerror=alert(1)>" } }
	  - { id: long, vars: { w: "$long" } }
	assert:
	  - { type: contains, value: apple }
	EOT
	git add -A && git commit -q -m "a suite" &&
	test_expect_code 1 pops eval run --no-store --html r.html --json r.json >out
}

test_expect_success 'one file: inline style and script, a policy that allows no request, data escaped' '
	start_fakellm &&
	html_project &&
	grep -q "Content-Security-Policy\" content=\"default-src '"'"'none'"'"'" r.html &&
	test "$(grep -o "<script" r.html | wc -l)" = 1 &&
	! grep -q "<link\|src=\"http\|href=\"http\|@import\|url(" r.html &&
	grep -q "Say &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" r.html &&
	grep -q "Say &lt;img src=x onerror=alert(1)&gt;" r.html &&
	! grep -q "<img" r.html &&
	grep -q "<details class=\"long\"><summary>output, 5.9 KB</summary>" r.html &&
	grep -q "id=\"summarize/summary-07\"" r.html &&
	grep -q "id=\"summarize/script%20case\"" r.html
'

test_expect_success 'the summary in the browser equals the JSON report; with scripts off it is all there' '
	start_fakellm &&
	html_project &&
	$CHECK summary r.html r.json >got &&
	grep -q "^ok: 1 summary rows" got &&
	$CHECK nojs r.html r.json >got &&
	grep -q "^ok: with scripts off, 1 summary rows and 5 case rows" got
'

test_expect_success 'filter fail shows exactly the failing cases; text filters, latency sorts' '
	start_fakellm &&
	html_project &&
	$CHECK filter r.html r.json fail >got &&
	grep -q "^ok: filter fail shows exactly the 3 fail cases" got &&
	$CHECK filter r.html r.json pass >got &&
	grep -q "^ok: filter pass shows exactly the 2 pass cases" got &&
	$CHECK text r.html r.json PEAR >got &&
	grep -q "^ok: text .PEAR. shows exactly the 1 cases holding it" got &&
	$CHECK sort r.html latency >got &&
	grep -q "^ok: every table sorted by latency" got
'

test_expect_success 'a case fragment scrolls to that case' '
	start_fakellm &&
	html_project &&
	$CHECK fragment r.html summarize/summary-07 >got &&
	grep -q "is the :target, in the viewport" got &&
	$CHECK fragment r.html summarize/img/case >got &&
	grep -q "is the :target" got
'

test_expect_success 'no request and no dialog: the hostile outputs stay text (the probe sees a real alert)' '
	start_fakellm &&
	html_project &&
	$CHECK quiet r.html >got &&
	grep -q "^ok: no request and no dialog" got &&
	printf "<script>alert(7)</script>" >probe.html &&
	$CHECK dialog-probe probe.html >got &&
	grep -q "saw \[.7.\]" got
'

test_expect_success '--html - writes to stdout; --html over an input is refused before anything runs' '
	start_fakellm &&
	html_project &&
	test_expect_code 1 pops eval run --no-store --html - >page 2>err &&
	grep -q "^<!doctype html>" page &&
	grep -q "pass rate" err &&
	test_expect_code 2 pops eval run --no-store --html evals/summarize.yaml 2>err &&
	grep -q "is the suite" err &&
	test_expect_code 2 pops eval run --no-store --html r.json --json r.json 2>err &&
	grep -q "both write" err
'

test_expect_success 'eval merge --html writes the merged shards; eval trend --html charts the evidence' '
	start_fakellm &&
	html_project &&
	test_expect_code 1 pops eval run --shard 1/2 --json p1.json >/dev/null &&
	test_expect_code 1 pops eval run --shard 2/2 --json p2.json >/dev/null &&
	test_expect_code 1 pops eval merge --no-store --html m.html --json m.json p1.json p2.json >out &&
	$CHECK summary m.html m.json >got &&
	grep -q "^ok: 1 summary rows" got &&
	test_expect_code 1 pops eval run >/dev/null &&
	pops eval trend --html t.html >out &&
	grep -q "<svg class=\"trend\"" t.html &&
	grep -q "<td class=\"num\">40.0%</td>" t.html
'

test_done
