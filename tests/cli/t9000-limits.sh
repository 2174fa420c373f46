#!/bin/sh
# Hostile and huge inputs are refused with a clear error, within bounded
# memory (peak RSS measured with /usr/bin/time), and a full disk is an
# error, never a silently truncated output.
. "$(dirname "$0")/lib.sh"

# Peak RSS is measured on the release binary when it exists (ASan's
# shadow memory and quarantine would measure ASan, not pops).
RSS_BIN=$ROOT/pops
[ -x "$RSS_BIN" ] || RSS_BIN=$POPS_BIN

# run_rss LIMIT_KB LABEL cmd...: run a command, keep its exit code in
# ./code, its stderr in ./err, and fail when its peak RSS exceeds LIMIT_KB
run_rss() {
	limit=$1 label=$2
	shift 2
	/usr/bin/time -o rss -f %M "$@" >out 2>err
	echo $? >code
	rss=$(tail -n 1 rss)
	echo "# peak RSS $label: $rss KB" >&2
	echo "$label $rss" >>"$TRASH/rss.txt"
	if [ "$rss" -gt "$limit" ]; then
		echo "peak RSS $rss KB > $limit KB" >&2
		return 1
	fi
}

expect_code() { # N: the code run_rss saw
	if [ "$(cat code)" != "$1" ]; then
		echo "exit $(cat code), expected $1" >&2
		cat err >&2
		return 1
	fi
}

test_expect_success 'a billion-laughs pops.yaml is refused in bounded memory' '
	setup_project &&
	{
		echo "version: 1" &&
		echo "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]" &&
		prev=a &&
		for l in b c d e f g h i j; do
			printf "%s: &%s [" $l $l &&
			for k in 1 2 3 4 5 6 7 8 9; do printf "*%s, " $prev; done &&
			printf "*%s]\n" $prev &&
			prev=$l || return 1
		done
	} >pops.yaml &&
	run_rss 65536 yaml-bomb "$RSS_BIN" config &&
	expect_code 2 &&
	grep -q "^error: .*pops.yaml:[0-9]*:[0-9]*: aliases expand to more than" err
'

test_expect_success 'one long anchored string aliased many times is refused (text limit)' '
	setup_project &&
	{
		echo "version: 1" &&
		printf "s: &s \"" && head -c 2000000 /dev/zero | tr "\\0" x && echo "\"" &&
		printf "l: [" &&
		i=0 && while [ $i -lt 200 ]; do printf "*s, "; i=$((i + 1)); done &&
		echo "*s]"
	} >pops.yaml &&
	run_rss 131072 alias-string-bomb "$RSS_BIN" config &&
	expect_code 2 &&
	grep -q "aliases expand to more than [0-9]* bytes" err
'

test_expect_success '100000 levels of flow nesting are refused in bounded memory' '
	setup_project &&
	{ printf "version: 1\nx: " && head -c 100000 /dev/zero | tr "\\0" "["; } >pops.yaml &&
	run_rss 65536 deep-flow "$RSS_BIN" config &&
	expect_code 2 &&
	grep -q "pops.yaml:2:[0-9]*: nesting deeper than 64 levels" err
'

test_expect_success '20000 levels of block nesting are refused in bounded memory' '
	setup_project &&
	echo "version: 1" >pops.yaml &&
	awk "BEGIN { s = \"\"; for (i = 0; i < 20000; i++) { print s \"- \"; s = s \"  \" } }" >>pops.yaml &&
	run_rss 65536 deep-block "$RSS_BIN" config &&
	expect_code 2 &&
	grep -q "error: .*pops.yaml" err
'

test_expect_success 'a 100 MB pops.yaml is refused without reading it' '
	setup_project &&
	truncate -s 100M pops.yaml &&
	run_rss 32768 huge-config "$RSS_BIN" config &&
	expect_code 2 &&
	grep -q "^error: .*pops.yaml.*too large" err
'

test_expect_success 'a pops.yaml with a NUL byte is refused' '
	setup_project &&
	printf "version: 1\nprompts: \"a\\\\0b\"\n" >pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "pops.yaml:2:[0-9]*: NUL byte" err
'

test_expect_success 'a 100 MB prompt and a 100 MB partial are refused without reading them' '
	setup_project &&
	truncate -s 100M prompts/huge.prompt &&
	run_rss 32768 huge-prompt "$RSS_BIN" render huge &&
	expect_code 2 &&
	grep -q "^error: .*huge.prompt.* is too large" err &&
	rm prompts/huge.prompt &&
	printf -- "---\nmodel: fast\n---\nHi {{> big}}\n" >prompts/p.prompt &&
	truncate -s 100M prompts/_big.prompt &&
	run_rss 32768 huge-partial "$RSS_BIN" render p &&
	expect_code 2 &&
	grep -q "^error: .*_big.prompt.* is too large" err &&
	run_rss 32768 huge-lint "$RSS_BIN" prompt lint &&
	expect_code 2
