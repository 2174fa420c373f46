#!/bin/sh
# The HTML report at scale: a JSON report of N cases (default 10000, two
# suites, one of them on two models, outputs of 100-600 bytes, a fifth
# failing) re-rendered by `pops report --html`, its size, the writer's
# time and peak memory, and the first frame in headless chromium
# (tests/browser/report_check.py timing). Prints one JSON line.
# Usage: bench/html-report.sh [N]   (POPS: the binary, default ./pops)
set -eu
N=${1:-10000}
POPS=${POPS:-$(pwd)/pops}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$(mktemp -d "${TMPDIR:-/tmp}/pops-bench-html.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
python3 - "$N" "$DIR/big.json" <<'EOP'
import json, random, sys
n, path = int(sys.argv[1]), sys.argv[2]
random.seed(7)
words = "the quick brown fox jumps over a lazy dog while pops reports every case".split()
groups = [("evals/summarize.yaml", "fast"), ("evals/summarize.yaml", "slow"), ("evals/triage.yaml", "fast")]
per = n // len(groups)
summ, cases = [], []
for suite, model in groups:
    passed = 0
    for i in range(per):
        st = "fail" if random.random() < 0.2 else "pass"
        passed += st == "pass"
        out = " ".join(random.choice(words) for _ in range(random.randint(20, 120)))
        cases.append({"id": "case-%05d" % i, "repeat": 1, "status": st, "vars": {"text": out[:60]},
                      "output": out, "asserts": [{"type": "contains", "pass": st == "pass",
                      "reason": "" if st == "pass" else "output does not contain 'x'"}],
                      "latency_ms": random.randint(50, 2000), "input_tokens": 40,
                      "output_tokens": 90, "cost_usd": 0.0002, "attempts": 1, "cached": False,
                      "suite": suite, "model": model})
    summ.append({"suite": suite, "prompt": "say", "model": model, "model_id": "m", "repeat": 1,
                 "cases": per, "passed": passed, "failed": per - passed, "errors": 0,
                 "pass_rate": passed / per, "ci_low": 0.7, "ci_high": 0.9, "threshold": 0.9,
                 "verdict": "fail", "cost_usd": 0.0002 * per, "input_tokens": 40 * per,
                 "output_tokens": 90 * per, "latency_p50": 1000, "latency_p95": 1900,
                 "latency_p99": 1980, "cached": 0})
json.dump({"schema_version": 1, "complete": True, "summary": summ, "cases": cases}, open(path, "w"))
EOP
/usr/bin/time -f '%e %M' -o "$DIR/time" "$POPS" report "$DIR/big.json" --html "$DIR/big.html"
read -r secs kb <"$DIR/time"
T=$(python3 "$ROOT/tests/browser/report_check.py" timing "$DIR/big.html")
echo "{\"cases\": $N, \"write_s\": $secs, \"write_max_rss_kb\": $kb, \"browser\": $T}"
