#!/bin/sh
# `pops prompt list` over 1,000 prompts: a repository with 1,000 prompts
# in 10 directories, committed in 20 commits (each prompt has 1-3
# versions), descriptions in the frontmatter. Prints the median wall time
# of RUNS runs. Goal (issue 5): <= 50 ms.
set -eu
POPS=${POPS:-./pops}
case $POPS in /*) ;; *) POPS=$(pwd)/$POPS ;; esac
RUNS=${RUNS:-11}
dir=$(mktemp -d "${TMPDIR:-/tmp}/pops-bench-list.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
git init -q .
git config user.name bench && git config user.email bench@example.com
printf 'version: 1\nprompts: prompts\n' >pops.yaml
# fast-import: commit c touches prompts p with p % 20 == c, and the first
# 10 commits also rewrite every prompt they touch once more later
awk 'BEGIN {
	mark = 0
	for (c = 0; c < 20; c++) {
		printf "commit refs/heads/main\ncommitter bench <bench@example.com> %d +0000\n", 1700000000 + c
		msg = "batch " c
		printf "data %d\n%s\n", length(msg), msg
		if (c == 0) {
			yaml = "version: 1\nprompts: prompts\n"
			printf "M 100644 inline pops.yaml\ndata %d\n%s\n", length(yaml), yaml
		}
		for (p = 0; p < 1000; p++) {
			if (p % 20 != c && !(c >= 10 && p % 20 == c - 10) && !(c >= 15 && p % 3 == 0))
				continue
			body = "---\ndescription: prompt number " p "\nmodel: fast\n---\nDo task " p " (rev " c ") with {{input}}\n"
			printf "M 100644 inline prompts/d%d/p%d.prompt\ndata %d\n%s\n", p % 10, p, length(body), body
		}
	}
}' | git fast-import --quiet
git reset -q --hard main
test "$("$POPS" prompt list | wc -l)" -eq 1001
times=""
i=0
while [ $i -lt "$RUNS" ]; do
	s=$(date +%s%N)
	"$POPS" prompt list >/dev/null
	e=$(date +%s%N)
	times="$times $(( (e - s) / 1000 ))"
	i=$((i + 1))
done
echo "$times" | tr ' ' '\n' | sed '/^$/d' | sort -n | awk -v runs="$RUNS" '
	{ t[NR] = $1 } END {
	printf "prompt_list: 1,000 prompts, 20 commits: median %.1f ms (min %.1f, max %.1f, %d runs); goal <= 50 ms\n",
	       t[int((NR + 1) / 2)] / 1000, t[1] / 1000, t[NR] / 1000, runs }'
