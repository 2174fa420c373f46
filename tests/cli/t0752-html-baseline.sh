#!/bin/sh
# eval run --baseline, case by case: each case record carries the
# baseline's result, the summary names the flips, and the HTML report
# marks those rows (the "flip" filter shows exactly them, in chromium)
# with a word diff against the old output when the baseline's output is
# known (a baseline run now), and a note when only stored evidence (pass
# or fail) is.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

CHECK="python3 $ROOT/tests/browser/report_check.py"

# flip_project: v1 "Say {{w}}" then v2 "Say {{w}} apple", asserting
# "pear apple": pear fails, then passes (the one flip); apple fails both
# times, "pear apple" passes both
flip_project() {
	fake_project --priced &&
	printf -- "---\nmodel: fast\n---\nSay {{w}}\n" >prompts/say.prompt &&
	cat >evals/fruit.yaml <<-EOT &&
	prompt: say
	threshold: 0
	tests:
	  - { id: apple, vars: { w: apple } }
	  - { id: pear, vars: { w: pear } }
	  - { id: both, vars: { w: pear apple } }
	assert:
	  - { type: contains, value: pear apple }
	EOT
	git add -A && git commit -q -m v1 &&
	printf -- "---\nmodel: fast\n---\nSay {{w}} apple\n" >prompts/say.prompt &&
	git commit -q -am v2
}

test_expect_success 'a baseline run: records carry its result and output, the summary names the flip' '
	start_fakellm &&
	flip_project &&
	pops eval run --no-store --baseline HEAD~1 --json r.json --html r.html --md r.md >out &&
	python3 - <<-\EOP &&
	import json
	d = json.load(open("r.json"))
	b = d["summary"][0]["baseline"]
	assert b["source"] == "run", b
	assert b["flips"] == [{"id": "pear", "repeat": 0, "from": "fail", "to": "pass"}], b
	assert b["flips_count"] == 1, b
	cases = {c["id"]: c for c in d["cases"]}
	assert cases["pear"]["baseline"]["status"] == "fail", cases["pear"]
	assert cases["pear"]["baseline"]["output"] == "Say pear", cases["pear"]
	assert cases["pear"]["output"] == "Say pear apple", cases["pear"]
	assert "score" in cases["pear"]["baseline"], cases["pear"]
	assert cases["both"]["baseline"]["status"] == "pass", cases["both"]
	EOP
	grep -q "<div class=\"case flip\" role=\"row\" id=\"fruit/pear\" data-suite=\"evals/fruit.yaml\" data-status=\"pass\" data-flip=\"1\"" r.html &&
	grep -q "id=\"fruit/apple\" data-suite=\"evals/fruit.yaml\" data-status=\"fail\" data-flip=\"0\"" r.html &&
	grep -q "<details class=\"diff\" open><summary>diff against the baseline HEAD~1</summary><pre>Say pear<ins> apple</ins></pre>" r.html &&
	grep -q "flipped: <a href=\"#fruit/pear\">pear</a>" r.html &&
	grep -q "| pear | fail → pass |" r.md
'

test_expect_success 'in the browser the flip filter shows exactly the flipped case; a re-render keeps it' '
	start_fakellm &&
	flip_project &&
	pops eval run --no-store --baseline HEAD~1 --json r.json --html r.html >out &&
	$CHECK flips r.html r.json >got &&
	grep -q "^ok: filter flip shows exactly the 1 flips against the baseline" got &&
	pops report r.json --html again.html &&
	test_cmp r.html again.html &&
	$CHECK fragment again.html fruit/pear >got &&
	grep -q "is the :target" got
'

test_expect_success 'stored evidence as the baseline: the status only, and the report says the old output is unknown' '
	start_fakellm &&
	flip_project &&
	git checkout -q HEAD~1 &&
	pops eval run >/dev/null &&
	git checkout -q - &&
	pops eval run --no-store --baseline HEAD~1 --json r.json --html r.html >out &&
	python3 - <<-\EOP &&
	import json
	d = json.load(open("r.json"))
	b = d["summary"][0]["baseline"]
	assert b["source"] == "evidence", b
	assert [f["id"] for f in b["flips"]] == ["pear"], b
	cases = {c["id"]: c for c in d["cases"]}
	assert cases["pear"]["baseline"] == {"status": "fail"}, cases["pear"]
	EOP
	grep -q "id=\"fruit/pear\" data-suite=\"evals/fruit.yaml\" data-status=\"pass\" data-flip=\"1\"" r.html &&
	grep -q "its output is not in this report (stored evidence keeps pass/fail only)" r.html &&
	! grep -q "class=\"diff\"" r.html &&
	$CHECK flips r.html r.json >got &&
	grep -q "^ok: filter flip shows exactly the 1 flips" got
'

test_expect_success 'with --repeat each run of a case is its own row, its own flip and fragment' '
	start_fakellm &&
	flip_project &&
	pops eval run --no-store --repeat 2 --baseline HEAD~1 --json r.json --html r.html >out &&
	python3 -c "import json; b=json.load(open(\"r.json\"))[\"summary\"][0][\"baseline\"]; assert [(f[\"id\"], f[\"repeat\"]) for f in b[\"flips\"]] == [(\"pear\", 0), (\"pear\", 1)], b" &&
	test "$(grep -c "id=\"fruit/pear\" data-suite" r.html)" = 1 &&
	grep -q "<div class=\"case flip\" role=\"row\" id=\"fruit/pear~2\" data-suite" r.html &&
	$CHECK flips r.html r.json >got &&
	grep -q "^ok: filter flip shows exactly the 2 flips" got
'

test_done
