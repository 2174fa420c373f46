#!/bin/sh
# History on a big repository: 50,000 commits built with git fast-import
# (each commit changes one of 500 source files; every 100th commit also
# changes prompts/s.prompt, so the prompt has 500 versions; 50 other
# prompts change now and then). Side by side in one run, median of RUNS:
#   pops prompt log s        vs  git log --oneline -- prompts/s.prompt
#   pops prompt show s@250   vs  git show <commit>:prompts/s.prompt
# each twice: cold (POPS_NO_VERSION_CACHE=1: the whole history is walked)
# and warm (the version cache in .git/pops/versions, written by the first
# run, is valid). git has its commit-graph (written by git gc).
# Goal (issue 5): pops <= 2x git.
set -eu
POPS=${POPS:-./pops}
case $POPS in /*) ;; *) POPS=$(pwd)/$POPS ;; esac
RUNS=${RUNS:-5}
COMMITS=${COMMITS:-50000}
dir=$(mktemp -d "${TMPDIR:-/tmp}/pops-bench-log.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
git init -q .
git config user.name bench && git config user.email bench@example.com
awk -v n="$COMMITS" 'BEGIN {
	yaml = "version: 1\nprompts: prompts\n"
	for (c = 0; c < n; c++) {
		printf "commit refs/heads/main\ncommitter bench <bench@example.com> %d +0000\n", 1700000000 + c
		msg = "change " c
		printf "data %d\n%s\n", length(msg), msg
		if (c == 0)
			printf "M 100644 inline pops.yaml\ndata %d\n%s\n", length(yaml), yaml
		f = "file " c "\n"
		printf "M 100644 inline src/m%d/f%d.txt\ndata %d\n%s\n", c % 10, c % 500, length(f), f
		if (c % 100 == 0) {
			b = "---\nmodel: fast\n---\nSummarize {{text}} (edit " c ")\n"
			printf "M 100644 inline prompts/s.prompt\ndata %d\n%s\n", length(b), b
		}
		if (c % 37 == 0) {
			b = "other " c "\n"
			printf "M 100644 inline prompts/o%d.prompt\ndata %d\n%s\n", c % 50, length(b), b
		}
	}
}' | git fast-import --quiet
git reset -q --hard main
git gc -q 2>/dev/null || true

median() { sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }
clock() { # "command line": microseconds of one run, output discarded
	s=$(date +%s%N); eval "$1" >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000 ))
}
pair() { # label "pops command" "git command": alternate runs, compare medians
	i=0; pa=""; pb=""
	while [ $i -lt "$RUNS" ]; do
		pa="$pa $(clock "$2")"
		pb="$pb $(clock "$3")"
		i=$((i + 1))
	done
	ma=$(echo "$pa" | tr ' ' '\n' | sed '/^$/d' | median)
	mb=$(echo "$pb" | tr ' ' '\n' | sed '/^$/d' | median)
	awk -v l="$1" -v a="$ma" -v b="$mb" -v n="$COMMITS" 'BEGIN {
		printf "%s: %d commits: pops %.1f ms, git %.1f ms, ratio %.2fx; goal <= 2x\n", l, n, a / 1000, b / 1000, a / b }'
}
versions=$("$POPS" prompt log s | wc -l)
gitversions=$(git log --oneline -- prompts/s.prompt | wc -l)
test "$versions" -eq "$gitversions"
commit=$(git log --format=%H -- prompts/s.prompt | sed -n "$((versions - 250 + 1))p")
"$POPS" prompt show s@250 >a.out
git show "$commit:prompts/s.prompt" >b.out
cmp a.out b.out
pair "prompt_log ($versions versions), cold" 'POPS_NO_VERSION_CACHE=1 "$POPS" prompt log s' 'git log --oneline -- prompts/s.prompt'
pair "prompt_log ($versions versions), warm" '"$POPS" prompt log s' 'git log --oneline -- prompts/s.prompt'
pair "prompt_show s@250, cold" 'POPS_NO_VERSION_CACHE=1 "$POPS" prompt show s@250' "git show $commit:prompts/s.prompt"
pair "prompt_show s@250, warm" '"$POPS" prompt show s@250' "git show $commit:prompts/s.prompt"
