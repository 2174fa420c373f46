#!/bin/sh
# pops dataset add (issue 20, feedback into datasets): production records
# (pops JSONL, OTLP JSON, Langfuse JSON/CSV) appended to a golden dataset
# in its own format with provenance under meta; --where, stratified and
# seeded --sample, --label-from, --redact before anything is written;
# duplicates of rows already there are dropped, so a re-run adds nothing;
# reading is streamed: a 200 MB file at the peak RSS of a 1 MB one.
. "$(dirname "$0")/lib.sh"

REC=$ROOT/tests/data/records

# records.jsonl: 100 records, billing 60, shipping 30, other 10; odd ones
# thumbs down with a correction; every ticket carries an email address
records() {
	python3 - <<-'EOT'
	import json
	i = 0
	with open("records.jsonl", "w") as f:
	    for cat, n in (("billing", 60), ("shipping", 30), ("other", 10)):
	        for k in range(n):
	            i += 1
	            f.write(json.dumps({"vars": {"ticket": "ticket %d from user%d@example.com" % (i, i),
	                "category": cat}, "output": "x", "latency_ms": 100 * i, "trace_id": "t%d" % i,
	                "timestamp": "2026-11-30T10:%02d:00Z" % (i % 60), "served": "triage@3:prod",
	                "feedback": {"thumbs": "down" if i % 2 else "up", "correction": "fix %d" % i}}) + "\n")
	EOT
}

test_expect_success 'where and label-from: rows with expected and provenance' '
	records &&
	pops dataset add golden.jsonl --from records.jsonl \
		--where "feedback.thumbs == \"down\" && latency_ms > 9000" \
		--label-from feedback.correction >out &&
	grep -q "records.jsonl: 100 records (pops), 95 not matching --where" out &&
	grep -q "added 5 rows to golden.jsonl" out &&
	test $(wc -l <golden.jsonl) = 5 &&
	grep -q "\"vars\":{\"ticket\":\"ticket 91 from user91@example.com\",\"category\":\"other\"},\"expected\":\"fix 91\"" golden.jsonl &&
	grep -q "\"meta\":{\"source\":\"records.jsonl\",\"line\":91,\"trace_id\":\"t91\",\"timestamp\":\"2026-11-30T10:31:00Z\",\"served\":\"triage@3:prod\"}" golden.jsonl
'

test_expect_success 'stratified sample keeps the mix, is reproducible, and a re-run adds nothing' '
	records &&
	pops dataset add a.jsonl --from records.jsonl --sample 20 --stratify vars.category --seed 7 >out &&
	grep -q "sampled 20 of 100, stratified by vars.category: billing=12, other=2, shipping=6" out &&
	test $(grep -c "\"category\":\"billing\"" a.jsonl) = 12 &&
	test $(grep -c "\"category\":\"shipping\"" a.jsonl) = 6 &&
	test $(grep -c "\"category\":\"other\"" a.jsonl) = 2 &&
	pops dataset add b.jsonl --from records.jsonl --sample 20 --stratify vars.category --seed 7 >/dev/null &&
	test_cmp a.jsonl b.jsonl &&
	pops dataset add c.jsonl --from records.jsonl --sample 20 --stratify vars.category --seed 8 >/dev/null &&
	! cmp -s a.jsonl c.jsonl &&
	cp a.jsonl before &&
	pops dataset add a.jsonl --from records.jsonl --sample 20 --stratify vars.category --seed 7 >out &&
	grep -q "^20 duplicates of rows already in a.jsonl" out &&
	grep -q "^added 0 rows to a.jsonl" out &&
	test_cmp before a.jsonl
'

test_expect_success 'duplicates of rows already there are dropped and counted' '
	records &&
	printf "{\"vars\": {\"category\": \"billing\", \"ticket\": \"ticket  1 from user1@example.com \"}}\n" >g.jsonl &&
	pops dataset add g.jsonl --from records.jsonl --where "latency_ms <= 300" >out &&
	grep -q "^1 duplicates of rows already in g.jsonl" out &&
	grep -q "^added 2 rows to g.jsonl" out &&
	test $(wc -l <g.jsonl) = 3
'

