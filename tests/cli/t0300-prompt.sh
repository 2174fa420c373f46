#!/bin/sh
# pops prompt add/list/show/log/diff on real repositories.
. "$(dirname "$0")/lib.sh"

# test_line_count = N file
test_line_count() {
	n=$(wc -l <"$3")
	[ "$n" "$1" "$2" ] || { echo "$3 has $n lines, expected $1 $2" >&2; return 1; }
}

# write_prompt <name> <model> <body>
write_prompt() {
	mkdir -p "prompts/$(dirname "$1")" &&
	printf -- "---\ndescription: the %s prompt\nmodel: %s\n---\n%s\n" "$1" "$2" "$3" \
		>"prompts/$1.prompt"
}

test_expect_success 'add commits only the named prompt and prints its version' '
	setup_project &&
	write_prompt summarize fast "Summarize {{text}}" &&
	write_prompt other fast "Other" &&
	echo staged >staged.txt && git add staged.txt &&
	pops prompt add prompts/summarize.prompt >out &&
	grep -q "^summarize@1 [0-9a-f]\{7\}$" out &&
	git show --name-only --format=%s HEAD >files &&
	printf "prompt: add summarize\n\nprompts/summarize.prompt\n" >expect &&
	test_cmp expect files &&
	git status --porcelain >st &&
	grep -q "^A  staged.txt" st &&
	grep -q "^?? prompts/other.prompt" st &&
	! grep -q summarize st &&
	git fsck --strict 2>&1 >fsck.out &&
	test_must_be_empty fsck.out
'

test_expect_success 'add by name, second version, -m, and GIT_AUTHOR_* respected' '
	setup_project &&
	write_prompt summarize fast "v1" &&
	pops prompt add summarize >/dev/null &&
	write_prompt summarize fast "v2" &&
	GIT_AUTHOR_NAME="Ada Lovelace" GIT_AUTHOR_EMAIL=ada@example.com \
	GIT_AUTHOR_DATE="@1700000000 +0100" pops prompt add -m "shorter" summarize >out &&
	grep -q "^summarize@2 " out &&
	git log -1 --format="%an <%ae> %ad %s" --date=raw >log &&
	echo "Ada Lovelace <ada@example.com> 1700000000 +0100 shorter" >expect &&
	test_cmp expect log &&
	git log -1 --format="%cn" >committer &&
	echo "Pops Tester" >expect &&
	test_cmp expect committer
'

test_expect_success 'add refuses when nothing changed (exit 1) and commits nothing' '
	setup_project &&
	write_prompt summarize fast "v1" &&
	pops prompt add summarize >/dev/null &&
	git rev-parse HEAD >before &&
	test_expect_code 1 pops prompt add summarize 2>err &&
	grep -q "^error: nothing to commit" err &&
	git rev-parse HEAD >after &&
	test_cmp before after
'

test_expect_success 'add refuses a prompt whose frontmatter does not parse and writes nothing' '
	setup_project &&
	printf -- "---\nmodel: [unclosed\n---\nbody\n" >prompts/bad.prompt &&
	write_prompt good fast "ok" &&
	git rev-parse HEAD >before &&
	test_expect_code 2 pops prompt add good bad 2>err &&
	grep -q "^error: prompts/bad.prompt:[0-9]" err &&
	git rev-parse HEAD >after &&
	test_cmp before after &&
	git status --porcelain >st &&
	grep -q "^?? prompts/" st
'

test_expect_success 'add runs the full lint: template syntax and missing partials' '
	setup_project &&
	printf -- "---\nmodel: fast\n---\n{{#if x}}never closed\n" >prompts/t.prompt &&
	printf -- "---\nmodel: fast\n---\n{{> nosuch}}\n" >prompts/p.prompt &&
	git rev-parse HEAD >before &&
	test_expect_code 2 pops prompt add t 2>err &&
	grep -q "^error: prompts/t.prompt:[0-9]*:[0-9]*: " err &&
	test_expect_code 2 pops prompt add p 2>err &&
	grep -q "nosuch" err &&
	printf "partial text" >prompts/_nosuch.prompt &&
	pops prompt add p >out &&
	grep -q "^p@1 " out
