#!/bin/sh
# demo.sh [BUILD] - pat's main job end to end with the shipped demo model
# (models/README.md: PAT-S trained on the 55 Depresjon participants):
#   1. generate a Depresjon-like synthetic recording (pat data synth),
#   2. cut it into days as the model was trained (pat data build),
#   3. predict each day and average them into one probability (pat predict),
#   4. explain it: attention over the week, drawn with the activity (pat explain),
#   5. the same for a real participant when ../shared/data/depresjon exists.
# Demonstration and research only: not a diagnosis.
set -eu
build=${1:-build}
pat="$build/pat"
chart="$build/bench/depresjon/week_svg"
model=${DEMO_MODEL:-models/pat-s-depresjon.safetensors}
out=${DEMO_OUT:-demo-out}
real=${PAT_SHARED_DATA:-../shared/data}/depresjon
# The model's window rules (its metadata pat.depresjon.windows): days
# from midnight, log(1 + counts), zero runs of 10 h or more are non-wear, a
# day needs 600 valid minutes. The first 7 acceptable days are scored.
days="--layout depresjon --length 1440 --log1p --nonwear-zeros 600 --min-day-minutes 600
      --val 0 --test 0 --scaler none --max-windows 7 -q"
mkdir -p "$out"

echo "== the model: $model"
"$pat" info "$model" | grep -E "^architecture|^parameters|depresjon.method|depresjon.data |intended" || true

# score NAME CSV TITLE: one participant's recording -> probability, summary, chart.
score() {
    name=$1 csv=$2 title=$3
    # shellcheck disable=SC2086
    "$pat" data build --csv "$csv" $days -o "$out/$name.patd" --report "$out/$name-report.txt"
    "$pat" data export --csv "$out/$name.patd" -o "$out/$name-days.csv" \
        --labels "$out/$name-rows.csv" -q
    "$pat" predict -q -m "$model" -i "$out/$name.patd" -o "$out/$name-prob.csv"
    "$pat" explain -q -m "$model" -i "$out/$name.patd" -o "$out/$name-attention.csv"
    p=$(awk '{ s += $1; n++ } END { printf "%.3f", s / n }' "$out/$name-prob.csv")
    echo "$title: P(depression) = $p (mean over the days below)"
    awk -F, 'NR == FNR { if (FNR > 1) { d++; v += $6 } next }
        /^[^#]/ && !/^id,/ && !done { done = 1; rec = $15; rej = $19; nw = $14 }
        END {
            printf "  data: %d day(s) scored of %d complete day(s) recorded (%d rejected: < 600 valid minutes)\n", d, rec, rej
            printf "        %d of %d minutes observed (%.1f%%); %d minute(s) of non-wear in the recording\n", v, d * 1440, 100 * v / (d * 1440), nw
            if (d >= 7) print "        sufficiency: good (a full week of valid days, as in training)"
            else if (d >= 3) printf "        sufficiency: limited (%d days; training participants had 12 or more)\n", d
            else print "        sufficiency: poor (fewer than 3 valid days): do not read the score"
        }' "$out/$name-rows.csv" "$out/$name-report.txt"
    awk -F, '{ b = 1; for (i = 2; i <= NF; i++) if ($i > $b) b = i
        m = (b - 1) * 18; printf "%s%d %02d:%02d", (NR > 1 ? ", " : "  most-attended time per day: day "),
        NR, int(m / 60), m % 60 } END { print "" }' "$out/$name-attention.csv"
    "$chart" -x "$out/$name-days.csv" -a "$out/$name-attention.csv" -p "$out/$name-prob.csv" \
        --rows "$out/$name-rows.csv" --log1p -o "$out/$name-explanation.svg" \
        --title "$title: P(depression) = $p (demo model, not a diagnosis)"
    echo "  chart: $out/$name-explanation.svg"
}

echo "== a synthetic Depresjon-like participant (pat data synth, planted depression signal)"
"$pat" data synth --kind depresjon -o "$out/synth" --n 2 --prevalence 0.5 --days 8 --seed 7 \
    >/dev/null 2>&1
score synthetic-depressed "$out/synth/condition/condition_1.csv" "synthetic participant (depressed-like)"
score synthetic-control "$out/synth/control/control_1.csv" "synthetic participant (control-like)"

if [ -f "$real/condition/condition_1.csv" ]; then
    echo "== a real participant: Depresjon condition_1 (in the model's training data, so in-sample)"
    score real-condition_1 "$real/condition/condition_1.csv" "Depresjon condition_1"
else
    echo "== no real data at $real (set PAT_SHARED_DATA): skipping the real participant"
fi
echo "outputs in $out/ (the model's cross-validated performance: docs/results-depresjon.md)"
