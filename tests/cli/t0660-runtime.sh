#!/bin/sh
# libpops (pops-runtime(3)): the shared library serves what pops export
# wrote exactly as `pops render --json` renders it, exports only its API,
# survives reloads under threads, and installs so that a program builds
# against it with pkg-config.
. "$(dirname "$0")/lib.sh"

LIB=$ROOT/build/lib
RT_RENDER=$ROOT/build/lib/rt-render

rt_render() {
	LD_LIBRARY_PATH=$LIB "$RT_RENDER" "$@"
}

# the example project, released to dev and exported as files and as json
setup_example() {
	cp -R "$ROOT/prompts-example/pops.yaml" "$ROOT/prompts-example/prompts" \
	      "$ROOT/prompts-example/evals" "$ROOT/prompts-example/datasets" \
	      "$ROOT/prompts-example/cassettes" . &&
	git init -q . &&
	git add -A &&
	git commit -q -m "example project" &&
	pops promote dev >/dev/null &&
	pops export --env dev bundle >/dev/null &&
	pops export --env dev --format json bundle-json >/dev/null
}

# vars NAME N: the Nth set of variables for prompt NAME, as JSON
vars() {
	case "$1:$2" in
	summarize:1) echo '{"text":"The API was down for 3 minutes on 2026-11-30."}' ;;
	summarize:2) echo '{"text":"Q3 revenue rose 4%.","audience":"the board"}' ;;
	summarize:3) echo '{"text":"Quotes \" and braces {{x}}, <b>tags</b> & accents: café, 日本"}' ;;
	support/triage:1) echo '{"subject":"Refund","body":"I was charged twice."}' ;;
	support/triage:2) echo '{"subject":"Site down","body":"Prod 500s","customer_tier":"enterprise"}' ;;
	support/triage:3) echo '{"subject":"","body":"line one\nline two\ttab"}' ;;
	extract_invoice:1) echo '{"document":"Invoice 42 from ACME, total 10 EUR"}' ;;
	extract_invoice:2) echo '{"document":"Rechnung Nr. 7\nSumme: 99,00 €\nFällig: 2026-12-31"}' ;;
	extract_invoice:3) echo '{"document":""}' ;;
	esac
}

test_expect_success 'libpops.so.0 has its soname and exports the runtime API alone' '
	test -f "$LIB/libpops.so.0.1.0" &&
	test "$(readlink "$LIB/libpops.so.0")" = libpops.so.0.1.0 &&
	test "$(readlink "$LIB/libpops.so")" = libpops.so.0.1.0 &&
	readelf -d "$LIB/libpops.so.0.1.0" >dyn &&
	grep -q "SONAME.*\[libpops.so.0\]" dyn &&
	nm -D --defined-only "$LIB/libpops.so.0.1.0" >syms &&
	sed -n "s/.* T \(pops_[a-z_]*\)@@POPS_0$/\1/p" syms | sort >funcs &&
	grep -o "pops_[a-z_]*(" "$ROOT/include/pops/runtime.h" | tr -d "(" | sort -u >declared &&
	test_cmp declared funcs &&
	{ grep -v " T pops_runtime_\| T pops_variant_\| A POPS_0$" syms || :; } >others &&
	test_must_be_empty others &&
	grep -q " T pops_variant_render@@POPS_0" syms &&
	nm -g --defined-only "$LIB/libpops.a" >asyms &&
	grep " [TDBR] " asyms >aglobal &&
	{ grep -v " pops_runtime_\| pops_variant_" aglobal || :; } >aothers &&
	test_must_be_empty aothers
'

