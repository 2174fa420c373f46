#!/bin/sh
# pops import promptfoo / dotprompt: files written into the project, the
# unmappable listed (stdout) and counted (stderr), overwrites refused,
# --dry-run writes nothing.
. "$(dirname "$0")/lib.sh"

# a small promptfoo project shaped like real ones: a text prompt with
# Nunjucks, a chat prompt, providers, defaultTest, inline and CSV tests
write_promptfoo() {
	mkdir -p pf/prompts &&
	cat >pf/promptfooconfig.yaml <<-\EOC &&
	description: Support replies
	prompts:
	  - file://prompts/chat.json
	  - 'Answer briefly: {{ question }}'
	providers:
	  - openai:gpt-4o-mini-2024-07-18
	  - vertex:gemini-1.5-pro
	defaultTest:
	  assert:
	    - type: llm-rubric
	      value: Is polite
	tests:
	  - vars: { question: Can I get a refund? }
	    assert:
	      - { type: icontains, value: refund }
	      - { type: javascript, value: output.length < 300 }
	  - file://more.csv
	EOC
	printf "%s\n" "[{\"role\":\"system\",\"content\":\"You help.\"},{\"role\":\"user\",\"content\":\"{{ question }}\"}]" >pf/prompts/chat.json &&
	printf "question,__expected\nWhat are your hours?,contains: 9am\n" >pf/more.csv
}

test_expect_success 'promptfoo: prompts, dataset and suites are written and listed' '
	setup_project &&
	write_promptfoo &&
	pops import promptfoo pf/promptfooconfig.yaml >out 2>err &&
	grep -qx "wrote prompts/chat.prompt" out &&
	grep -qx "wrote prompts/prompt-2.prompt" out &&
	grep -qx "wrote datasets/promptfooconfig.jsonl" out &&
	grep -qx "wrote evals/chat.yaml" out &&
	grep -q "imported 2 prompts and 2 cases" out &&
	grep -q "{{role \"system\"}}" prompts/chat.prompt &&
	grep -q "^model: gpt-4o-mini-2024-07-18$" prompts/chat.prompt &&
	test $(wc -l <datasets/promptfooconfig.jsonl) -eq 2
'

# providers and models go into pops.yaml through pops model pin's
# writer, so the imported suites run: --dry-run plans every case
test_expect_success 'promptfoo: providers and models are pinned in pops.yaml; the project runs' '
	setup_project &&
	write_promptfoo &&
	cp pops.yaml before &&
	pops import promptfoo --dry-run pf/promptfooconfig.yaml >out &&
	test_cmp before pops.yaml &&
	grep -q "^would update pops.yaml:" out &&
	pops import promptfoo pf/promptfooconfig.yaml >out 2>err &&
	grep -q "^updated pops.yaml:" out &&
	grep -q "^  added model gpt-4o-mini-2024-07-18: openai/gpt-4o-mini-2024-07-18$" out &&
	grep -q "^  kept model judge: anthropic/claude-sonnet-4-5-20250929" out &&
	grep -q "^  gpt-4o-mini-2024-07-18: { provider: openai, id: \"gpt-4o-mini-2024-07-18\" }$" pops.yaml &&
	grep -q "^# Model aliases used by prompts" pops.yaml &&
	pops model list >models &&
	grep -q "^gpt-4o-mini-2024-07-18" models &&
	pops prompt lint 2>err &&
	pops eval run --dry-run evals/chat.yaml >plan 2>err &&
	grep -q "2 cases" plan
'

test_expect_success 'promptfoo: a floating model id is refused, with the snapshot to use' '
	setup_project &&
	mkdir pf &&
	printf "prompts: [\"Hi {{ name }}\"]\nproviders: [openai:gpt-4o-mini]\ntests:\n  - vars: { name: a }\n    assert: [{ type: contains-any, value: [a, b] }]\n" >pf/c.yaml &&
	cp pops.yaml before &&
	test_expect_code 2 pops import promptfoo pf/c.yaml >out 2>err &&
	grep -q "^error: pf/c.yaml:2: refusing to pin floating model id .gpt-4o-mini.* use the dated snapshot .gpt-4o-mini-2024-07-18." err &&
	test_cmp before pops.yaml &&
	! test -e prompts/prompt-1.prompt &&
	pops import promptfoo --allow-floating pf/c.yaml >out &&
	grep -q "gpt-4o-mini: { provider: openai, id: \"gpt-4o-mini\", allow_floating: true }" pops.yaml &&
	grep -q "\"type\":\"contains-any\",\"value\":\[\"a\",\"b\"\]" datasets/c.jsonl
'

test_expect_success 'promptfoo: a promptfooconfig.json and a tests.json written by python import' '
	setup_project &&
	mkdir pf &&
	python3 -c "
