#!/bin/sh
# pops render and pops prompt lint: prompt files, variables, partials,
# the Genkit corpus, and bad input (file:line:col, exit 2, no crash).
. "$(dirname "$0")/lib.sh"

CORPUS=$SHARED/corpus/genkit

write_greet() {
	mkdir -p prompts &&
	cat >prompts/greet.prompt <<-\EOF
	---
	model: fast
	config:
	  temperature: 0.2
	input:
	  schema:
	    name: string
	    tone?: string
	  default:
	    tone: friendly
	---
	{{role "system"}}
	{{> style tone=tone}}
	{{role "user"}}
	Say hello to {{name}}.
	EOF
	printf 'Be {{tone}}.\n' >prompts/_style.prompt
}

test_expect_success 'render prints one block per message headed by its role' '
	write_greet &&
	pops render prompts/greet.prompt --var name=Ada >out &&
	printf -- "--- system\nBe friendly.\n\n--- user\nSay hello to Ada.\n" >expect &&
	test_cmp expect out
'

test_expect_success 'render --json gives model, config and dotprompt messages' '
	write_greet &&
	pops render --json --var name=Ada --var tone=terse prompts/greet.prompt >out &&
	grep -q "\"schema_version\":	1" out &&
	grep -q "\"model\":	\"fast\"" out &&
	grep -q "\"temperature\":	0.2" out &&
	grep -q "\"role\":	\"system\"" out &&
	grep -q "\"text\":	\".nBe terse..n\"" out &&
	grep -q "\"text\":	\".nSay hello to Ada.\"" out
'

test_expect_success 'render finds a prompt by name in the project' '
	setup_project &&
	write_greet &&
	mkdir sub && cd sub &&
	pops render greet --var name=Bo >../out &&
	grep -q "Say hello to Bo." ../out
'

test_expect_success 'render --vars reads typed variables; --var overrides them' '
	mkdir -p p &&
	printf -- "---\ninput:\n  schema:\n    n: integer\n    who: string\n---\n{{#each (n)}}{{/each}}{{n}} {{who}}\n" >p/bad.prompt &&
	printf -- "---\ninput:\n  schema:\n    n: integer\n    who: string\n---\n{{n}} {{who}}\n" >p/typed.prompt &&
	printf "n: 3\nwho: yaml\n" >vars.yaml &&
	pops render --vars vars.yaml --var who=cli p/typed.prompt >out &&
	grep -qx "3 cli" out &&
	test_expect_code 2 pops render --var n=3 --var who=x p/typed.prompt 2>err &&
	grep -q "^error: p/typed.prompt: input.n: expected an integer, got string" err &&
	grep -q "^hint: .*--vars" err &&
	pops render --no-validate --var n=3 --var who=x p/typed.prompt >out &&
	grep -qx "3 x" out &&
	test_expect_code 2 pops render p/bad.prompt 2>err &&
	grep -q "^error: p/bad.prompt:7:1: subexpressions" err
'

# Python's json.dump escapes non-ASCII (an emoji becomes a surrogate
# pair); YAML's reader refuses such escapes, so .json is read as JSON
test_expect_success 'render --vars reads a .json file written by python json.dump' '
	mkdir -p p &&
	printf -- "---\ninput:\n  schema:\n    who: string\n    n: integer\n---\n{{who}} {{n}}\n" >p/j.prompt &&
	python3 -c "import json; json.dump({\"who\": \"caf\u00e9 \U0001F642\", \"n\": 2}, open(\"v.json\", \"w\"))" &&
	grep -q "ud83d" v.json &&
	pops render --vars v.json p/j.prompt >out &&
	printf -- "--- user\ncaf\303\251 \360\237\231\202 2\n" >expect &&
	test_cmp expect out &&
	printf "{\n  \"who\": \"x\",\n}\n" >bad.json &&
	test_expect_code 2 pops render --vars bad.json p/j.prompt 2>err &&
	grep -q "^error: bad.json:3:[0-9]*: invalid JSON" err
