#!/bin/sh
# Secrets: with recognisable keys in OPENAI_API_KEY and ANTHROPIC_API_KEY,
# every command runs (the fake servers insist on the keys, so they were
# really sent), and then stdout, stderr, every report, the cache, the
# cassettes, every git object (commits, trees, blobs, notes, the ledger)
# and every other file in the repository are searched: the keys appear
# nowhere.
. "$(dirname "$0")/lib.sh"

OAI=sk-proj-POPSCANARYopenai7e3b9c1d5f2a
ANT=sk-ant-api03-POPSCANARYanthropic9f8e7d6c5b
OPENAI_API_KEY=$OAI
ANTHROPIC_API_KEY=$ANT
export OPENAI_API_KEY ANTHROPIC_API_KEY

# no_key_in DIR: grep every file (text or binary) and every git object
# reachable or not, for the keys or their distinctive tails
no_key_in() {
	pat="POPSCANARY|7e3b9c1d5f2a|9f8e7d6c5b"
	if grep -rlaE "$pat" "$1" >leaks 2>/dev/null; then
		echo "key found in:" >&2
		cat leaks >&2
		return 1
	fi
	for g in $(find "$1" -type d -name "*.git" -o -type d -name ".git"); do
		git --git-dir="$g" cat-file --batch-all-objects --batch >objects 2>/dev/null &&
		if grep -qaE "$pat" objects; then
			echo "key found in a git object of $g" >&2
			return 1
		fi
	done
	rm -f objects leaks
}

# the scenario: two fake providers that insist on the keys, every command
scenario() {
	start_fakellm --api-key "$ANT" &&
	test "$FAKELLM_URL" != "$oai_url" &&
	mkdir repo && cd repo &&
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  openai: { type: openai, base_url: "$oai_url/v1", api_key_env: OPENAI_API_KEY }
	  anthropic: { type: anthropic, base_url: "$FAKELLM_URL", api_key_env: ANTHROPIC_API_KEY }
	models:
	  fast: { provider: openai, id: gpt-4o-mini-2024-07-18 }
	  judge: { provider: anthropic, id: claude-sonnet-4-5-20250929 }
	pricing:
	  gpt-4o-mini-2024-07-18: { input: 0.15, output: 0.60 }
	environments:
	  - name: dev
	  - name: prod
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: fast\n---\nEcho: {{word}}\n" >prompts/echo.prompt &&
	printf "{\"id\":\"a\",\"vars\":{\"word\":\"alpha\"},\"expected\":\"alpha\"}\n{\"id\":\"b\",\"vars\":{\"word\":\"beta\"},\"expected\":\"beta\"}\n" >datasets/echo.jsonl &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 0.5\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n  - { type: judge, model: judge, rubric: \"Repeats the word.\" }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m "echo" &&
	{
		pops config &&
		pops config --json &&
		pops render echo --var word=x &&
		pops prompt lint &&
		pops eval run --junit r.xml --json r.json --md r.md &&
		pops eval run &&
		pops eval run --record --no-cache &&
		pops eval run --replay --junit r2.xml &&
		pops eval run --dry-run &&
		pops model ping judge &&
		pops promote dev echo &&
		pops release log &&
		pops export --env dev ../exported
	} >all.out 2>all.err &&
	# both keys were really sent: each server answered chats
	test "$(fakellm_stat chat)" -ge 2 &&
	test "$(curl -s -m 10 "$oai_url/__stats" | sed -n "s/.*\"chat\":\([0-9]*\).*/\1/p")" -ge 4 &&
	cd .. &&
	no_key_in . &&
	no_key_in "$HOME"

}

test_expect_success 'every command with keys set: the keys are sent but never written or printed' '
	start_fakellm --api-key "$OAI" &&
	oai_url=$FAKELLM_URL &&
	oai_pid=$(cat "$TRASH/case-$test_count.fakellm.pid") &&
	rm "$TRASH/case-$test_count.fakellm.pid" &&
	{ scenario; r=$?; kill $oai_pid; test $r = 0; }
'

