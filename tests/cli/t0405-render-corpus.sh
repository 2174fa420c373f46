#!/bin/sh
# Differential render over ../shared/corpus: every prompt file the
# reference dotprompt library (tests/node) renders, pops renders to the
# same messages, for the same variables (one value per input.schema
# field, from tests/node/render.js --sample) and the frontmatter's
# input.default beneath them, as Genkit applies it. Files the reference
# cannot render (helpers an application registers) are counted, not
# compared. Like t0635, a missing node or dotprompt fails, never skips.
. "$(dirname "$0")/lib.sh"

NODE_DIR=$ROOT/tests/node
CORPUS=$SHARED/corpus

test_expect_success 'node and the pinned dotprompt library are installed (make deps)' '
	command -v node >/dev/null 2>&1 &&
	test -f "$NODE_DIR/node_modules/dotprompt/package.json"
'

test_expect_success 'every corpus prompt the reference renders, pops renders the same' '
	find "$CORPUS" -name "*.prompt" ! -name "_*" | sort >files &&
	test $(wc -l <files) -ge 60 &&
	# a sample under valgrind, which is slow
	if test -n "${POPS_VALGRIND:-}"; then head -n 4 files >f && mv f files; fi &&
	: >compared && : >skipped && : >differ &&
	while read -r f; do
		node "$NODE_DIR/render.js" --sample "$f" >vars.json &&
		if ! node "$NODE_DIR/render.js" --file "$f" "$(cat vars.json)" >expect 2>why; then
			printf "%s: %s\n" "$f" "$(head -n 1 why)" >>skipped
			continue
		fi &&
		if pops render --json --vars vars.json "$f" >pops.json 2>err &&
		   node "$NODE_DIR/render.js" --normalize pops.json >actual &&
		   test_cmp expect actual >diff.out; then
			echo "$f" >>compared
		else
			{ echo "== $f"; cat vars.json err diff.out; } >>differ
		fi || exit 1
	done <files &&
	cat skipped &&
	test_must_be_empty differ &&
	if test -z "${POPS_VALGRIND:-}"; then test $(wc -l <compared) -ge 60; fi
'

# the two gallery prompts that made this test: a default for a field the
# schema does not list renders (as in dotprompt) and lint warns about it
test_expect_success 'a default the input schema does not list renders, and lint warns' '
	d=$CORPUS/genkit/js/testapps/dev-ui-gallery/prompts &&
	pops render --var language=Go "$d/code.prompt" >out 2>err &&
	grep -q "fibonacci in Go" out &&
	grep -q "code.prompt:18:5: input.default .persona. is not in input.schema" err &&
	pops render --var thingOne=a --var thingTwo=b "$d/markdown.prompt" >out &&
	pops prompt lint "$d/code.prompt" "$d/markdown.prompt" 2>err &&
	grep -q "markdown.prompt:19:5: input.default .persona. is not in input.schema" err &&
	grep -q "^pops: 2 prompt files checked: 0 errors, 2 warnings" err
'

test_expect_success 'a default of the wrong type never fails a render; a variable does' '
	printf -- "---\ninput:\n  schema:\n    n: integer\n    who?: string\n  default:\n    n: three\n    who: me\n---\n{{n}} {{who}}\n" >p.prompt &&
	pops render p.prompt >out 2>err &&
	grep -qx "three me" out &&
	grep -q "p.prompt:7:5: input.default.n: expected an integer" err &&
	printf "n: x\n" >bad.yaml &&
	test_expect_code 2 pops render --vars bad.yaml p.prompt 2>err &&
	grep -q "input.n: expected an integer" err
'

test_expect_success 'a closing --- without a line break is no frontmatter, as in dotprompt' '
	printf -- "---\nmodel: m\n---" >eof.prompt &&
	pops render --json eof.prompt >out.json 2>err &&
	grep -q "model: m" out.json &&
	grep -q "eof.prompt:3:1: the closing .---. has no line break" err
'

test_done
