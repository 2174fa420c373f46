#!/bin/sh
# The response cache (.pops/cache), pops cache stats|clear, cassettes
# (record, replay, the replay provider type).
. "$(dirname "$0")/lib.sh"

fake_project() {
	setup_project &&
	cat >pops.yaml <<-EOT
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	  rep: { type: replay, cassette: tape.jsonl }
	models:
	  f: { provider: fake, id: fake-model-1 }
	  r: { provider: rep, id: fake-model-1 }
	EOT
}

test_expect_success 'a cached response is served without a request; stats and clear' '
	start_fakellm &&
	fake_project &&
	pops model ping --cache f >out1 &&
	pops model ping --cache f >out2 &&
	grep -q "attempts=1$" out1 &&
	grep -q "attempts=0	cached$" out2 &&
	test "$(fakellm_stat requests)" = 1 &&
	pops cache stats >st &&
	grep -qx "entries	1" st && grep -qx "corrupt	0" st &&
	pops cache stats --json >sj &&
	grep -q "\"schema_version\": 1" sj &&
	pops cache clear 2>err &&
	grep -q "removed 1 cached response" err &&
	pops cache stats >st &&
	grep -qx "entries	0" st
'

test_expect_success 'cache stats: one aligned row under a header on a terminal' '
	setup_project &&
	mkdir -p .pops/cache/ab &&
	printf "{}" >.pops/cache/ab/x.json &&
	python3 "$TEST_DIR/lib-pty.py" tty "$POPS_BIN" cache stats &&
	printf "ENTRIES  CORRUPT  BYTES  SIZE\n0        1        2      2 B\n" >expect &&
	test_cmp expect tty &&
	python3 "$TEST_DIR/lib-pty.py" tty "$POPS_BIN" cache stats --porcelain &&
	printf "entries\t0\ncorrupt\t1\nbytes\t2\n" >expect &&
	test_cmp expect tty
'

test_expect_success 'a corrupt cache entry is ignored and replaced' '
	start_fakellm &&
	fake_project &&
	pops model ping --cache f >/dev/null &&
	for f in .pops/cache/*/*.json; do printf "{\"key\":" >"$f"; done &&
	pops cache stats >st &&
	grep -qx "corrupt	1" st &&
	pops model ping --cache f >out &&
	grep -q "attempts=1$" out &&
	test "$(fakellm_stat requests)" = 2 &&
	pops cache stats >st &&
	grep -qx "entries	1" st
'

test_expect_success 'record writes a cassette; replay answers from it offline; a miss is clear' '
	start_fakellm &&
	fake_project &&
	pops model ping --record tape.jsonl f >out &&
	head -n 1 tape.jsonl >h &&
	grep -qx "{\"pops_cassette\":1}" h &&
	grep -q "\"model\":\"fake-model-1\",\"repeat\":0,\"result\":{\"text\":\"Reply with the word pong.\"" tape.jsonl &&
	pops model ping --replay tape.jsonl f >out &&
	grep -q "attempts=0	cached$" out &&
	pops model ping r >out &&
	grep -q "^r	rep/fake-model-1	" out &&
	test "$(fakellm_stat requests)" = 1 &&
	sed "s/fake-model-1/other-model/" pops.yaml >p2 && mv p2 pops.yaml &&
	test_expect_code 4 pops model ping r 2>err &&
	grep -q "no recorded response for model .other-model. repeat 0" err &&
	test_expect_code 2 pops model ping --replay missing.jsonl f 2>err &&
	grep -q "cassette .missing.jsonl. does not exist" err
'

test_done
