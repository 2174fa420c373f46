#!/bin/sh
# Side by side with promptfoo (BENCHMARKS.md): installs promptfoo with npm
# into a temporary directory, writes the same cases and assertions as a
# promptfoo config against the same fake server, and times both tools.
# Usage (from bench/eval.sh): eval_peer.sh <tmpdir with p/> <port> <jobs>
set -eu
tmp=$1 port=$2 j=$3
POPS=${POPS:-./pops}
# PEER_DIR: reuse an earlier install (it takes minutes and ~1.5 GB)
peer=${PEER_DIR:-$tmp/peer}
command -v npm >/dev/null || { echo "peer: npm not found; skipped"; exit 0; }
if [ ! -x "$peer/node_modules/.bin/promptfoo" ]; then
	mkdir -p "$peer"
	# promptfoo 0.123 needs node >= 22: the node package brings one
	( cd "$peer" && npm install --silent --no-audit --no-fund promptfoo@0.123.1 node@22 >/dev/null 2>&1 ) ||
		{ echo "peer: npm install promptfoo failed (offline?); skipped"; exit 0; }
fi
cd "$tmp/p"
sed 's/},"expected":"\([^"]*\)"}/,"expected":"\1"}}/' cases.jsonl >pf-cases.jsonl
cat >pf.yaml <<EOT
prompts: ["Echo {{word}} number {{n}}"]
providers:
  - id: openai:chat:bench-1
    config: { apiBaseUrl: "http://127.0.0.1:$port/v1", apiKey: none }
defaultTest:
  assert:
    - { type: icontains, value: "{{expected}}" }
    - { type: regex, value: "number \\\\d+\$" }
tests: file://pf-cases.jsonl
EOT
export PROMPTFOO_DISABLE_TELEMETRY=1
PATH="$peer/node_modules/.bin:$PATH" /usr/bin/time -f '%e %M' -o "$tmp/pf.time" \
	node "$peer/node_modules/.bin/promptfoo" eval -c pf.yaml \
	-j "$j" --no-cache --no-write --no-table >"$tmp/pf.out" 2>&1 || true
grep -q "Successes\|passed\|Pass" "$tmp/pf.out" || { echo "peer: promptfoo did not run:"; tail -5 "$tmp/pf.out"; }
/usr/bin/time -f '%e %M' -o "$tmp/pops.time" "$POPS" eval run -j "$j" --no-cache --no-store \
	evals/bench.yaml >/dev/null 2>&1 || true
read pfw pfr <"$tmp/pf.time"
read pw pr <"$tmp/pops.time"
awk -v a="$pfw" -v b="$pfr" -v c="$pw" -v d="$pr" 'BEGIN {
	printf "peer: promptfoo %.2f s %.0f MB, pops %.2f s %.1f MB: pops %.1fx faster, %.1fx less memory\n",
	       a, b / 1024, c, d / 1024, a / c, b / d }'
