#!/bin/sh
# Runs every benchmark in bench/ (bench/*.sh except this file) and prints
# their figures. `make bench` calls it; PEER=1 also runs the side-by-side
# comparisons that install the peer tool (see each script).
set -u
cd "$(dirname "$0")/.." || exit 3
export POPS=${POPS:-$(pwd)/pops}
status=0
for b in bench/*.sh; do
	[ "$b" = bench/run.sh ] && continue
	echo "== $b"
	sh "$b" || status=1
done
exit $status
