#!/bin/sh
# GitHub Models prompt files: pops import github-models writes a prompt,
# a dataset from testData and a suite from evaluators (with gh models'
# semantics: case-insensitive string checks, llm choices scoring > 0
# pass); pops export --format prompt-yml writes released prompts back in
# that format, refusing templates it cannot write faithfully.
. "$(dirname "$0")/lib.sh"

FILE=$ROOT/tests/data/github-models/summarizer.prompt.yml

test_expect_success 'import: a prompt, a dataset and a suite that run' '
	setup_project &&
	pops import github-models "$FILE" >out 2>err &&
	grep -qx "wrote prompts/summarizer.prompt" out &&
	grep -qx "wrote datasets/summarizer.jsonl" out &&
	grep -qx "wrote evals/summarizer.yaml" out &&
	grep -q "^imported 1 prompt and 2 cases" out &&
	grep -q "^  added provider github: { type: openai, base_url: \"https://models.github.ai/inference\", api_key_env: GITHUB_TOKEN }$" out &&
	grep -q "^  gpt-4o-mini: { provider: github, id: \"openai/gpt-4o-mini\" }$" pops.yaml &&
	grep -q "^model: gpt-4o-mini$" prompts/summarizer.prompt &&
	grep -q "^config: {\"temperature\":0.5,\"max_tokens\":200}$" prompts/summarizer.prompt &&
	grep -q "^{{role \"system\"}}$" prompts/summarizer.prompt &&
	grep -qx "{{input}}" prompts/summarizer.prompt &&
	test $(wc -l <datasets/summarizer.jsonl) -eq 2 &&
	pops prompt lint 2>err &&
	pops eval run --dry-run evals/summarizer.yaml >plan 2>err &&
	grep -q "2 cases" plan
'

test_expect_success 'import: evaluators become assertions with gh models semantics' '
	setup_project &&
	pops import github-models "$FILE" >out 2>err &&
	s=evals/summarizer.yaml &&
	grep -qF "{\"type\":\"regex\",\"value\":\"(?i)^Summary -\",\"description\":\"Output should start with '"'"'Summary -'"'"'\"}" $s &&
	grep -qF "{\"type\":\"icontains\",\"value\":\"summary\"" $s &&
	grep -qF "\"type\":\"judge\",\"model\":\"gpt-4o\",\"rubric\":\"You grade summaries." $s &&
	grep -qF "Summary: <the output>" $s &&
	grep -qF "one of '"'"'good'"'"'; it fails for '"'"'bad'"'"'" $s &&
	grep -qF "\"model\":\"judge\",\"rubric\":\"Score how equivalent in meaning" $s &&
	grep -qF "\"pass_score\":2" $s &&
	grep -q "^  kept model judge: " out
'

test_expect_success 'import: braces gh models would not replace stay text' '
	setup_project &&
	printf "model: openai/gpt-4o-mini\nmessages:\n  - role: user\n    content: \"Say {{ x }} and {{#if}} for {{name}}\"\n" >t.prompt.yml &&
	pops import github-models t.prompt.yml >out &&
	grep -qF "Say \\{{ x }} and \\{{#if}} for {{name}}" prompts/t.prompt &&
	pops render --var name=Bo prompts/t.prompt >r &&
	grep -qF "Say {{ x }} and {{#if}} for Bo" r
'

test_expect_success 'export --format prompt-yml writes released prompts, partials inlined' '
	setup_project &&
	pops import github-models "$FILE" >/dev/null &&
	printf -- "---\nmodel: fast\nconfig: { temperature: 0.1 }\n---\n{{role \"system\"}}\n{{> style}}\n{{role \"user\"}}\nHi {{name}}, {{{raw}}}\n" >prompts/greet.prompt &&
	printf "Be brief about {{topic}}." >prompts/_style.prompt &&
	git add -A && git commit -q -m "imported" &&
	pops promote dev >/dev/null &&
	pops export --env dev --format prompt-yml out >msg &&
	grep -q "^exported 2 prompts from dev" msg &&
	ls out >files &&
	printf "greet.prompt.yml\nmanifest.json\nsummarizer.prompt.yml\n" >expect &&
	test_cmp expect files &&
	cat >expect <<-\EOF &&
	name: greet
	model: openai/gpt-4o-mini-2024-07-18
	modelParameters:
	  temperature: 0.1
	messages:
	  - role: system
	    content: "Be brief about {{topic}}."
	  - role: user
	    content: "Hi {{name}}, {{raw}}"
	EOF
	test_cmp expect out/greet.prompt.yml &&
	grep -q "^name: Text Summarizer$" out/summarizer.prompt.yml &&
	grep -q "^  maxTokens: 200$" out/summarizer.prompt.yml &&
	grep -q "\"format\":.*\"prompt-yml\"" out/manifest.json &&
	pops export --env dev --format prompt-yml out >msg
'

test_expect_success 'export --format prompt-yml round-trips through import github-models' '
	setup_project &&
	pops import github-models "$FILE" >/dev/null &&
	git add -A && git commit -q -m "imported" &&
	pops promote dev >/dev/null &&
	pops export --env dev --format prompt-yml out >/dev/null &&
	mkdir again && cd again && setup_project &&
	pops import github-models ../out/summarizer.prompt.yml >out &&
	pops render --var input=x summarizer >../r2 &&
	cd .. &&
	pops render --var input=x summarizer >r1 &&
	test_cmp r1 r2
'

test_expect_success 'export --format prompt-yml refuses what GitHub templates cannot hold' '
	setup_project &&
	printf -- "---\nmodel: fast\n---\n{{#if vip}}Dear {{name}}{{/if}}\n" >prompts/cond.prompt &&
	git add -A && git commit -q -m cond &&
	pops promote dev >/dev/null &&
	test_expect_code 2 pops export --env dev --format prompt-yml out 2>err &&
	grep -q "^error: cond: .{{#if vip}}. in the prompt: a GitHub Models prompt is plain {{variable}} text" err &&
	! test -e out &&
	pops export --env dev out >/dev/null
'

test_done