'

# Compiling was quadratic in the tags on one line (80,000 took 25 s, this
# would take many minutes under ASan); linear, it takes a fraction of a second.
test_expect_success '200,000 tags on one line render and lint (no quadratic compile)' '
	setup_project &&
	{
		printf -- "---\nmodel: fast\n---\n" &&
		awk "BEGIN { for (i = 0; i < 200000; i++) printf \"{{a}}{{! c }}\"; print \"\" }"
	} >prompts/wide.prompt &&
	pops render wide --var a=x >out &&
	test "$(tr -d "\n" <out | sed "s/^--- user//" | wc -c)" = 200000 &&
	pops prompt lint prompts/wide.prompt &&
	printf "{{#if}}\n" >>prompts/wide.prompt &&
	test_expect_code 2 pops prompt lint prompts/wide.prompt 2>err &&
	grep -q "wide.prompt:5:1: #if takes 1 argument" err
'

# A 1 GB dataset line in a sparse file, so nothing is written to disk
# (a FIFO would be simpler, but a dataset must be a regular file: the
# runner reads it twice): pops must refuse it at the 16 MB cap, in
# bounded memory, whatever hashes the file on the way.
test_expect_success 'a 1 GB dataset line is refused at the cap, in bounded memory' '
	setup_project &&
	printf -- "---\nmodel: fast\n---\nEcho: {{w}}\n" >prompts/e.prompt &&
	printf "prompt: e\ndataset: big.jsonl\nassert:\n  - {type: icontains, value: a}\n" >evals/big.yaml &&
	git add -A && git commit -q -m big &&
	printf "{\"ok\": 1}\n{\"w\": \"" >big.jsonl &&
	truncate -s 1G big.jsonl &&
	start=$(date +%s) &&
	{ run_rss 65536 dataset-1g-line "$RSS_BIN" eval run --no-store evals/big.yaml; rss_ok=$?; } &&
	test $rss_ok = 0 &&
	expect_code 2 &&
	test $(($(date +%s) - start)) -lt 20 &&
	grep -q "^error: big.jsonl:2: line longer than 16 MB; shorten the row" err
'

test_expect_success 'dataset lines of NUL bytes or bad UTF-8 are errors naming file:line' '
	setup_project &&
	printf -- "---\nmodel: fast\n---\nEcho: {{w}}\n" >prompts/e.prompt &&
	printf "prompt: e\ndataset: d.jsonl\nassert:\n  - {type: icontains, value: a}\n" >evals/d.yaml &&
	printf "prompt: e\ndataset: d.csv\nassert:\n  - {type: icontains, value: a}\n" >evals/c.yaml &&
	printf "{\"w\": \"a\"}\n\\0\\0\\0\\0\n" >d.jsonl &&
	test_expect_code 2 pops eval run --dry-run evals/d.yaml 2>err &&
	grep -q "^error: d.jsonl:2: contains a NUL byte; datasets are UTF-8 text" err &&
	printf "{\"w\": \"a\"}\n{\"w\": \"caf\\351\"}\n" >d.jsonl &&
	test_expect_code 2 pops eval run --dry-run evals/d.yaml 2>err &&
	grep -q "^error: d.jsonl:2: invalid UTF-8 in the line at byte 11" err &&
	printf "w\nok\n\"caf\\351\"\n" >d.csv &&
	test_expect_code 2 pops eval run --dry-run evals/c.yaml 2>err &&
	grep -q "^error: d.csv:3: invalid UTF-8 in a field" err
'

test_expect_success 'eval reports to a full disk: exit 3, a clear error, and the device survives' '
	start_fakellm &&
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	EOT
	printf -- "---\nmodel: fast\n---\nEcho: {{w}}\n" >prompts/e.prompt &&
	printf "prompt: e\ntests:\n  - {vars: {w: a}, expected: a}\nassert:\n  - {type: icontains, value: \"{{expected}}\"}\n" >evals/e.yaml &&
	git add -A && git commit -q -m e &&
	for opt in --junit --json --md; do
		test_expect_code 3 pops eval run --no-store $opt /dev/full >out 2>err &&
		grep -q "^error: .*/dev/full" err &&
		test -c /dev/full || return 1
	done
'

test_expect_success 'a full disk on stdout is an error, for every command that prints' '
	setup_project &&
	test_expect_code 3 pops config >/dev/full 2>err &&
	grep -q "^error: " err &&
	test_expect_code 3 pops config --json >/dev/full 2>err &&
	grep -q "^error: " err &&
	test_expect_code 3 pops -h >/dev/full 2>err &&
	grep -q "^error: " err &&
	test_expect_code 3 pops help config >/dev/full 2>err &&
	grep -q "^error: " err
'

# the figures, for the log and the report
[ -f "$TRASH/rss.txt" ] && sed "s/^/# peak RSS (KB): /" "$TRASH/rss.txt"
test_done
