# Sourced after lib.sh by the tests that drive eval runs against
# tests/fakellm (faults, crash safety, concurrency): the project setup and
# the checks they share.

# a project with N prompts p1..pN, committed
setup_prompts() {
	setup_project &&
	i=1 &&
	while [ $i -le "$1" ]; do
		printf -- "---\nmodel: fast\n---\nPrompt %s: {{text}}\n" $i >prompts/p$i.prompt &&
		i=$((i + 1)) || return 1
	done &&
	git add -A && git commit -q -m "prompts"
}

# fake_project [--priced] [ALIAS=ID...]: a pops project (setup_project)
# whose pops.yaml wires provider "fake" to this case's fakellm, with model
# fast (id m-1) and one more model per ALIAS=ID (judges: ja=judge-a);
# --priced prices m-1 at 1 (input) and 2 (output) per million tokens.
# The prompts, suites and the commit are the caller's.
fake_project() {
	fp_priced= &&
	if [ "${1:-}" = --priced ]; then
		fp_priced=1 &&
		shift
	fi &&
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	EOT
	for fp_m in "$@"; do
		echo "  ${fp_m%%=*}: { provider: fake, id: ${fp_m#*=} }" >>pops.yaml || return 1
	done &&
	if [ -n "$fp_priced" ]; then
		printf "pricing:\n  m-1: { input: 1, output: 2 }\n" >>pops.yaml
	fi
}

# eval_project N [provider-extra]: a project with N cases whose outputs
# pass (fakellm echoes the prompt), wired to this case's fakellm;
# provider-extra adds keys to the provider entry (", timeout: 0.5")
eval_project() {
	n=$1 extra=${2:-}
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" $extra }
	models:
	  fast: { provider: fake, id: m-1 }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nEcho: {{word}}\n" >prompts/echo.prompt &&
	i=1 &&
	while [ $i -le "$n" ]; do
		echo "{\"id\":\"c$i\",\"vars\":{\"word\":\"w$i\"},\"expected\":\"w$i\"}" || return 1
		i=$((i + 1))
	done >datasets/echo.jsonl &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 1.0\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m "echo suite"
}

# every cache entry is whole JSON naming its own key; prints the count
cache_sane() {
	python3 - <<-\EOP
	import json, os, sys
	n = 0
	for d, _, fs in os.walk(".pops/cache"):
	    for f in fs:
	        p = os.path.join(d, f)
	        if not f.endswith(".json"):
	            continue  # a temporary a killed writer left is not an entry
	        e = json.load(open(p))
	        assert e["key"] == os.path.basename(d) + f[:-5], p
	        assert isinstance(e["result"]["text"], str), p
	        n += 1
	print(n)
	EOP
}

# the evidence note on HEAD, if any, is whole JSON
note_sane() {
	if git notes --ref=pops show HEAD >note 2>/dev/null; then
		python3 -c "import json; d=json.load(open(\"note\")); assert d[\"schema_version\"]==1"
	fi
}