test_expect_success 'every example prompt renders through libpops as pops render --json prints it' '
	setup_example &&
	for name in summarize support/triage extract_invoice; do
		for n in 1 2 3; do
			vars "$name" "$n" >vars.json &&
			pops render --json "bundle/$name.prompt" --vars vars.json >expect &&
			rt_render bundle "$name" --vars "$(cat vars.json)" >actual 2>fields &&
			test_cmp expect actual &&
			rt_render bundle-json "$name" --vars "$(cat vars.json)" >actual 2>/dev/null &&
			test_cmp expect actual || exit 1
		done
	done &&
	grep -q "^side=stable served=extract_invoice@1:dev model_id=fakellm-echo-2026-11-24 version=1$" fields &&
	grep -q "^model={\"alias\":\"fast\",\"provider\":\"recorded\",\"type\":\"replay\",\"id\":\"fakellm-echo-2026-11-24\",\"config\":{\"temperature\":0,\"max_tokens\":500}}$" fields
'

test_expect_success 'variables the input schema refuses fail in both, with the same message' '
	setup_example &&
	echo "{\"text\":5}" >vars.json &&
	test_expect_code 2 pops render --json bundle/summarize.prompt --vars vars.json >/dev/null 2>cli-err &&
	test_expect_code 1 rt_render bundle summarize --vars "{\"text\":5}" >/dev/null 2>rt-err &&
	sed -n "s/^error: //p" cli-err >cli-msg &&
	sed -n "s/^error (-6): //p" rt-err >rt-msg &&
	test -s rt-msg &&
	test_cmp cli-msg rt-msg
'

test_expect_success 'a prompt edited in the bundle, or a missing one, is refused by name' '
	setup_example &&
	test_expect_code 1 rt_render bundle nope 2>err &&
	grep -q "error (-2): no prompt .nope. in the dev bundle" err &&
	echo "edited {{text}}" >>bundle/summarize.prompt &&
	test_expect_code 1 rt_render bundle summarize 2>err &&
	grep -q "error (-6): bundle/summarize.prompt: changed since export" err &&
	test_expect_code 1 rt_render nothing-here summarize 2>err &&
	grep -q "error (-2): nothing-here: no manifest.json there" err
'

test_expect_success 'every corpus prompt renders through libpops as pops render --json does' '
	find "$SHARED/corpus" -name "*.prompt" ! -name "_*" | sort >files &&
	test $(wc -l <files) -ge 60 &&
	: >compared && : >differ &&
	i=0 &&
	while read -r f; do
		# a bundle of the file and the partials beside it, listed without blob ids
		i=$((i + 1)) &&
		b=b$i && mkdir $b &&
		base=$(basename "$f") &&
		cp "$f" "$b/$base" &&
		for p in "$(dirname "$f")"/_*.prompt; do
			test -f "$p" || continue
			cp "$p" "$b/" || exit 1
		done &&
		python3 -c "
