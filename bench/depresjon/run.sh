#!/bin/sh
# run.sh [BUILD] - the Depresjon benchmark as pat cv runs (make
# bench-depresjon; docs/results-depresjon.md describes every choice):
#   1. day windows of every participant (pat data build --depresjon),
#   2. leave-one-participant-out: features, probe, full (random-init PAT-S),
#   3. 5 x repeated stratified 5-fold CV grouped by participant: the same
#      methods plus MAE pretraining inside each fold (mae-probe, mae-full).
# The two protocols run at the same time, one thread each, at low priority.
# Outputs: $DJ_OUT (default BUILD/depresjon)/{lopo,cv}/ (pat cv's
# tables.md, results.json, roc.svg) and the committed copies in $DJ_DOCS
# (default docs/depresjon): tables.md, results-{lopo,cv}.json,
# roc-{lopo,cv}.svg. Extra arguments go to both pat cv runs (e.g.
# --repeats 1, --resume). LOPO_METHODS and CV_METHODS replace the method
# lists (e.g. features,probe: about 2 min instead of about an hour).
set -eu
build=${1:-build}
[ $# -gt 0 ] && shift
pat="$build/pat"
data=${PAT_SHARED_DATA:-../shared/data}/depresjon
out=${DJ_OUT:-$build/depresjon}
docs=${DJ_DOCS:-docs/depresjon}
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

echo "== 2, 3. pat cv: LOPO and 5 x 5-fold CV (progress: $out/{lopo,cv}.log)"
nice "$pat" cv --data "$out/days.patd" -o "$out/lopo" --protocol lopo \
    --methods "${LOPO_METHODS:-features,probe,full}" -t 1 "$@" >/dev/null 2>"$out/lopo.log" &
lopo=$!
nice "$pat" cv --data "$out/days.patd" -o "$out/cv" --protocol kfold --folds 5 --repeats 5 \
    --methods "${CV_METHODS:-features,probe,full,mae-probe,mae-full}" -t 1 "$@" >/dev/null 2>"$out/cv.log" &
cv=$!
ok=1
wait $lopo || { ok=0; tail -3 "$out/lopo.log" >&2; }
wait $cv || { ok=0; tail -3 "$out/cv.log" >&2; }
[ $ok -eq 1 ] || { echo "run.sh: pat cv failed" >&2; exit 1; }
cat "$out/lopo/tables.md" "$out/cv/tables.md" | tee "$out/tables.md"

cp "$out/lopo/results.json" "$docs/results-lopo.json"
cp "$out/cv/results.json" "$docs/results-cv.json"
cp "$out/lopo/roc.svg" "$docs/roc-lopo.svg"
cp "$out/cv/roc.svg" "$docs/roc-cv.svg"
cp "$out/tables.md" "$docs/tables.md"
echo "done in $(($(date +%s) - start)) s; results in $out, copies in $docs"
