# Sourced by every tests/cli/tNNNN-*.sh. Each test case runs in its own
# fresh directory under a mktemp -d tree (removed on success, kept when a
# case fails), with HOME and git config isolated from the user's.
#
#   test_expect_success 'what it shows' '
#       setup_project &&
#       pops init --force . >out &&
#       grep -q Reinitialized out
#   '
#
# Case bodies chain steps with && and never pipe pops output (a pipe
# hides the exit code). `pops` runs the binary under test (ASan build by
# default; valgrind when POPS_VALGRIND=1).

set -u
LC_ALL=C
export LC_ALL
unset NO_COLOR POPS_NO_MAN CDPATH
# a case run under CI (GitHub Actions, GitLab) sees no CI: pops would annotate
unset GITHUB_ACTIONS GITHUB_STEP_SUMMARY GITHUB_WORKSPACE CI_PROJECT_DIR

TEST_NAME=$(basename "$0" .sh)
TEST_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$TEST_DIR/../.." && pwd)
POPS_BIN=${POPS_BIN:-$ROOT/build/asan/pops}
FAKELLM_BIN=${FAKELLM_BIN:-$ROOT/build/asan/fakellm}
SHARED=$(cd "${SHARED:-$ROOT/../shared}" 2>/dev/null && pwd || echo "${SHARED:-$ROOT/../shared}")
export SHARED ROOT POPS_BIN FAKELLM_BIN

# sanitizers exit with codes no pops path uses, so a report is never
# mistaken for an expected failure
ASAN_OPTIONS=${ASAN_OPTIONS:-exitcode=86:detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:exitcode=86:print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/pops-$TEST_NAME.XXXXXX")
export HOME="$TRASH/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
# no case finds a repository above its own directory (pops and git alike)
GIT_CEILING_DIRECTORIES=$TRASH
export GIT_CEILING_DIRECTORIES
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL \
      GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
git config --global user.name "Pops Tester"
git config --global user.email "tester@example.com"
git config --global init.defaultBranch main
git config --global advice.detachedHead false

test_count=0
test_passed=0
test_failed=0

if [ "${POPS_VALGRIND:-}" = 1 ]; then
	POPS_WRAP="valgrind -q --error-exitcode=87 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite"
else
	POPS_WRAP=""
fi

pops() {
	$POPS_WRAP "$POPS_BIN" "$@"
}

# a pops project in the current directory, with one commit
setup_project() {
	git init -q . &&
	"$POPS_BIN" init . >/dev/null &&
	git add -A &&
	git commit -q -m "pops init"
}

# the case reads ../shared (conformance suites, corpus): fail saying where
# it was looked for, not with an obscure missing-file error
require_shared() {
	test -d "$SHARED/spec" && test -d "$SHARED/corpus" || {
		echo "error: this case needs the shared conformance suites and corpus: not found at" \
		     "'$SHARED' (set SHARED=/path/to/shared)" >&2
		return 1
	}
}

# Expect failure, but not a crash or a sanitizer report.
test_must_fail() {
	"$@"
	code=$?
	if [ $code -eq 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ $code -eq 86 ] || [ $code -eq 87 ]; then
		echo "test_must_fail: '$*' hit a sanitizer/valgrind error" >&2
		return 1
	elif [ $code -gt 128 ] && [ $code -ne 130 ]; then
		echo "test_must_fail: '$*' died by signal $((code - 128))" >&2
		return 1
	fi
	return 0
}

# test_expect_code N cmd...: the exact exit status
test_expect_code() {
	want=$1
	shift
	"$@"
	code=$?
	if [ "$code" != "$want" ]; then
		echo "test_expect_code: '$*' exited $code, expected $want" >&2
		return 1
	fi
	return 0
}

test_cmp() {
	diff -u "$1" "$2"
}

# file must be empty
test_must_be_empty() {
	if [ -s "$1" ]; then
		echo "'$1' is not empty:" >&2
		cat "$1" >&2
		return 1
	fi
}

test_expect_success() {
	desc=$1
	body=$2
	test_count=$((test_count + 1))
	case_dir="$TRASH/case-$test_count"
	mkdir -p "$case_dir"
	# chain-lint, as git's test-lib does: with every step &&-chained, a
	# failing first step skips the whole body and 117 comes back; a step
	# that a missing && leaves unchained runs and returns something else,
	# and its failure would have gone unseen. (Unchained steps ran here,
	# so the case gets a fresh directory afterwards.)
	(cd "$case_dir" && eval "(exit 117) && $body") >/dev/null 2>&1 </dev/null
	lint=$?
	rm -rf "$case_dir" "$TRASH/case-$test_count.fakellm.pid"
	mkdir -p "$case_dir"
	if [ $lint -ne 117 ]; then
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $desc"
		echo "#   chain-lint: a step of this case is not &&-chained (exit $lint, expected 117)"
		return
	fi
	if (cd "$case_dir" && eval "$body") >"$TRASH/case-$test_count.log" 2>&1; then
		test_passed=$((test_passed + 1))
		echo "ok $test_count - $desc"
	else
		test_failed=$((test_failed + 1))
		echo "not ok $test_count - $desc"
		sed 's/^/#   /' "$TRASH/case-$test_count.log"
	fi
	# a fake server the case started is stopped even when the case failed
	if [ -f "$TRASH/case-$test_count.fakellm.pid" ]; then
		kill $(cat "$TRASH/case-$test_count.fakellm.pid") 2>/dev/null
		rm -f "$TRASH/case-$test_count.fakellm.pid"
	fi
}

# start_fakellm [flags...]: start tests/fakellm on a free loopback port in
# the background for this case; sets FAKELLM_PORT and FAKELLM_URL
# (http://127.0.0.1:N). The server is killed when the case ends. Its
# output stays outside the case directory, in $TRASH.
start_fakellm() {
	fk_base="$TRASH/case-$test_count.fakellm"
	# A second server in the same case reuses these names: without the
	# rm, the loop below could read the first server's port before the
	# new child truncates the file (t9200 sent its judge calls to the
	# OpenAI server that way and got 401s).
	rm -f "$fk_base.out"
	"$FAKELLM_BIN" --port 0 "$@" >"$fk_base.out" 2>"$fk_base.err" &
	# appended: every server of the case is killed when it ends
	echo $! >>"$fk_base.pid"
	fk_i=0
	FAKELLM_PORT=
	while [ $fk_i -lt 200 ]; do
		FAKELLM_PORT=$(sed -n 's/^port=//p' "$fk_base.out" 2>/dev/null)
		[ -n "$FAKELLM_PORT" ] && break
		sleep 0.05
		fk_i=$((fk_i + 1))
	done
	[ -n "$FAKELLM_PORT" ] || { echo "fakellm did not start" >&2; cat "$fk_base.err" >&2; return 1; }
	FAKELLM_URL="http://127.0.0.1:$FAKELLM_PORT"
	export FAKELLM_PORT FAKELLM_URL
}

# fakellm_get PATH: GET a fakellm endpoint (/__stats, /__requests) to stdout
fakellm_get() {
	curl -s -m 10 "$FAKELLM_URL$1"
}

# fakellm_stat KEY: one number from /__stats ("requests", "chat", "faults", ...)
fakellm_stat() {
	fakellm_get /__stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}

test_done() {
	echo "# $TEST_NAME: $test_passed passed, $test_failed failed"
	if [ $test_failed -eq 0 ]; then
		rm -rf "$TRASH"
		exit 0
	fi
	echo "# kept $TRASH for inspection"
	exit 1
}
