#!/bin/sh
# pops model pin|list|check: aliases and pinned snapshots in pops.yaml.
. "$(dirname "$0")/lib.sh"

test_expect_success 'pin replaces an alias in place and keeps comments and other lines' '
	setup_project &&
	cp pops.yaml before &&
	pops model pin fast openai/gpt-4o-2024-08-06 >out &&
	grep -qx "pinned fast to openai/gpt-4o-2024-08-06" out &&
	test_expect_code 1 diff before pops.yaml >d &&
	grep -c "^[<>]" d >n &&
	test "$(cat n)" = 2 &&
	grep -q "^>   fast: { provider: openai, id: \"gpt-4o-2024-08-06\" }$" d &&
	grep -q "^# Model aliases used by prompts" pops.yaml &&
	pops config >/dev/null
'

test_expect_success 'pin adds a new alias at the end of the models block' '
	setup_project &&
	pops model pin small anthropic/claude-3-5-haiku-20241022 &&
	pops model list >out &&
	grep -q "^small	anthropic/claude-3-5-haiku-20241022	unpriced$" out &&
	sed -n "/^models:/,/^$/p" pops.yaml >block &&
	tail -n 2 block >last &&
	grep -q "small: { provider: anthropic" last
'

test_expect_success 'pin creates a models section when there is none, and turns {} into a block' '
	setup_project &&
	printf "version: 1\nproviders:\n  p: { type: ollama }\n" >pops.yaml &&
	pops model pin m p/llama3.1:8b &&
	grep -qx "models:" pops.yaml &&
	grep -qx "  m: { provider: p, id: \"llama3.1:8b\" }" pops.yaml &&
	printf "version: 1\nproviders:\n  p: { type: ollama }\nmodels: {}  # none yet\n" >pops.yaml &&
	pops model pin m p/llama3.1:8b &&
	pops model list >out &&
	grep -q "^m	p/llama3.1:8b	unpriced$" out
'

test_expect_success 'pin refuses floating ids with the reason, unless --allow-floating' '
	setup_project &&
	cp pops.yaml before &&
	for id in openai/gpt-4o openai/gpt-4o-latest anthropic/claude-sonnet-4-5 anthropic/claude-3-5-sonnet-latest local/latest local/llama3:latest; do
		test_expect_code 2 pops model pin x $id 2>err || return 1
		grep -q "^error: refusing to pin floating model id" err || return 1
	done &&
	{ grep -q "OpenAI publishes dated snapshots" err || grep -q "latest" err; } &&
	test_cmp before pops.yaml &&
	test_expect_code 2 pops model pin x openai/gpt-4o-mini 2>err &&
	grep -q "^hint: pin the dated snapshot: pops model pin x openai/gpt-4o-mini-2024-07-18" err &&
	pops model pin x openai/gpt-4o-mini --allow-floating &&
	grep -q "x: { provider: openai, id: \"gpt-4o-mini\", allow_floating: true }" pops.yaml &&
	pops model check >out 2>err &&
	grep -q "^warning	x	gpt-4o-mini	floating id: .*allowed by allow_floating" out
'

test_expect_success 'pin: bad usage and unknown provider change nothing' '
	setup_project &&
	cp pops.yaml before &&
	test_expect_code 2 pops model pin fast gpt-4o 2>err &&
	grep -q "is not <provider>/<id>" err &&
	test_expect_code 2 pops model pin fast nope/gpt-4o-2024-08-06 2>err &&
	grep -q "no provider .nope." err &&
	test_expect_code 2 pops model pin "bad alias" openai/gpt-4o-2024-08-06 2>err &&
	test_cmp before pops.yaml
'

test_expect_success 'list --json has schema_version, prices and floating flags' '
	setup_project &&
	pops model list --json >out &&
	head -n 3 out >top &&
	grep -q "\"schema_version\":	1" top &&
	grep -q "\"id\":	\"gpt-4o-mini-2024-07-18\"" out &&
	grep -q "\"cached_input\":	0.075" out
'

test_expect_success 'check: retired ids with their date, unpriced warnings, exit 1 on problems' '
	setup_project &&
	pops model check >out 2>err &&
	grep -q "0 problems" err &&
	pops model pin old openai/gpt-3.5-turbo-0613 &&
	test_expect_code 1 pops model check >out 2>err &&
	grep -q "^problem	old	gpt-3.5-turbo-0613	retired on 2024-09-13; consider gpt-4o-mini-2024-07-18$" out &&
	grep -q "^warning	old	gpt-3.5-turbo-0613	unpriced" out &&
	test_expect_code 1 pops model check --json >j &&
	grep -q "\"problems\":	1" j
'

test_expect_success 'list and check: aligned tables with a header on a terminal, TSV otherwise' '
	setup_project &&
	pops model pin old openai/gpt-3.5-turbo-0613 &&
	python3 "$TEST_DIR/lib-pty.py" tty "$POPS_BIN" model list &&
	head -n 1 tty >hdr &&
	grep -q "^ALIAS  *MODEL  *PRICE  *NOTE$" hdr &&
	grep -q "^fast   openai/gpt-4o-mini-2024-07-18  *\$0.15/\$0.6 per 1M in/out$" tty &&
	! grep -q "	" tty &&
	python3 "$TEST_DIR/lib-pty.py" tty "$POPS_BIN" model list --porcelain &&
	! grep -q "^ALIAS" tty &&
	grep -q "^fast	openai/gpt-4o-mini-2024-07-18	\$0.15/\$0.6 per 1M in/out$" tty &&
	pops model list >pipe &&
	test_cmp tty pipe &&
	test_expect_code 1 python3 "$TEST_DIR/lib-pty.py" tty "$POPS_BIN" model check &&
	grep -q "^LEVEL  *ALIAS  *ID  *FINDING$" tty &&
	grep -q "^problem  old    gpt-3.5-turbo-0613  *retired on 2024-09-13" tty &&
	test_expect_code 1 pops model check --porcelain >pipe 2>err &&
	grep -q "^problem	old	gpt-3.5-turbo-0613	retired on" pipe &&
	! grep -q "^LEVEL" pipe
'

test_expect_success 'check --strict: warnings count as problems, exit 1; without it exit 0' '
	setup_project &&
	pops model check --strict >out 2>err &&
	grep -q "0 problems, 0 warnings" err &&
	pops model pin x openai/gpt-4o-mini --allow-floating &&
	pops model check >out 2>err &&
	grep -q "0 problems, 2 warnings$" err &&
	test_expect_code 1 pops model check --strict >out 2>err &&
	grep -q "^warning	x	gpt-4o-mini	floating id" out &&
	grep -q "^warning	x	gpt-4o-mini	unpriced" out &&
	grep -q "0 problems, 2 warnings (--strict: warnings count as problems)" err &&
	test_expect_code 1 pops model check --strict --json >j &&
	grep -q "\"strict\":	true" j
'

test_expect_success 'check --online: ids missing from the provider list are problems' '
	start_fakellm --models fake-model-1,other-2024-01-01 &&
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  a: { provider: fake, id: fake-model-1 }
	  b: { provider: fake, id: gone-model-1 }
	EOT
	test_expect_code 1 pops model check --online >out &&
	grep -q "^problem	b	gone-model-1	not in provider .fake. model list$" out &&
	! grep -q "^problem	a" out &&
	test "$(fakellm_stat models)" = 1
'

test_done
