#!/bin/sh
# test_depresjon_smoke.sh BUILD - the Depresjon benchmark (bench/depresjon/)
# on a tiny budget: 2 folds, 1 epoch, 2 days per participant.
#   - on a synthetic Depresjon-shaped cohort (always): the driver runs every
#     method, writes results.json, tables and the ROC chart; a second run
#     with another thread count gives the same numbers; final writes a model
#     that pat predict takes and pat score charts with the demo recipe;
#   - on the real data ($PAT_SHARED_DATA/depresjon, default ../shared/data):
#     the same smoke run, or SKIP with a message when the data are absent.
build=${1:-build}
pat="$build/pat"
drv="$build/bench/depresjon/depresjon"
real=${PAT_SHARED_DATA:-../shared/data}/depresjon
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
tiny="--protocol cv --repeats 1 --folds 2 --pre-epochs 1 --ft-epochs 1 --pre-batch 16 --ft-batch 16"
days="--length 1440 --log1p --nonwear-zeros 600 --min-day-minutes 600 --val 0 --test 0 --max-windows 2 -q"

# smoke NAME DIR [twice]: build 2-day windows of DIR, run the driver (and
# again with one thread), check.
smoke() {
    name=$1 dir=$2 twice=${3:-} o="$tmp/$1"
    mkdir -p "$o"
    # shellcheck disable=SC2086
    if ! "$pat" data build --depresjon "$dir" $days -o "$o/d.patd" 2>"$o/err"; then
        fail "${name}_data" "$(tail -2 "$o/err")"; return
    fi
    # shellcheck disable=SC2086
    if ! "$drv" bench --data "$o/d.patd" --out "$o/a" $tiny -t 2 >"$o/a.md" 2>"$o/err"; then
        fail "${name}_runs" "$(tail -2 "$o/err")"; return
    fi
    rows=$(grep -c '^| \(Features\|PAT\)' "$o/a.md")
    bad=$(awk -F'|' '/^\| (Features|PAT)/ { a = $3 + 0; if (!(a >= 0 && a <= 1) || $3 ~ /nan/) n++ } END { print n + 0 }' "$o/a.md")
    if [ "$rows" -eq 5 ] && [ "$bad" -eq 0 ] && [ -s "$o/a/results.json" ] && grep -q '</svg>' "$o/a/roc-cv.svg"
    then pass "${name}_runs"; else fail "${name}_runs" "$rows method rows, $bad bad AUCs: $(cat "$o/a.md")"; fi
    [ -n "$twice" ] || return
    # shellcheck disable=SC2086
    "$drv" bench --data "$o/d.patd" --out "$o/b" $tiny -t 1 >"$o/b.md" 2>/dev/null
    if grep -v '"seconds"' "$o/a/results.json" >"$o/a.json" && grep -v '"seconds"' "$o/b/results.json" >"$o/b.json" \
        && cmp -s "$o/a.json" "$o/b.json"
    then pass "${name}_same_numbers_1_and_2_threads"
    else fail "${name}_same_numbers_1_and_2_threads" "results.json differ"; fi
}

# final + pat predict + pat score --chart on the synthetic cohort.
demo_path() {
    o="$tmp/synth"
    if ! "$drv" final --data "$o/d.patd" -o "$o/m.safetensors" --pre-epochs 1 --ft-epochs 1 \
        --method mae-full -t 2 2>"$o/err"; then fail final_model "$(tail -2 "$o/err")"; return; fi
    "$pat" data export --csv "$o/d.patd" -o "$o/x.csv" --labels "$o/y.csv" -q
    head -n 2 "$o/x.csv" >"$o/x2.csv"; head -n 3 "$o/y.csv" >"$o/y2.csv"
    if "$pat" predict -m "$o/m.safetensors" -i "$o/x2.csv" -o "$o/p.csv" 2>"$o/err" \
        && "$pat" explain -m "$o/m.safetensors" -i "$o/x2.csv" -o "$o/att.csv" 2>>"$o/err" \
        && [ "$(wc -l <"$o/p.csv")" -eq 2 ] && "$pat" info "$o/m.safetensors" | grep -q 'pat.depresjon.threshold'
    then pass final_model_predicts; else fail final_model_predicts "$(tail -2 "$o/err")"; return; fi
    if "$pat" score -q -m "$o/m.safetensors" --recipe models/pat-s-depresjon.recipe \
        --max-windows 2 "$tmp/cohort/condition/condition_1.csv" --chart "$o/charts" \
        -o "$o/s.csv" 2>"$o/err" && grep -q '</svg>' "$o/charts/condition_1.svg" &&
        grep -q '^condition_1,0\.[0-9]*,[01],2,' "$o/s.csv"
    then pass final_model_score_chart; else fail final_model_score_chart "$(tail -2 "$o/err")"; fi
}

"$pat" data synth --kind depresjon -o "$tmp/cohort" --n 16 --prevalence 0.5 --effect 0.8 --days 8 \
    --seed 3 >/dev/null 2>&1
smoke synth "$tmp/cohort" twice
demo_path
if [ -d "$real/condition" ] && [ -d "$real/control" ]; then
    smoke real "$real"
else
    echo "SKIP real_depresjon_smoke: no Depresjon data at $real (set PAT_SHARED_DATA)"
fi

# Every failure above printed a FAIL line; the status of the last check is not the verdict.
exit 0
