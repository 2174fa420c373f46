#!/bin/sh
# Path safety: names and paths that try to leave the repository (.., an
# absolute path, a symlink) are refused, and nothing outside is read or
# printed. A symlinked prompt pointing at /proc/self/environ would hand
# the API keys to the model and the reports.
. "$(dirname "$0")/lib.sh"

CANARY=sk-proj-POPSPATHCANARY5b1e

# a project beside a directory "outside" holding a secret
setup_outside() {
	mkdir outside repo &&
	echo "TOPSECRET-outside" >outside/secret.prompt &&
	cd repo &&
	setup_project &&
	printf -- "---\nmodel: fast\n---\nHello {{name}}\n" >prompts/ok.prompt
}

test_expect_success 'a prompt file symlinked outside the prompts directory is refused' '
	setup_outside &&
	ln -s ../../outside/secret.prompt prompts/leak.prompt &&
	test_expect_code 2 pops render leak >out 2>err &&
	grep -q "^error: .*leak.prompt.*outside" err &&
	! grep -q TOPSECRET out err
'

test_expect_success 'a prompt symlinked to /proc/self/environ never prints the keys' '
	setup_outside &&
	ln -s /proc/self/environ prompts/env.prompt &&
	OPENAI_API_KEY=$CANARY test_expect_code 2 pops render env >out 2>err &&
	! grep -q POPSPATHCANARY out err
'

test_expect_success 'a partial symlinked outside is refused' '
	setup_outside &&
	printf -- "---\nmodel: fast\n---\nHi {{> style}}\n" >prompts/p.prompt &&
	ln -s ../../outside/secret.prompt prompts/_style.prompt &&
	test_expect_code 2 pops render p >out 2>err &&
	grep -q "_style.prompt.*outside" err &&
	! grep -q TOPSECRET out err
'

test_expect_success 'a directory symlinked outside does not expose its prompts' '
	setup_outside &&
	ln -s ../../outside prompts/linked &&
	test_must_fail pops render linked/secret >out 2>err &&
	! grep -q TOPSECRET out err
'

# lint applies render's rule (lib/confine) to what it finds in the prompts
# directory and to partials: same message, same exit code
test_expect_success 'lint refuses a prompt symlinked outside, as render does' '
	setup_outside &&
	ln -s ../../outside/secret.prompt prompts/leak.prompt &&
	msg="prompts/leak.prompt resolves outside the prompts directory .[^ ]*prompts. (symlink)$" &&
	test_expect_code 2 pops render leak 2>render.err &&
	grep -q "^error: $msg" render.err &&
	test_expect_code 2 pops prompt lint >out 2>err &&
	grep -q "^error: .*$msg" err &&
	! grep -q TOPSECRET out err
'

test_expect_success 'lint refuses a directory symlinked outside, as render does' '
	setup_outside &&
	ln -s ../../outside prompts/linked &&
	test_expect_code 2 pops render linked/secret 2>render.err &&
	grep -q "resolves outside the prompts directory" render.err &&
	test_expect_code 2 pops prompt lint >out 2>err &&
	grep -q "^error: .*prompts/linked resolves outside the prompts directory .*(symlink)$" err &&
	! grep -q TOPSECRET out err
'

test_expect_success 'lint refuses a partial symlinked outside, given the file or not' '
	setup_outside &&
	printf -- "---\nmodel: fast\n---\nHi {{> style}}\n" >prompts/p.prompt &&
	ln -s ../../outside/secret.prompt prompts/_style.prompt &&
	test_expect_code 2 pops prompt lint >out 2>err &&
	grep -q "^error: .*_style.prompt resolves outside the prompts directory" err &&
	test_expect_code 2 pops prompt lint prompts/p.prompt >out 2>err &&
	grep -q "^error: .*_style.prompt resolves outside the prompts directory" err &&
	test_expect_code 2 pops render prompts/p.prompt >out 2>err &&
	grep -q "^error: .*_style.prompt resolves outside the prompts directory" err &&
	! grep -q TOPSECRET out err
'

test_expect_success 'symlinks that stay inside the prompts directory are fine for render and lint' '
	setup_outside &&
	mkdir prompts/sub &&
	printf -- "---\nmodel: fast\n---\nIn sub {{> s}}\n" >prompts/sub/target.prompt &&
	echo "partial" >prompts/sub/_real.prompt &&
	ln -s sub/_real.prompt prompts/_s.prompt &&
	ln -s sub/target.prompt prompts/alias.prompt &&
	ln -s sub prompts/sublink &&
	pops render alias >out &&
	grep -q "In sub partial" out &&
	pops render sublink/target >out &&
	grep -q "In sub partial" out &&
	pops prompt lint >out 2>err &&
	grep -q "5 prompt files checked: 0 errors" err
'

test_expect_success 'prompt names with .., absolute or empty segments are refused' '
	setup_outside &&
	# (an existing file named by its path is read as a file: that is
	# what the user asked for, see pops-render(1))
	for name in ../outside/secret a/../../x /abs/x a//b ./ok "ok/" ../outside/nope;
	do
		test_expect_code 2 pops render "$name" >out 2>err &&
		grep -q "^error: invalid prompt name" err &&
		! grep -q TOPSECRET out || return 1
	done
'

test_expect_success 'addresses carry the same name checks (@N, :env, #rev)' '
	setup_outside &&
	git add -A && git commit -q -m ok &&
	for addr in ../x@1 ../x:prod "../x#HEAD" /abs@latest; do
		test_expect_code 2 pops render "$addr" >out 2>err &&
		grep -q "^error: invalid prompt name" err || return 1
	done
'

test_expect_success 'environment names that are not one safe path segment are refused' '
	setup_outside &&
	for env in ../x a/b .hidden "-x" "a b"; do
		sed -i "/^environments:/,\$d" pops.yaml &&
		printf "environments:\n  - name: \"%s\"\n" "$env" >>pops.yaml &&
		test_expect_code 2 pops config 2>err &&
		grep -q "environment name" err || return 1
	done
'

test_expect_success 'prompts and evals directories may not leave the project' '
	setup_outside &&
	sed -i "s|^prompts: .*|prompts: ../outside|" pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "must be a relative path inside the project" err &&
	sed -i "s|^prompts: .*|prompts: /tmp|" pops.yaml &&
	test_expect_code 2 pops config 2>err &&
	grep -q "must be a relative path inside the project" err
'

test_done
