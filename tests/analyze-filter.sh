#!/bin/sh
# Print the clang --analyze findings of LOG that SUPP does not accept.
# A SUPP line is 'FILE [checker] `code` reason': it accepts a finding of
# that checker in FILE whose source line contains `code`, so an entry
# names one statement (and survives edits that move it) without hiding
# new findings of the same kind elsewhere in the file.
log=$1 supp=$2
grep -E '^[^ ]+:[0-9]+:[0-9]+: warning: .*\[[a-zA-Z.]+\]$' "$log" |
while IFS= read -r w; do
	f=${w%%:*}
	rest=${w#*:}
	n=${rest%%:*}
	c="[${w##*[}"
	src=$(sed -n "${n}p" "$f")
	ok=0
	if [ -f "$supp" ]; then
		while IFS= read -r s; do
			case $s in "#"*|"") continue ;; esac
			case $s in "$f $c \`"*) ;; *) continue ;; esac
			code=${s#"$f $c \`"}
			code=${code%%\`*}
			case $src in *"$code"*) ok=1; break ;; esac
		done <"$supp"
	fi
	[ $ok = 1 ] || echo "$w"
done
