#!/bin/sh
# What pops eval run reports is what happened: every failing suite in the
# result line, every failed assertion of a case, cached and sent runs,
# cost spent and saved, latency of the provider alone.
. "$(dirname "$0")/lib.sh"

# report_project: two suites on this case's fakellm (which echoes the prompt)
report_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	  judge: { provider: fake, id: fake-judge-1 }
	pricing:
	  m-1: { input: 1, output: 2 }
	  fake-judge-1: { input: 1, output: 1 }
	EOT
	printf -- "---\nmodel: fast\n---\nSay {{w}}\n" >prompts/say.prompt &&
	cat >evals/a.yaml <<-\EOT &&
	prompt: say
	threshold: 1.0
	tests:
	  - { id: one, vars: { w: apple } }
	  - { id: two, vars: { w: pear } }
	assert:
	  - { type: contains, value: apple }
	EOT
	cat >evals/b.yaml <<-\EOT &&
	prompt: say
	threshold: 0.9995
	tests:
	  - { id: x, vars: { w: fig } }
	assert:
	  - { type: contains, value: plum }
	EOT
	git add -A && git commit -q -m "two suites"
}

test_expect_success 'the result line names every failing suite, thresholds as written' '
	start_fakellm &&
	report_project &&
	test_expect_code 1 pops eval run >out &&
	grep -q "^result: fail: evals/a.yaml \[fast\]: pass rate 50.0% is below the threshold 100.0%; evals/b.yaml \[fast\]: pass rate 0.0% is below the threshold 99.95%$" out &&
	grep -q "threshold 99.95%: fail" out
'

test_expect_success 'a failing case shows every failed assertion: three, +N more; all in reports; -v the output' '
	start_fakellm &&
	report_project &&
	cat >evals/many.yaml <<-\EOT &&
	prompt: say
	tests:
	  - { id: many, vars: { w: kiwi } }
	assert:
	  - { type: contains, value: a1 }
	  - { type: contains, value: a2 }
	  - { type: contains, value: kiwi }
	  - { type: contains, value: a3 }
	  - { type: contains, value: a4 }
	  - { type: levenshtein, value: "Say kiwis and more", threshold: 2 }
	EOT
	test_expect_code 1 pops eval run --md r.md --junit r.xml evals/many.yaml >out &&
	grep -q "^    FAIL  many: output does not contain .a1.; output does not contain .a2.; output does not contain .a3. (+2 more)$" out &&
	test_must_fail grep -q "output:" out &&
	grep -q "output does not contain .a4.; edit distance 10 to .Say kiwis and more., more than the 2 allowed" r.md &&
	grep -q "edit distance 10 to" r.xml &&
	test_expect_code 1 pops eval run -v evals/many.yaml >out &&
	grep -q "^          output: Say kiwi$" out &&
	test_expect_code 1 pops eval run --verbose evals/many.yaml >out &&
	grep -q "output: Say kiwi" out
'

test_expect_success 'cached runs are counted, keep their latency, and cost is spent or saved' '
	start_fakellm --latency 60 &&
	report_project &&
	printf "  - { type: latency-ms, threshold: 30 }\n" >>evals/b.yaml &&
	test_expect_code 1 pops eval run --no-store --json r1.json evals/a.yaml evals/b.yaml >out1 &&
	grep -q "^  2 runs: 1 passed, 1 failed, 0 errors; 0 cached, 2 sent$" out1 &&
	grep -q "^  cost \$0.0000, tokens" out1 &&
	test_expect_code 1 pops eval run --no-store --json r2.json --filter "^(one|x)$" >out2 &&
	grep -q "^  1 run: 1 passed, 0 failed, 0 errors; 1 cached, 0 sent$" out2 &&
	grep -q "^  cost \$0.0000 spent, \$0.0000 saved by the cache" out2 &&
	grep -q "FAIL  x: output does not contain .plum.; latency [6-9][0-9] ms is over 30 ms" out2 &&
	test "$(fakellm_stat chat)" = 3 &&
	python3 - <<-\EOP
	import json
	a = {c["id"]: c for c in json.load(open("r1.json"))["cases"]}
	d = json.load(open("r2.json"))
	b = {c["id"]: c for c in d["cases"]}
	for k in ("one", "x"):
	    assert b[k]["cached"] is True and a[k]["cached"] is False, (a[k], b[k])
	    assert b[k]["latency_ms"] == a[k]["latency_ms"] >= 60, (a[k], b[k])
	s = {g["suite"]: g for g in d["summary"]}
	assert s["evals/a.yaml"]["cached"] == 1 and s["evals/a.yaml"]["sent"] == 0, s
	assert s["evals/a.yaml"]["cost_spent_usd"] == 0, s
	assert s["evals/a.yaml"]["cost_saved_usd"] > 0, s
	assert s["evals/a.yaml"]["latency_p50"] >= 60, s
	EOP
'

