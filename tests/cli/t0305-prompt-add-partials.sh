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

test_expect_success 'add commits the partials a prompt reaches, transitively, in the same commit' '
	setup_partials &&
	git rev-parse HEAD >before &&
	pops prompt add classify >out 2>err &&
	id=$(git rev-parse --short=7 HEAD) &&
	printf "classify@1 %s\n_style@1 %s\n_tone@1 %s\n" $id $id $id >expect &&
	test_cmp expect out &&
	test_must_be_empty err &&
	git rev-parse HEAD~1 >parent &&
	test_cmp before parent &&
	git show --stat --format=%s HEAD >stat &&
	grep -q "^prompt: add classify, _style, _tone$" stat &&
	grep -q "prompts/classify.prompt" stat &&
	grep -q "prompts/_style.prompt" stat &&
	grep -q "prompts/_tone.prompt" stat &&
	git status --porcelain --untracked-files=no >st &&
	test_must_be_empty st &&
	fsck_clean
'

test_expect_success 'name@1 renders after the add, from the commit alone' '
	setup_partials &&
	pops prompt add classify >/dev/null &&
	rm prompts/_style.prompt prompts/_tone.prompt &&
	pops render classify@1 --var text=x >out &&
	grep -q "Be terse. Polite." out
'

test_expect_success 'a changed partial is committed alone and listed; unchanged ones are not' '
	setup_partials &&
	pops prompt add classify >/dev/null &&
	first=$(git rev-parse --short=7 HEAD) &&
	printf -- "Be very terse. {{> tone}}\n" >prompts/_style.prompt &&
	pops prompt add classify >out 2>err &&
	id=$(git rev-parse --short=7 HEAD) &&
	printf "classify@1 %s\n_style@2 %s\n" $first $id >expect &&
	test_cmp expect out &&
	grep -q "^pops: classify is unchanged: classify@1 is still its newest version$" err &&
	git show --name-only --format=%s HEAD >files &&
	printf "prompt: update _style\n\nprompts/_style.prompt\n" >expect &&
	test_cmp expect files &&
	pops render classify --var text=x >out &&
	grep -q "Be very terse. Polite." out &&
	test_expect_code 1 pops prompt add classify 2>err &&
	grep -q "^error: nothing to commit" err &&
	fsck_clean
'

test_expect_success 'prompts sharing a partial commit it once' '
	setup_partials &&
	printf -- "---\nmodel: fast\n---\nSummarize {{text}}.\n{{> style}}\n" >prompts/summarize.prompt &&
	pops prompt add classify summarize >out &&
	id=$(git rev-parse --short=7 HEAD) &&
	printf "classify@1 %s\nsummarize@1 %s\n_style@1 %s\n_tone@1 %s\n" $id $id $id $id >expect &&
	test_cmp expect out &&
	git show --name-only --format= HEAD >files &&
	printf "prompts/_style.prompt\nprompts/_tone.prompt\nprompts/classify.prompt\nprompts/summarize.prompt\n" >expect &&
	test_cmp expect files &&
	git ls-tree -r HEAD prompts >tree &&
	test $(grep -c "_style.prompt" tree) = 1 &&
	fsck_clean
'

test_expect_success 'a partial named as an argument too is listed once, as given' '
	setup_partials &&
	pops prompt add _style classify >out &&
	id=$(git rev-parse --short=7 HEAD) &&
	printf "_style@1 %s\nclassify@1 %s\n_tone@1 %s\n" $id $id $id >expect &&
	test_cmp expect out
'

test_expect_success 'a partial in a subdirectory gets its own versions' '
	setup_project &&
	mkdir -p prompts/team &&
	printf -- "---\nmodel: fast\n---\n{{> team/voice}}\n" >prompts/p.prompt &&
	printf "voice v1" >prompts/team/_voice.prompt &&
	pops prompt add p >out &&
	id=$(git rev-parse --short=7 HEAD) &&
	printf "p@1 %s\nteam/_voice@1 %s\n" $id $id >expect &&
	test_cmp expect out &&
	pops prompt show team/_voice@1 >out &&
	printf "voice v1" >expect && cmp expect out
'

test_expect_success 'a missing partial: exit 2 naming file:line and the partial, nothing written' '
	setup_partials &&
	printf -- "---\nmodel: fast\n---\nClassify {{text}}.\n{{> style}}\n{{> nosuch}}\n" >prompts/classify.prompt &&
	git add prompts/_tone.prompt &&
	git rev-parse HEAD >before &&
	git status --porcelain -- prompts >st.before &&
	test_expect_code 2 pops prompt add classify >out 2>err &&
	test_must_be_empty out &&
	grep -q "^error: prompts/classify.prompt:6:1: partial .nosuch. not found (no prompts/_nosuch.prompt)$" err &&
	grep -q "nothing was committed" err &&
	git rev-parse HEAD >after &&
	test_cmp before after &&
	git status --porcelain -- prompts >st.after &&
	test_cmp st.before st.after &&
	git ls-files -s prompts/_style.prompt >staged &&
	test_must_be_empty staged
'

test_expect_success 'a partial missing deep in the chain names the partial file that uses it' '
	setup_partials &&
	rm prompts/_tone.prompt &&
	git rev-parse HEAD >before &&
	test_expect_code 2 pops prompt add classify 2>err &&
	grep -q "^error: prompts/_style.prompt:1:[0-9]*: partial .tone. not found" err &&
	git rev-parse HEAD >after &&
	test_cmp before after
'

test_expect_success 'add warns about a committed partial with frontmatter, and commits it as text' '
	setup_partials &&
	printf -- "---\ndescription: style\n---\nBe terse.\n" >prompts/_style.prompt &&
	pops prompt add classify >out 2>err &&
	grep -q "^warning: prompts/_style.prompt:1: a partial is included as text: dotprompt includes these frontmatter lines verbatim$" err &&
	grep -q "^_style@1 " out &&
	pops render classify@1 --var text=x >out &&
	grep -q "description: style" out
'

test_expect_success 'a symlinked partial is left to git, with a warning' '
	setup_partials &&
	mkdir prompts/sub &&
	mv prompts/_tone.prompt prompts/sub/_real.prompt &&
	ln -s sub/_real.prompt prompts/_tone.prompt &&
	pops prompt add classify >out 2>err &&
	grep -q "^warning: prompts/_tone.prompt is a symlink: not committed" err &&
	git ls-tree -r --name-only HEAD prompts >tree &&
	! grep -q _tone tree &&
	git add prompts && git commit -q -m link &&
	printf "Be brief. {{> tone}}\n" >prompts/_style.prompt &&
	pops prompt add classify >out 2>err &&
	! grep -q symlink err &&
	grep -q "^_style@2 " out &&
	git ls-tree HEAD prompts/_tone.prompt >entry &&
	grep -q "^120000 " entry &&
	fsck_clean
'

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