'

test_expect_success 'show prints each address byte for byte, like git show' '
	setup_project &&
	printf "one\r\nno newline" >prompts/s.prompt &&
	git add prompts/s.prompt && git commit -q -m one &&
	printf "two\n" >prompts/s.prompt &&
	git commit -q -am two &&
	printf "three\n" >prompts/s.prompt &&
	git commit -q -am three &&
	printf "work\n" >prompts/s.prompt &&
	pops prompt show s@1 >actual && git show HEAD~2:prompts/s.prompt >expect &&
	cmp expect actual &&
	pops prompt show s@latest >actual && printf "three\n" >expect && cmp expect actual &&
	pops prompt show s@-1 >actual && printf "two\n" >expect && cmp expect actual &&
	pops prompt show s@-2 >actual && git show HEAD~2:prompts/s.prompt >expect && cmp expect actual &&
	pops prompt show s >actual && printf "work\n" >expect && cmp expect actual &&
	id=$(git rev-parse --short=9 HEAD~1) &&
	pops prompt show "s#$id" >actual && printf "two\n" >expect && cmp expect actual &&
	pops prompt show "s#HEAD~2" >actual && git show HEAD~2:prompts/s.prompt >expect && cmp expect actual
'

test_expect_success 'subdirectories give nested names' '
	setup_project &&
	write_prompt support/triage fast "Triage {{ticket}}" &&
	pops prompt add support/triage >out &&
	grep -q "^support/triage@1 " out &&
	pops prompt show support/triage@1 >actual &&
	test_cmp prompts/support/triage.prompt actual
'

test_expect_success 'log lists versions newest first and agrees with git log' '
	setup_project &&
	write_prompt s fast v1 && git add prompts && git commit -q -m "first" &&
	echo readme >README && git add README && git commit -q -m "unrelated" &&
	write_prompt s fast v2 && git commit -q -am "second" &&
	write_prompt s smart v3 && pops prompt add s -m "third" >/dev/null &&
	pops prompt log s >log &&
	test_line_count = 3 log &&
	git log --first-parent --format=%h -- prompts/s.prompt >ids &&
	awk "{print \$2}" log >pids &&
	git log --first-parent --format=%h --abbrev=7 -- prompts/s.prompt >ids &&
	test_cmp ids pids &&
	head -n 1 log >first &&
	grep -q "^@3 .* Pops Tester  third$" first &&
	git log -1 --format=%aI >date &&
	grep -qF "$(cat date)" first &&
	pops prompt log -n 1 s >one &&
	test_line_count = 1 one &&
	grep -q "^@3 " one
'

test_expect_success 'log --json has version, commit, date, author, message' '
	setup_project &&
	write_prompt s fast v1 && pops prompt add s >/dev/null &&
	write_prompt s fast v2 && pops prompt add s -m "two" >/dev/null &&
	pops prompt log --json s >out.json &&
	python3 -c "