# budget_project: ten judged cases; judge calls cost far more than the model's
budget_project() {
	report_project &&
	sed -i "s/fake-judge-1: { input: 1, output: 1 }/fake-judge-1: { input: 400, output: 400 }/" pops.yaml &&
	i=1 &&
	while [ $i -le 10 ]; do
		echo "{\"id\":\"j$i\",\"vars\":{\"w\":\"word$i\"}}" || return 1
		i=$((i + 1))
	done >judged.jsonl &&
	printf "prompt: say\ndataset: judged.jsonl\nthreshold: 0\nassert:\n  - { type: judge, model: judge, rubric: says the word }\n" >evals/j.yaml &&
	git add -A && git commit -q -m judged
}

# spent: the dollars the last run says it spent (its stderr in err)
spent() {
	sed -n "s/^pops: --max-cost \$[^:]*: \$\([0-9.]*\) spent.*/\1/p" err
}

test_expect_success '--max-cost counts judge calls: the run stops within the budget' '
	start_fakellm &&
	budget_project &&
	pops eval run --no-store --no-cache --max-cost 100 evals/j.yaml >out 2>err &&
	full=$(spent) &&
	python3 -c "import sys; assert float(sys.argv[1]) > 0.03, sys.argv[1]" "$full" &&
	half=$(python3 -c "import sys; print(float(sys.argv[1]) / 2)" "$full") &&
	test_expect_code 1 pops eval run --no-store --no-cache -j 2 --max-cost $half evals/j.yaml >out 2>err &&
	grep -q "^result: incomplete: stopped by --max-cost" out &&
	python3 -c "import sys; assert 0 < float(sys.argv[1]) <= float(sys.argv[2]), sys.argv" "$(spent)" "$half"
'

test_expect_success '--max-cost counts the --baseline run and is one budget for every suite' '
	start_fakellm &&
	budget_project &&
	sed -i "s/fast: { provider: fake, id: m-1 }/fast: { provider: fake, id: m-1, config: { max_tokens: 16 } }/" pops.yaml &&
	printf "prompt: say\ndataset: judged.jsonl\nthreshold: 0\nassert:\n  - { type: contains, value: Say }\n" >evals/p.yaml &&
	cp evals/p.yaml evals/q.yaml &&
	git add -A && git commit -q -m plain &&
	printf "  - { type: contains, value: word }\n" >>evals/p.yaml &&
	git commit -q -am "one more assertion" &&
	pops eval run --no-store --no-cache -j 1 --max-cost 100 evals/p.yaml >out 2>err &&
	one=$(spent) &&
	budget=$(python3 -c "import sys; print(float(sys.argv[1]) * 1.5)" "$one") &&
	test_expect_code 1 pops eval run --no-store --no-cache -j 1 --max-cost $budget --baseline HEAD~1 evals/p.yaml >out 2>err &&
	grep -q "^  10 runs: 10 passed" out &&
	grep -q "^result: incomplete: stopped by --max-cost" out &&
	python3 -c "import sys; assert float(sys.argv[2]) * 0.6 < float(sys.argv[1]) <= float(sys.argv[2]), sys.argv" "$(spent)" "$budget" &&
	test_expect_code 1 pops eval run --no-store --no-cache -j 1 --max-cost $budget evals/p.yaml evals/q.yaml >out 2>err &&
	grep -q "^result: incomplete: stopped by --max-cost" out &&
	python3 -c "import sys; assert float(sys.argv[2]) * 0.6 < float(sys.argv[1]) <= float(sys.argv[2]), sys.argv" "$(spent)" "$budget"
'

test_expect_success '--dry-run prices judge calls and the baseline, counts the cache, ends with a total' '
	start_fakellm &&
	budget_project &&
	pops eval run --no-store evals/j.yaml --filter "^j[12]$" >/dev/null &&
	fakellm_get /__reset >/dev/null &&
	pops eval run --dry-run --baseline HEAD~1 --json plan.json evals/j.yaml evals/a.yaml >out &&
	grep -q "^evals/j.yaml on fast (m-1): 10 cases x 1 = 10 requests (2 in the cache) + 10 judge, .*, estimated \$[0-9.]* + \$[0-9.]* for the judge calls$" out &&
	grep -q "^  baseline HEAD~1: 10 requests (2 in the cache), estimated \$[0-9.]*$" out &&
	grep -q "^total: 2 suite runs, 12 requests + 10 judge + 22 baseline, 4 in the cache, estimated \$[0-9.]*$" out &&
	test "$(tail -n 1 out | cut -c1-6)" = "total:" &&
	python3 - <<-\EOP &&
	import json
	d = json.load(open("plan.json"))
	j = [p for p in d["plans"] if p["suite"] == "evals/j.yaml"][0]
	assert j["cached"] == 2 and j["judge_requests"] == 10, j
	assert j["judge_cost_usd_est"] > 0.05, j
	assert j["baseline"]["requests"] == 10 and j["baseline"]["cached"] == 2, j["baseline"]
	assert abs(j["total_cost_usd_est"] - (j["cost_usd_est"] + j["judge_cost_usd_est"] + j["baseline"]["total_cost_usd_est"])) < 1e-12, j
	assert d["total"]["cached"] == 4 and d["total"]["judge_requests"] == 10, d["total"]
	EOP
	test "$(fakellm_stat requests)" = 0
