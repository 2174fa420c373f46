#!/bin/sh
# Start-up cost: `pops --version` run N times back to back. Prints the
# mean wall time per run in milliseconds, measured with the shell's
# fork+exec included (so it is an upper bound on pops' own start-up),
# next to `true` as the floor of the same loop.
set -eu
POPS=${POPS:-./pops}
N=${N:-1000}

loop() { # cmd...
	i=0
	start=$(date +%s%N)
	while [ $i -lt "$N" ]; do
		"$@" >/dev/null
		i=$((i + 1))
	done
	end=$(date +%s%N)
	echo $(( (end - start) / N ))
}

floor_ns=$(loop /bin/true)
pops_ns=$(loop "$POPS" --version)
awk -v p="$pops_ns" -v f="$floor_ns" -v n="$N" 'BEGIN {
	printf "version: %d runs: pops --version %.2f ms/run (fork+exec floor: /bin/true %.2f ms/run); goal <= 5 ms\n", n, p / 1e6, f / 1e6
}'
