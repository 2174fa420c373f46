#!/bin/sh
# How cassettes/example.cassette.jsonl was made: every request the demo sends
# (both versions of summarize, the other suites, the judge) is answered by
# fakellm, pops' loopback test server, and recorded. No language model is
# involved: fakellm echoes the last user message, fills JSON schemas with
# placeholder values, cuts replies at max_tokens, and judges "pass" unless
# the graded text says [[fail]] (see README.md).
#
#   make pops build/rel/fakellm && prompts-example/record.sh
#
# Rerun it after changing a prompt, dataset or suite of the example.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
here=$root/prompts-example
POPS=${POPS:-$root/pops}
FAKELLM=${FAKELLM:-$root/build/rel/fakellm}
work=$(mktemp -d "${TMPDIR:-/tmp}/pops-record.XXXXXX")
fake_pid=
cleanup() {
	[ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# fakellm on a free loopback port; its first line says which
"$FAKELLM" --port 0 >"$work/fakellm.out" 2>"$work/fakellm.err" &
fake_pid=$!
i=0
while ! grep -q '^port=' "$work/fakellm.out" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "record: fakellm did not start" >&2; exit 3; }
	sleep 0.05
done
port=$(sed -n 's/^port=//p' "$work/fakellm.out")

export GIT_AUTHOR_NAME="Dana Demo" GIT_AUTHOR_EMAIL="dana@example.com"
export GIT_COMMITTER_NAME="Dana Demo" GIT_COMMITTER_EMAIL="dana@example.com"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

mkdir "$work/project"
(cd "$here" && tar cf - pops.yaml prompts datasets evals) | (cd "$work/project" && tar xf -)
cd "$work/project"
# the same aliases and model ids, served by fakellm instead of the cassette
sed -i.bak "s|recorded:  { type: replay, cassette: cassettes/example.cassette.jsonl }|recorded:  { type: openai, base_url: \"http://127.0.0.1:$port/v1\" }|" pops.yaml
rm -f pops.yaml.bak
grep -q "127.0.0.1:$port" pops.yaml || { echo "record: could not point pops.yaml at fakellm" >&2; exit 3; }
git init -q -b main .
git add -A
git commit -q -m "example"

# --record writes each suite's responses beside it (evals/<suite>.cassette.jsonl)
rec() {
	"$POPS" eval run --record --no-cache --no-store "$@" >/dev/null || [ $? -eq 1 ]
}
rec evals/summarize.yaml evals/triage.yaml evals/extract_invoice.yaml
# version 2 of summarize, as the demo makes it
sed -i.bak "s/max_tokens: 400/max_tokens: 24/" prompts/summarize.prompt
rm -f prompts/summarize.prompt.bak
rec evals/summarize.yaml

# one cassette for the example's `recorded` provider, in a stable order
mkdir -p "$here/cassettes"
sort -u evals/*.cassette.jsonl >"$here/cassettes/example.cassette.jsonl"
echo "recorded $(wc -l <"$here/cassettes/example.cassette.jsonl") responses into prompts-example/cassettes/example.cassette.jsonl"
