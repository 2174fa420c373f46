#!/bin/sh
# Conventions that a compiler cannot check on its own (STYLE.md 9 and 13).
. "$(dirname "$0")/lib.sh"

test_expect_success 'no banned functions in lib/ or cmd/' '
	{ grep -nwE "(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|strtok|gets|atoi|atol|gmtime|localtime|ctime|asctime|mktemp|tmpnam|system|popen)[[:space:]]*\(" \
		"$ROOT"/lib/*.c "$ROOT"/lib/*.h "$ROOT"/lib/util/*.[ch] "$ROOT"/cmd/*.c "$ROOT"/cmd/*.h |
		grep -v "lib/util/banned.h" || :; } >hits &&
	test_must_be_empty hits
'

test_expect_success 'lib/ never prints to stdout/stderr or exits' '
	{ grep -nE "(^|[^_a-z])(printf|puts|putchar|perror|exit|_exit|abort)[[:space:]]*\(|f(printf|puts|write)[[:space:]]*\([^)]*std(out|err)" \
		"$ROOT"/lib/*.c "$ROOT"/lib/util/*.c || :; } >hits &&
	test_must_be_empty hits
'

test_expect_success 'every lib and cmd header compiles on its own' '
	cflags=$(pkg-config --cflags libgit2 libcurl libcjson yaml-0.1 libpcre2-8) &&
	for h in "$ROOT"/lib/*.h "$ROOT"/lib/util/*.h "$ROOT"/cmd/*.h; do
		printf "#include \"%s\"\n" "$h" >one.c
		cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror \
			-I"$ROOT/lib" -I"$ROOT/lib/util" -I"$ROOT/cmd" $cflags -fsyntax-only one.c ||
			{ echo "$h does not compile alone"; exit 1; }
	done
'

# A module is a header; its implementation may be split over several
# files (promptfile.h: promptfile.c, promptfile_render.c). Each module
# needs a test file named after it or one that includes its header.
test_expect_success 'every lib module has a unit test file' '
	missing=0 &&
	for c in "$ROOT"/lib/*.c "$ROOT"/lib/util/*.c; do
		d=$(dirname "$c")
		m=$(basename "$c" .c)
		while [ ! -f "$d/$m.h" ] && [ "${m%_*}" != "$m" ]; do
			m=${m%_*}
		done
		[ -f "$d/$m.h" ] || { echo "$c belongs to no header"; missing=1; continue; }
		ls "$ROOT"/tests/unit/test_"$m"*.c >/dev/null 2>&1 ||
		grep -lq "\"$m.h\"" "$ROOT"/tests/unit/*.c ||
			{ echo "no unit test covers lib/$m.h"; missing=1; }
	done &&
	test $missing = 0
'

# The base layer knows nothing of prompts, releases or evals (as libgit2
# keeps src/util apart from src/libgit2): a util file may include only
# system headers and other util headers (common.h, defaults.h and
# banned.h, the project-wide prelude, live here too).
test_expect_success 'nothing in lib/util/ includes a domain header' '
	{ for f in "$ROOT"/lib/util/*.[ch]; do
		sed -n "s/^#include \"\([^\"]*\)\".*/\1/p" "$f" | while read -r h; do
			[ -f "$ROOT/lib/util/$h" ] ||
				echo "$f includes $h"
		done
	done; } >hits &&
	test_must_be_empty hits
'

test_expect_success 'analyze suppressions name one statement, not a whole file' '
	mkdir -p an &&
	printf "int f(int *p)\n{\n\treturn *p;\n}\nint g(int *q)\n{\n\treturn *q;\n}\n" >an/x.c &&
	printf "an/x.c:3:9: warning: Dereference of null pointer [core.NullDereference]\nan/x.c:7:9: warning: Dereference of null pointer [core.NullDereference]\n" >an/log &&
	printf "# comment\nan/x.c [core.NullDereference] \`return *p\` p is never NULL here\n" >an/supp &&
	sh "$ROOT"/tests/analyze-filter.sh an/log an/supp >out &&
	echo "an/x.c:7:9: warning: Dereference of null pointer [core.NullDereference]" >expect &&
	test_cmp expect out &&
	sh "$ROOT"/tests/analyze-filter.sh an/log /nonexistent >out &&
	test $(wc -l <out) = 2 &&
	printf "an/x.c [core.DivideZero] \`return *p\` other checker\n" >an/supp &&
	sh "$ROOT"/tests/analyze-filter.sh an/log an/supp >out &&
	test $(wc -l <out) = 2
'

test_done
