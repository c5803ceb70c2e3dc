#!/bin/sh
# test_r.sh BUILD - the R package's testthat tests (r/tests/testthat), one
# PASS/FAIL/SKIP line per test_that block, when make r-install has installed
# the package into BUILD/rlib; skipped otherwise (make test-r runs them too).
build=${1:-build}
if [ ! -d "$build/rlib/pat" ] || ! command -v Rscript >/dev/null 2>&1; then
    echo "SKIP r: the R package is not installed in $build/rlib (make r-install)"
    exit 0
fi
abs=$(cd "$build" && pwd)
cd r/tests || exit 1
PAT_FIXTURES="${PAT_FIXTURES:-$abs/fixtures}" PAT_CLI="$abs/pat" R_LIBS="$abs/rlib" Rscript -e '
suppressMessages({library(testthat); library(pat)})
res <- as.data.frame(test_dir("testthat", reporter = "silent", stop_on_failure = FALSE))
for (i in seq_len(nrow(res))) {
  name <- gsub("[^A-Za-z0-9]+", "_", res$test[i])
  if (isTRUE(res$error[i])) {
    cat("FAIL r_", name, ": raised an error\n", sep = "")
  } else if (res$failed[i] > 0) {
    cat("FAIL r_", name, ": ", res$failed[i], " expectation(s) failed\n", sep = "")
  } else if (isTRUE(res$skipped[i])) {
    cat("SKIP r_", name, ": skipped\n", sep = "")
  } else cat("PASS r_", name, "\n", sep = "")
}'