# POPS_DEBUG=http: the provider traffic on stderr, curl -v style, with
# the keys redacted (the fake server echoes nothing secret; the keys could
# only come from pops's own request headers)
debug_project() {
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  openai: { type: openai, base_url: "$FAKELLM_URL/v1", api_key_env: OPENAI_API_KEY }
	  anthropic: { type: anthropic, base_url: "$FAKELLM_URL", api_key_env: ANTHROPIC_API_KEY }
	models:
	  fast: { provider: openai, id: gpt-4o-mini-2024-07-18 }
	  judge: { provider: anthropic, id: claude-sonnet-4-5-20250929 }
	EOT
	printf -- "---\nmodel: fast\n---\nEcho: {{word}}\n" >prompts/echo.prompt &&
	printf "prompt: echo\ntests:\n  - {vars: {word: alpha}}\nassert:\n  - { type: icontains, value: alpha }\n  - { type: judge, model: judge, rubric: \"Repeats the word.\" }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m echo
}

test_expect_success 'POPS_DEBUG=http shows headers, status and retries, never the keys' '
	start_fakellm --fault 429 --fail-times 1 --retry-after-ms 20 &&
	debug_project &&
	POPS_DEBUG=http pops eval run --no-cache >out 2>err &&
	grep -q "^http\[[0-9]*\] \* POST http://127.0.0.1:[0-9]*/v1/chat/completions (attempt 1)$" err &&
	grep -q "^http\[[0-9]*\] > Authorization: \[redacted\]$" err &&
	grep -q "^http\[[0-9]*\] > x-api-key: \[redacted\]$" err &&
	grep -q "^http\[[0-9]*\] > Content-Type: application/json$" err &&
	grep -q "^http\[[0-9]*\] < HTTP/1.1 429" err &&
	grep -qi "^http\[[0-9]*\] < retry-after-ms: 20" err &&
	grep -q "^http\[[0-9]*\] \* HTTP 429 after [0-9.]* ms, [0-9]* body bytes; retrying in 20 ms$" err &&
	grep -q "(attempt 2)$" err &&
	grep -q "^http\[[0-9]*\] \* HTTP 200 after .*; done after 2 attempts$" err &&
	grep -q "^http\[[0-9]*\] \* POST http://127.0.0.1:[0-9]*/v1/messages" err &&
	! grep -qE "POPSCANARY|7e3b9c1d5f2a|9f8e7d6c5b|Bearer" out err &&
	POPS_DEBUG=http pops model ping judge >out 2>err &&
	grep -q "^http\[[0-9]*\] > x-api-key: \[redacted\]$" err &&
	grep -q "^http\[[0-9]*\] < HTTP/1.1 200" err &&
	! grep -qE "POPSCANARY|7e3b9c1d5f2a|9f8e7d6c5b" out err &&
	POPS_DEBUG=http-body pops eval run --no-cache >out 2>err &&
	grep -q "^http\[[0-9]*\] > body [0-9]* bytes: {" err &&
	grep -q "^http\[[0-9]*\] < body [0-9]* bytes: {" err &&
	! grep -qE "POPSCANARY|7e3b9c1d5f2a|9f8e7d6c5b" out err &&
	pops eval run --no-cache >out 2>err &&
	! grep -q "^http" err &&
	POPS_DEBUG=http,nonsense pops model ping judge >out 2>err &&
	grep -q "^warning: POPS_DEBUG: unknown value .nonsense." err &&
	no_key_in .
'

test_expect_success 'a wrong key is refused by the provider and the error does not echo it' '
	start_fakellm --api-key some-other-key &&
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  openai: { type: openai, base_url: "$FAKELLM_URL/v1", api_key_env: OPENAI_API_KEY }
	models:
	  fast: { provider: openai, id: gpt-4o-mini-2024-07-18 }
	EOT
	printf -- "---\nmodel: fast\n---\nHi\n" >prompts/hi.prompt &&
	printf "prompt: hi\ntests:\n  - {vars: {}}\n" >evals/hi.yaml &&
	git add -A && git commit -q -m hi &&
	test_expect_code 4 pops eval run --junit r.xml --json r.json >out 2>err &&
	grep -q "401" r.xml out err &&
	no_key_in .
'

test_expect_success 'the scan itself finds a key hidden in a deleted file'"'"'s git object' '
	setup_project &&
	echo "$OAI" >leak.txt &&
	git add leak.txt && git commit -q -m leak &&
	git rm -q leak.txt && git commit -q -m unleak &&
	git gc -q --prune=now 2>/dev/null &&
	! no_key_in . 2>/dev/null
'

test_done