test_expect_success 'redaction: no email left in the file' '
	records &&
	pops dataset add r.jsonl --from records.jsonl --sample 10 --redact email --redact phone >out &&
	grep -q "redacted 10 matches" out &&
	! grep -q "@example.com" r.jsonl &&
	test $(grep -c "from \[REDACTED:email\]" r.jsonl) = 10 &&
	pops dataset add r.jsonl --from records.jsonl --sample 10 --redact email >out &&
	grep -q "^added 0 rows" out &&
	printf "{\"vars\": {\"q\": \"pay 4111 1111 1111 1111 ref TCK-77\"}}\n" >card.jsonl &&
	pops dataset add r2.jsonl --from card.jsonl --redact card --redact "ticket=TCK-[0-9]+" >/dev/null &&
	grep -q "pay \[REDACTED:card\] ref \[REDACTED:ticket\]" r2.jsonl
'

test_expect_success 'every dataset format: YAML, CSV, JSON appended, read back, re-run adds nothing' '
	records &&
	printf -- "- vars: {ticket: old, category: billing}\n  expected: yes\n" >d.yaml &&
	printf "ticket,category,expected\nold,billing,yes\n" >d.csv &&
	printf "[{\"vars\": {\"ticket\": \"old\", \"category\": \"billing\"}}]\n" >d.json &&
	for f in d.yaml d.csv d.json; do
		pops dataset add $f --from records.jsonl --where "latency_ms < 400" --label-from feedback.correction >out &&
		grep -q "^added 3 rows to $f" out &&
		pops dataset add $f --from records.jsonl --where "latency_ms < 400" --label-from feedback.correction >out &&
		grep -q "^3 duplicates of rows already in $f" out &&
		grep -q "^added 0 rows to $f" out || return 1
	done &&
	grep -q "^old,billing,yes,$" d.csv &&
	head -1 d.csv | grep -q "^ticket,category,expected,meta" &&
	grep -q "^ticket 2 from user2@example.com,billing,fix 2,\"{\"\"source\"\":\"\"records.jsonl\"\",\"\"line\"\":2," d.csv &&
	grep -q "^    trace_id: \"t3\"" d.yaml &&
	grep -q "^  expected: \"fix 1\"" d.yaml &&
	grep -q "\"trace_id\":	\"t2\"" d.json &&
	printf "q: 1\n" >bad.yaml && cp bad.yaml bad.before &&
	test_expect_code 2 pops dataset add bad.yaml --from records.jsonl --sample 1 2>err &&
	grep -q "bad.yaml" err &&
	test_cmp bad.before bad.yaml &&
	printf "tests:\n  - vars: {ticket: a}\n" >m.yaml && cp m.yaml m.before &&
	test_expect_code 2 pops dataset add m.yaml --from records.jsonl --sample 1 2>err &&
	grep -q "m.yaml: rows cannot be appended to this layout" err &&
	test_cmp m.before m.yaml &&
	test_must_fail ls .bad.pops-add-* .m.pops-add-*
'

test_expect_success 'OTel and Langfuse sources: vars, expected and trace provenance' '
	pops dataset add o.jsonl --from "$REC/otel.jsonl" --label-from output >out &&
	grep -q "otel.jsonl: 2 records (otel)" out &&
	grep -q "\"vars\":{\"input\":\"My invoice is wrong\"},\"expected\":\"billing\"" o.jsonl &&
	grep -q "\"trace_id\":\"5b8efff798038103d269b633813fc60c\"" o.jsonl &&
	grep -q "\"served\":\"triage@3:prod\"" o.jsonl &&
	grep -q "\"vars\":{\"input\":\"Parcel lost\"},\"expected\":\"shipping\"" o.jsonl &&
	pops dataset add l.csv --from "$REC/langfuse-observations.json" --where "feedback.thumbs == down" \
		--label-from feedback.correction --redact email >out &&
	grep -q "langfuse-observations.json: 2 records (langfuse), 1 not matching --where" out &&
	grep -q "should be billing-escalation" l.csv &&
	grep -q "Refund please, \[REDACTED:email\]" l.csv &&
	pops dataset add l2.jsonl --from "$REC/langfuse-observations.csv" --format langfuse >out &&
	grep -q "added 2 rows" out &&
	grep -q "Where is it?\\\\nOrder 12" l2.jsonl
