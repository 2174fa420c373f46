#!/bin/sh
# pops eval trend (issue 20, Drift): a real eval run against tests/fakellm
# (95 of 100 cases pass) is the release evidence of echo in prod; then
# production evidence for three days, written as git notes the way eval
# score records it (kind production, one result per day): echo drops to
# 70% on the third day (flagged against the day before and the release,
# exit 1), a second suite drifts 95% -> 92% (noise, not flagged). The
# chart line, --env, --json and bad input.
. "$(dirname "$0")/lib.sh"

# echo released to prod on a 100-case suite: cases 96..100 expect a word
# the echo never says
trend_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	pricing:
	  m-1: { input: 1, output: 2 }
	environments:
	  - name: prod
	    require: { suites: [evals/echo.yaml] }
	  - name: staging
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nEcho: {{word}}\n" >prompts/echo.prompt &&
	i=1 &&
	while [ $i -le 100 ]; do
		if [ $i -le 95 ]; then e=w$i; else e=never$i; fi &&
		printf "{\"id\":\"c%d\",\"vars\":{\"word\":\"w%d\"},\"expected\":\"%s\"}\n" $i $i $e &&
		i=$((i + 1)) || return 1
	done >datasets/echo.jsonl &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 0.9\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m "echo suite" &&
	pops eval run evals/echo.yaml >out &&
	grep -q "95 passed" out &&
	pops promote prod echo >/dev/null &&
	production_notes
}

# production evidence on days +1..+3 (UTC): echo 95, 94, 70 of 100 (its
# released blob), and suite evals/other.yaml of prompt other: released
# evidence 95/100 today, then 95, 93, 92
production_notes() {
	git cat-file blob refs/pops/releases:prod/echo.json >entry &&
	python3 - <<-\EOP &&
	import json, datetime, subprocess
	blob = json.load(open("entry"))["blob"]
	today = datetime.datetime.now(datetime.timezone.utc).date()
	def day(n, h=8):
	    return (today + datetime.timedelta(days=n)).strftime("%Y-%m-%d") + "T%02d:00:00Z" % h
	def res(suite, prompt, pblob, fp, kind, date, passed):
	    return {"suite": suite, "prompt": prompt, "prompt_blob": pblob, "model": "m-1",
	            "fingerprint": fp, "kind": kind, "cases": 100, "passed": passed,
	            "failed": 100 - passed, "errors": 0, "pass_rate": passed / 100,
	            "verdict": "pass" if passed >= 90 else "fail", "cost_usd": 0.25,
	            "date": date}
	other = "0123456789abcdef0123456789abcdef01234567"
	results = [res("evals/other.yaml", "other", other, "other-rel", "complete", day(0, 0), 95)]
	for n, (a, b) in enumerate([(95, 95), (94, 93), (70, 92)], 1):
	    results.append(res("evals/echo.yaml", "echo", blob, "echo-prod-%d" % n, "production", day(n), a))
	    results.append(res("evals/other.yaml", "other", other, "other-prod-%d" % n, "production", day(n), b))
	    # a version of echo prod does not serve (another suite): --env leaves it out
	    results.append(res("evals/echo-old.yaml", "echo", other, "echo-old-%d" % n, "production", day(n), 10))
	subprocess.run(["git", "commit", "-q", "--allow-empty", "-m", "production day"], check=True)
	json.dump({"schema_version": 1, "results": results}, open("note.json", "w"))
	subprocess.run(["git", "notes", "--ref=pops", "add", "-F", "note.json", "HEAD"], check=True)
	open("days", "w").write("\n".join(day(n)[:10] for n in range(4)) + "\n")
	EOP
	true
}

