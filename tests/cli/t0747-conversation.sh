#!/bin/sh
# Conversations: a dataset row's `messages` (earlier turns) reach the model
# as dotprompt's history, where the template has {{history}} and else
# before its last user message; assertions check the final turn's reply;
# a judge with `scope: conversation` reads every turn. tests/fakellm
# echoes the last user message and remembers each request body.
. "$(dirname "$0")/lib.sh"

# conv_project TEMPLATE: a project whose prompt `chat` is TEMPLATE (printf
# format) and whose dataset has one conversation of two earlier turns
conv_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	  judge: { provider: fake, id: m-judge }
	EOT
	printf -- "---\nmodel: fast\n---\n$1" >prompts/chat.prompt &&
	mkdir -p datasets &&
	cat >datasets/conv.yaml <<-\EOT &&
	- id: name
	  messages:
	    - { role: user, content: "Hi, I am Ann." }
	    - { role: assistant, content: "Hello Ann, how can I help?" }
	  vars: { q: "What is my name?" }
	EOT
	printf "prompt: chat\ndataset: datasets/conv.yaml\nassert:\n  - { type: contains, value: \"my name\" }\n  - { type: not-contains, value: Ann }\n" >evals/conv.yaml &&
	git add -A && git commit -q -m "conversation suite"
}

# roles: "role: text" of each message of the first chat request fakellm saw
roles() {
	fakellm_get /__requests >reqs.json &&
	python3 -c 'import json
r = [x for x in json.load(open("reqs.json")) if x["path"].endswith("/chat/completions")][0]
for m in r["body"]["messages"]:
    c = m["content"]
    print(m["role"] + ": " + (c if isinstance(c, str) else "".join(p.get("text", "") for p in c)).strip())'
}

test_expect_success 'without {{history}} the earlier turns go before the last user message' '
	start_fakellm &&
	conv_project "{{role \"system\"}}Be brief.\n{{role \"user\"}}{{q}}\n" &&
	pops eval run --json r.json >out &&
	grep -q "1 run: 1 passed" out &&
	roles >got &&
	cat >want <<-\EOT &&
	system: Be brief.
	user: Hi, I am Ann.
	assistant: Hello Ann, how can I help?
	user: What is my name?
	EOT
	test_cmp want got
'

test_expect_success 'with {{history}} the turns go where it stands' '
	start_fakellm &&
	conv_project "{{role \"system\"}}Be brief.\n{{history}}{{role \"user\"}}Context first.\n{{role \"user\"}}{{q}}\n" &&
	pops eval run >out &&
	roles >got &&
	cat >want <<-\EOT &&
	system: Be brief.
	user: Hi, I am Ann.
	assistant: Hello Ann, how can I help?
	user: Context first.
	user: What is my name?
	EOT
	test_cmp want got
'

test_expect_success 'assertions check the final turn; the record carries the earlier turns' '
	start_fakellm &&
	conv_project "{{role \"user\"}}{{q}}\n" &&
	pops eval run --json r.json >out &&
	python3 -c "
import json
c = json.load(open(\"r.json\"))[\"cases\"][0]
assert c[\"output\"].strip() == \"What is my name?\", c
assert c[\"status\"] == \"pass\", c
assert c[\"messages\"] == [{\"role\": \"user\", \"content\": \"Hi, I am Ann.\"}, {\"role\": \"assistant\", \"content\": \"Hello Ann, how can I help?\"}], c
"
'

test_expect_success 'a judge with scope: conversation reads every turn, the final reply last' '
	start_fakellm &&
	conv_project "{{role \"user\"}}{{q}}\n" &&
	printf "prompt: chat\ndataset: datasets/conv.yaml\nassert:\n  - { type: judge, model: judge, rubric: \"remembers the name\", scope: conversation }\n" >evals/conv.yaml &&
	git add -A && git commit -q -m judge &&
	pops eval run >out &&
	grep -q "1 run: 1 passed" out &&
	fakellm_get /__requests >reqs.json &&
	python3 -c "
import json
j = [x for x in json.load(open(\"reqs.json\")) if x[\"body\"].get(\"model\") == \"m-judge\"]
assert len(j) == 1, j
text = json.dumps(j[0][\"body\"])
assert \"user: Hi, I am Ann.\\\\n\\\\nassistant: Hello Ann, how can I help?\\\\n\\\\nassistant: What is my name?\" in text, text
"
'

test_expect_success 'a bad scope is refused with file:line' '
	start_fakellm &&
	conv_project "{{role \"user\"}}{{q}}\n" &&
	printf "prompt: chat\ndataset: datasets/conv.yaml\nassert:\n  - { type: contains, value: x, scope: conversation }\n" >evals/conv.yaml &&
	git add -A && git commit -q -m scope &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "evals/conv.yaml:4: .scope. is for .judge. only" err
'

test_expect_success 'malformed messages are refused naming the row and the turn' '
	start_fakellm &&
	conv_project "{{role \"user\"}}{{q}}\n" &&
	cat >datasets/conv.yaml <<-\EOT &&
	- id: bad
	  messages:
	    - { role: user, content: "Hi" }
	    - { role: robot, content: "beep" }
	  vars: { q: "x" }
	EOT
	git add -A && git commit -q -m bad &&
	test_expect_code 2 pops eval run 2>err &&
	grep -q "datasets/conv.yaml:1: .messages. turn 2 must be {role, content} with role user, assistant or system" err &&
	test "$(fakellm_stat requests)" = 0
'

test_done
