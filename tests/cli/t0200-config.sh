#!/bin/sh
# pops.yaml: found from subdirectories, validated with file:line errors,
# and bad input never crashes or writes anything.
. "$(dirname "$0")/lib.sh"

test_expect_success 'config shows the defaults written by init' '
	setup_project &&
	pops config >out &&
	grep -q "^  fast  *openai/gpt-4o-mini-2024-07-18" out &&
	grep -q "^  prod " out
'

test_expect_success 'config aligns each section by its longest name; one approval is singular' '
	setup_project &&
	cat >pops.yaml <<-\EOF &&
	version: 1
	providers:
	  openai: { type: openai, api_key_env: OPENAI_API_KEY }
	models:
	  a: { provider: openai, id: gpt-4o-mini-2024-07-18 }
	  a-much-longer-alias: { provider: openai, id: gpt-4o-2024-08-06 }
	environments:
	  - name: dev
	  - name: prod
	    require: { approvals: 1 }
	  - name: audited
	    require: { from: prod, approvals: 2 }
	EOF
	pops config >out &&
	grep -q "^  a                    openai/gpt-4o-mini-2024-07-18  (" out &&
	grep -q "^  a-much-longer-alias  openai/gpt-4o-2024-08-06  *(" out &&
	grep -q "^  prod     1 approval$" out &&
	grep -q "^  audited  from prod; 2 approvals$" out
'

test_expect_success 'config --json carries schema_version and the environments in order' '
	setup_project &&
	pops config --json >out &&
	grep -q "\"schema_version\":	*1" out &&
	tr -d "\n\t " <out >flat &&
	grep -q "\"environments\":\[{\"name\":\"dev\".*\"name\":\"staging\".*\"name\":\"prod\"" flat
'

test_expect_success 'pops.yaml is found from a subdirectory' '
	setup_project &&
	mkdir -p prompts/deep &&
	(cd prompts/deep && pops config >../../out) &&
	grep -q "pops.yaml" out
'

test_expect_success 'the key variable is reported as set, never its value' '
	setup_project &&
	OPENAI_API_KEY=sk-test-SECRETVALUE123 pops config >out 2>&1 &&
	grep -q "OPENAI_API_KEY: set" out &&
	! grep -q SECRETVALUE out &&
	OPENAI_API_KEY=sk-test-SECRETVALUE123 pops config --json >out 2>&1 &&
	! grep -q SECRETVALUE out
'

test_expect_success 'outside a git repository: exit 2, one clear line and a hint' '
	test_expect_code 2 pops config 2>err &&
	grep -q "^error: not a git repository" err &&
	grep -q "^hint: run .pops init." err
'

test_expect_success 'a repository without pops.yaml: exit 2' '
	git init -q . &&
	test_expect_code 2 pops config 2>err &&
	grep -q "^error: no pops.yaml found" err
'

test_expect_success 'an unknown key names file:line and suggests the right key' '
	setup_project &&
	printf "version: 1\npromts: p\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -qx "error: pops.yaml:2: unknown key .promts. (did you mean .prompts.?)" err
'

test_expect_success 'a nested unknown key names its path' '
	setup_project &&
	printf "version: 1\nmodels:\n  fast:\n    provider: openai\n    id: x\n    temprature: 1\nproviders:\n  openai: {type: openai}\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "pops.yaml:6: unknown key .models.fast.temprature." err
'

test_expect_success 'a wrong type names file:line and the expected type' '
	setup_project &&
	printf "version: 1\nenvironments:\n  - name: dev\n    require: {min_pass_rate: high}\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "pops.yaml:4: .environments\[0\].require.min_pass_rate. must be a number" err
'

test_expect_success 'an out-of-range value is refused' '
	setup_project &&
	printf "version: 1\nenvironments:\n  - name: prod\n    require: {min_pass_rate: 1.5}\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "must be between 0 and 1" err
'

test_expect_success 'invalid YAML names file:line:col' '
	setup_project &&
	printf "version: 1\nmodels: [unclosed\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -qE "^error: pops.yaml:[0-9]+:[0-9]+: " err
'

test_expect_success 'a model using an undefined provider is an error' '
	setup_project &&
	printf "version: 1\nmodels:\n  fast: {provider: nope, id: m-2024-01-01}\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "pops.yaml:3: model .fast. uses provider .nope., which is not defined" err
'

test_expect_success 'require.from must name an earlier environment' '
	setup_project &&
	printf "version: 1\nenvironments:\n  - name: prod\n    require: {from: staging}\n  - name: staging\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "not an earlier environment" err
'

test_expect_success 'api_key_env holding a key instead of a name is refused without echoing it' '
	setup_project &&
	printf "version: 1\nproviders:\n  openai: {type: openai, api_key_env: \"sk-abc123-SECRET\"}\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "must name an environment variable" err &&
	! grep -q SECRET err
'

test_expect_success 'a prompts directory escaping the project is refused' '
	setup_project &&
	printf "version: 1\nprompts: ../elsewhere\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "must be a relative path inside the project" err
'

test_expect_success 'a YAML bomb is refused quickly with a clear error' '
	setup_project &&
	{
		echo "version: 1"
		echo "a: &a [x, x, x, x, x, x, x, x, x, x]"
		echo "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]"
		echo "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]"
		echo "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]"
		echo "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]"
		echo "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]"
		echo "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]"
	} >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "aliases expand to more than" err
'

test_expect_success 'deep nesting is refused' '
	setup_project &&
	{ printf "version: 1\nx: "; i=0; while [ $i -lt 200 ]; do printf "["; i=$((i+1)); done; echo; } >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "nesting deeper than" err
'

test_expect_success 'a pops.yaml that is not a file is refused' '
	setup_project &&
	rm pops.yaml && mkdir pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "is a directory" err
'

test_expect_success 'a duplicate key is an error' '
	setup_project &&
	printf "version: 1\nprompts: a\nprompts: b\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "pops.yaml:3:1: duplicate key .prompts." err
'

test_expect_success 'an empty pops.yaml says what is missing' '
	setup_project &&
	: >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "file is empty" err
'

test_expect_success 'bad config never modifies the repository' '
	setup_project &&
	printf "version: 2\n" >pops.yaml &&
	git status --porcelain >../before &&
	test_expect_code 2 pops config 2>../err &&
	grep -q "must be between 1 and 1" ../err &&
	git status --porcelain >../after &&
	test_cmp ../before ../after
'

test_done
