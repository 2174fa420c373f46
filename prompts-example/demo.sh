#!/bin/sh
# The offline end-to-end demo behind `make demo`: a copy of this example
# project in a temporary git repository goes through the whole workflow.
# Model responses come from cassettes/ (recorded from pops' fake server,
# see README.md), so nothing touches the network and no key is needed.
#
#   POPS=path/to/pops prompts-example/demo.sh     (make demo sets POPS)
#   DEMO_KEEP=1 ...                               keep the temporary project
set -eu
POPS=${POPS:-pops}
case $POPS in */*) POPS=$(cd "$(dirname "$POPS")" && pwd)/$(basename "$POPS") ;; esac
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pops-demo.XXXXXX")
if [ "${DEMO_KEEP:-}" = 1 ]; then
	trap 'echo "demo project kept in $work/project"' EXIT
else
	trap 'rm -rf "$work"' EXIT
fi

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	b=$(printf '\033[1m') d=$(printf '\033[2m') n=$(printf '\033[m')
else
	b= d= n=
fi

say() { printf '\n%s# %s%s\n' "$d" "$*" "$n"; }
show() { printf '%s$ %s%s\n' "$b" "$*" "$n"; }
# run a command as the reader would type it (pops is the binary under test)
run() {
	show "$*"
	if [ "$1" = pops ]; then shift; "$POPS" "$@"; else "$@"; fi
}
# a step that must exit with a given non-zero status
run_expect() {
	want=$1
	shift
	show "$*"
	set +e
	if [ "$1" = pops ]; then shift; "$POPS" "$@"; else "$@"; fi
	code=$?
	set -e
	if [ "$code" != "$want" ]; then
		echo "demo: expected exit $want, got $code" >&2
		exit 1
	fi
	printf '%s(exit %s, as expected)%s\n' "$d" "$code" "$n"
}

# Commands still being built are skipped with a note rather than failing
# the demo: each section runs when this pops has the command.
have() { "$POPS" "$@" -h >/dev/null 2>&1; }
skip() { printf '%s(skipped: this build of pops has no "pops %s" yet)%s\n' "$d" "$*" "$n"; }

# a fixed identity and clock keep the demo's commits reproducible
export GIT_AUTHOR_NAME="Dana Demo" GIT_AUTHOR_EMAIL="dana@example.com"
export GIT_COMMITTER_NAME="Dana Demo" GIT_COMMITTER_EMAIL="dana@example.com"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

mkdir "$work/project"
(cd "$here" && tar cf - pops.yaml prompts datasets evals cassettes README.md) |
	(cd "$work/project" && tar xf -)
cd "$work/project"
git init -q -b main .
# libgit2 (ledger and notes commits) reads the identity from the repository
git config user.name "Dana Demo"
git config user.email "dana@example.com"
git add -A
git commit -q -m "Example project: triage, summarize, extract_invoice"

say "A pops project is a git repository with a pops.yaml. What is in this one:"
run pops --version
run pops prompt list
run pops prompt lint

say "Render a prompt: the exact messages a model gets, partials expanded, no model call."
run pops render summarize --var text="The Lisbon office kitchen closes for renovation in week 47."

evals=0
if have eval run && [ -f cassettes/example.cassette.jsonl ]; then evals=1; fi
say "Evaluate every suite against its golden dataset (answers replayed from cassettes/)."
if have eval run && [ $evals = 0 ]; then
	printf '%s(skipped: no recorded responses in cassettes/: run prompts-example/record.sh)%s\n' "$d" "$n"
elif [ $evals = 1 ]; then
	run pops eval run evals/summarize.yaml evals/triage.yaml evals/extract_invoice.yaml \
		--junit junit.xml --md summary.md
	run sed -n 1,20p summary.md
	run grep -c "<testcase" junit.xml
else
	skip eval run
fi

say "Promote through the environments; each gate checks the recorded evidence."
if [ $evals = 1 ] && have promote; then
	run pops promote dev
	run pops promote staging
	run pops promote prod
	! have release list || run pops release list
else
	skip promote
fi

say "Someone caps max_tokens to save money and commits it: version 2 of summarize."
run sed -i.bak "s/max_tokens: 400/max_tokens: 24/" prompts/summarize.prompt
rm -f prompts/summarize.prompt.bak
run git commit -q -am "summarize: cap max_tokens at 24 to cut cost"
run pops prompt log summarize

say "The suite catches it: summaries are cut before the fact they must keep."
if [ $evals = 1 ]; then
	run_expect 1 pops eval run evals/summarize.yaml --md summary-v2.md
else
	skip eval run
fi

say "Review shows the text change and, with evidence for both, the behaviour change."
if [ $evals = 1 ]; then
	run pops prompt diff summarize@1 summarize@2 --evals
else
	run pops prompt diff summarize@1 summarize@2
fi

say "dev has no gate, so v2 reaches dev; staging's gate refuses it."
if [ $evals = 1 ] && have promote; then
	run pops promote dev summarize
	run_expect 1 pops promote staging summarize
else
	skip promote
fi

say "Roll dev back to the previous release: one ledger commit, nothing rewritten."
if [ $evals = 1 ] && have rollback; then
	run pops rollback dev summarize
	! have release list || run pops release list
	! have release log || run pops release log
	run git for-each-ref refs/pops refs/notes
else
	skip rollback
fi

say "Done: the project lived in a temporary git repository."
