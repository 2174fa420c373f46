#!/bin/sh
# An export bundle is self-contained and renders as the reference
# implementation does: for every prompt of the bundle, `pops render
# NAME:env`, `pops render DIR/NAME.prompt` (outside any project) and the
# dotprompt npm library, loading the bundle as Genkit does
# (tests/node/render.js), produce the same messages.
#
# node and the pinned dotprompt come from `make deps` (tests/node); when
# they are missing this test fails, it never skips: a skipped
# compatibility check would look like a passing one.
. "$(dirname "$0")/lib.sh"

NODE_DIR=$ROOT/tests/node

# dotprompt, through the bundle: canonical messages JSON on stdout
dotprompt_render() { # bundle file vars.json
	node "$NODE_DIR/render.js" "$1" "$2" "$(cat "$3")"
}

# pops render --json output in the same canonical shape
normalize() { # pops.json
	node "$NODE_DIR/render.js" --normalize "$1"
}

# prompts and partials with the features a bundle must carry: nested and
# transitive partials, a partial with hash arguments, roles, each/if/
# unless with @index/@first/@last, json, ifEquals, media, section, a
# prompt in a subdirectory, text that HTML would escape, non-ASCII
setup_bundle_project() {
	setup_project &&
	mkdir -p prompts/support vars/support &&
	cat >prompts/summarize.prompt <<-\EOF &&
	---
	model: fast
	config:
	  temperature: 0.2
	input:
	  schema:
	    text: string
	    words: string
	---
	{{role "system"}}{{> style}}
	{{role "user"}}Summarize in {{words}} words: {{text}}
	EOF
	cat >prompts/support/triage.prompt <<-\EOF &&
	---
	model: fast
	---
	{{role "system"}}{{> style tone="firm"}}
	{{role "user"}}Ticket #{{id}}: {{ticket}}
	EOF
	cat >prompts/items.prompt <<-\EOF &&
	---
	model: fast
	---
	{{#each items}}{{@index}}. {{name}}{{#if @first}} (first){{/if}}{{#if @last}} (last){{/if}}
	{{/each}}
	{{#unless items}}nothing{{/unless}}
	Meta: {{json meta}}
	{{#ifEquals mode "strict"}}STRICT{{else}}lenient{{/ifEquals}}
	{{> style}}
	EOF
	cat >prompts/look.prompt <<-\EOF &&
	---
	model: fast
	---
	{{role "user"}}Describe this: {{media url=img contentType="image/png"}} in {{lang}}.
	{{section "tail"}}
	EOF
	printf "Be brief{{#if tone}}, and {{tone}}{{/if}}. {{> inner}}\n" >prompts/_style.prompt &&
	printf "Answer in plain English (\"no jargon\") & <politely>." >prompts/_inner.prompt &&
	printf "{\"text\": \"\\303\\234n\\303\\257code text\\\\nwith two lines\", \"words\": \"20\"}\n" >vars/summarize.json &&
	printf "{\"id\": 42, \"ticket\": \"printer on fire\"}\n" >vars/support/triage.json &&
	printf "{\"items\": [{\"name\": \"a\"}, {\"name\": \"b\"}, {\"name\": \"c\"}], \"meta\": {\"k\": [1, 2], \"s\": \"x\"}, \"mode\": \"strict\"}\n" >vars/items.json &&
	printf "{\"img\": \"https://example.com/cat.png\", \"lang\": \"French\"}\n" >vars/look.json &&
	git add -A && git commit -q -m "prompts with partials"
}

test_expect_success 'node and the pinned dotprompt library are installed (make deps)' '
	if ! command -v node >/dev/null 2>&1; then
		echo "error: node is not installed: run make deps (it installs nodejs and npm)" >&2
		exit 1
	fi &&
	if ! test -f "$NODE_DIR/node_modules/dotprompt/package.json"; then
		echo "error: the dotprompt npm package is not in tests/node/node_modules: run make deps" >&2
		exit 1
	fi &&
	node -e "
const want = require(process.argv[1] + \"/package.json\").dependencies.dotprompt;
const have = require(process.argv[1] + \"/node_modules/dotprompt/package.json\").version;
if (have !== want) {
	console.error(\"error: dotprompt \" + have + \" is installed, the tests pin \" + want + \": run make deps\");
	process.exit(1);
}" "$NODE_DIR"
'

test_expect_success 'every prompt of an export renders the same in pops (by address and from the bundle) and in dotprompt' '
	setup_bundle_project &&
	pops promote dev >/dev/null &&
	printf "Be wordy. {{> inner}}\n" >prompts/_style.prompt &&
	printf "Inner v2." >prompts/_inner.prompt &&
	git commit -q -am "partials v2, not released" &&
	pops export --env dev out >msg &&
	grep -q "exported 4 prompts and 2 partials from dev" msg &&
	here=$PWD &&
	outside="$TRASH/outside-$test_count" &&
	mkdir "$outside" && cp -R out "$outside/" &&
	node -e "for (const p of require(\"./out/manifest.json\").prompts) console.log(p.name)" >names &&
	test "$(wc -l <names)" -eq 4 &&
	for name in $(cat names); do
		pops render "$name:dev" --vars "vars/$name.json" --json >released.json &&
		normalize released.json >expect &&
		grep -q "\"text\"" expect &&
		! grep -q "wordy\|Inner v2" expect &&
		(cd "$outside" && pops render "out/$name.prompt" --vars "$here/vars/$name.json" --json) >bundle.json &&
		normalize bundle.json >actual &&
		test_cmp expect actual &&
		dotprompt_render out "$name.prompt" "vars/$name.json" >dotprompt.json &&
		test_cmp expect dotprompt.json || { echo "prompt $name differs" >&2; exit 1; }
	done &&
	pops render summarize:dev --var "text=plain words" --var words=3 --json >released.json &&
	normalize released.json >expect &&
	printf "{\"text\": \"plain words\", \"words\": \"3\"}\n" >v.json &&
	dotprompt_render out summarize.prompt v.json >dotprompt.json &&
	test_cmp expect dotprompt.json
'

test_expect_success 'a bundle without a partial it needs fails in dotprompt too (the check is not vacuous)' '
	setup_bundle_project &&
	pops promote dev >/dev/null &&
	pops export --env dev out >/dev/null &&
	cp -R out broken &&
	rm broken/_inner.prompt &&
	test_must_fail node "$NODE_DIR/render.js" broken summarize.prompt "{\"text\": \"x\", \"words\": \"1\"}" 2>err &&
	grep -q "^error: .*inner" err
'

test_done
