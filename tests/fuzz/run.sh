#!/bin/sh
# `make fuzz`: build each tests/fuzz/fuzz_<target>.c with clang's libFuzzer
# (+ ASan/UBSan) and run it for FUZZ_SECONDS (default 60), one target
# at a time, at low priority. New interesting inputs go to
# build/fuzz/corpus/<target>/ (not committed); the committed seeds and
# regression inputs in tests/fuzz/corpus/<target>/ are read, never
# written. A crash leaves its input in build/fuzz/artifacts/<target>/:
# fix the bug, then copy the input to tests/fuzz/corpus/<target>/regress-*
# so `make check` replays it forever.
#
# usage: tests/fuzz/run.sh [target...]     (FUZZ_SECONDS=N)
# FUZZ_KEEP_GOING=1 runs libFuzzer in fork mode and keeps fuzzing after a
# crash or timeout (every artifact is kept), for the full FUZZ_SECONDS.
# Prints one line per target: "<target>: <runs> runs, <exec/s> exec/s, <result>".

set -u
cd "$(dirname "$0")/../.." || exit 3
SECONDS_PER=${FUZZ_SECONDS:-60}
CLANG=${CLANG:-clang}
OUT=build/fuzz
PKGS="libgit2 libcurl libcjson yaml-0.1 libpcre2-8"

if ! command -v "$CLANG" >/dev/null 2>&1; then
	echo "error: $CLANG not found; 'make fuzz' installs it (apt-get install clang)" >&2
	exit 3
fi

CFLAGS="-std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Ilib -Ilib/util -Icmd -Itests/fuzz
 -g -O1 -fno-omit-frame-pointer -fno-sanitize-recover=all -DPOPS_LIBFUZZER $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lm -lpthread"
mkdir -p "$OUT/lib" "$OUT/lib/util"

# lib objects once, instrumented for coverage
for src in lib/*.c lib/util/*.c; do
	obj=$OUT/${src%.c}.o
	if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$0" -nt "$obj" ] || [ -n "$(find lib -name '*.h' -newer "$obj")" ]; then
		echo "  CC      $obj"
		$CLANG $CFLAGS -fsanitize=fuzzer-no-link,address,undefined -c "$src" -o "$obj" || exit 3
	fi
done

if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=$(ls tests/fuzz/fuzz_*.c | sed 's,.*/fuzz_,,; s,\.c$,,')
fi

# link every binary before fuzzing any, so the batch keeps working
# while the tree changes under it (a rebase mid-run)
for t in $targets; do
	bin=$OUT/fuzz_$t
	echo "  LINK    $bin"
	$CLANG $CFLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		"tests/fuzz/fuzz_$t.c" "$OUT"/lib/*.o "$OUT"/lib/util/*.o $LIBS -o "$bin" || exit 3
done

status=0
for t in $targets; do
	bin=$OUT/fuzz_$t
	# artifacts of an earlier run are kept aside, so the count below is this run's
	if [ -n "$(ls "$OUT/artifacts/$t" 2>/dev/null)" ]; then
		mv "$OUT/artifacts/$t" "$OUT/artifacts/$t.$(date +%s)"
	fi
	mkdir -p "$OUT/corpus/$t" "$OUT/artifacts/$t" "tests/fuzz/corpus/$t"
	dict=""
	[ -f "tests/fuzz/$t.dict" ] && dict="-dict=tests/fuzz/$t.dict"
	log=$OUT/$t.log
	echo "pops: fuzzing $t for ${SECONDS_PER}s (log: $log)"
	# -rss_limit_mb: the limits in lib/defaults.h must keep every input
	# far below this; an input that needs more is a finding
	keep=""
	[ "${FUZZ_KEEP_GOING:-0}" = 1 ] && keep="-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1"
	nice -n 19 "$bin" -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=1024 $keep \
		-max_len=65536 -print_final_stats=1 $dict \
		-artifact_prefix="$OUT/artifacts/$t/" \
		"$OUT/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
	speed=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
	if [ -z "$runs" ]; then # fork mode: the last status line
		runs=$(grep -E '^#[0-9]+: cov' "$log" | tail -n 1 | sed 's/^#\([0-9]*\):.*/\1/')
		speed=$(grep -E '^#[0-9]+: cov' "$log" | tail -n 1 | sed -n 's/.*exec\/s: \([0-9]*\).*/\1/p')
	fi
	cov=$(grep -E '#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1 | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	found=$(ls "$OUT/artifacts/$t" | wc -l)
	if [ $rc -eq 0 ] && [ "$found" -eq 0 ]; then
		result="no crash (cov ${cov:-?})"
	elif [ $rc -eq 0 ]; then
		result="$found crash/timeout inputs in $OUT/artifacts/$t (see $log)"
		status=1
	else
		result="FOUND a crash: $(ls -t "$OUT/artifacts/$t" | head -n 1) (see $log)"
		status=1
	fi
	echo "$t: ${runs:-?} runs, ${speed:-?} exec/s, $result"
done
exit $status
