#!/bin/sh
# pops eval run against tests/fakellm on loopback: wall time against the
# physical limit (cases x latency / concurrency) and peak RSS, at 10,000
# and 100,000 cases with 20 ms replies; cases/s with 0 ms replies; and
# deterministic assertion throughput. Two assertions per case (icontains
# with a template + regex), -j 64, cache off, no evidence. PEER=1 also
# runs promptfoo (installed with npm into a temporary directory) on the
# same cases and fake server (PEER_ONLY=1: only that comparison).
set -eu
cd "$(dirname "$0")/.."
POPS=${POPS:-$(pwd)/pops}
N=${N:-10000}
BIG=${BIG:-100000}
J=${J:-64}
LAT=${LAT:-20}
. bench/lib.sh
bench_tmp eval
tmp=$BENCH_TMP

start_fake() { # latency
	fake_start --latency "$1"
	port=$FAKE_PORT
}

project() { # cases
	rm -rf "$tmp/p" && mkdir -p "$tmp/p" && cd "$tmp/p"
	git init -q . && "$POPS" init . >/dev/null
	cat >pops.yaml <<-EOT
	version: 1
	providers:
	  fake: { type: openai, base_url: "http://127.0.0.1:$port/v1" }
	models:
	  fast: { provider: fake, id: bench-1 }
	EOT
	printf -- "---\nmodel: fast\n---\nEcho {{word}} number {{n}}\n" >prompts/echo.prompt
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++)
		printf "{\"id\":\"c%d\",\"vars\":{\"word\":\"Word%d\",\"n\":%d},\"expected\":\"word%d\"}\n", i, i, i, i }' \
		>cases.jsonl
	cat >evals/bench.yaml <<-\EOT
	prompt: echo
	dataset: cases.jsonl
	threshold: 1
	assert:
	  - { type: icontains, value: "{{expected}}" }
	  - { type: regex, value: "number \\d+$" }
	EOT
	cd - >/dev/null
}

run_pops() { # -> "wall rss_kb"
	( cd "$tmp/p" && /usr/bin/time -f '%e %M' -o "$tmp/time" \
		"$POPS" eval run -j "$J" --no-cache --no-store evals/bench.yaml >"$tmp/out" 2>"$tmp/err" ) || {
		echo "bench: pops eval run failed:" >&2; tail -5 "$tmp/out" "$tmp/err" >&2; exit 3; }
	grep -q "result: pass" "$tmp/out" || { echo "bench: cases did not pass" >&2; exit 3; }
	cat "$tmp/time"
}

report() { # label cases latency wall rss
	awk -v l="$1" -v n="$2" -v lat="$3" -v w="$4" -v r="$5" -v j="$J" 'BEGIN {
		lim = n * lat / 1000 / j
		if (lat > 0)
			printf "eval: %s: %d cases, %d ms, -j %d: wall %.2f s, physical limit %.2f s (%.2fx; goal <= 1.1x), peak RSS %.1f MB (goal <= 64 MB)\n", l, n, lat, j, w, lim, w / lim, r / 1024
		else
			printf "eval: %s: %d cases, 0 ms, -j %d: wall %.2f s = %.0f cases/s, peak RSS %.1f MB\n", l, n, j, w, n / w, r / 1024
	}'
}

if [ "${PEER_ONLY:-0}" = 1 ]; then
	start_fake "$LAT"
	project "$N"
	POPS="$POPS" sh bench/eval_peer.sh "$tmp" "$port" "$J"
	exit 0
fi

start_fake "$LAT"
project "$N"
set -- $(run_pops)
report "10k" "$N" "$LAT" "$1" "$2"
project "$BIG"
set -- $(run_pops)
report "100k" "$BIG" "$LAT" "$1" "$2"

start_fake 0
project "$N"
set -- $(run_pops)
report "overhead" "$N" 0 "$1" "$2"

# deterministic assertions, in process
objs=$(for f in lib/*.c lib/util/*.c; do echo "build/rel/${f%.c}.o"; done)
make -s pops >/dev/null
PKGS="libgit2 libcurl libcjson yaml-0.1 libpcre2-8"
cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -O2 -Ilib -Ilib/util $(pkg-config --cflags $PKGS) \
	bench/assert_bench.c $objs $(pkg-config --libs $PKGS) -lm -lpthread -o "$tmp/assert-bench"
"$tmp/assert-bench"

if [ "${PEER:-0}" = 1 ]; then
	start_fake "$LAT"
	project "$N"
	POPS="$POPS" sh bench/eval_peer.sh "$tmp" "$port" "$J"
fi
