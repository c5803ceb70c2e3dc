#!/bin/sh
# run.sh BUILD - runs every test binary in BUILD/tests and every script
# tests/test_*.sh, then prints the total "N passed, N failed, N skipped".
# A test that exits non-zero without printing a FAIL line counts as a failure.
# PAT_TEST_RUNNER (e.g. qemu-aarch64) runs each binary through a command;
# PAT_TESTS="test_a test_b" runs only those binaries and no shell test
# (make arm64-test).
build=${1:-build}
passed=0; failed=0; skipped=0
for t in "$build"/tests/test_* tests/test_*.sh; do
    [ -x "$t" ] || continue
    case "$t" in *.o) continue ;; esac
    if [ -n "${PAT_TESTS:-}" ]; then
        case " $PAT_TESTS " in *" $(basename "$t") "*) ;; *) continue ;; esac
    fi
    case "$t" in *.sh) out=$(sh "$t" "$build" 2>&1) ;; *) out=$($PAT_TEST_RUNNER "$t" 2>&1) ;; esac
    rc=$?
    name=$(basename "$t")
    printf '%s\n' "$out" | sed "s|^|$name: |"
    p=$(printf '%s\n' "$out" | grep -c '^PASS ')
    f=$(printf '%s\n' "$out" | grep -c '^FAIL ')
    s=$(printf '%s\n' "$out" | grep -c '^SKIP ')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$name: FAIL exited with status $rc"
        f=1
    fi
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
