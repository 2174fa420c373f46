#!/bin/sh
# A provider that is down (nothing listening, the key or the model
# refused) stops the suite within seconds: one line says why, the cases
# not sent are JUnit errors, exit 4. Rate-limit headers lower how many
# requests are in flight, and the summary counts the 429s.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-eval.sh"

XSD="$ROOT/tests/data/junit.xsd"

# a port nothing listens on: bound, then closed
closed_port() {
	python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1]); s.close()"
}

test_expect_success '200 cases to a closed port: stopped in seconds, 200 JUnit errors, exit 4' '
	FAKELLM_URL=http://127.0.0.1:$(closed_port) &&
	eval_project 200 &&
	start=$(date +%s) &&
	test_expect_code 4 pops eval run --junit r.xml >out 2>err &&
	end=$(date +%s) &&
	test $((end - start)) -lt 10 &&
	grep -q "^result: error: evals/echo.yaml \[fast\]: provider .fake.: connection refused at 127.0.0.1:[0-9]*; stopped after [1-8] requests, 19[2-9] cases not sent$" out &&
	grep -q "200 runs: 0 passed, 0 failed, 200 errors" out &&
	xmllint --noout --schema "$XSD" r.xml &&
	test $(grep -c "<error message=" r.xml) = 200 &&
	grep -q "<error message=\"not sent: provider .fake.: connection refused" r.xml
'

test_expect_success 'a refused key (401) on the first requests stops the suite, exit 4' '
	start_fakellm --api-key right-key &&
	eval_project 40 ", api_key_env: POPS_T0735_KEY" &&
	POPS_T0735_KEY=wrong-key test_expect_code 4 pops eval run -j 4 >out &&
	grep -q "^result: error: evals/echo.yaml \[fast\]: provider .fake.: HTTP 401: invalid x-api-key or bearer token; stopped after [1-4] requests, 3[6-9] cases not sent$" out &&
	test "$(fakellm_stat chat)" -le 4 &&
	test_must_fail grep -r wrong-key out
'

test_expect_success 'a model the provider does not have (404) stops the suite too' '
	start_fakellm &&
	eval_project 20 ", headers: { x-fakellm-fault: \"404\" }" &&
	test_expect_code 4 pops eval run -j 2 >out &&
	grep -q "^result: error: .*: provider .fake.: HTTP 404: .*; stopped after [12] requests, 1[89] cases not sent$" out &&
	test "$(fakellm_stat chat)" -le 2
'

test_expect_success 'after one success, failures keep the ordinary retries (no stop)' '
	start_fakellm &&
	eval_project 6 &&
	pops eval run -j 1 --no-store --filter "^c1$" >/dev/null &&
	sed -i "s|\"$FAKELLM_URL/v1\"|\"$FAKELLM_URL/v1\", headers: { x-fakellm-fault: \"500\" }|" pops.yaml &&
	fakellm_get /__reset >/dev/null &&
	test_expect_code 4 pops eval run -j 1 --no-store >out &&
	grep -q "6 runs: 1 passed, 0 failed, 5 errors" out &&
	test_must_fail grep "not sent" out
'

test_expect_success 'the cache still answers the cases it holds when the provider is down' '
	start_fakellm &&
	eval_project 30 &&
	pops eval run --no-store --filter "^c(1|2|3)$" >/dev/null &&
	sed -i "s|\"$FAKELLM_URL/v1\"|\"$FAKELLM_URL/v1\", headers: { x-fakellm-fault: \"401\" }|" pops.yaml &&
	test_expect_code 4 pops eval run --no-store --json r.json >out &&
	python3 - <<-\EOP
	import json
	d = json.load(open("r.json"))
	by = {c["id"]: c for c in d["cases"]}
	for i in (1, 2, 3):
	    assert by["c%d" % i]["status"] == "pass", by["c%d" % i]
	assert sum(c["status"] == "error" for c in d["cases"]) == 27
	assert d["summary"][0]["unsent"] >= 19, d["summary"][0]
	EOP
'

test_expect_success 'rate-limit headers lower concurrency: few 429s, no errors, counted in the summary' '
	start_fakellm --latency 30 &&
	eval_project 40 ", headers: { x-fakellm-rate-limit: \"2\" }" &&
	pops eval run -j 8 --no-store --json r.json >out &&
	grep -q "40 runs: 40 passed, 0 failed, 0 errors" out &&
	n=$(fakellm_get /__stats | python3 -c "import json,sys; print(json.load(sys.stdin)[\"by_status\"].get(\"429\", 0))") &&
	test "$n" -gt 0 && test "$n" -lt 40 &&
	grep -q "^  rate limited: $n replies were 429" out &&
	python3 -c "import json; assert json.load(open(\"r.json\"))[\"summary\"][0][\"rate_limited\"] == $n"
'

test_done
