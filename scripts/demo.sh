#!/bin/sh
# demo.sh [BUILD] - pat's main job end to end with the shipped demo model
# (models/README.md: PAT-S trained on the 55 Depresjon participants; it
# scores days, and a person's score is the mean over their days):
#   1. the model and the input recipe it carries (pat info),
#   2. a generated cohort of 20 Depresjon-like recordings (pat data synth),
#   3. every participant scored from the raw files, with charts (pat score),
#   4. a real participant when ../shared/data/depresjon exists (pat score).
# Only pat commands: what this prints, anyone can run on their own files.
# Demonstration and research only: not a diagnosis.
set -eu
build=${1:-build}
pat="$build/pat"
model=${DEMO_MODEL:-models/pat-s-depresjon.safetensors}
out=${DEMO_OUT:-demo-out}
real=${PAT_SHARED_DATA:-../shared/data}/depresjon
mkdir -p "$out"

echo "== 1. the model and its input recipe"
"$pat" info "$model"

echo
echo "== 2. generated recordings: 10 'condition' and 10 'control' participants, 8 days each"
echo "   pat data synth writes minute counts with a daily rhythm; in the condition group it"
echo "   plants, at full strength (--effect 1), the kind of difference reported in depression:"
echo "   up to 40% less daytime activity, longer and more fragmented sleep, irregular bedtimes."
echo "   Generated, not measured: expect condition above control on the whole, not a verdict"
echo "   on any one generated person."
"$pat" data synth --kind depresjon -o "$out/synth" --n 20 --prevalence 0.5 --days 8 --seed 7 \
    --effect 1

echo
echo "== 3. pat score: one row per participant (mean of the day probabilities)"
"$pat" score -q -m "$model" "$out/synth" --chart "$out/charts" --json "$out/synth-score.json" \
    --windows "$out/synth-days.csv"
echo "   how well these scores separate the two generated groups (participant level; with"
echo "   seed 7 about 0.80, other seeds 0.90-0.96):"
"$pat" data build --depresjon "$out/synth" --length 1440 --log1p --nonwear-zeros 600 \
    --min-day-minutes 600 --val 0 --test 0 --scaler none -q -o "$out/synth-days.patd"
"$pat" eval -m "$model" -i "$out/synth-days.patd" --split all --by participant --bootstrap 500

if [ -f "$real/condition/condition_1.csv" ]; then
    echo
    echo "== 4. a real recording: Depresjon condition_1 (in the model's training data: in-sample)"
    "$pat" score -q -m "$model" "$real/condition/condition_1.csv" --chart "$out/charts" \
        --json "$out/condition_1.json"
else
    echo
    echo "== 4. no real data at $real (set PAT_SHARED_DATA): skipping the real recording"
fi
echo
echo "outputs in $out/: charts/*.svg (one per participant), *.json, synth-days.csv"
echo "(the model's cross-validated performance: docs/results-depresjon.md)"
