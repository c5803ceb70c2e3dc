#!/bin/sh
# demo.sh [BUILD] - pat's main job end to end on data it generates:
#   1. import a Keras-layout PAT-L weights file (.h5) into safetensors,
#   2. generate four synthetic weeks of minute-level activity,
#   3. embed, predict and explain them.
# The weights are the random test weights shipped in tests/fixtures (no
# pretrained weights can be downloaded here); with the released
# PAT-L_29k_weights.h5 the commands are the same.
set -eu
build=${1:-build}
pat="$build/pat"
out=${DEMO_OUT:-demo-out}
mkdir -p "$out"

echo "== 1. import Keras weights"
"$pat" convert --from-keras "$build/fixtures/model/l.h5" -o "$out/pat-l.safetensors"
"$pat" info "$out/pat-l.safetensors" | head -12

echo "== 2. four synthetic weeks (10,080 minutes each): sleep at night, activity by day"
awk 'BEGIN { srand(42)
  for (p = 0; p < 4; p++) {
    for (t = 0; t < 10080; t++) {
      m = t % 1440; awake = (m >= 420 + 60 * p && m < 1380) ? 1 : 0
      v = awake ? 0.6 + 0.8 * sin(3.14159 * (m - 420) / 960) + 0.5 * (rand() - 0.5) : -1.0 + 0.1 * rand()
      printf "%s%.4f", (t ? "," : ""), v
    }
    printf "\n"
  } }' >"$out/weeks.csv"

echo "== 3. embed, predict, explain"
"$pat" embed -m "$out/pat-l.safetensors" -i "$out/weeks.csv" -o "$out/embeddings.csv"
"$pat" predict -m "$out/pat-l.safetensors" -i "$out/weeks.csv" -o "$out/probabilities.csv"
"$pat" explain -m "$out/pat-l.safetensors" -i "$out/weeks.csv" -o "$out/attention.csv"
echo "probabilities (random test weights, so meaningless as a diagnosis):"
cat "$out/probabilities.csv"
echo "most-attended patch per week (patch of 9 minutes -> day and hour):"
awk -F, '{ best = 1; for (i = 2; i <= NF; i++) if ($i > $best) best = i
  minute = (best - 1) * 9; printf "  week %d: patch %d = day %d, %02d:%02d (weight %.5f)\n",
  NR, best - 1, int(minute / 1440) + 1, int((minute % 1440) / 60), minute % 60, $best }' "$out/attention.csv"
echo "outputs in $out/"