test_expect_success '--env prod: the drop to 70% is flagged against the day before and the release' '
	start_fakellm &&
	trend_project &&
	(export LC_ALL=C.UTF-8 && test_expect_code 1 pops eval trend --env prod >out 2>err) &&
	grep -q "^evals/echo.yaml (echo)  ███▆  95.0% -> 70.0%  release 95.0%  drift$" out &&
	! grep -q other out &&
	! grep -q echo-old out &&
	d3=$(sed -n 4p days) &&
	grep -q "^  $d3   70.0% \[60.4%, 78.1%\]  70/100  \$0.0025/case  production  DROP: below the previous window (p=[0-9.e-]*), below the release (p=[0-9.e-]*)$" out &&
	grep -c "DROP" out >n &&
	echo 1 >expect &&
	test_cmp expect n &&
	grep -q "^1 window with a significant drop (Fisher exact, alpha 0.05)$" out
'

test_expect_success 'without --env both suites: the noise of the other suite is not flagged; ASCII chart' '
	start_fakellm &&
	trend_project &&
	(export LC_ALL=C.UTF-8 NO_COLOR=1 && test_expect_code 1 pops eval trend >out) &&
	grep -q "^evals/other.yaml (other)  ###\*  95.0% -> 92.0%  release 95.0%$" out &&
	grep -q "^evals/echo-old.yaml (echo)  \.\.\.  10.0% -> 10.0%$" out &&
	(export LC_ALL=C && test_expect_code 1 pops eval trend >out) &&
	grep -q "^evals/echo.yaml (echo)  ###+ " out &&
	(export LC_ALL=C.UTF-8 && test_expect_code 1 pops eval trend >out) &&
	grep -q "^evals/other.yaml (other)  ███▇  95.0% -> 92.0%" out &&
	grep -q "Holm-corrected across suites" out &&
	pops eval trend evals/other.yaml >out &&
	! grep -q DROP out &&
	! grep -q "drift" out
'

test_expect_success '--json: the series, the baseline the gate used, adjusted p-values and flags' '
	start_fakellm &&
	trend_project &&
	git cat-file blob refs/pops/releases:prod/echo.json >entry &&
	test_expect_code 1 pops eval trend echo --env prod --json >out.json &&
	python3 - <<-\EOP
	import json
	d = json.load(open("out.json"))
	assert d["schema_version"] == 1 and d["window_days"] == 1 and d["flagged"] == 1, d
	assert [s["suite"] for s in d["series"]] == ["evals/echo.yaml"], d
	s = d["series"][0]
	assert s["baseline"]["fingerprint"] == json.load(open("entry"))["evidence"], s["baseline"]
	assert (s["baseline"]["passed"], s["baseline"]["failed"]) == (95, 5), s["baseline"]
	win = s["windows"]
	assert [x["passed"] for x in win] == [95, 95, 94, 70], win
	assert [x["production"] for x in win] == [False, True, True, True], win
	assert win[0]["p_previous"] is None and win[0]["p_release"] is None, win[0]
	assert win[3]["flagged"] and win[3]["flags"] == ["previous", "release"], win[3]
	assert win[3]["p_release"] < 0.001 and 0.60 < win[3]["ci_low"] < 0.61, win[3]
	assert not any(x["flagged"] for x in win[:3]), win
	assert win[3]["latency_p95_ms"] is None and win[3]["cost_per_case"] == 0.0025, win[3]
	assert win[3]["end"] > win[3]["start"], win[3]
	EOP
'

test_expect_success '--since and --window narrow the series; what is left may not be a drop' '
	start_fakellm &&
	trend_project &&
	d3=$(sed -n 4p days) &&
	test_expect_code 1 pops eval trend echo --env prod --since "$d3" --json >out.json &&
	python3 -c "import json; win = json.load(open(\"out.json\"))[\"series\"][0][\"windows\"]; assert len(win) == 1 and win[0][\"flags\"] == [\"release\"], win" &&
	pops eval trend evals/other.yaml --window 366 --json >out.json &&
	python3 -c "import json; d = json.load(open(\"out.json\")); assert d[\"flagged\"] == 0 and d[\"window_days\"] == 366, d"
'

