#!/bin/sh
# test_python.sh BUILD - the Python bindings' tests (python/tests/run.py)
# when make python has built them against BUILD's libpat.so; skipped
# otherwise (make test-python builds and runs them).
build=${1:-build}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if [ ! -e "$build/libpat.so" ] || ! ls python/pat/_pat*.so >/dev/null 2>&1; then
    echo "SKIP python: the extension or $build/libpat.so is not built (make python)"
    exit 0
fi
if ! "$py" -c 'import numpy' 2>/dev/null; then
    echo "SKIP python: $py has no numpy (apt-get install python3-numpy)"
    exit 0
fi
PAT_BUILD="$build" PAT_FIXTURES="${PAT_FIXTURES:-$build/fixtures}" "$py" python/tests/run.py
