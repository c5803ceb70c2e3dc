#!/bin/sh
# bf16_accuracy.sh [BUILD] - pat's bf16 inference against float32 on real
# data (make bench-bf16-accuracy; docs/benchmarks.md "bf16"): the Depresjon
# day windows (as bench/depresjon/run.sh builds them) through
#   - the shipped demo model (models/pat-s-depresjon.safetensors, PAT-S
#     fine-tuned on the 55 participants): embeddings, day probabilities,
#     explanations, and the participant-level ROC-AUC of the mean day
#     probability (condition = 1, control = 0), fp32 against bf16;
#   - freshly initialised PAT-M and PAT-L (pat init, seed 1): embeddings of
#     the same days without log1p (such a model takes raw minutes).
# Prints the errors (bench/bf16_compare.py) and which bf16 path ran.
set -eu
build=${1:-build}
pat="$build/pat"
data=${PAT_SHARED_DATA:-../shared/data}/depresjon
out=${BF16_OUT:-$build/bf16-accuracy}
model=${BF16_MODEL:-models/pat-s-depresjon.safetensors}
if [ ! -d "$data/condition" ]; then
    echo "bf16_accuracy.sh: no Depresjon data at $data (set PAT_SHARED_DATA)" >&2
    exit 1
fi
mkdir -p "$out"
"$pat" data build --depresjon "$data" --length 1440 --log1p --nonwear-zeros 600 \
    --min-day-minutes 600 --val 0 --test 0 -o "$out/days.patd" -q
"$pat" data build --depresjon "$data" --length 1440 --nonwear-zeros 600 \
    --min-day-minutes 600 --val 0 --test 0 -o "$out/days-raw.patd" -q  # for the init models
"$pat" init --arch M -o "$out/init-m.safetensors" --seed 1 --no-head
"$pat" init --arch L -o "$out/init-l.safetensors" --seed 1 --no-head
for p in fp32 bf16; do
    for cmd in embed predict explain; do
        "$pat" "$cmd" -q -m "$model" -i "$out/days.patd" --precision $p -o "$out/s-$cmd-$p.csv"
    done
    "$pat" embed -q -m "$out/init-m.safetensors" -i "$out/days-raw.patd" --precision $p \
        -o "$out/m-embed-$p.csv"
    "$pat" embed -q -m "$out/init-l.safetensors" -i "$out/days-raw.patd" --precision $p \
        -o "$out/l-embed-$p.csv"
done
"$pat" embed -m "$model" -i "$out/days.patd" --precision bf16 -o "$out/path.csv" 2>&1 |
    grep -i "emulated" || echo "bf16 path: AVX512-BF16 hardware"
python3 bench/bf16_compare.py "$out"
