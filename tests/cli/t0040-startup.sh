#!/bin/sh
# Start-up cost: libcurl is loaded only by commands that call a model,
# and libgit2's CA bundle is parsed only when a remote is contacted
# (lib/curlapi.h, lib/git.c). The glibc loader's LD_DEBUG output shows
# what a process loaded and how symbols were bound.
. "$(dirname "$0")/lib.sh"

one_prompt() {
	setup_project &&
	printf -- "---\nmodel: fast\n---\nHello {{name}}\n" >prompts/hello.prompt &&
	git add prompts/hello.prompt && git commit -q -m hello
}

test_expect_success 'prompt commands do not load libcurl' '
	one_prompt &&
	LD_DEBUG=libs pops prompt show hello@1 >out 2>libs &&
	grep -q "Hello" out &&
	grep -q "libgit2" libs &&
	! grep -q "libcurl" libs &&
	LD_DEBUG=libs pops prompt list >/dev/null 2>libs &&
	! grep -q "libcurl" libs &&
	LD_DEBUG=libs pops render hello --var name=x >/dev/null 2>libs &&
	! grep -q "libcurl" libs
'

test_expect_success 'a model call loads libcurl on demand and works' '
	one_prompt &&
	start_fakellm &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: fake-model-1 }
	EOT
	LD_DEBUG=libs pops model ping fast >out 2>libs &&
	grep -q "^fast	fake/fake-model-1	latency_ms=" out &&
	grep -q "libcurl.so.4" libs
'

test_expect_success 'libgit2 asks pops, not mbedTLS, for the CA bundle at start-up' '
	one_prompt &&
	LD_DEBUG=bindings pops prompt show hello >/dev/null 2>bind &&
	grep "libgit2.*normal symbol .mbedtls_x509_crt_parse_file" bind >b &&
	grep -q "to [^ ]*/pops \[0\]" b
'

test_done
