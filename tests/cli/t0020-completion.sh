#!/bin/sh
# Shell completion: completions/pops.bash sourced into bash and asked for
# candidates the way bash asks (COMP_WORDS split at COMP_WORDBREAKS), the
# zsh and fish scripts checked where those shells exist, and the hidden
# `pops __complete` command itself.
. "$(dirname "$0")/lib.sh"

# `pops` on PATH is the binary under test, as the scripts call it by name
mkdir -p "$TRASH/bin"
ln -s "$POPS_BIN" "$TRASH/bin/pops"
PATH="$TRASH/bin:$PATH"
export PATH

# comp 'pops render sum': split the line as bash does with the default
# COMP_WORDBREAKS (runs of ':' and '=' are words of their own), call _pops
# and print COMPREPLY one per line. A trailing space starts an empty word.
cat >"$TRASH/comp.bash" <<'EOS'
. "$ROOT/completions/pops.bash"
comp() {
	local line=$1 w="" c i
	COMP_WORDS=()
	for ((i = 0; i < ${#line}; i++)); do
		c=${line:i:1}
		if [[ $c == " " ]]; then
			[[ -n $w ]] && COMP_WORDS+=("$w")
			w=""
		elif [[ $c == [:=] ]]; then
			if [[ -n $w && $w != *[:=] ]]; then COMP_WORDS+=("$w"); w=""; fi
			w+=$c
		else
			if [[ $w == *[:=] ]]; then COMP_WORDS+=("$w"); w=""; fi
			w+=$c
		fi
	done
	COMP_WORDS+=("$w")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_pops
	[[ ${#COMPREPLY[@]} -eq 0 ]] || printf '%s\n' "${COMPREPLY[@]}"
}
comp "$1"
EOS

comp() {
	bash "$TRASH/comp.bash" "$1"
}

# a project with two prompts (one in a subdirectory), a partial, a suite
# and two versions of summarize
setup_completion_project() {
	setup_project &&
	mkdir -p prompts/support &&
	printf -- "---\nmodel: fast\n---\nSummarize {{text}}\n" >prompts/summarize.prompt &&
	printf -- "---\nmodel: fast\n---\nTriage {{ticket}}\n" >prompts/support/triage.prompt &&
	printf "Be brief.\n" >prompts/_style.prompt &&
	printf "prompt: summarize\ndataset: d.jsonl\n" >evals/smoke.yaml &&
	git add -A && git commit -q -m "prompts" &&
	printf -- "---\nmodel: fast\n---\nSummarise {{text}}\n" >prompts/summarize.prompt &&
	git commit -q -a -m "summarize v2"
}

test_expect_success 'bash completes command names from the command table' '
	comp "pops " >actual &&
	pops __complete -- "" >expect &&
	test_cmp expect actual &&
	grep -qx init actual &&
	! grep -q __complete actual
'

test_expect_success 'bash completes a command prefix and options' '
	comp "pops in" >actual &&
	echo init >expect &&
	test_cmp expect actual &&
	comp "pops init --f" >actual &&
	echo --force >expect &&
	test_cmp expect actual
'

test_expect_success 'global options complete, and -C completes directories' '
	comp "pops --v" >actual &&
	echo --version >expect &&
	test_cmp expect actual &&
	mkdir somedir &&
	comp "pops -C som" >actual &&
	echo somedir >expect &&
	test_cmp expect actual
'

test_expect_success 'help completes commands and then a group'"'"'s subcommands' '
	comp "pops help in" >actual &&
	echo init >expect &&
	test_cmp expect actual
'

test_expect_success 'groups complete their subcommands, also after help' '
	comp "pops import " >actual &&
	printf "dotprompt\ngithub-models\nlangfuse\npromptfoo\n" >expect &&
	test_cmp expect actual &&
	comp "pops help import p" >actual &&
	echo promptfoo >expect &&
	test_cmp expect actual
'

test_expect_success 'a file argument completes paths (import promptfoo <config>)' '
	mkdir sub &&
	touch promptfooconfig.yaml sub/other.yaml &&
	comp "pops import promptfoo prom" >actual &&
	echo promptfooconfig.yaml >expect &&
	test_cmp expect actual &&
	comp "pops import promptfoo --force su" >actual &&
	echo sub >expect &&
	test_cmp expect actual
'

test_expect_success 'a directory argument completes paths (init <dir>)' '
	mkdir alpha beta &&
	comp "pops init al" >actual &&
	echo alpha >expect &&
	test_cmp expect actual
'

test_expect_success 'prompt names complete from the prompts directory, partials left out' '
	setup_completion_project &&
	comp "pops render " >actual &&
	printf "summarize\nsupport/triage\n" >expect &&
	sort actual >sorted &&
	test_cmp expect sorted &&
	comp "pops render sup" >actual &&
	echo support/triage >expect &&
	test_cmp expect actual
'

test_expect_success 'name:env completes environments although bash splits at the colon' '
	setup_completion_project &&
	comp "pops render summarize:" >actual &&
	printf "dev\nstaging\nprod\n" >expect &&
	test_cmp expect actual &&
	comp "pops render support/triage:st" >actual &&
	echo staging >expect &&
	test_cmp expect actual
'

test_expect_success 'after name:env~ the two sides of a rollout complete' '
	setup_completion_project &&
	comp "pops render summarize:prod~" >actual &&
	printf "prod~stable\nprod~canary\n" >expect &&
	test_cmp expect actual &&
	comp "pops prompt show summarize:staging~c" >actual &&
	echo staging~canary >expect &&
	test_cmp expect actual
'

test_expect_success 'with : not in COMP_WORDBREAKS the whole name:env is offered' '
	setup_completion_project &&
	cat >nocolon.bash <<-\EOS &&
	COMP_WORDBREAKS=" ="
	. "$ROOT/completions/pops.bash"
	COMP_WORDS=(pops render summarize:pr)
	COMP_CWORD=2
	COMP_LINE="pops render summarize:pr"
	COMP_POINT=${#COMP_LINE}
	_pops
	printf "%s\n" "${COMPREPLY[@]}"
	EOS
	bash nocolon.bash >actual &&
	echo summarize:prod >expect &&
	test_cmp expect actual
'

test_expect_success 'name@ completes @latest, @-1 and each version number' '
	setup_completion_project &&
	comp "pops render summarize@" >actual &&
	printf "summarize@latest\nsummarize@-1\nsummarize@1\nsummarize@2\n" >expect &&
	test_cmp expect actual &&
	comp "pops render support/triage@" >actual &&
	printf "support/triage@latest\nsupport/triage@1\n" >expect &&
	test_cmp expect actual
'

test_expect_success 'completion works from a subdirectory and with -C' '
	setup_completion_project &&
	(cd prompts/support && bash "$TRASH/comp.bash" "pops render summarize@l") >actual &&
	echo summarize@latest >expect &&
	test_cmp expect actual &&
	cd .. &&
	comp "pops -C case-$test_count render sum" >actual &&
	echo summarize >expect &&
	test_cmp expect actual
'

test_expect_success 'an option value completes, also as --opt=value' '
	setup_completion_project &&
	comp "pops render --vars pr" >actual &&
	echo prompts >expect &&
	test_cmp expect actual &&
	comp "pops render --vars=pr" >actual &&
	test_cmp expect actual &&
	pops __complete -- render --vars=x >actual &&
	echo :file >expect &&
	test_cmp expect actual
'

test_expect_success 'model aliases complete after --model and in --model=<alias>' '
	setup_completion_project &&
	comp "pops eval run --model " >actual &&
	printf "fast\njudge\n" >expect &&
	test_cmp expect actual &&
	comp "pops eval run --model=f" >actual &&
	echo fast >expect &&
	test_cmp expect actual &&
	pops __complete -- eval run --model=j >actual &&
	echo --model=judge >expect &&
	test_cmp expect actual &&
	comp "pops eval run --model fast," >actual &&
	echo fast,judge >expect &&
	test_cmp expect actual &&
	pops __complete -- eval run --model=judge,f >actual &&
	echo --model=judge,fast >expect &&
	test_cmp expect actual
'

test_expect_success 'suite files complete from the evals directory' '
	setup_completion_project &&
	comp "pops eval run ev" >actual &&
	echo evals/smoke.yaml >expect &&
	test_cmp expect actual
'

test_expect_success '__complete prints nothing for an unknown command and exits 0' '
	pops __complete -- nosuch "" >out &&
	test_must_be_empty out
'

test_expect_success '__complete answers outside a project without errors' '
	pops __complete -- "" >out 2>err &&
	test_must_be_empty err &&
	test -s out
'

# zsh: compadd, compset and _files only exist inside a completion widget,
# so the test stands in for them and prints what _pops offers
cat >"$TRASH/comp.zsh" <<'EOS'
compadd() {
	while [[ $1 == -* ]]; do
		[[ $1 == -- ]] && { shift; break; }
		[[ $1 == -S ]] && shift
		shift
	done
	print -l -- "$@"
}
compset() { return 0; }
_files() { print -- ":files $*"; }
source "$ROOT/completions/_pops"
words=("${(@z)1}")
[[ $1 == *" " ]] && words+=("")
CURRENT=${#words}
_pops
EOS

test_expect_success 'zsh completes commands, options, subcommands and files (when zsh is installed)' '
	if command -v zsh >/dev/null 2>&1; then
		zsh -n "$ROOT/completions/_pops" &&
		zsh -f "$TRASH/comp.zsh" "pops init --f" >actual &&
		echo --force >expect &&
		test_cmp expect actual &&
		zsh -f "$TRASH/comp.zsh" "pops help import " >actual &&
		printf "dotprompt\ngithub-models\nlangfuse\npromptfoo\n" >expect &&
		test_cmp expect actual &&
		zsh -f "$TRASH/comp.zsh" "pops import promptfoo x" >actual &&
		echo ":files " >expect &&
		test_cmp expect actual
	fi
'

test_expect_success 'fish completes commands and options (when fish is installed)' '
	if command -v fish >/dev/null 2>&1; then
		fish -c "source $ROOT/completions/pops.fish; complete -C \"pops in\"" >actual &&
		echo init >expect &&
		test_cmp expect actual &&
		fish -c "source $ROOT/completions/pops.fish; complete -C \"pops init --fo\"" >actual &&
		echo --force >expect &&
		test_cmp expect actual
	fi
'

test_done
