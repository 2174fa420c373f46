#!/bin/sh
# The Python binding (bindings/python/pops_runtime): its unittest suites,
# run against the library this build made (build/lib/libpops.so.0, the
# release build: a sanitizer build cannot be loaded into python3) and
# the pops binary under test, which makes their bundles.
. "$(dirname "$0")/lib.sh"

PYLIB=${POPS_RUNTIME_LIB:-$ROOT/build/lib/libpops.so.0}
PYDIR=$ROOT/bindings/python

# python_suite MODULE: run one test module of bindings/python/tests
python_suite() {
	test -f "$PYLIB" || {
		echo "error: $PYLIB not built: run make (or make lib) first" >&2
		return 1
	}
	POPS_RUNTIME_LIB=$PYLIB POPS_BIN=$POPS_BIN PYTHONPATH=$PYDIR:$PYDIR/tests PYTHONDONTWRITEBYTECODE=1 \
		python3 -m unittest -v "$1" >out 2>&1
	st=$?
	cat out
	test $st -eq 0 && grep -q "^Ran [1-9][0-9]* test" out && grep -q "^OK\( (skipped=[0-9]*)\)\{0,1\}$" out
}

test_expect_success 'pops_runtime: load, get, render as pops render --json, reload, threads, bucket' '
	python_suite test_runtime
'

test_expect_success 'python3 -m pops_runtime render and get' '
	python_suite test_cli
'

test_expect_success 'without POPS_RUNTIME_LIB the package finds the library of its checkout' '
	PYTHONPATH=$PYDIR PYTHONDONTWRITEBYTECODE=1 python3 -c "
import ctypes.util, os, sys
os.environ.pop(\"POPS_RUNTIME_LIB\", None)
ctypes.util.find_library = lambda name: None
import pops_runtime
print(pops_runtime.library_path())
assert pops_runtime.version()
" >found &&
	echo "$ROOT/build/lib/libpops.so.0" >expect &&
	test_cmp expect found
'

test_done