import json
json.dump({\"prompts\": [\"Say {{ word }}\"], \"providers\": [\"anthropic:messages:claude-3-5-haiku-20241022\"],
           \"tests\": \"file://tests.json\"}, open(\"pf/promptfooconfig.json\", \"w\"))
json.dump([{\"vars\": {\"word\": \"caf\u00e9 \U0001F642\"}, \"assert\": [{\"type\": \"icontains-all\", \"value\": [\"CAF\u00c9\"]},
            {\"type\": \"contains-json\"}, {\"type\": \"starts-with\", \"value\": \"S\"}]}], open(\"pf/tests.json\", \"w\"))
" &&
	pops import promptfoo pf/promptfooconfig.json >out 2>err &&
	grep -q "imported 1 prompt and 1 case" out &&
	printf "caf\303\251 \360\237\231\202" >want &&
	grep -qF "$(cat want)" datasets/promptfooconfig.jsonl &&
	grep -q "\"type\":\"starts-with\",\"value\":\"S\"" datasets/promptfooconfig.jsonl &&
	grep -q "claude-3-5-haiku-20241022: { provider: anthropic" pops.yaml &&
	pops eval run --dry-run evals/prompt-1.yaml >plan 2>err
'

test_expect_success 'promptfoo: what cannot be mapped is listed with its line, and warned about' '
	setup_project &&
	write_promptfoo &&
	pops import promptfoo pf/promptfooconfig.yaml >out 2>err &&
	grep -q "^not imported (2):" out &&
	grep -q "promptfooconfig.yaml:7: provider .vertex:gemini-1.5-pro. is not imported" out &&
	grep -q "promptfooconfig.yaml:16: tests\[0\].assert\[1\]: assertion type .javascript." out &&
	grep -q "^warning: 2 items could not be imported" err &&
	grep -q "^#   .*javascript" evals/chat.yaml
'

test_expect_success 'promptfoo: an existing file is not overwritten without --force' '
	setup_project &&
	write_promptfoo &&
	echo mine >prompts/chat.prompt &&
	test_expect_code 2 pops import promptfoo pf/promptfooconfig.yaml >out 2>err &&
	grep -q "would overwrite existing files" err &&
	grep -q "^    prompts/chat.prompt$" err &&
	echo mine >expect &&
	test_cmp expect prompts/chat.prompt &&
	! test -e evals/chat.yaml &&
	pops import promptfoo --force pf/promptfooconfig.yaml >out 2>err &&
	grep -q "role" prompts/chat.prompt
'

test_expect_success 'promptfoo: --dry-run lists and writes nothing' '
	setup_project &&
	write_promptfoo &&
	pops import promptfoo -n pf/promptfooconfig.yaml >out 2>err &&
	grep -qx "would write prompts/chat.prompt" out &&
	grep -q "^would import 2 prompts" out &&
	! test -e prompts/chat.prompt &&
	! test -e datasets/promptfooconfig.jsonl
'

test_expect_success 'promptfoo: a file that is not a config exits 2 naming it' '
	setup_project &&
	echo "- a list" >bad.yaml &&
	test_expect_code 2 pops import promptfoo bad.yaml 2>err &&
	grep -q "^error: bad.yaml: not a promptfoo configuration" err &&
	test_expect_code 2 pops import promptfoo missing.yaml 2>err &&
	grep -q "missing.yaml" err
'

test_expect_success 'import needs a pops project' '
	mkdir -p outside/p && echo hi >outside/p/a.prompt &&
	test_expect_code 2 pops -C outside import dotprompt p 2>err &&
	grep -q "pops init" err
'

test_expect_success 'dotprompt: the Genkit corpus imports whole, paths kept, warnings shown' '
	setup_project &&
	require_shared &&
	corpus="$SHARED/corpus/genkit" &&
	test -d "$corpus" &&
	pops import dotprompt "$corpus" >out 2>err &&
	(cd "$corpus" && find . -name "*.prompt" | sed "s|^\./||" | sort) >expect &&
	(cd prompts && find . -name "*.prompt" | sed "s|^\./||" | sort) >actual &&
	test_cmp expect actual &&
	grep -q "LICENSE: not a .prompt file" out &&
	grep -q "^imported with warnings:" out &&
	grep -q "recipe.prompt:[0-9]*:[0-9]*: helper .list. is not built in" out
'

test_expect_success 'dotprompt: a prompt using an application helper is imported with a warning' '
	setup_project &&
	mkdir src &&
	printf -- "---\nmodel: fast\n---\n{{shout name}}\n" >src/app.prompt &&
	pops import dotprompt src >out 2>err &&
	grep -qx "wrote prompts/app.prompt" out &&
	grep -q "^imported with warnings:" out &&
	grep -q "app.prompt:4:1: helper .shout. is not built in" out &&
	grep -q "(imported: it does not render in pops as it is)" out &&
	test_cmp src/app.prompt prompts/app.prompt
'

test_expect_success 'dotprompt: a file with broken frontmatter is listed, not copied' '
	setup_project &&
	mkdir src &&
	printf -- "---\nmodel: [unclosed\n---\nHi\n" >src/bad.prompt &&
	printf -- "---\nmodel: fast\n---\nHi {{name}}\n" >src/good.prompt &&
	pops import dotprompt src >out 2>err &&
	grep -qx "wrote prompts/good.prompt" out &&
	grep -q "src/bad.prompt: not imported: bad.prompt:[0-9]*:[0-9]*: " out &&
	! test -e prompts/bad.prompt &&
	test_cmp src/good.prompt prompts/good.prompt
'

test_done
