#!/bin/sh
# The manual and the option tables describe the same commands: every
# command (and group subcommand) has a page whose SYNOPSIS holds the exact
# synopsis that -h prints, and every --option of the command appears in
# the page; the other way, every option a page's OPTIONS defines is in the
# table (same short letter), and every --option any page names is one that
# some pops command takes, so a renamed or dropped option cannot linger
# in the manual. Pages build with scdoc and render with man without warnings.
. "$(dirname "$0")/lib.sh"

# page text with scdoc emphasis markers removed, so *--force* matches --force
page_text() {
	sed 's/\*//g; s/\\//g' "$1"
}

# check_cmd <page> <words...>: synopsis and options of `pops <words> -h`
check_cmd() {
	page=$1
	shift
	pops "$@" -h >usage || { echo "pops $* -h failed"; return 1; }
	syn=$(head -n 1 usage | sed 's/^usage: //')
	page_text "$page" >page.txt
	grep -qF -- "$syn" page.txt || { echo "$page lacks synopsis '$syn'"; return 1; }
	grep -oE -- "--[a-z][a-z0-9-]*" usage | sort -u >opts
	while read -r o; do
		[ "$o" = --help ] && continue
		grep -qF -- "$o" page.txt || { echo "$page lacks option $o (pops $*)"; return 1; }
	done <opts
}

test_expect_success 'every command has a page with its synopsis and options' '
	pops __complete "" >cmds &&
	test -s cmds &&
	while read -r c; do
		page="$ROOT/man/pops-$c.1.scd"
		test -f "$page" || { echo "missing man page man/pops-$c.1.scd"; exit 1; }
		if pops "$c" -h | grep -q "^usage: pops $c <command>"; then
			pops __complete "$c" "" >subs || exit 1
			while read -r s; do
				check_cmd "$page" "$c" "$s" || exit 1
			done <subs
		else
			check_cmd "$page" "$c" || exit 1
		fi
	done <cmds
'

# help_of <words...>: the -h text of a command, or of every subcommand of a group
help_of() {
	if pops "$@" -h | grep -q "^usage: pops $* <command>"; then
		pops __complete "$@" "" >subs.$$ || return 1
		while read -r s; do
			pops "$@" "$s" -h || return 1
		done <subs.$$
	else
		pops "$@" -h
	fi
}

test_expect_success 'pops(1) has the synopsis and every option of pops -h (the global table)' '
	check_cmd "$ROOT/man/pops.1.scd" &&
	pops -h | grep -qF -- "-C, --directory <dir>" &&
	page_text "$ROOT/man/pops.1.scd" | grep -qF -- "-C, --directory _dir_"
'

test_expect_success 'every option a page defines is in its table, with the same short letter' '
	pops __complete "" >cmds &&
	while read -r c; do
		page="$ROOT/man/pops-$c.1.scd"
		help_of "$c" >usage || { echo "pops $c -h failed"; exit 1; }
		page_text "$page" | sed -n "/^# OPTIONS/,/^# [A-Z]/p" | grep -E "^-" >defs
		while read -r line; do
			short=$(echo "$line" | sed -n "s/^\(-[a-zA-Z]\), .*/\1/p")
			for o in $(echo "$line" | grep -oE -- "--[a-z][a-z0-9-]*"); do
				grep -qE -- "(^|[ ,])$o( |\[=|\$)" usage ||
					{ echo "$page defines $o, which pops $c does not take"; exit 1; }
				test -z "$short" || grep -qF -- "$short, $o" usage ||
					{ echo "$page gives $o as $short, the table does not"; exit 1; }
			done
		done <defs
	done <cmds
'

test_expect_success 'every option any page names is one some pops command takes' '
	pops -h >all &&
	pops __complete "" >cmds &&
	while read -r c; do
		help_of "$c" >>all || exit 1
	done <cmds &&
	grep -oE -- "--[a-z][a-z0-9-]*" all | sort -u >known &&
	for p in "$ROOT"/man/*.scd; do
		# git'"'"'s own options (git log --follow) are not ours to check
		page_text "$p" | sed "s/git [a-z-]* --[a-z][a-z0-9-]*//g" |
			grep -oE -- "(^|[^a-z0-9-])--[a-z][a-z0-9-]*" | grep -oE -- "--[a-z][a-z0-9-]*" |
			sort -u >named &&
		comm -13 known named >unknown &&
		test_must_be_empty unknown || { echo "$p names options no command takes"; exit 1; }
	done
