#!/bin/sh
# Python binding throughput (issue 19): get + render of the example
# prompts (prompts-example released to dev and exported) per second from
# one Python thread through bindings/python (ctypes over
# build/lib/libpops.so.0). Goal: >= 20,000/s. Pinned to one core.
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
POPS=${POPS:-$ROOT/pops}
case $POPS in /*) ;; *) POPS=$ROOT/$POPS ;; esac
[ "${NO_BUILD:-}" = 1 ] || make -s -j2 pops lib >/dev/null
dir=$(mktemp -d "${TMPDIR:-/tmp}/pops-bench-py.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cp -R prompts-example "$dir/repo"
(
	cd "$dir/repo"
	git init -q .
	git config user.name bench && git config user.email bench@example.com
	git add -A && git commit -q -m example
	"$POPS" promote dev >/dev/null
	"$POPS" export --env dev "$dir/bundle" >/dev/null
)
export POPS_RUNTIME_LIB="${POPS_RUNTIME_LIB:-$ROOT/build/lib/libpops.so.0}"
export PYTHONPATH="$ROOT/bindings/python" PYTHONDONTWRITEBYTECODE=1
PIN=""
if taskset -c 0 true 2>/dev/null; then PIN="taskset -c 0"; fi
$PIN python3 bench/runtime_py.py "$dir/bundle" "${1:-3}"