'

test_expect_success 'render reports a missing variable file and a bad --var' '
	write_greet &&
	test_expect_code 2 pops render --var novalue prompts/greet.prompt 2>err &&
	grep -q "expected name=value" err &&
	test_must_fail pops render --vars nope.json prompts/greet.prompt 2>err &&
	grep -q "nope.json" err
'

test_expect_success 'render --var name=@file reads the value from a file, @- from stdin, @@ is a literal @' '
	write_greet &&
	printf "Ada\nLovelace\n" >name.txt &&
	pops render prompts/greet.prompt --var name=@name.txt >out &&
	printf -- "--- system\nBe friendly.\n\n--- user\nSay hello to Ada\nLovelace\n.\n" >expect &&
	test_cmp expect out &&
	printf "Bo" | pops render prompts/greet.prompt --var name=@- >out &&
	grep -qx "Say hello to Bo." out &&
	pops render prompts/greet.prompt --var name=@@dana >out &&
	grep -qx "Say hello to @dana." out &&
	pops render prompts/greet.prompt --var name=a@b >out &&
	grep -qx "Say hello to a@b." out
'

test_expect_success 'render --var name=@file: a missing, binary or non-UTF-8 file is an error' '
	write_greet &&
	test_expect_code 2 pops render prompts/greet.prompt --var name=@nope.txt 2>err &&
	grep -q "^error: --var name: cannot open .nope.txt." err &&
	grep -q "^hint: .*@@" err &&
	test_expect_code 2 pops render prompts/greet.prompt --var name=@ 2>err &&
	grep -q "name a file after" err &&
	printf "a\0b" >nul.txt &&
	test_expect_code 2 pops render prompts/greet.prompt --var name=@nul.txt 2>err &&
	grep -q "NUL byte" err &&
	printf "\377" >latin.txt &&
	test_expect_code 2 pops render prompts/greet.prompt --var name=@latin.txt 2>err &&
	grep -q "not valid UTF-8" err &&
	test_expect_code 2 pops render prompts/greet.prompt --var name=@. 2>err &&
	grep -q "is a directory" err
'

test_expect_success 'render of an unknown name says what was looked for' '
	setup_project &&
	test_expect_code 2 pops render nosuch 2>err &&
	grep -q "^error: .*nosuch" err
'

test_expect_success 'render resolves versions: name@N reads the committed file and its partials' '
	setup_project &&
	write_greet &&
	git add prompts && git commit -q -m v1 &&
	printf "Be {{tone}} and brief.\n" >prompts/_style.prompt &&
	sed "s/Say hello/Greet/" prompts/greet.prompt >g && mv g prompts/greet.prompt &&
	git commit -q -am v2 &&
	pops render greet@1 --var name=Ada >out &&
	grep -q "^Say hello to Ada." out &&
	grep -qx "Be friendly." out &&
	pops render greet@latest --var name=Ada >out &&
	grep -q "^Greet to Ada." out &&
	grep -qx "Be friendly and brief." out
'

test_expect_success 'lint accepts every Genkit corpus file (schema names are warnings)' '
	require_shared &&
	find "$CORPUS" -name "*.prompt" | sort >files &&
	test $(wc -l <files) -ge 60 &&
	pops prompt lint $(cat files) 2>err &&
	grep -q "schema .Recipe. is not defined" err &&
	grep -q "helper .list. is not built in" err &&
	grep -q "^pops: .* prompt files checked: 0 errors" err
'

