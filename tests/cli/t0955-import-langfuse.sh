#!/bin/sh
# pops import langfuse: a Langfuse prompt export (tests/data/langfuse,
# written from Langfuse's own shapes) becomes one commit per version,
# dated and worded as in the export, and each label a release of that
# version in the environment of its name, through the promote code.
. "$(dirname "$0")/lib.sh"

EXPORT=$ROOT/tests/data/langfuse/export.json
API=$ROOT/tests/data/langfuse/api-prompt.json

test_expect_success 'every version is a commit with its date and message; prompt log lists them' '
	setup_project &&
	pops import langfuse "$EXPORT" >out 2>err &&
	grep -qx "committed movie-critic@1 [0-9a-f]* (Langfuse version 1)" out &&
	grep -qx "committed movie-critic@3 [0-9a-f]* (Langfuse version 3)" out &&
	grep -qx "committed support/triage@1 [0-9a-f]* (Langfuse version 1)" out &&
	grep -q "imported 4 versions of 2 prompts" out &&
	pops prompt log movie-critic >log &&
	test $(wc -l <log) -eq 3 &&
	grep -q "^@3 .*2024-05-12T10:15:00+02:00 .*try a house style$" log &&
	grep -q "^@2 .*2024-05-03T14:30:00+00:00 .*one sentence answers$" log &&
	grep -q "^@1 .*2024-05-01T09:00:00+00:00 .*movie-critic version 1 from Langfuse$" log &&
	git log -1 --format=%B HEAD >msg &&
	grep -q "^Imported from Langfuse: prompt .movie-critic. version 3, created 2024-05-12T10:15:00.000+02:00.$" msg &&
	git status --porcelain -- prompts pops.yaml >st &&
	test_must_be_empty st
'

test_expect_success 'labels are releases: NAME:production renders what Langfuse served' '
	setup_project &&
	pops import langfuse "$EXPORT" >out 2>err &&
	grep -qx "released movie-critic@2 to production (Langfuse label production)" out &&
	grep -qx "released movie-critic@3 to staging (Langfuse label staging)" out &&
	grep -qx "released support/triage@1 to production (Langfuse label production)" out &&
	pops render movie-critic:production --var criticLevel=stern --var movie=Heat >r &&
	printf -- "--- user\nAs a stern movie critic, do you like Heat? Answer in one sentence.\n" >expect &&
	test_cmp expect r &&
	pops render movie-critic:staging --var criticLevel=x --var movie=y >r &&
	grep -q "in one sentence, caf.* style" r &&
	pops render support/triage:production --var product=Acme --var ticket=down >r &&
	printf -- "--- system\nYou triage Acme support tickets.\n\n--- user\nTicket: down\n" >expect &&
	test_cmp expect r &&
	pops release log >rl &&
	grep -q "promote movie-critic@2 to production" rl
'

test_expect_success 'labels without an environment get one in pops.yaml, committed; latest does not' '
	setup_project &&
	pops import langfuse "$EXPORT" >out 2>err &&
	grep -q "^  added environment production" out &&
	grep -q "^  added environment tenant-a" out &&
	! grep -q "name: latest" pops.yaml &&
	tail -n 3 pops.yaml >tail &&
	printf "    # require: { from: staging, suites: [evals/full.yaml], min_pass_rate: 0.95, no_regression: true }\n  - name: production\n  - name: tenant-a\n" >expect &&
	test_cmp expect tail &&
	git show HEAD~4:pops.yaml >committed &&
	grep -q "^  - name: production$" committed &&
	git log --format=%s -- pops.yaml >subjects &&
	grep -q "^pops.yaml: environments for the Langfuse labels$" subjects &&
	grep -q "config.model .gpt-4o. is kept under metadata.langfuse" out &&
	grep -q "^warning: 1 item could not be imported" err
'

