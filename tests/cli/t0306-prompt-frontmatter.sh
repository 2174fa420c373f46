#!/bin/sh
# One frontmatter rule for every reader: a prompt with comment or blank
# lines before its opening '---' renders, lists its description and is
# promoted with its model, like one that starts with '---'.
. "$(dirname "$0")/lib.sh"

setup_commented() {
	setup_project &&
	printf -- "# owner: support team\n\n---\nmodel: fast\ndescription: Echo the question\n---\nAnswer {{q}}.\n" \
		>prompts/echo.prompt &&
	git add -A && git commit -q -m "echo with a leading comment"
}

test_expect_success 'prompt list shows the description after a leading comment' '
	setup_commented &&
	pops prompt list >out &&
	grep -q "^echo .*Echo the question$" out &&
	pops prompt list --json >list.json &&
	python3 -c "
import json; d = json.load(open(\"list.json\"))
p = [x for x in d[\"prompts\"] if x[\"name\"] == \"echo\"][0]
assert p[\"description\"] == \"Echo the question\", p
"
'

test_expect_success 'promote records the model of a prompt after a leading comment' '
	setup_commented &&
	pops promote dev >out &&
	grep -q "promoted echo@1 to dev" out &&
	pops status --json >st.json &&
	python3 -c "
import json; d = json.load(open(\"st.json\"))
r = [e for e in d[\"environments\"] if e[\"name\"] == \"dev\"][0][\"releases\"][0]
assert r[\"resolved_model\"] is not None, r
assert r[\"resolved_model\"][\"id\"] == \"gpt-4o-mini-2024-07-18\", r
assert r[\"resolved_model\"][\"alias\"] == \"fast\", r
"
'

test_expect_success 'prompt diff summarises frontmatter after a leading comment' '
	setup_commented &&
	sed -i "s/^model: fast/model: openai\/gpt-4o/" prompts/echo.prompt &&
	pops prompt diff echo#HEAD echo >out &&
	grep -q "^  model: fast → openai/gpt-4o$" out
'

test_done
