#!/bin/sh
# variants.sh [BUILD] - what other choices give, on CV repeat 1 only (the same
# 5 participant-level folds as the main run's first repeat). Exploratory:
# run after the main benchmark; its configuration was fixed before and is
# not changed by these numbers (docs/results-depresjon.md, "Variants").
# Each variant: BUILD/depresjon/variants/NAME.md (table) and NAME/results.json.
# Two lanes of variants run at a time, one thread each.
set -eu
build=${1:-build}
pat="$build/pat"
drv="$build/bench/depresjon/depresjon"
data=${PAT_SHARED_DATA:-../shared/data}/depresjon
out=${DJ_OUT:-$build/depresjon}/variants
mkdir -p "$out"
base="--length 1440 --log1p --nonwear-zeros 600 --min-day-minutes 600 --val 0 --test 0"
# shellcheck disable=SC2086
"$pat" data build --depresjon "$data" $base -o "$out/days.patd" -q
# shellcheck disable=SC2086
"$pat" data build --depresjon "$data" --length 1440 --nonwear-zeros 600 --min-day-minutes 600 \
    --val 0 --test 0 -o "$out/days-raw.patd" -q
# shellcheck disable=SC2086
"$pat" data build --depresjon "$data" --length 10080 --log1p --nonwear-zeros 600 --min-days 5 \
    --val 0 --test 0 -o "$out/weeks.patd" -q

# NAME DATASET OPTIONS...
run() {
    name=$1 d=$2; shift 2
    "$drv" bench --data "$out/$d.patd" --out "$out/$name" --protocol cv --repeats 1 -t 1 "$@" \
        >"$out/$name.md" 2>"$out/$name.log" && echo "done: $name" || echo "FAILED: $name"
}
# Two lanes of about equal length.
(
    run weeks weeks
    run raw-counts days-raw
    run probe-c-0.1 days --methods random-probe,mae-probe --probe-c 0.1
) &
(
    run ft-epochs-16 days --methods random-full,mae-full --ft-epochs 16
    run ft-lr-x3 days --methods random-full,mae-full --ft-lr-head 3e-3 --ft-lr-encoder 3e-4
    run pre-epochs-30 days --methods mae-probe,mae-full --pre-epochs 30
    run mask-0.75 days --methods mae-probe,mae-full --mask-ratio 0.75
) &
wait
# PAT-M (2 blocks, 12 heads; about 4 times PAT-S's work): both threads.
"$drv" bench --data "$out/days.patd" --out "$out/arch-M" --protocol cv --repeats 1 -t 2 \
    --arch M --methods random-probe,random-full,mae-probe,mae-full \
    >"$out/arch-M.md" 2>"$out/arch-M.log" && echo "done: arch-M" || echo "FAILED: arch-M"
for f in "$out"/*.md; do echo "## $(basename "$f" .md)"; sed -n '3,$p' "$f"; done