'

test_expect_success 'records lacking vars or the label are counted, not silently dropped' '
	pops dataset add p.jsonl --from "$REC/pops.jsonl" --label-from output >out &&
	grep -q "4 records (pops), 1 skipped: no vars, 1 skipped: no output" out &&
	grep -q "^added 2 rows" out
'

test_expect_success 'dry run writes nothing' '
	records &&
	pops dataset add n.jsonl --from records.jsonl --sample 3 --dry-run >out &&
	grep -q "^would add 3 rows to n.jsonl" out &&
	test_must_fail test -e n.jsonl
'

test_expect_success 'bad input: a clear error, exit 2, the dataset untouched' '
	records &&
	printf "{\"vars\": {\"x\": 1}}\n" >g.jsonl && cp g.jsonl g.before &&
	printf "{\"vars\": {\"a\": 1}}\n{\"vars\": 3}\n" >broken.jsonl &&
	test_expect_code 2 pops dataset add g.jsonl --from broken.jsonl 2>err &&
	grep -q "broken.jsonl:2: .vars. must be an object" err &&
	test_expect_code 2 pops dataset add g.jsonl --from records.jsonl --where "latency_ms >> 3" 2>err &&
	grep -q "where .latency_ms >> 3.: expected a value" err &&
	test_expect_code 2 pops dataset add g.jsonl --from records.jsonl --redact ssn 2>err &&
	grep -q "unknown pattern: use email, phone, card or NAME=REGEX" err &&
	test_expect_code 2 pops dataset add g.jsonl --from records.jsonl --stratify vars.category 2>err &&
	grep -q "stratify needs --sample" err &&
	test_expect_code 2 pops dataset add g.jsonl --from nope.jsonl 2>err &&
	grep -q "nope.jsonl: records file not found" err &&
	test_expect_code 2 pops dataset add g.txt --from records.jsonl 2>err &&
	grep -q "unknown dataset format" err &&
	i=0 && while [ $i -le 1000 ]; do printf "{\"vars\": {\"i\": %d}, \"trace_id\": \"t%d\"}\n" $i $i; i=$((i + 1)); done >ids.jsonl &&
	test_expect_code 2 pops dataset add g.jsonl --from ids.jsonl --sample 5 --stratify trace_id 2>err &&
	grep -q "stratify: more than 1000 distinct values" err &&
	test_cmp g.before g.jsonl
'

# small.jsonl (about 1 MB) and big.jsonl (about 200 MB), written in blocks
big_records() {
	python3 - <<-'EOT'
	line = ('{"vars": {"ticket": "ticket %08d about an invoice charged twice, please help", '
	        '"category": "c%d"}, "output": "billing", "latency_ms": %d, "trace_id": "t%08d"}\n')
	for name, n in (("small.jsonl", 6000), ("big.jsonl", 1200000)):
	    with open(name, "w") as f:
	        for b in range(0, n, 10000):
	            f.write("".join(line % (i, i % 5, i % 3000, i) for i in range(b, min(n, b + 10000))))
	EOT
}

# the release build when there is one: ASan reads 200 MB ten times slower
test_expect_success 'a 200 MB records file reads at the peak RSS of a 1 MB one' '
	bin=$ROOT/pops && { test -x "$bin" || bin=$POPS_BIN; } &&
	big_records &&
	test $(wc -c <big.jsonl) -gt 190000000 &&
	ASAN_OPTIONS=quarantine_size_mb=1:exitcode=86 /usr/bin/time -o small.rss -f %M \
		"$bin" dataset add out.jsonl --from small.jsonl --sample 10 --stratify vars.category --dry-run >small.out &&
	ASAN_OPTIONS=quarantine_size_mb=1:exitcode=86 /usr/bin/time -o big.rss -f %M \
		"$bin" dataset add out.jsonl --from big.jsonl --sample 10 --stratify vars.category --dry-run >big.out &&
	rm -f big.jsonl &&
	grep -q "1200000 records" big.out &&
	small=$(tail -1 small.rss) && big=$(tail -1 big.rss) &&
	echo "peak RSS: 1 MB file $small KB, 200 MB file $big KB" &&
	test $big -le $((small + small / 10 + 1024))
'

test_done
