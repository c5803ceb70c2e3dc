#!/bin/sh
# test_deps.sh BUILD - the dependency rule (tools/check_deps.sh) holds for
# the tree, and the checker catches a forbidden include and two files that
# call each other.
build=${1:-build}
check=tools/check_deps.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if out=$(sh "$check" src "$build/src" 2>&1); then
    echo "PASS deps_tree"
else
    echo "FAIL deps_tree: $out"
fi

# A forbidden include: nn/ may use only util/rng.
mkdir -p "$tmp/src/nn" "$tmp/src/train"
printf '#include "train/finetune.h"\n' > "$tmp/src/nn/bad.c"
if out=$(sh "$check" "$tmp/src" 2>&1); then
    echo "FAIL deps_forbidden_include: not caught"
else
    case "$out" in
    *'nn/bad.c includes "train/finetune.h"'*) echo "PASS deps_forbidden_include" ;;
    *) echo "FAIL deps_forbidden_include: $out" ;;
    esac
fi

# Two files that call each other.
rm "$tmp/src/nn/bad.c"
mkdir -p "$tmp/obj/nn"
printf 'int b(int);\nint a(int x) { return x ? b(x - 1) : 0; }\n' > "$tmp/a.c"
printf 'int a(int);\nint b(int x) { return x ? a(x - 1) : 1; }\n' > "$tmp/b.c"
cc -c "$tmp/a.c" -o "$tmp/obj/nn/a.o" && cc -c "$tmp/b.c" -o "$tmp/obj/nn/b.o"
if out=$(sh "$check" "$tmp/src" "$tmp/obj" 2>&1); then
    echo "FAIL deps_mutual_calls: not caught"
else
    case "$out" in
    *'nn/a.o <-> nn/b.o'*) echo "PASS deps_mutual_calls" ;;
    *) echo "FAIL deps_mutual_calls: $out" ;;
    esac
fi
