#!/bin/sh
# HTTP engine throughput (issue 7): N chat requests through lib/provider
# (one curl multi loop, -j 64, cache off) to tests/fakellm on loopback.
#   1. at 20 ms fake latency: wall vs the physical limit N x 20 ms / 64,
#      peak RSS, CPU per request (pops side);
#   2. at 0 ms: the engine's own rate, and fakellm's capacity (its CPU
#      seconds for the same requests), since at 0 ms the single-threaded
#      fake server is the bottleneck.
# Goal: wall <= 1.1x the physical limit (3.1 s for 10,000), RSS <= 64 MB.
#
# Usage: sh bench/http.sh [N] [J]
set -eu
cd "$(dirname "$0")/.."
N=${1:-10000}
J=${2:-64}
make -s -j2 pops build/rel/fakellm >/dev/null
PKGS="libgit2 libcurl libcjson yaml-0.1 libpcre2-8"
BIN=build/rel/httpdrive
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Ilib -Ilib/util $(pkg-config --cflags $PKGS) \
	bench/httpdrive.c build/rel/lib/*.o build/rel/lib/util/*.o -o "$BIN" $(pkg-config --libs $PKGS) -lm -lpthread
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L $(pkg-config --cflags libcurl) \
	bench/httpfloor.c -o build/rel/httpfloor $(pkg-config --libs libcurl)
. bench/lib.sh
bench_tmp http
TMP=$BENCH_TMP

start_fake() { # latency
	fake_start --latency "$1"
	PORT=$FAKE_PORT
}

field() { # name file
	sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$2"
}

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

start_fake 20
build/rel/httpfloor "http://127.0.0.1:$PORT/v1/chat/completions" "$N" "$J" >"$TMP/floor"
/usr/bin/time -f '%e %M' -o "$TMP/time" "$BIN" "http://127.0.0.1:$PORT/v1" "$N" "$J" >"$TMP/out"
fake_stop
wall=$(field wall_s "$TMP/out")
cpu=$(field cpu_s "$TMP/out")
rss_kb=$(cut -d' ' -f2 "$TMP/time")
floor=$(field wall_s "$TMP/floor")
awk -v n="$N" -v j="$J" -v w="$wall" -v c="$cpu" -v r="$rss_kb" -v f="$floor" 'BEGIN {
	limit = n * 0.020 / j
	printf "20ms: requests=%d j=%d wall_s=%.3f limit_s=%.3f ratio=%.2f floor_wall_s=%.3f floor_ratio=%.2f pops_vs_floor=%.2f peak_rss_mb=%.1f cpu_us_per_request=%.1f\n",
	       n, j, w, limit, w / limit, f, f / limit, w / f, r / 1024, c / n * 1e6 }'

start_fake 0
"$BIN" "http://127.0.0.1:$PORT/v1" "$N" "$J" >"$TMP/out0"
fcpu=$(fake_cpu)
fake_stop
wall0=$(field wall_s "$TMP/out0")
cpu0=$(field cpu_s "$TMP/out0")
awk -v n="$N" -v w="$wall0" -v c="$cpu0" -v f="$fcpu" 'BEGIN {
	printf "0ms: wall_s=%.3f requests_per_s=%.0f pops_cpu_us_per_request=%.1f fakellm_cpu_s=%.3f fakellm_capacity_per_cpu_s=%.0f\n",
	       w, n / w, c / n * 1e6, f, (f > 0 ? n / f : 0) }'
