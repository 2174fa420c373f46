#!/bin/sh
# Conventions that a compiler cannot check on its own (STYLE.md 9 and 13).
. "$(dirname "$0")/lib.sh"

test_expect_success 'no banned functions in lib/ or cmd/' '
	{ grep -nwE "(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|strtok|gets|atoi|atol|gmtime|localtime|ctime|asctime|mktemp|tmpnam|system|popen)[[:space:]]*\(" \
		"$ROOT"/lib/*.c "$ROOT"/lib/*.h "$ROOT"/cmd/*.c "$ROOT"/cmd/*.h |
		grep -v "lib/banned.h" || :; } >hits &&
	test_must_be_empty hits
'

test_expect_success 'lib/ never prints to stdout/stderr or exits' '
	{ grep -nE "(^|[^_a-z])(printf|puts|putchar|perror|exit|_exit|abort)[[:space:]]*\(|f(printf|puts|write)[[:space:]]*\([^)]*std(out|err)" \
		"$ROOT"/lib/*.c || :; } >hits &&
	test_must_be_empty hits
'

test_expect_success 'every lib and cmd header compiles on its own' '
	cflags=$(pkg-config --cflags libgit2 libcurl libcjson yaml-0.1 libpcre2-8) &&
	for h in "$ROOT"/lib/*.h "$ROOT"/cmd/*.h; do
		printf "#include \"%s\"\n" "$h" >one.c
		cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
			-I"$ROOT/lib" -I"$ROOT/cmd" $cflags -fsyntax-only one.c ||
			{ echo "$h does not compile alone"; exit 1; }
	done
'

# A module is a header; its implementation may be split over several
# files (promptfile.h: promptfile.c, promptfile_render.c). Each module
# needs a test file named after it or one that includes its header.
test_expect_success 'every lib module has a unit test file' '
	missing=0 &&
	for c in "$ROOT"/lib/*.c; do
		m=$(basename "$c" .c)
		while [ ! -f "$ROOT/lib/$m.h" ] && [ "${m%_*}" != "$m" ]; do
			m=${m%_*}
		done
		[ -f "$ROOT/lib/$m.h" ] || { echo "lib/$(basename "$c") belongs to no header"; missing=1; continue; }
		ls "$ROOT"/tests/unit/test_"$m"*.c >/dev/null 2>&1 ||
		grep -lq "\"$m.h\"" "$ROOT"/tests/unit/*.c ||
			{ echo "no unit test covers lib/$m.h"; missing=1; }
	done &&
	test $missing = 0
'

test_done