import json, os, sys
b, base = sys.argv[1], sys.argv[2]
parts = sorted(x for x in os.listdir(b) if x.startswith(\"_\"))
json.dump({\"schema_version\": 2, \"generator\": \"pops\", \"env\": \"corpus\",
           \"format\": \"files\",
           \"prompts\": [{\"name\": base[:-7], \"file\": base}],
           \"partials\": [{\"name\": x[1:-7], \"file\": x} for x in parts]},
          open(os.path.join(b, \"manifest.json\"), \"w\"))
" "$b" "$base" &&
		if pops render --json "$b/$base" >expect 2>/dev/null; then
			if rt_render "$b" "${base%.prompt}" >actual 2>err && test_cmp expect actual >diff.out
			then echo "$f" >>compared
			else { echo "== $f"; cat err diff.out; } >>differ
			fi
		else
			# what pops cannot render, the library refuses too
			test_expect_code 1 rt_render "$b" "${base%.prompt}" >/dev/null 2>&1 ||
				echo "== $f: pops render fails, libpops renders" >>differ
		fi || exit 1
	done <files &&
	test_must_be_empty differ &&
	test $(wc -l <compared) -ge 50
'

test_expect_success 'readers never see a half-loaded bundle while it reloads (ThreadSanitizer)' '
	TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$ROOT/build/tsan/runtime-threads" 4 30 >out 2>err &&
	test_must_be_empty err &&
	grep -q "^ok: [1-9][0-9]* renders ([1-9][0-9]* canary), 60 reloads (30 refused)$" out
'

test_expect_success 'make install puts libpops in DESTDIR; a program builds with pkg-config and runs' '
	setup_example &&
	make -s -C "$ROOT" install DESTDIR="$PWD/dest" PREFIX=/usr/local >log 2>&1 &&
	d=$PWD/dest/usr/local &&
	test -f "$d/lib/libpops.so.0.1.0" &&
	test "$(readlink "$d/lib/libpops.so.0")" = libpops.so.0.1.0 &&
	test "$(readlink "$d/lib/libpops.so")" = libpops.so.0.1.0 &&
	test -f "$d/lib/libpops.a" &&
	cmp "$ROOT/include/pops/runtime.h" "$d/include/pops/runtime.h" &&
	test -f "$d/share/man/man3/pops-runtime.3" &&
	grep -q "^Requires.private: libcjson yaml-0.1 libpcre2-8$" "$d/lib/pkgconfig/pops.pc" &&
	cat >app.c <<-\EOF &&
	#include <stdio.h>
	#include <pops/runtime.h>

	int main(int argc, char **argv)
	{
		pops_runtime *rt;
		pops_variant *v;
		char *json;

		if (argc < 3 || pops_runtime_open(&rt, argv[1]) < 0 ||
		    pops_runtime_get(&v, rt, argv[2], "user-42") < 0 ||
		    pops_variant_render(&json, v, "{\"text\":\"hi\"}") < 0) {
			fprintf(stderr, "app: %s\n", pops_runtime_last_error());
			return 1;
		}
		printf("%s %s\n%s\n", pops_runtime_version(), pops_variant_served(v), json);
		pops_runtime_free(json);
		pops_variant_release(v);
		pops_runtime_close(rt);
		return 0;
	}
	EOF
	PKG_CONFIG_PATH=$d/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$PWD/dest \
		pkg-config --cflags --libs pops >flags &&
	grep -q -- "-I$d/include" flags &&
	cc -Wall -Werror -o app app.c $(cat flags) &&
	LD_LIBRARY_PATH=$d/lib ./app bundle summarize >out &&
	head -n 1 out >first &&
	echo "0.1.0 summarize@1:dev" >expect &&
	test_cmp expect first &&
	echo "{\"text\":\"hi\"}" >vars.json &&
	pops render --json bundle/summarize.prompt --vars vars.json >expect &&
	tail -n +2 out >rest &&
	test_cmp expect rest &&
	make -s -C "$ROOT" uninstall DESTDIR="$PWD/dest" PREFIX=/usr/local >log 2>&1 &&
	find dest -type f >left &&
	test_must_be_empty left
'

test_expect_success 'during a rollout each key gets the side pops render --key names, rendered alike' '
	setup_example &&
	sed -i "s/at most three sentences/at most two sentences/" prompts/summarize.prompt &&
	git commit -q -a -m "summarize v2" &&
	pops promote dev summarize --canary 50 >/dev/null &&
	pops export --env dev bundle3 >/dev/null &&
	echo "{\"text\":\"hello\"}" >vars.json &&
	: >sides &&
	for k in user-1 user-2 user-3 user-4 alice bob carol dave; do
		rt_render bundle3 summarize --key "$k" --vars "$(cat vars.json)" >actual 2>fields &&
		side=$(sed -n "s/^side=\([a-z]*\) .*/\1/p" fields) &&
		pops render summarize:dev --key "$k" --vars vars.json >/dev/null 2>cli &&
		grep -q "gets the $side" cli &&
		if test "$side" = canary
		then f=bundle3/@canary/summarize.prompt && grep -q "served=summarize@2:dev~canary " fields
		else f=bundle3/summarize.prompt && grep -q "served=summarize@1:dev~stable " fields
		fi &&
		pops render --json "$f" --vars vars.json >expect &&
		test_cmp expect actual &&
		echo "$side" >>sides || exit 1
	done &&
	grep -q canary sides &&
	grep -q stable sides
'

test_done
