#!/bin/sh
# Concurrency: pops processes racing on the same repository never lose
# each other's updates.
. "$(dirname "$0")/lib.sh"

setup_prompts() {
	setup_project &&
	i=1 &&
	while [ $i -le "$1" ]; do
		printf -- "---\nmodel: fast\n---\nPrompt %s: {{text}}\n" $i >prompts/p$i.prompt &&
		i=$((i + 1)) || return 1
	done &&
	git add -A && git commit -q -m "prompts"
}

# eval_project N: N passing cases against this case's fakellm
eval_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nEcho: {{word}}\n" >prompts/echo.prompt &&
	i=1 &&
	while [ $i -le "$1" ]; do
		echo "{\"id\":\"c$i\",\"vars\":{\"word\":\"w$i\"},\"expected\":\"w$i\"}" || return 1
		i=$((i + 1))
	done >datasets/echo.jsonl &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 1.0\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m "echo suite"
}

# every cache entry is whole JSON naming its own key; prints the count
cache_sane() {
	python3 - <<-\EOP
	import json, os, sys
	n = 0
	for d, _, fs in os.walk(".pops/cache"):
	    for f in fs:
	        p = os.path.join(d, f)
	        if not f.endswith(".json"):
	            continue  # a temporary a killed writer left is not an entry
	        e = json.load(open(p))
	        assert e["key"] == os.path.basename(d) + f[:-5], p
	        assert isinstance(e["result"]["text"], str), p
	        n += 1
	print(n)
	EOP
}

# the evidence note on HEAD, if any, is whole JSON
note_sane() {
	if git notes --ref=pops show HEAD >note 2>/dev/null; then
		python3 -c "import json; d=json.load(open(\"note\")); assert d[\"schema_version\"]==1"
	fi
}

test_expect_success 'two eval runs at once in one repository both complete; cache and notes stay whole' '
	start_fakellm --latency 50 &&
	eval_project 10 &&
	{ "$POPS_BIN" eval run -j 2 --json a.json >out.a 2>err.a & pa=$!; } &&
	{ "$POPS_BIN" eval run -j 2 --json b.json >out.b 2>err.b & pb=$!; } &&
	{ wait $pa; echo $? >code.a; } &&
	{ wait $pb; echo $? >code.b; } &&
	test "$(cat code.a)" = 0 && test "$(cat code.b)" = 0 &&
	grep -q "10 runs: 10 passed, 0 failed, 0 errors" out.a &&
	grep -q "10 runs: 10 passed, 0 failed, 0 errors" out.b &&
	test "$(cache_sane)" = 10 &&
	note_sane &&
	git notes --ref=pops show HEAD >note &&
	python3 -c "import json; d=json.load(open(\"note\")); assert len(d[\"results\"])==1, d" &&
	git fsck --no-dangling
'

test_expect_success '8 promotes to the same environment at once are all recorded' '
	setup_prompts 8 &&
	pops promote dev p1 >/dev/null &&
	git update-ref -d refs/pops/releases &&
	for i in 1 2 3 4 5 6 7 8; do
		pops promote dev p$i >out.$i 2>&1 &
	done &&
	fails=0 &&
	for i in 1 2 3 4 5 6 7 8; do
		wait %$i 2>/dev/null || true
	done &&
	wait &&
	for i in 1 2 3 4 5 6 7 8; do
		grep -q "promoted p$i@1 to dev" out.$i || { cat out.$i >&2; fails=1; }
	done &&
	test $fails = 0 &&
	git log --format=%s refs/pops/releases >log &&
	test "$(wc -l <log)" = 8 &&
	for i in 1 2 3 4 5 6 7 8; do
		grep -qx "promote p$i@1 to dev" log &&
		git cat-file -e refs/pops/releases:dev/p$i.prompt &&
		git cat-file -e refs/pops/releases:dev/p$i.json || return 1
	done &&
	git fsck --no-dangling
'

test_done