test_expect_success 'render works on the Genkit corpus prompts' '
	require_shared &&
	d=$CORPUS/js/testapps/prompt-file/prompts &&
	pops render --var subject=cats "$d/story.prompt" >out &&
	grep -q "pirate" out && grep -q "cats" out &&
	pops render --json --var food=soup "$d/recipe.prompt" >out &&
	grep -q "soup" out &&
	# every file under ASan; a sample under valgrind, which is slow
	if test -n "${POPS_VALGRIND:-}"; then n=4; else n=1000; fi &&
	for f in $(find "$CORPUS" -name "*.prompt" ! -name "_*" | sort | head -n $n); do
		pops render --no-validate "$f" >/dev/null 2>err ||
		{ code=$?; test $code -eq 2 || { echo "render $f exited $code"; cat err; exit 1; }; }
	done
'

test_expect_success 'lint with no files checks the project prompts directory' '
	setup_project &&
	write_greet &&
	printf "{{#if x}}\nno end\n" >prompts/broken.prompt &&
	test_expect_code 2 pops prompt lint 2>err &&
	grep -q "^error: .*prompts/broken.prompt:1:1: .{{#if x}}. is never closed" err &&
	grep -q "2 errors\|1 error" err
'

test_expect_success 'bad input: unclosed tag, mismatched close, unknown helper' '
	printf "line one\n  {{name\n" >a.prompt &&
	test_expect_code 2 pops prompt lint a.prompt 2>err &&
	grep -q "^error: a.prompt:2:3: unclosed tag" err &&
	printf "{{#each xs}}\n{{/if}}\n" >b.prompt &&
	test_expect_code 2 pops render b.prompt 2>err &&
	grep -q "^error: b.prompt:2:1: .{{/if}}. does not match .{{#each xs}}. opened at 1:1" err &&
	printf -- "---\nmodel: m\n---\n{{#ifEqual a b}}x{{/ifEqual}}\n" >c.prompt &&
	test_expect_code 2 pops prompt lint c.prompt 2>err &&
	grep -q "^error: c.prompt:4:1: unknown helper .ifEqual. (did you mean .ifEquals.?)" err &&
	printf "{{upper name}}\n" >d.prompt &&
	test_expect_code 2 pops render --var name=x d.prompt 2>err &&
	grep -q "^error: d.prompt:1:1: helper .upper. is not built in" err
'

test_expect_success 'bad input: missing partial and partial recursion' '
	mkdir -p p &&
	printf "Hi\n{{> nothere}}\n" >p/a.prompt &&
	test_expect_code 2 pops render p/a.prompt 2>err &&
	grep -q "^error: p/a.prompt:2:1: partial .nothere. not found (no p/_nothere.prompt)" err &&
	printf "{{> loop}}" >p/b.prompt &&
	printf "x{{> loop}}" >p/_loop.prompt &&
	test_expect_code 2 pops render p/b.prompt 2>err &&
	grep -q "^error: p/_loop.prompt:1:2: partials nested deeper than" err
'

test_expect_success 'bad input: invalid frontmatter YAML and invalid UTF-8' '
	printf -- "---\nmodel: [x\nconfig: 1\n---\nhi\n" >y.prompt &&
	test_expect_code 2 pops prompt lint y.prompt 2>err &&
	grep -q "^error: y.prompt:[0-9]*:[0-9]*: " err &&
	printf "ok\nbad \377 byte\n" >u.prompt &&
	test_expect_code 2 pops render u.prompt 2>err &&
	grep -q "^error: u.prompt:2:5: invalid UTF-8" err
'

test_expect_success 'bad input: a 100 MB file is refused without reading it' '
	dd if=/dev/zero of=big.prompt bs=1 count=0 seek=100M 2>/dev/null &&
	test_expect_code 2 pops render big.prompt 2>err &&
	grep -q "big.prompt" err &&
	test_expect_code 2 pops prompt lint big.prompt 2>err &&
	grep -q "big.prompt" err
'

test_expect_success 'render and lint -h work outside a repository' '
	pops render -h >out 2>err && test_must_be_empty err &&
	grep -q "^usage: pops render" out &&
	pops prompt lint -h >out 2>err && test_must_be_empty err &&
	grep -q "^usage: pops prompt lint" out
'

test_done