'

test_expect_success '--dry-run: a baseline with stored evidence costs nothing' '
	start_fakellm &&
	budget_project &&
	git commit -q --allow-empty -m next &&
	test_expect_code 1 pops eval run evals/a.yaml --baseline HEAD~1 >/dev/null &&
	pops eval run --dry-run --baseline HEAD~1 evals/a.yaml >out &&
	grep -q "^  baseline HEAD~1: stored evidence of the same fingerprint, nothing to run$" out &&
	grep -q "^total: 1 suite run, 2 requests, 2 in the cache, estimated \$0.0000$" out
'

test_expect_success 'the Markdown summary names the flipped cases: 20 of them, and how many more' '
	start_fakellm &&
	report_project &&
	i=1 &&
	while [ $i -le 25 ]; do
		echo "{\"id\":\"f$i\",\"vars\":{\"w\":\"w$i\"}}" || return 1
		i=$((i + 1))
	done >flip.jsonl &&
	echo "{\"id\":\"steady\",\"vars\":{\"w\":\"apple\"}}" >>flip.jsonl &&
	printf "prompt: say\ndataset: flip.jsonl\nthreshold: 0\nassert:\n  - { type: contains, value: apple }\n" >evals/flip.yaml &&
	git add -A && git commit -q -m "a suite that will flip" &&
	printf -- "---\nmodel: fast\n---\nSay {{w}} apple\n" >prompts/say.prompt &&
	git commit -q -am "every case says apple" &&
	pops eval run --no-store --baseline HEAD~1 --md r.md evals/flip.yaml >out &&
	grep -q "25 newly passing" r.md &&
	grep -q "^| case | flip |$" r.md &&
	test "$(grep -c "^| f[0-9]* | fail → pass |$" r.md)" = 20 &&
	grep -q "^| f1 | fail → pass |$" r.md &&
	grep -q "^| f20 | fail → pass |$" r.md &&
	! grep -q "^| f21 |" r.md &&
	! grep -q "^| steady |" r.md &&
	grep -q "^and 5 more\.$" r.md
'

# exec_project N: N cases whose exec assertion sleeps a second, noting when it ran
exec_project() {
	report_project &&
	mkdir -p ran &&
	cat >slow.sh <<-\EOT &&
	#!/bin/sh
	python3 -c "import time; print(time.time())" >"ran/$POPS_CASE_ID.start"
	sleep 1
	python3 -c "import time; print(time.time())" >"ran/$POPS_CASE_ID.end"
	cat >/dev/null
	EOT
	chmod +x slow.sh &&
	i=1 &&
	while [ $i -le "$1" ]; do
		echo "{\"id\":\"e$i\",\"vars\":{\"w\":\"w$i\"}}" || return 1
		i=$((i + 1))
	done >slow.jsonl &&
	printf "prompt: say\ndataset: slow.jsonl\nassert:\n  - { type: exec, command: [./slow.sh] }\n  - { type: latency-ms, threshold: 500 }\n" >evals/slow.yaml &&
	git add -A && git commit -q -m slow
}

# most commands running at one time, from ran/*.start and ran/*.end
most_at_once() {
	python3 - <<-\EOP
	import glob
	ev = []
	for f in glob.glob("ran/*.start"):
	    ev.append((float(open(f).read()), 1))
	    ev.append((float(open(f[:-6] + ".end").read()), -1))
	n = best = 0
	for _, d in sorted(ev, key=lambda e: (e[0], e[1])):
	    n += d
	    best = max(best, n)
	print(best)
	EOP
}

test_expect_success 'exec assertions run side by side (-j) and outside the latency' '
	start_fakellm &&
	exec_project 8 &&
	pops eval run --no-store --no-cache -j 8 --json r.json evals/slow.yaml >out &&
	grep -q "^  8 runs: 8 passed, 0 failed, 0 errors" out &&
	test "$(most_at_once)" -ge 4 &&
	python3 -c "import json; s=json.load(open(\"r.json\"))[\"summary\"][0]; assert s[\"latency_p95\"] < 500, s" &&
	rm -rf ran && mkdir ran &&
	pops eval run --no-store --no-cache -j 2 evals/slow.yaml >out &&
	grep -q "^  8 runs: 8 passed" out &&
	test "$(most_at_once)" = 2
'

test_expect_success 'eval merge adds up the shards cached and sent runs' '
	start_fakellm &&
	budget_project &&
	pops eval run --no-store evals/j.yaml --filter "^j[1-4]$" >/dev/null &&
	pops eval run --shard 1/2 --json p1.json evals/j.yaml >/dev/null &&
	pops eval run --shard 2/2 --json p2.json evals/j.yaml >/dev/null &&
	pops eval merge --no-store p1.json p2.json --json m.json >out &&
	grep -q "^  10 runs: .*; 4 cached, 6 sent$" out &&
	python3 -c "import json; s=json.load(open(\"m.json\"))[\"summary\"][0]; assert (s[\"cached\"], s[\"sent\"]) == (4, 6), s"
'

test_done
