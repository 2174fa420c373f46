#!/bin/sh
# Streaming through the HTTP engine (issue 21): N streamed chat requests
# through lib/provider (-j 64, cache off) to tests/fakellm on loopback,
# which answers after 20 ms (the time to first token) and sends each
# reply in 10 chunks CHUNK_MS apart: a request takes 20 + 9 x CHUNK_MS ms.
# Reports wall vs the physical limit N x (20 + 9 x CHUNK_MS) ms / J, the
# measured TTFT p50/p99, peak RSS and CPU per request; then the same
# requests without streaming at 20 ms, for comparison. The floor is a bare
# libcurl multi client (bench/httpfloor.c) sending the same streaming
# requests in the same run.
# Goal: wall <= 1.1x the physical limit, like the non-streaming path.
#
# Usage: sh bench/stream.sh [N] [J] [CHUNK_MS]
set -eu
cd "$(dirname "$0")/.."
N=${1:-10000}
J=${2:-64}
C=${3:-2}
make -s -j2 pops build/rel/fakellm >/dev/null
PKGS="libgit2 libcurl libcjson yaml-0.1 libpcre2-8"
BIN=build/rel/httpdrive
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Ilib -Ilib/util $(pkg-config --cflags $PKGS) \
	bench/httpdrive.c build/rel/lib/*.o build/rel/lib/util/*.o -o "$BIN" $(pkg-config --libs $PKGS) -lm -lpthread
. bench/lib.sh
bench_tmp stream
TMP=$BENCH_TMP

start_fake() { # fakellm flags
	fake_start "$@"
	PORT=$FAKE_PORT
}

field() { # name file
	sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# shellcheck disable=SC2046
cc -std=c11 -O2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(pkg-config --cflags libcurl) \
	bench/httpfloor.c -o build/rel/httpfloor $(pkg-config --libs libcurl)
BODY='{"model":"fake-model-1","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"the quick brown fox jumps over the lazy dog, ten chunks of a streamed reply"}]}'

start_fake --latency 20 --stream-chunks 10 --chunk-ms "$C"
build/rel/httpfloor "http://127.0.0.1:$PORT/v1/chat/completions" "$N" "$J" "$BODY" >"$TMP/floor"
fake_stop
start_fake --latency 20 --stream-chunks 10 --chunk-ms "$C"
/usr/bin/time -f '%e %M' -o "$TMP/time" "$BIN" "http://127.0.0.1:$PORT/v1" "$N" "$J" 0 stream >"$TMP/out"
start_fake_cpu=$(fake_cpu)
fake_stop
awk -v n="$N" -v j="$J" -v c="$C" -v w="$(field wall_s "$TMP/out")" -v cpu="$(field cpu_s "$TMP/out")" \
    -v r="$(cut -d' ' -f2 "$TMP/time")" -v t50="$(field ttft_p50_ms "$TMP/out")" \
    -v t99="$(field ttft_p99_ms "$TMP/out")" -v ok="$(field ok "$TMP/out")" -v fc="$start_fake_cpu" \
    -v f="$(field wall_s "$TMP/floor")" 'BEGIN {
	per = 0.020 + 9 * c / 1000
	limit = n * per / j
	printf "stream: requests=%d ok=%d j=%d chunks=10 chunk_ms=%d wall_s=%.3f limit_s=%.3f ratio=%.2f floor_wall_s=%.3f floor_ratio=%.2f pops_vs_floor=%.2f ttft_p50_ms=%s ttft_p99_ms=%s peak_rss_mb=%.1f cpu_us_per_request=%.1f fakellm_cpu_s=%.3f\n",
	       n, ok, j, c, w, limit, w / limit, f, f / limit, w / f, t50, t99, r / 1024, cpu / n * 1e6, fc }'

start_fake --latency 20
"$BIN" "http://127.0.0.1:$PORT/v1" "$N" "$J" >"$TMP/out0"
fake_stop
awk -v n="$N" -v j="$J" -v w="$(field wall_s "$TMP/out0")" -v cpu="$(field cpu_s "$TMP/out0")" 'BEGIN {
	limit = n * 0.020 / j
	printf "plain 20ms: wall_s=%.3f limit_s=%.3f ratio=%.2f cpu_us_per_request=%.1f\n", w, limit, w / limit, cpu / n * 1e6 }'