'

test_expect_success 'every page has the standard sections' '
	for p in "$ROOT"/man/*.1.scd; do
		for s in NAME SYNOPSIS DESCRIPTION "EXIT STATUS" "SEE ALSO"; do
			grep -q "^# $s\$" "$p" || { echo "$p: no $s section"; exit 1; }
		done
	done
'

test_expect_success 'pages build with scdoc and render with man without warnings' '
	command -v scdoc >/dev/null &&
	for p in "$ROOT"/man/*.scd; do
		n=$(basename "$p" .scd)
		scdoc <"$p" >"$n" || { echo "scdoc failed on $p"; exit 1; }
		MANWIDTH=80 man --warnings -l "$n" >/dev/null 2>err || { echo "man failed on $n"; exit 1; }
		test_must_be_empty err || { echo "man warned on $n"; exit 1; }
	done
'

test_expect_success 'pages render with groff -ww (all warnings) silently' '
	command -v groff >/dev/null &&
	for p in "$ROOT"/man/*.scd; do
		n=$(basename "$p" .scd)
		scdoc <"$p" >"$n" || exit 1
		groff -ww -man -Tutf8 -z "$n" 2>err || { echo "groff failed on $n"; exit 1; }
		test_must_be_empty err || { echo "groff warned on $n"; exit 1; }
	done
'

test_expect_success 'pops(1) lists every command and documents every exit code' '
	page_text "$ROOT/man/pops.1.scd" >page.txt &&
	pops __complete "" >cmds &&
	while read -r c; do
		grep -q "pops-$c(1)" page.txt || { echo "pops.1 does not list $c"; exit 1; }
	done <cmds &&
	for code in 0 1 2 3 4 130; do
		grep -qx "$code" page.txt || { echo "pops.1 lacks exit code $code"; exit 1; }
	done &&
	grep -q NO_COLOR page.txt &&
	grep -q api_key_env page.txt
'

test_expect_success 'pops.yaml(5) documents every key of the config tables' '
	sed -n "s/^[[:space:]]*{ \"\([a-z_]*\)\", POPS_SHAPE_.*/\1/p" "$ROOT/lib/config.c" | sort -u >keys &&
	test -s keys &&
	sed "s/\\\\//g" "$ROOT/man/pops.yaml.5.scd" >page.txt &&
	while read -r k; do
		grep -q "^[[:space:]]*\*$k\*:" page.txt || { echo "pops.yaml.5 lacks key $k"; exit 1; }
	done <keys
'

test_expect_success 'make install puts binary, pages and completions under DESTDIR; uninstall removes them' '
	make -s -C "$ROOT" install DESTDIR="$PWD/dest" PREFIX=/usr >log 2>&1 &&
	test -x dest/usr/bin/pops &&
	test -f dest/usr/share/man/man1/pops.1 &&
	test -f dest/usr/share/man/man5/pops.yaml.5 &&
	for p in "$ROOT"/man/*.scd; do
		n=$(basename "$p" .scd)
		test -f "dest/usr/share/man/man${n##*.}/$n" || { echo "not installed: $n"; exit 1; }
	done &&
	test -f dest/usr/share/bash-completion/completions/pops &&
	test -f dest/usr/share/zsh/site-functions/_pops &&
	test -f dest/usr/share/fish/vendor_completions.d/pops.fish &&
	dest/usr/bin/pops --version >out &&
	grep -q "^pops " out &&
	MANWIDTH=80 man -l dest/usr/share/man/man1/pops.1 >page 2>/dev/null &&
	grep -q "EXIT STATUS" page &&
	make -s -C "$ROOT" uninstall DESTDIR="$PWD/dest" PREFIX=/usr >log 2>&1 &&
	find dest -type f >left &&
	test_must_be_empty left
'

test_done
