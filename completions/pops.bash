# bash completion for pops(1)
#
# Install as /usr/share/bash-completion/completions/pops (make install
# does), or source it from ~/.bashrc. Every candidate comes from the
# binary itself (`pops __complete -- <words>`), so commands, options, enum
# values, environments, model aliases, prompt names, name@N versions and
# name:env releases are always those of the pops you run.
#
# bash splits the line at the characters in COMP_WORDBREAKS, which
# usually include ':' and '=', so `summarize:pr` arrives as three words
# and `--model=fa` as three. _pops glues them back before asking pops,
# then strips from each candidate the part bash keeps as earlier words.

_pops_wordbreaks() {
	# the ':' and '=' that this bash splits on
	local c out=""
	for c in : =; do
		[[ $COMP_WORDBREAKS == *"$c"* ]] && out+=$c
	done
	printf '%s' "$out"
}

_pops() {
	local breaks words=() cur i w joined
	breaks=$(_pops_wordbreaks)

	# Rebuild the words up to the cursor: a word that is (or follows) a
	# bare ':' or '=' with no blank in between belongs to the previous one.
	local line=${COMP_LINE:0:$COMP_POINT} pos=0 prev_end=-1
	for ((i = 0; i <= COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if ((i == COMP_CWORD)); then
			# only the part of the current word before the cursor
			local rest=${line:$pos}
			rest=${rest#"${rest%%[![:space:]]*}"}
			w=${w:0:${#rest}}
		fi
		# where this word starts in the line
		local tail=${line:$pos} start
		tail=${tail#"${tail%%[![:space:]]*}"}
		start=$((${#line} - ${#tail}))
		joined=0
		if ((i > 1 && start == prev_end)) && [[ -n $breaks ]]; then
			local last=${words[${#words[@]} - 1]}
			if [[ $w == ["$breaks"]* || $last == *["$breaks"] ]]; then
				words[${#words[@]} - 1]+=$w
				joined=1
			fi
		fi
		((joined)) || words+=("$w")
		pos=$((start + ${#w}))
		prev_end=$pos
	done
	cur=${words[${#words[@]} - 1]}

	local IFS=$'\n' cands
	cands=($(command "${COMP_WORDS[0]}" __complete -- "${words[@]:1}" 2>/dev/null))
	unset IFS

	# the part bash already treats as finished words: up to the last break
	local keep=""
	if [[ -n $breaks && $cur == *["$breaks"]* ]]; then
		keep=${cur%"${cur##*["$breaks"]}"}
	fi

	case ${cands[0]-} in
	:file | :dir)
		local val=${cur#"$keep"} opt=-f
		[[ ${cands[0]} == :dir ]] && opt=-d
		# an inline --opt=path whose '=' bash does not split on
		if [[ $val == --*=* ]]; then
			local p=${val%%=*}=
			val=${val#*=}
			local IFS=$'\n'
			COMPREPLY=($(compgen $opt -- "$val"))
			unset IFS
			COMPREPLY=("${COMPREPLY[@]/#/$p}")
		else
			local IFS=$'\n'
			COMPREPLY=($(compgen $opt -- "$val"))
			unset IFS
		fi
		# directories get a '/' and no space, like plain filename completion
		compopt -o filenames 2>/dev/null
		return 0
		;;
	esac

	COMPREPLY=()
	for w in "${cands[@]}"; do
		COMPREPLY+=("${w#"$keep"}")
	done
	# `--model=` and `name:` / `name@` are unfinished: no space after them
	if ((${#COMPREPLY[@]} == 1)) && [[ ${COMPREPLY[0]} == *[=:@] ]]; then
		compopt -o nospace 2>/dev/null
	fi
	return 0
}

complete -F _pops pops
