#!/bin/sh
# The CI recipes in docs/ci/ work as written: the run: steps of the
# GitHub pull request jobs (plain, and sharded then merged) and the
# GitLab merge request job run in a scratch checkout against
# tests/fakellm, with a bare repository as origin. They must pass, write
# their reports, and leave the eval evidence on origin, where the next
# `pops promote` looks for it; each install step must be the README's
# (lib-ci.py says how the CI systems are stood in for).
. "$(dirname "$0")/lib.sh"

CI="$ROOT/docs/ci"

# recipe_json RECIPE: the recipe as pops parses YAML, as JSON, to stdout
recipe_json() {
	printf "{{json this}}\n" >"$TRASH/json.prompt" &&
	"$POPS_BIN" render --json --vars "$1" "$TRASH/json.prompt" >"$TRASH/render.json" &&
	python3 -c "
import json, sys
d = json.load(open(sys.argv[1]))
print(d[\"messages\"][0][\"content\"][0][\"text\"])" "$TRASH/render.json"
}

# origin.git: a project wired to this case's fakellm with prod released,
# and a pull request branch "pr" one commit ahead of main
ci_origin() {
	mkdir bin &&
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$POPS_WRAP" "$POPS_BIN" >bin/pops &&
	chmod +x bin/pops &&
	PATH=$PWD/bin:$PATH && export PATH &&
	OPENAI_API_KEY=x && export OPENAI_API_KEY &&
	make -s -C "$ROOT" print-deps >deps &&
	git init -q --bare origin.git &&
	mkdir dev && cd dev &&
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  openai: { type: openai, base_url: "$FAKELLM_URL/v1", api_key_env: OPENAI_API_KEY }
	models:
	  fast: { provider: openai, id: m-1 }
	pricing:
	  m-1: { input: 1, output: 2 }
	environments:
	  - name: dev
	  - name: staging
	    require: { suites: [evals/cap.yaml] }
	  - name: prod
	    require: { from: staging, suites: [evals/cap.yaml] }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nCapital: {{city}}\n" >prompts/cap.prompt &&
	cat >datasets/cap.jsonl <<-\EOT &&
	{"id":"fr","vars":{"city":"Paris"},"expected":"paris"}
	{"id":"it","vars":{"city":"Rome"},"expected":"rome"}
	{"id":"de","vars":{"city":"Berlin"},"expected":"berlin"}
	{"id":"pt","vars":{"city":"Lisbon"},"expected":"lisbon"}
	{"id":"es","vars":{"city":"Madrid"},"expected":"madrid"}
	EOT
	printf "prompt: cap\ndataset: datasets/cap.jsonl\nthreshold: 0.8\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/cap.yaml &&
	git add -A && git commit -q -m "cap prompt and suite" &&
	pops eval run >/dev/null &&
	pops promote dev >/dev/null && pops promote staging >/dev/null && pops promote prod >/dev/null &&
	git remote add origin ../origin.git &&
	git push -q origin main &&
	pops push origin >/dev/null 2>&1 &&
	git checkout -q -b pr &&
	printf -- "---\nmodel: fast\n---\nThe capital: {{city}}\n" >prompts/cap.prompt &&
	git commit -q -am "cap: reword" &&
	git push -q origin pr &&
	PR=$(git rev-parse HEAD) && export PR &&
	cd ..
}

# checkout DIR: what actions/checkout with fetch-depth 0 leaves
checkout() {
	git clone -q origin.git "$1" &&
	git -C "$1" checkout -q pr
}

# origin_has_complete_evidence: origin holds a complete result for the pr commit
origin_has_complete_evidence() {
	rm -rf verify && checkout verify &&
	(cd verify && pops pull origin >/dev/null 2>&1 &&
	 git notes --ref=pops show "$PR" >../note) &&
	python3 -c "
import json
d = json.load(open(\"note\"))
kinds = [r.get(\"kind\", \"complete\") for r in d[\"results\"]]
assert \"complete\" in kinds, kinds
"
}

test_expect_success 'the recipes parse as pops parses YAML' '
	for r in github-actions github-actions-sharded gitlab-ci; do
		recipe_json "$CI/$r.yml" >"$r.json" &&
		python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$r.json" || exit 1
	done
'

test_expect_success 'github-actions.yml: the pull request job passes and pushes its evidence' '
	start_fakellm &&
	ci_origin &&
	recipe_json "$CI/github-actions.yml" >wf.json &&
	echo "[{\"id\": 7, \"user\": {\"login\": \"alice\"}, \"body\": \"quoting <!-- pops-report -->\"}]" \
		>github-comments.json &&
	checkout runner &&
	{ (cd runner && python3 "$TEST_DIR/lib-ci.py" github ../wf.json eval ../artifacts \
		"$ROOT/README.md" ../deps >../log 2>&1) || { cat log; false; }; } &&
	grep -q "^check Install pops" log &&
	grep -q "^ok    Eval (exit 0)" log &&
	grep -q "^ok    Push eval evidence (exit 0)" log &&
	! grep -q "^FAIL" log &&
	xmllint --noout runner/reports/junit.xml &&
	grep -q "evals/cap.yaml" runner/.ci-runner-temp/summary.md &&
	grep -q "^<!-- pops-report -->$" runner/.ci-runner-temp/summary.md &&
	test -f artifacts/pops-reports/report.html &&
	grep -q "^ok    Sticky pull request comment (exit 0)" log &&
	origin_has_complete_evidence &&
	# a second push: the same comment edited, none added, nobody else'"'"'s touched
	echo "[[fail]]" >>runner/reports/summary.md &&
	{ (cd runner && python3 "$TEST_DIR/lib-ci.py" github ../wf.json eval ../artifacts \
		"$ROOT/README.md" ../deps >../log2 2>&1) || { cat log2; false; }; } &&
	python3 - runner/reports/summary.md <<-\EOP
	import json, sys
	c = json.load(open("github-comments.json"))
	assert len(c) == 2, c
	assert c[0] == {"id": 7, "user": {"login": "alice"}, "body": "quoting <!-- pops-report -->"}, c
	assert c[1]["id"] == 101 and c[1]["body"] == open(sys.argv[1]).read(), c
	assert "[[fail]]" not in c[1]["body"] and c[1]["body"].splitlines()[1] == "<!-- pops-report -->", c
	EOP
'

test_expect_success 'github-actions-sharded.yml: four shards, one merge, the merged evidence kept' '
	start_fakellm &&
	ci_origin &&
	recipe_json "$CI/github-actions-sharded.yml" >wf.json &&
	for i in 1 2 3 4; do
		checkout shard$i &&
		{ (cd shard$i && python3 "$TEST_DIR/lib-ci.py" github ../wf.json shard ../artifacts \
			"$ROOT/README.md" ../deps shard=$i >../log$i 2>&1) || { cat log$i; exit 1; }; }
	done &&
	test -f artifacts/shard-4/shard-4.json &&
	checkout merger &&
	{ (cd merger && python3 "$TEST_DIR/lib-ci.py" github ../wf.json merge ../artifacts \
		"$ROOT/README.md" ../deps >../log 2>&1) || { cat log; false; }; } &&
	grep -q "^ok    Merge (exit 0)" log &&
	grep -q "^ok    Push eval evidence (exit 0)" log &&
	! grep -q "^FAIL" log &&
	origin_has_complete_evidence
'

test_expect_success 'gitlab-ci.yml: the merge request job passes and pushes its evidence' '
	start_fakellm &&
	ci_origin &&
	recipe_json "$CI/gitlab-ci.yml" >ci.json &&
	checkout runner &&
	{ (cd runner && python3 "$TEST_DIR/lib-ci.py" gitlab ../ci.json eval \
		"$ROOT/README.md" ../deps >../log 2>&1) || { cat log; false; }; } &&
	grep -q "^check eval: before_script install" log &&
	xmllint --noout runner/reports/junit.xml &&
	python3 -c "import json, sys; assert json.load(open(sys.argv[1])) == []" \
		runner/reports/gl-code-quality-report.json &&
	origin_has_complete_evidence
'

test_expect_success 'a recipe that installs pops some other way is refused' '
	recipe_json "$CI/github-actions.yml" >wf.json &&
	sed "s/-j2 install PREFIX/-j2 all PREFIX/g" wf.json >bad.json &&
	! cmp -s wf.json bad.json &&
	make -s -C "$ROOT" print-deps >deps &&
	mkdir runner && cd runner &&
	test_expect_code 2 python3 "$TEST_DIR/lib-ci.py" github ../bad.json eval ../artifacts \
		"$ROOT/README.md" ../deps >../log 2>&1 &&
	grep -q "cannot run this recipe as written: .*make -C" ../log
'

test_done
