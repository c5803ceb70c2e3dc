#!/bin/sh
# run.sh [BUILD] - the Depresjon benchmark from the raw CSVs to the results
# (make bench-depresjon; docs/results-depresjon.md describes every choice):
#   1. day windows of every participant (pat data build --depresjon),
#   2. every method on leave-one-participant-out and on 5 x repeated
#      stratified 5-fold CV grouped by participant (bench/depresjon/depresjon),
#   3. week-long explanation charts of two participants (pat score --chart),
#      each drawn with the LOPO model that never saw them,
#   4. the demo model retrained on all participants, given its input recipe
#      (models/pat-s-depresjon.recipe) and compared with the shipped
#      models/pat-s-depresjon.safetensors.
# Outputs: $DJ_OUT (default BUILD/depresjon) and the committed copies in
# $DJ_DOCS (default docs/depresjon): results-{lopo,cv}.json, tables.md,
# roc-{lopo,cv}.svg, explain-*.svg. Extra arguments go to the driver
# (e.g. --repeats 1). THREADS (default 1) threads per driver process.
set -eu
build=${1:-build}
[ $# -gt 0 ] && shift
pat="$build/pat"
drv="$build/bench/depresjon/depresjon"
data=${PAT_SHARED_DATA:-../shared/data}/depresjon
out=${DJ_OUT:-$build/depresjon}
docs=${DJ_DOCS:-docs/depresjon}
explain="condition_1 control_5" # chosen by id before any run
if [ ! -d "$data/condition" ]; then
    echo "run.sh: no Depresjon data at $data (set PAT_SHARED_DATA)" >&2
    exit 1
fi
mkdir -p "$out" "$docs"
start=$(date +%s)

# The window rules. Keep them in step with models/pat-s-depresjon.recipe.
days="--length 1440 --log1p --nonwear-zeros 600 --min-day-minutes 600 --val 0 --test 0"
echo "== 1. day windows"
# shellcheck disable=SC2086
"$pat" data build --depresjon "$data" $days -o "$out/days.patd" --report "$out/days-report.txt" -q
"$pat" data info "$out/days.patd" | head -3

echo "== 2. LOPO and 5 x 5-fold CV, one process each (progress: $out/{lopo,cv}.log)"
# One thread per process: two single-threaded processes use two cores
# better than OpenMP's barriers do (results do not depend on the count).
"$drv" bench --data "$out/days.patd" --out "$out/lopo" --protocol lopo \
    --save-models "$(echo $explain | tr ' ' ,)" -t "${THREADS:-1}" "$@" \
    >"$out/lopo.md" 2>"$out/lopo.log" &
lopo=$!
"$drv" bench --data "$out/days.patd" --out "$out/cv" --protocol cv -t "${THREADS:-1}" "$@" \
    >"$out/cv.md" 2>"$out/cv.log" &
cv=$!
ok=1
wait $lopo || { ok=0; tail -3 "$out/lopo.log" >&2; }
wait $cv || { ok=0; tail -3 "$out/cv.log" >&2; }
[ $ok -eq 1 ] || { echo "run.sh: the driver failed" >&2; exit 1; }
cat "$out/lopo.md" "$out/cv.md" | tee "$out/tables.md"

echo "== 3. attention charts (LOPO models, first 7 days)"
for id in $explain; do
    case $id in condition_*) csv="$data/condition/$id.csv" ;; *) csv="$data/control/$id.csv" ;; esac
    # The LOPO models carry no recipe: give the demo model's, first 7 days.
    "$pat" score -q -m "$out/lopo/lopo-$id-mae-full.safetensors" \
        --recipe models/pat-s-depresjon.recipe --max-windows 7 "$csv" \
        --chart "$out/explain" -o "$out/$id-score.csv"
    cp "$out/explain/$id.svg" "$out/explain-$id.svg"
    echo "$id (LOPO mae-full model, first 7 days): $(tail -n 1 "$out/$id-score.csv")"
done

echo "== 4. the demo model (all participants)"
"$drv" final --data "$out/days.patd" -o "$out/final.safetensors" -t "${THREADS:-1}"
"$pat" convert -q --model "$out/final.safetensors" --recipe models/pat-s-depresjon.recipe \
    -o "$out/pat-s-depresjon.safetensors"
if cmp -s "$out/pat-s-depresjon.safetensors" models/pat-s-depresjon.safetensors; then
    echo "identical to the shipped models/pat-s-depresjon.safetensors"
else
    echo "differs from the shipped models/pat-s-depresjon.safetensors (other pat version or options?)"
fi

cp "$out/lopo/results.json" "$docs/results-lopo.json"
cp "$out/cv/results.json" "$docs/results-cv.json"
cp "$out/tables.md" "$out/lopo/roc-lopo.svg" "$out/cv/roc-cv.svg" "$out"/explain-*.svg "$docs/"
echo "done in $(($(date +%s) - start)) s; results in $out, copies in $docs"
