#!/bin/sh
# The offline end-to-end demo behind `make demo`. Runs against a copy of
# this example project in a temporary directory; touches nothing else.
set -eu
POPS=${POPS:-pops}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/pops-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m$ %s\033[m\n' "$*"; }

step pops --version
"$POPS" --version
step pops init "$work/project"
"$POPS" init "$work/project"
step cat pops.yaml
sed -n '1,12p' "$work/project/pops.yaml"
echo "..."
printf '\ndemo finished: the project was created in a temporary directory and removed.\n'
