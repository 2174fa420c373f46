#!/bin/sh
# Template engine throughput (issue 4): render a ~2 KB prompt with 10
# variables, one #each over 20 items and one partial, after compiling
# once. Goal: >= 500,000 renders/s on one core, no allocation per render.
# Builds bench/template_bench.c against the release objects.
set -eu
cd "$(dirname "$0")/.."
make -s -j2 pops >/dev/null
BIN=build/rel/template-bench
PKGS="libgit2 libcurl libcjson yaml-0.1 libpcre2-8"
# shellcheck disable=SC2046
cc -std=c11 -O2 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Ilib -Ilib/util $(pkg-config --cflags $PKGS) \
	bench/template_bench.c build/rel/lib/*.o build/rel/lib/util/*.o -o "$BIN" \
	-Wl,--wrap=malloc,--wrap=realloc,--wrap=calloc $(pkg-config --libs $PKGS) -lm -lpthread
taskset -c 0 "$BIN" "${1:-1000000}" 2>/dev/null || "$BIN" "${1:-1000000}"