test_expect_success 'bad input: a clear error and exit 2' '
	start_fakellm &&
	trend_project &&
	test_expect_code 2 pops eval trend --window month 2>err &&
	grep -q "error: --window .month.: expected day, week or a number of days" err &&
	test_expect_code 2 pops eval trend --since yesterday 2>err &&
	grep -q "error: --since .yesterday.: expected a UTC date, YYYY-MM-DD" err &&
	test_expect_code 2 pops eval trend evals/nope.yaml 2>err &&
	grep -q "error: no eval evidence for suite or prompt .evals/nope.yaml." err &&
	test_expect_code 2 pops eval trend --env staging 2>err &&
	grep -q "error: nothing is released to staging" err
'

test_expect_success 'no evidence yet: a note, exit 0' '
	setup_project &&
	pops eval trend >out 2>err &&
	test_must_be_empty out &&
	grep -q "no eval evidence yet" err
'

# origin.git holding the trend project, its ledger and evidence; `pops`
# on PATH for the recipe's run: steps; the recipe as JSON in $1.json
drift_origin() {
	mkdir bin &&
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$POPS_WRAP" "$POPS_BIN" >bin/pops &&
	chmod +x bin/pops &&
	PATH=$PWD/bin:$PATH && export PATH &&
	make -s -C "$ROOT" print-deps >deps &&
	git init -q --bare origin.git &&
	mkdir dev && cd dev &&
	trend_project &&
	git remote add origin ../origin.git &&
	git push -q origin HEAD &&
	pops push origin >/dev/null 2>&1 &&
	cp days .. &&
	cd .. &&
	printf "{{json this}}\n" >json.prompt &&
	pops render --json --vars "$ROOT/docs/ci/$1.yml" json.prompt >render.json &&
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
open(sys.argv[2], \"w\").write(d[\"messages\"][0][\"content\"][0][\"text\"])" render.json "$1.json" &&
	git clone -q origin.git runner
}

# the evidence the nightly run pushed: a complete result of echo dated today
origin_has_nightly_evidence() {
	git clone -q origin.git verify &&
	(cd verify && pops pull origin >/dev/null 2>&1 && git notes --ref=pops show HEAD >../note) &&
	python3 -c "
import json
rs = json.load(open(\"note\"))[\"results\"]
today = open(\"days\").read().split()[0]
assert any(r[\"kind\"] == \"complete\" and r[\"prompt\"] == \"echo\" and r[\"date\"].startswith(today)
           for r in rs), rs
"
}

test_expect_success 'docs/ci/nightly-drift.yml: evals what prod serves, pushes the evidence, fails on the drop' '
	start_fakellm &&
	drift_origin nightly-drift &&
	{ (cd runner && python3 "$TEST_DIR/lib-ci.py" github ../nightly-drift.json drift ../artifacts \
		"$ROOT/README.md" ../deps >../log 2>&1); test $? = 1 || { cat log; false; }; } &&
	grep -q "^check Install pops" log &&
	grep -q "^ok    Eval what prod serves (exit 0)" log &&
	grep -q "^ok    Push eval evidence (exit 0)" log &&
	grep -q "^FAIL  Trend (exit 1)" log &&
	grep -q "DROP: below the previous window" runner/.ci-runner-temp/summary.md &&
	python3 -c "import json; assert json.load(open(\"artifacts/pops-drift/trend.json\"))[\"flagged\"] == 1" &&
	origin_has_nightly_evidence
'

test_expect_success 'docs/ci/nightly-drift.gitlab-ci.yml: the same job fails on the drop' '
	start_fakellm &&
	drift_origin nightly-drift.gitlab-ci &&
	{ (cd runner && python3 "$TEST_DIR/lib-ci.py" gitlab ../nightly-drift.gitlab-ci.json drift \
		"$ROOT/README.md" ../deps >../log 2>&1); test $? = 1 || { cat log; false; }; } &&
	grep -q "^check drift: before_script install" log &&
	grep -q "^FAIL  drift (exit 1)" log &&
	grep -q "DROP: below the previous window" runner/reports/trend.txt &&
	origin_has_nightly_evidence
'

test_done
