#!/bin/sh
# libpops throughput (issue 19): pops_runtime_get + pops_variant_render of
# the example project's three prompts, exported from dev, on one core.
# Goal: >= 200,000 gets+renders/s. Builds bench/runtime_bench.c against
# build/lib/libpops.a (the release objects of the library).
set -eu
cd "$(dirname "$0")/.."
make -s -j2 pops build/rel/runtime-bench >/dev/null
POPS=${POPS:-$(pwd)/pops}
here=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pops-bench-runtime.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
cp -R "$here/prompts-example/pops.yaml" "$here/prompts-example/prompts" .
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
git init -q . && git add -A && git commit -q -m bench
"$POPS" promote dev >/dev/null
"$POPS" export --env dev bundle >/dev/null
set -- "$here/build/rel/runtime-bench" bundle "${1:-200000}" \
	summarize '{"text":"The API was down for 3 minutes on 2026-11-30."}' \
	support/triage '{"subject":"Refund","body":"I was charged twice."}' \
	extract_invoice '{"document":"Invoice 42 from ACME, total 10 EUR"}'
taskset -c 0 "$@" 2>/dev/null || "$@"
