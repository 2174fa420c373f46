# Shared start-up of the bench scripts that talk to tests/fakellm; sourced
# (". bench/lib.sh") from the repository root, after `cd "$(dirname "$0")/.."`.
#
#   bench_tmp NAME    make the scratch directory $BENCH_TMP; on exit (or
#                     INT, TERM) fakellm is stopped and the directory removed
#   fake_start FLAGS  (re)start fakellm with FLAGS on a free loopback port
#                     (--port 0) and wait for it: $FAKE_PORT, $FAKE_PID
#   fake_stop         stop it (nothing when it is not running)
#   fake_cpu          the CPU seconds the running fakellm has used
#
# FAKELLM names the binary (default build/rel/fakellm, built when missing).

FAKELLM=${FAKELLM:-$(pwd)/build/rel/fakellm}
FAKE_PID=
FAKE_PORT=
BENCH_TMP=

bench_cleanup() {
	fake_stop
	[ -z "$BENCH_TMP" ] || rm -rf "$BENCH_TMP"
}

bench_tmp() { # name
	BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pops-bench-$1.XXXXXX")
	trap bench_cleanup EXIT INT TERM
}

fake_stop() {
	[ -z "$FAKE_PID" ] || { kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; } || true
	FAKE_PID=
}

fake_start() { # fakellm flags
	fake_stop
	[ -x "$FAKELLM" ] || make -s build/rel/fakellm >/dev/null
	"$FAKELLM" --port 0 "$@" >"$BENCH_TMP/fk.out" 2>"$BENCH_TMP/fk.err" &
	FAKE_PID=$!
	FAKE_PORT=
	_i=0
	while [ $_i -lt 200 ] && [ -z "$FAKE_PORT" ]; do
		# the child may not have made fk.out yet
		FAKE_PORT=$(sed -n 's/^port=//p' "$BENCH_TMP/fk.out" 2>/dev/null) || true
		[ -n "$FAKE_PORT" ] || sleep 0.05
		_i=$((_i + 1))
	done
	[ -n "$FAKE_PORT" ] || { echo "bench: fakellm did not start" >&2; exit 3; }
}

fake_cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$FAKE_PID/stat"
}
