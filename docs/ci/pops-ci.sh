#!/bin/sh
# A CI recipe in plain POSIX sh, for Jenkins, Buildkite, Drone, cron or a
# laptop: everything the YAML recipes do, with the exit codes spelled out.
#
#   docs/ci/pops-ci.sh check            eval every suite; the gate for a change
#   docs/ci/pops-ci.sh release [env...] promote through the environments
#
# pops must be on PATH: install it as README.md "Install" says (for CI:
# the build packages, then make install from a clone at a pinned tag).
#
# Environment: the API key variables your pops.yaml names (OPENAI_API_KEY,
# ...), REPORTS (default: reports), MAX_COST (default: 2.00 USD),
# BASELINE (default: prod), REMOTE (default: origin; empty = no sync),
# BASE_REF (the branch a change goes into, e.g. origin/main; optional).
set -u

REPORTS=${REPORTS:-reports}
MAX_COST=${MAX_COST:-2.00}
BASELINE=${BASELINE:-prod}
REMOTE=${REMOTE-origin}

# what pops' exit status means (pops(1), EXIT STATUS)
explain() {
	case $1 in
	0) echo "pops: ok" ;;
	1) echo "pops: gate failed: below threshold, regression, or refused promotion" ;;
	2) echo "pops: invalid input or configuration: fix the file named above" ;;
	3) echo "pops: runtime failure (git, disk): retry or investigate the runner" ;;
	4) echo "pops: provider unreachable or failing after retries: not a verdict on the prompt" ;;
	130) echo "pops: interrupted; rerun to resume from the cache" ;;
	*) echo "pops: unexpected exit status $1" ;;
	esac >&2
	return "$1"
}

sync_in() {
	[ -z "$REMOTE" ] || pops pull "$REMOTE" || explain $?
}

sync_out() {
	[ -z "$REMOTE" ] || pops push "$REMOTE" || explain $?
}

check() {
	mkdir -p "$REPORTS" || exit 3
	sync_in || exit $?
	# suites whose exact content has evidence are reported from it, not run;
	# with BASE_REF (e.g. origin/main) what changed since it runs regardless
	pops eval run evals/*.yaml --affected${BASE_REF:+=$BASE_REF} \
		--baseline "$BASELINE" --max-cost "$MAX_COST" \
		--junit "$REPORTS/junit.xml" --md "$REPORTS/summary.md" \
		--json "$REPORTS/results.json"
	status=$?
	explain $status
	# evidence is worth keeping even when the gate fails
	if [ $status -le 1 ]; then
		sync_out
	fi
	exit $status
}

release() {
	sync_in || exit $?
	[ $# -gt 0 ] || set -- staging prod
	for env in "$@"; do
		pops promote "$env" || { s=$?; explain $s; sync_out; exit $s; }
	done
	sync_out || exit $?
}

cmd=${1:-check}
[ $# -gt 0 ] && shift
case $cmd in
check) check ;;
release) release "$@" ;;
*)
	echo "usage: $0 check | release [env...]" >&2
	exit 2
	;;
esac