test_expect_success 'chat prompts become role blocks, text prompts keep their {{var}}s' '
	setup_project &&
	pops import langfuse "$EXPORT" >out &&
	grep -q "^{{role \"system\"}}$" prompts/support/triage.prompt &&
	grep -q "^{{history}}$" prompts/support/triage.prompt &&
	grep -q "^config: {\"max_tokens\":200}$" prompts/support/triage.prompt &&
	grep -q "{{criticLevel}} movie critic, do you like {{movie}}" prompts/movie-critic.prompt &&
	pops prompt lint 2>err
'

test_expect_success '--dry-run lists the plan and changes nothing' '
	setup_project &&
	head=$(git rev-parse HEAD) &&
	cp pops.yaml before &&
	pops import langfuse -n "$EXPORT" >out &&
	grep -qx "would commit movie-critic (Langfuse version 3); release to staging, tenant-a" out &&
	grep -q "^would update pops.yaml:" out &&
	test "$(git rev-parse HEAD)" = "$head" &&
	test_cmp before pops.yaml &&
	! test -e prompts/movie-critic.prompt &&
	test_expect_code 1 git rev-parse -q --verify refs/pops/releases >/dev/null
'

test_expect_success 'an existing prompt is not given versions without --force' '
	setup_project &&
	echo mine >prompts/movie-critic.prompt &&
	git add -A && git commit -q -m mine &&
	head=$(git rev-parse HEAD) &&
	test_expect_code 2 pops import langfuse "$EXPORT" >out 2>err &&
	grep -q "would add versions to existing prompts" err &&
	grep -q "^    prompts/movie-critic.prompt$" err &&
	test "$(git rev-parse HEAD)" = "$head" &&
	pops import langfuse --force "$EXPORT" >out &&
	grep -qx "committed movie-critic@4 [0-9a-f]* (Langfuse version 3)" out
'

test_expect_success 'a gated environment is released by force, the reason in the ledger' '
	setup_project &&
	sed -i "s|^    # require: { suites: \[evals/smoke.yaml\] }|    require: { suites: [evals/smoke.yaml] }|" pops.yaml &&
	grep -q "^    require: { suites" pops.yaml &&
	git commit -q -am "gate staging" &&
	pops import langfuse "$EXPORT" >out 2>err &&
	grep -qx "released movie-critic@3 to staging (Langfuse label staging) by force" out &&
	grep -q "^warning: staging: forced past:" err &&
	git log -1 --format=%B refs/pops/releases~1 >ledger &&
	git log --format=%B refs/pops/releases >all &&
	grep -q "^Pops-Reason: imported from Langfuse: label .staging. was on version 3$" all
'

test_expect_success 'one prompt object of the API, and an export written by python json.dump' '
	setup_project &&
	pops import langfuse "$API" >out &&
	grep -qx "released greeting@1 to production (Langfuse label production)" out &&
	pops render greeting:production --var name=Bo >r &&
	grep -qx "Hello Bo!" r &&
	python3 -c "
import json
json.dump([{\"name\": \"emoji\", \"version\": 1, \"type\": \"text\", \"prompt\": \"caf\u00e9 \U0001F642 {{w}}\",
            \"labels\": [\"production\"], \"createdAt\": \"2024-01-02T03:04:05Z\"}], open(\"lf.json\", \"w\"))
" &&
	grep -q "ud83d" lf.json &&
	pops import langfuse lf.json >out &&
	pops render emoji:production --var w=x >r &&
	printf -- "--- user\ncaf\303\251 \360\237\231\202 x\n" >expect &&
	test_cmp expect r
'

test_expect_success 'what is not a Langfuse export exits 2 and changes nothing' '
	setup_project &&
	head=$(git rev-parse HEAD) &&
	echo "{\"traces\": []}" >t.json &&
	test_expect_code 2 pops import langfuse t.json 2>err &&
	grep -q "^error: t.json: not a Langfuse prompt export" err &&
	echo "[{\"name\": \"a\", \"prompt\": \"x\"}]" >nov.json &&
	test_expect_code 2 pops import langfuse nov.json 2>err &&
	grep -q "^error: nov.json:1: not a Langfuse prompt version" err &&
	test_expect_code 2 pops import langfuse missing.json 2>err &&
	test "$(git rev-parse HEAD)" = "$head"
'

test_done
