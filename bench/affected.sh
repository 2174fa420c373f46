#!/bin/sh
# pops eval run --affected against tests/fakellm on loopback: a repository
# of 20 prompts, each with a suite of 200 cases (4,000 cases), evaluated in
# full once (evidence recorded), then a pull request that changes one prompt:
# wall time and requests of `--affected=<base>` against a full run of the
# same commit. Goal: <= 1/15 of the full run's requests and time. Cache off
# (the response cache would answer the full run too), -j 64, 20 ms replies.
set -eu
cd "$(dirname "$0")/.."
POPS=${POPS:-$(pwd)/pops}
PROMPTS=${PROMPTS:-20}
CASES=${CASES:-200}
J=${J:-64}
LAT=${LAT:-20}
. bench/lib.sh
bench_tmp affected
tmp=$BENCH_TMP
fake_start --latency "$LAT"
port=$FAKE_PORT

chats() {
	curl -s -m 10 "http://127.0.0.1:$port/__stats" | sed -n 's/.*"chat":\([0-9]*\).*/\1/p'
}

mkdir -p "$tmp/p" && cd "$tmp/p"
git init -q . && "$POPS" init . >/dev/null
cat >pops.yaml <<EOT
version: 1
providers:
  fake: { type: openai, base_url: "http://127.0.0.1:$port/v1" }
models:
  fast: { provider: fake, id: bench-1 }
EOT
mkdir -p datasets
p=0
while [ $p -lt "$PROMPTS" ]; do
	printf -- "---\nmodel: fast\n---\nPrompt %d says {{word}}\n" $p >prompts/p$p.prompt
	awk -v n="$CASES" -v p=$p 'BEGIN { for (i = 0; i < n; i++)
		printf "{\"id\":\"c%d\",\"vars\":{\"word\":\"w%d_%d\"}}\n", i, p, i }' >datasets/p$p.jsonl
	printf "prompt: p%d\ndataset: datasets/p%d.jsonl\nassert:\n  - { type: icontains, value: \"{{word}}\" }\n" \
		$p $p >evals/p$p.yaml
	p=$((p + 1))
done
git add -A && git commit -q -m "20 prompts"
git branch -q base
"$POPS" eval run -j "$J" --no-cache >"$tmp/out0" 2>&1 ||
	{ echo "bench: the first full run failed" >&2; tail -5 "$tmp/out0" >&2; exit 3; }
# the pull request: one prompt reworded
printf -- "---\nmodel: fast\n---\nPrompt 7 now says {{word}}\n" >prompts/p7.prompt
git commit -q -am "p7: reword"

timed() { # label args... -> "label wall requests"
	label=$1
	shift
	before=$(chats)
	/usr/bin/time -f '%e' -o "$tmp/time" "$POPS" eval run -j "$J" --no-cache --no-store "$@" \
		>"$tmp/out" 2>"$tmp/err" ||
		{ echo "bench: pops eval run $* failed:" >&2; tail -5 "$tmp/out" "$tmp/err" >&2; exit 3; }
	grep -q "result: pass" "$tmp/out" || { echo "bench: $label did not pass" >&2; exit 3; }
	echo "$label $(cat "$tmp/time") $(($(chats) - before))"
}

[ -z "${KEEP:-}" ] || { echo "$tmp/p"; trap - EXIT; }
full=$(timed full)
aff=$(timed affected --affected=base)
reused=$(grep -c "evidence reused" "$tmp/err" || true)
echo "$full $aff" | awk -v np="$PROMPTS" -v nc="$CASES" -v j="$J" -v lat="$LAT" -v reused="$reused" '{
	printf "affected: %d prompts x %d cases, one prompt changed, %d ms, -j %d:\n", np, nc, lat, j
	printf "  full run:   %6.2f s, %5d requests\n", $2, $3
	printf "  --affected: %6.2f s, %5d requests (%d suites reused)\n", $5, $6, reused
	printf "  ratio: time 1/%.1f, requests 1/%.1f (goal: <= 1/15 each)\n", $2 / $5, $3 / ($6 ? $6 : 1)
	exit ($5 * 15 <= $2 && $6 * 15 <= $3) ? 0 : 1
}'
