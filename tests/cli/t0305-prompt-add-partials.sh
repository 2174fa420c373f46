#!/bin/sh
# pops prompt add commits the partials a prompt reaches with it, so that
# name@N always renders what was linted; pops prompt lint checks partials
# as dotprompt includes them: the whole file as text.
. "$(dirname "$0")/lib.sh"

# classify uses _style, which uses _tone
setup_partials() {
	setup_project &&
	printf -- "---\nmodel: fast\n---\nClassify {{text}}.\n{{> style}}\n" >prompts/classify.prompt &&
	printf -- "Be terse. {{> tone}}\n" >prompts/_style.prompt &&
	printf -- "Polite." >prompts/_tone.prompt
}

fsck_clean() {
	git fsck --strict >fsck.out 2>&1 &&
	test_must_be_empty fsck.out
}

test_expect_success 'lint warns about a partial with frontmatter; the warning does not fail lint' '
	setup_partials &&
	printf -- "---\ndescription: style\nmodel: nosuch\n---\nBe terse.\n" >prompts/_style.prompt &&
	pops prompt lint prompts/_style.prompt >out 2>err &&
	test_must_be_empty out &&
	grep -q "^warning: prompts/_style.prompt:1: a partial is included as text: dotprompt includes these frontmatter lines verbatim$" err &&
	grep -q "^pops: 1 prompt file checked: 0 errors, 1 warning$" err &&
	grep -q "^hint: " err &&
	! grep -q nosuch err &&
	pops prompt lint 2>err &&
	grep -q "^warning: .*prompts/_style.prompt:1: a partial is included as text" err &&
	grep -q "^pops: 3 prompt files checked: 0 errors, 1 warning$" err
'

test_expect_success 'lint of a partial: the line of the opening ---, after comment lines' '
	setup_project &&
	printf -- "# a comment\n\n---\nx: 1\n---\ntext\n" >prompts/_c.prompt &&
	pops prompt lint prompts/_c.prompt 2>err &&
	grep -q "^warning: prompts/_c.prompt:3: a partial is included" err
'

test_expect_success 'lint of a partial: a lone --- or --- later in the file is not frontmatter' '
	setup_project &&
	printf -- "---\nA rule above, no closing line.\n" >prompts/_rule.prompt &&
	printf -- "Text\n---\nx: 1\n---\n" >prompts/_later.prompt &&
	pops prompt lint prompts/_rule.prompt prompts/_later.prompt 2>err &&
	! grep -q "^warning" err &&
	grep -q "0 errors, 0 warnings" err
'

test_expect_success 'lint checks a partial as the template it is: frontmatter YAML is just text' '
	setup_project &&
	printf -- "---\nkey: [unclosed\n---\nBody\n" >prompts/_y.prompt &&
	pops prompt lint prompts/_y.prompt 2>err &&
	grep -q "^warning: prompts/_y.prompt:1: " err &&
	printf -- "Hi {{#if x}}never closed\n" >prompts/_t.prompt &&
	test_expect_code 2 pops prompt lint prompts/_t.prompt 2>err &&
	grep -q "^error: prompts/_t.prompt:1:[0-9]*: " err &&
	printf -- "Hi {{> nosuch}}\n" >prompts/_n.prompt &&
	test_expect_code 2 pops prompt lint prompts/_n.prompt 2>err &&
	grep -q "^error: prompts/_n.prompt:1:4: partial .nosuch. not found" err
'

test_expect_success 'pops renders a partial with frontmatter as its whole file, as dotprompt does' '
	setup_partials &&
	printf -- "---\ndescription: style\n---\nBe terse.\n" >prompts/_style.prompt &&
	pops render classify --var text=x --json >out.json &&
	python3 -c "
import json
d=json.load(open(\"out.json\"))
t=d[\"messages\"][0][\"content\"][0][\"text\"]
assert t==\"Classify x.\n---\ndescription: style\n---\nBe terse.\n\", repr(t)
"
'

test_done