import json,subprocess
v=json.load(open(\"out.json\"))
assert [x[\"version\"] for x in v]==[2,1], v
head=subprocess.check_output([\"git\",\"rev-parse\",\"HEAD\"]).decode().strip()
assert v[0][\"commit\"]==head
assert v[0][\"message\"]==\"two\n\"
assert v[0][\"author\"]==\"Pops Tester\"
assert v[0][\"date\"]==subprocess.check_output([\"git\",\"log\",\"-1\",\"--format=%aI\"]).decode().strip()
assert v[0][\"evals\"]==[]
"
'

test_expect_success 'list shows versions, descriptions, and marks uncommitted changes' '
	setup_project &&
	write_prompt a fast "A" && write_prompt b/c fast "C" &&
	pops prompt add a b/c >/dev/null &&
	write_prompt a fast "A2" && pops prompt add a >/dev/null &&
	write_prompt a fast "A3 wip" &&
	write_prompt new fast "N" &&
	printf "partial" >prompts/_style.prompt &&
	pops prompt list >out &&
	grep -q "^a  *2\* .*the a prompt$" out &&
	grep -q "^b/c  *1 .*the b/c prompt$" out &&
	grep -q "^new  *new " out &&
	! grep -q style out &&
	grep -q "uncommitted" out &&
	pops prompt list --json >out.json &&
	python3 -c "
import json
d=json.load(open(\"out.json\"))
assert d[\"schema_version\"]==1
p={x[\"name\"]:x for x in d[\"prompts\"]}
assert sorted(p)==[\"a\",\"b/c\",\"new\"], p
assert p[\"a\"][\"version\"]==2 and p[\"a\"][\"modified\"] is True
assert p[\"b/c\"][\"version\"]==1 and p[\"b/c\"][\"modified\"] is False
assert p[\"new\"][\"version\"] is None and p[\"new\"][\"committed\"] is False
assert p[\"a\"][\"description\"]==\"the a prompt\"
"
'

test_expect_success 'list and show read releases from the ledger layout' '
	setup_project &&
	write_prompt s fast "released text" && pops prompt add s >/dev/null &&
	src=$(git rev-parse HEAD) &&
	blob=$(git rev-parse HEAD:prompts/s.prompt) &&
	write_prompt s fast "newer text" && pops prompt add s >/dev/null &&
	json="{\"schema_version\":1,\"prompt\":\"s\",\"version\":1,\"blob\":\"$blob\",\"source_commit\":\"$src\"}" &&
	jblob=$(printf "%s" "$json" | git hash-object -w --stdin) &&
	envtree=$(printf "100644 blob %s\ts.prompt\n100644 blob %s\ts.json\n" "$blob" "$jblob" | git mktree) &&
	root=$(printf "040000 tree %s\tprod\n" "$envtree" | git mktree) &&
	c=$(echo "promote s@1 to prod" | git commit-tree "$root") &&
	git update-ref refs/pops/releases "$c" &&
	pops prompt show s:prod >actual &&
	git show "$blob" >expect &&
	test_cmp expect actual &&
	pops prompt list >out &&
	grep -q "^s  *2 .* prod=1 " out &&
	test_expect_code 2 pops prompt show s:staging 2>err &&
	grep -q "^error: no release of .s. in env .staging.$" err
'

test_expect_success 'diff summarises frontmatter by key above the unified diff' '
	setup_project &&
	write_prompt s fast "Summarize {{text}}" && pops prompt add s >/dev/null &&
	printf -- "---\ndescription: the s prompt\nmodel: smart\nconfig:\n  temperature: 0.7\n---\nSummarize {{text}} briefly\n" >prompts/s.prompt &&
	pops prompt diff s >out &&
	cat >expect <<-\EOF &&
	diff --pops s@latest s
	frontmatter:
	  model: fast → smart
	  config: added {"temperature":0.7}
	--- s@latest
	+++ s
	@@ -1,5 +1,7 @@
	 ---
	 description: the s prompt
	-model: fast
	+model: smart
	+config:
	+  temperature: 0.7
	 ---
	-Summarize {{text}}
	+Summarize {{text}} briefly
	EOF
	test_cmp expect out &&
	pops prompt diff >all &&
	test_cmp expect all
'

test_expect_success 'diff between versions: nested keys, --stat, --word, --json' '
	setup_project &&
	printf -- "---\nmodel: fast\nconfig:\n  temperature: 0.2\n---\nSay hello to the world\n" >prompts/s.prompt &&
	pops prompt add s >/dev/null &&
	printf -- "---\nmodel: fast\nconfig:\n  temperature: 0.7\n---\nSay goodbye to the world\n" >prompts/s.prompt &&
	pops prompt add s >/dev/null &&
	pops prompt diff s@1 s@2 >out &&
	grep -q "^  config.temperature: 0.2 → 0.7$" out &&
	pops prompt diff --stat s@1 s@2 >stat &&
	grep -q "^ s@2 | 4 ++--$" stat &&
	grep -q "2 insertions(+), 2 deletions(-), 1 frontmatter key changed" stat &&
	pops prompt diff --word s@1 s@2 >word &&
	grep -qF "Say [-hello-]{+goodbye+} to the world" word &&
	grep -qF "temperature: [-0.2-]{+0.7+}" word &&
	pops prompt diff --json s@1 s@2 >out.json &&
	python3 -c "
import json
d=json.load(open(\"out.json\"))
assert d[\"a\"][\"version\"]==1 and d[\"b\"][\"version\"]==2
assert d[\"frontmatter\"]==[{\"key\":\"config.temperature\",\"change\":\"changed\",\"from\":0.2,\"to\":0.7}], d
assert d[\"stat\"]=={\"insertions\":2,\"deletions\":2}
assert \"+Say goodbye to the world\" in d[\"patch\"]
assert d[\"identical\"] is False
"
'

test_expect_success 'diff has no colour when piped and colour on a terminal unless NO_COLOR' '
	setup_project &&
	write_prompt s fast "a" && pops prompt add s >/dev/null &&
	write_prompt s fast "b" &&
	pops prompt diff s >out &&
	! grep -q "$(printf "\033")" out &&
	if command -v script >/dev/null; then
		script -qec "$POPS_BIN prompt diff s" /dev/null >tty.out &&
		grep -q "$(printf "\033\\[32m")+b" tty.out &&
		NO_COLOR=1 script -qec "$POPS_BIN prompt diff s" /dev/null >nc.out &&
		! grep -q "$(printf "\033")" nc.out
	fi
'

test_expect_success 'diff works as git external diff driver via .gitattributes' '
	setup_project &&
	write_prompt s fast "a" && pops prompt add s >/dev/null &&
	write_prompt s smart "b" &&
	git config diff.pops.command "$POPS_BIN prompt diff --git-external" &&
	echo "*.prompt diff=pops" >.gitattributes &&
	git diff prompts/s.prompt >out &&
	grep -q "^diff --pops a/prompts/s.prompt b/prompts/s.prompt$" out &&
	grep -q "^  model: fast → smart$" out &&
	grep -q "^+b$" out &&
	test_expect_code 2 pops prompt diff --git-external a b 2>err &&
	grep -q "takes the 7 arguments" err
'

test_expect_success 'diff --evals and log show stored eval results by prompt blob' '
	setup_project &&
	write_prompt s fast "v1" && pops prompt add s >/dev/null &&
	b1=$(git rev-parse HEAD:prompts/s.prompt) &&
	write_prompt s fast "v2" && pops prompt add s >/dev/null &&
	b2=$(git rev-parse HEAD:prompts/s.prompt) &&
	r1="{\"suite\":\"evals/smoke.yaml\",\"prompt\":\"s\",\"prompt_blob\":\"$b1\",\"model\":\"m1\",\"fingerprint\":\"f1\",\"pass_rate\":1,\"passed\":2,\"cases\":2,\"verdict\":\"pass\",\"date\":\"2026-11-24T10:00:00Z\",\"case_results\":{\"c1#0\":true,\"c2#0\":true}}" &&
	r2="{\"suite\":\"evals/smoke.yaml\",\"prompt\":\"s\",\"prompt_blob\":\"$b2\",\"model\":\"m1\",\"fingerprint\":\"f2\",\"pass_rate\":0.5,\"passed\":1,\"cases\":2,\"verdict\":\"fail\",\"date\":\"2026-11-24T11:00:00Z\",\"case_results\":{\"c1#0\":true,\"c2#0\":false}}" &&
	git notes --ref=pops add -m "{\"schema_version\":1,\"results\":[$r1]}" HEAD~1 &&
	git notes --ref=pops add -m "{\"schema_version\":1,\"results\":[$r2]}" HEAD &&
	pops prompt diff --evals s@1 s@2 >out &&
	grep -q "^  evals/smoke.yaml (m1): pass rate 100.0% → 50.0%$" out &&
	grep -q "^    pass → fail (1): c2#0$" out &&
	pops prompt log s >log &&
	grep -q "^@2 .*\[evals/smoke.yaml 50% fail\]$" log &&
	grep -q "^@1 .*\[evals/smoke.yaml 100% pass\]$" log
'

test_expect_success 'the partial loader reads from the same revision (unit-tested); show of a partial name works' '
	setup_project &&
	printf "style v1" >prompts/_style.prompt && git add prompts && git commit -q -m p1 &&
	pops prompt show _style@1 >out &&
	printf "style v1" >expect && cmp expect out
'

test_done
