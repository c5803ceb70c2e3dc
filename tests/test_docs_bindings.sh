#!/bin/sh
# test_docs_bindings.sh BUILD - runs the examples of docs/python.md and
# docs/r.md: their ```sh blocks (pat on the PATH, in a scratch folder), then
# their ```python / ```r blocks in one interpreter each. A stand-in for the
# released PAT-M_29k_weights.h5 (the fixture m.h5, laid out the same way) is
# used when the released file is not in ../shared/data/weights.
build=${1:-build}
repo=$(pwd)
abs=$(cd "$build" && pwd)
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# blocks FILE LANG: the code of every ```LANG block of FILE, in order.
blocks() { awk -v lang="$2" '/^```/ { if (on) { on = 0; next } if ($0 == "```" lang) { on = 1; next } } on' "$1"; }

prepare() { # DIR: the sh blocks of $1's doc run in DIR
    weights=../shared/data/weights/PAT-M_29k_weights.h5
    if [ -e "$weights" ]; then cp "$weights" "$2/"
    elif [ -e "$abs/fixtures/model/m.h5" ]; then cp "$abs/fixtures/model/m.h5" "$2/PAT-M_29k_weights.h5"
    else return 1; fi
    blocks "$1" sh >"$2/setup.sh"
    (cd "$2" && PATH="$abs:$PATH" sh -e setup.sh) >"$2/setup.log" 2>&1
}

doc_python() {
    if ! ls python/pat/_pat*.so >/dev/null 2>&1 || [ ! -e "$abs/libpat.so" ]; then
        echo "SKIP docs_python: the extension is not built (make python)"; return; fi
    if ! /usr/bin/python3 -c 'import numpy, sklearn' 2>/dev/null; then
        echo "SKIP docs_python: no numpy or scikit-learn (apt-get install python3-sklearn)"; return; fi
    tmp=$(mktemp -d)
    if ! prepare docs/python.md "$tmp"; then
        fail docs_python "setup: $(tail -3 "$tmp/setup.log" 2>/dev/null)"; rm -rf "$tmp"; return; fi
    blocks docs/python.md python >"$tmp/doc.py"
    if (cd "$tmp" && PYTHONPATH="$repo/python" PAT_DEMO_MODEL="$repo/models/pat-s-depresjon.safetensors" \
        /usr/bin/python3 doc.py) >"$tmp/out" 2>&1 && grep -q "validation ROC-AUC" "$tmp/out"
    then pass docs_python; else fail docs_python "$(tail -3 "$tmp/out" | tr '\n' ' ')"; fi
    rm -rf "$tmp"
}

doc_r() {
    if [ ! -d "$abs/rlib/pat" ] || ! command -v Rscript >/dev/null 2>&1; then
        echo "SKIP docs_r: the R package is not installed in $build/rlib (make r-install)"; return; fi
    tmp=$(mktemp -d)
    if ! prepare docs/r.md "$tmp"; then
        fail docs_r "setup: $(tail -3 "$tmp/setup.log" 2>/dev/null)"; rm -rf "$tmp"; return; fi
    blocks docs/r.md r >"$tmp/doc.R"
    if (cd "$tmp" && R_LIBS="$abs/rlib" Rscript doc.R) >"$tmp/out" 2>&1 &&
       grep -q "validation ROC-AUC" "$tmp/out"
    then pass docs_r; else fail docs_r "$(tail -3 "$tmp/out" | tr '\n' ' ')"; fi
    rm -rf "$tmp"
}

doc_python
doc_r
