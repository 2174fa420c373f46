#!/bin/sh
# pops eval score: peak RSS (GNU time -v) scoring 1,000 and 100,000 pops
# JSONL records (about 0.2 MB and 20 MB) with two deterministic
# assertions, no evidence. The claim (issue 20): records stream, so the
# big file scores at the peak of the small one; what still grows is one
# double of latency per record for the percentiles (0.8 MB at 100,000).
set -eu
cd "$(dirname "$0")/.."
POPS=${POPS:-$(pwd)/pops}
SMALL=${SMALL:-1000}
BIG=${BIG:-100000}
TIME=${TIME_BIN:-/usr/bin/time}
[ -x "$TIME" ] || { echo "bench: $TIME (GNU time) is needed for peak RSS" >&2; exit 3; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pops-bench-score.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"
git init -q . && "$POPS" init . >/dev/null
cat >pops.yaml <<-EOT
version: 1
providers:
  fake: { type: openai, base_url: "http://127.0.0.1:9/v1" }
models:
  fast: { provider: fake, id: m-1 }
EOT
printf -- "---\nmodel: fast\n---\nEcho: {{word}}\n" >prompts/echo.prompt
mkdir -p datasets
printf '{"id":"c1","vars":{"word":"a"}}\n' >datasets/echo.jsonl
printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 0.5\nassert:\n  - { type: icontains, value: \"{{word}}\" }\n  - { type: regex, value: \"^Echo\" }\n" >evals/echo.yaml
git add -A && git -c user.name=b -c user.email=b@b commit -q -m bench

records() { # n file
	awk -v n="$1" 'BEGIN { for (i = 1; i <= n; i++)
		printf "{\"trace_id\":\"t%d\",\"vars\":{\"word\":\"w%d\"},\"output\":\"Echo: w%d and some more text to look like an answer\",\"model\":\"m-1\",\"latency_ms\":%d,\"tokens\":{\"input\":40,\"output\":12},\"cost\":0.0001,\"timestamp\":\"2026-11-30T10:%02d:%02dZ\",\"served\":\"echo@1\"}\n", i, i, i, i % 900, (i / 60) % 60, i % 60 }' >"$2"
}

peak() { # file -> KB
	"$TIME" -v "$POPS" eval score evals/echo.yaml --outputs "$1" --no-store >"$tmp/out" 2>"$tmp/time.err" || { cat "$tmp/out" "$tmp/time.err" >&2; exit 1; }
	sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$tmp/time.err"
}

records "$SMALL" small.jsonl
records "$BIG" big.jsonl
s=$(peak small.jsonl)
b=$(peak big.jsonl)
echo "eval score: $SMALL records ($(du -k small.jsonl | cut -f1) KB) peak ${s} KB; $BIG records ($(du -k big.jsonl | cut -f1) KB) peak ${b} KB"
