#!/bin/sh
# test_score_cli.sh BUILD - pat score against the documented route
# (pat data build with the recipe's options, then pat predict, then the mean
# of the window probabilities), the recipe pat finetune stores, refusals of
# changed recipe options, participants without enough data, and models
# without a recipe.
build=${1:-build}
pat="$build/pat"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
data=${PAT_SHARED_DATA:-../shared/data}/depresjon

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# close A B: |A - B| <= 1e-6
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && d <= 1e-6) }'; }
# mean of the last column of pat predict's output on a dataset (after its header)
mean_of() { awk -F, 'NR > 1 { s += $NF; n++ } END { if (n) printf "%.9f", s / n }' "$1"; }
# field N of the row of id ID in a pat score CSV
field() { awk -F, -v id="$2" -v k="$3" '$1 == id { print $k }' "$1"; }

# 1. The demo model on a real recording equals build + predict (docs/cli.md).
model=models/pat-s-depresjon.safetensors
if [ -f "$data/condition/condition_1.csv" ]; then
    "$pat" score -q -m "$model" "$data/condition/condition_1.csv" -o "$tmp/s1.csv" 2>"$tmp/err"
    "$pat" data build --csv "$data/condition/condition_1.csv" --length 1440 --log1p \
        --nonwear-zeros 600 --min-day-minutes 600 --val 0 --test 0 --scaler none \
        -o "$tmp/c1.patd" -q 2>>"$tmp/err" &&
        "$pat" predict -q -m "$model" -i "$tmp/c1.patd" -o "$tmp/c1p.csv" 2>>"$tmp/err"
    a=$(field "$tmp/s1.csv" condition_1 2) b=$(mean_of "$tmp/c1p.csv")
    if close "$a" "$b" && [ "$(field "$tmp/s1.csv" condition_1 4)" = "$(($(wc -l <"$tmp/c1p.csv") - 1))" ]
    then pass demo_model_real_recording_equals_build_predict
    else fail demo_model_real_recording_equals_build_predict "score '$a', build+predict '$b'; $(tail -2 "$tmp/err")"; fi
else
    skip demo_model_real_recording_equals_build_predict "no $data (set PAT_SHARED_DATA)"
fi

# 2. A model fine-tuned from a dataset built with non-default options.
opts="--length 1440 --align start --nonwear-zeros 120 --min-day-minutes 480 --smooth-window 31 --smooth-order 2 --fill 1"
"$pat" data synth --kind depresjon -o "$tmp/cohort" --n 12 --prevalence 0.5 --days 9 --seed 5 \
    >/dev/null 2>&1 || { fail setup "pat data synth failed"; exit 0; }
# shellcheck disable=SC2086
"$pat" data build --depresjon "$tmp/cohort" $opts --val 0.34 --test 0 -q -o "$tmp/train.patd" 2>"$tmp/err" &&
    "$pat" init --arch S -o "$tmp/init.safetensors" --seed 1 2>>"$tmp/err" &&
    "$pat" finetune -m "$tmp/init.safetensors" --data "$tmp/train.patd" -o "$tmp/ft.safetensors" \
        --mode probe --epochs 2 --batch-size 8 --lr 1e-3 -q 2>>"$tmp/err" ||
    { fail setup "$(tail -3 "$tmp/err")"; exit 0; }
if "$pat" info "$tmp/ft.safetensors" >"$tmp/info" 2>&1 &&
    grep -q "pat.recipe.window_length = 1440" "$tmp/info" &&
    grep -q "pat.recipe.align = start" "$tmp/info" &&
    grep -q "pat.recipe.nonwear_zero_run = 120" "$tmp/info" &&
    grep -q "pat.recipe.smooth_window = 31" "$tmp/info" &&
    grep -q "pat.recipe.fill = 1" "$tmp/info" &&
    grep -q "pat.recipe.threshold = 0\.[0-9]" "$tmp/info" &&
    grep -q "pat.recipe.threshold_rule = Youden's J on the validation participants" "$tmp/info" &&
    grep -q "pat.recipe.source = dataset $tmp/train.patd" "$tmp/info"
then pass finetune_stores_dataset_recipe
else fail finetune_stores_dataset_recipe "$(grep recipe "$tmp/info" | head -5)"; fi

rec="$tmp/cohort/control/control_2.csv"
"$pat" score -q -m "$tmp/ft.safetensors" "$rec" -o "$tmp/s2.csv" --windows "$tmp/w2.csv" 2>"$tmp/err"
# shellcheck disable=SC2086
"$pat" data build --csv "$rec" $opts --val 0 --test 0 --scaler none -q -o "$tmp/one.patd" 2>>"$tmp/err" &&
    "$pat" predict -q -m "$tmp/ft.safetensors" -i "$tmp/one.patd" -o "$tmp/onep.csv" 2>>"$tmp/err"
a=$(field "$tmp/s2.csv" control_2 2) b=$(mean_of "$tmp/onep.csv")
if close "$a" "$b" && cmp -s "$tmp/w2.csv" "$tmp/onep.csv"
then pass nondefault_recipe_scores_as_build_predict
else fail nondefault_recipe_scores_as_build_predict "score '$a', build+predict '$b'; $(tail -2 "$tmp/err")"; fi

# 3. Changing a window option against the model's recipe is refused, or
#    reported when allowed; repeating the model's own value is fine.
if "$pat" score -q -m "$tmp/ft.safetensors" --min-day-minutes 600 "$rec" >/dev/null 2>"$tmp/err"
then fail recipe_change_refused "accepted"
elif [ $? -eq 2 ] && grep -q "min_day_minutes 480 -> 600" "$tmp/err"; then pass recipe_change_refused
else fail recipe_change_refused "$(cat "$tmp/err")"; fi
if "$pat" score -q -m "$tmp/ft.safetensors" --min-day-minutes 600 --allow-recipe-change "$rec" \
    >/dev/null 2>"$tmp/err" && grep -q "warning: scoring with a recipe changed" "$tmp/err"
then pass recipe_change_reported
else fail recipe_change_reported "$(cat "$tmp/err")"; fi
if "$pat" score -q -m "$tmp/ft.safetensors" --min-day-minutes 480 --length 1440 "$rec" \
    -o "$tmp/s3.csv" 2>"$tmp/err" && cmp -s "$tmp/s2.csv" "$tmp/s3.csv"
then pass recipe_same_values_accepted
else fail recipe_same_values_accepted "$(cat "$tmp/err")"; fi

# 4. Participants without an acceptable window get a row with the reason;
#    ids are file stems; a folder scores all of its files.
head -n 700 "$rec" >"$tmp/short_one.csv"
"$pat" score -q -m "$tmp/ft.safetensors" "$tmp/short_one.csv" "$tmp/cohort/condition" \
    -o "$tmp/s4.csv" 2>"$tmp/err"
n=$(tail -n +2 "$tmp/s4.csv" | wc -l)
ncond=$(find "$tmp/cohort/condition" -name '*.csv' | wc -l)
p=$(field "$tmp/s4.csv" short_one 2) r=$(field "$tmp/s4.csv" short_one 9)
if [ "$n" -eq $((ncond + 1)) ] && [ -z "$p" ] && [ -n "$r" ] &&
    [ "$(field "$tmp/s4.csv" short_one 8)" = none ] && [ -n "$(field "$tmp/s4.csv" condition_1 2)" ]
then pass insufficient_participant_gets_row_with_reason
else fail insufficient_participant_gets_row_with_reason "$n rows; $(head -3 "$tmp/s4.csv"); $(tail -2 "$tmp/err")"; fi

# 5. A model without a recipe says what to give; --recipe FILE supplies it.
if "$pat" score -q -m "$tmp/init.safetensors" "$rec" >/dev/null 2>"$tmp/err"
then fail no_recipe_is_explained "accepted"
elif grep -q "has no input recipe" "$tmp/err" && grep -q -- "--recipe FILE" "$tmp/err"
then pass no_recipe_is_explained
else fail no_recipe_is_explained "$(cat "$tmp/err")"; fi
"$pat" info "$tmp/ft.safetensors" | sed -n 's/^meta *\(pat\.recipe\.[a-z_]*\) = \(.*\)/\1=\2/p' >"$tmp/recipe.txt"
"$pat" convert --model "$tmp/ft.safetensors" --recipe "$tmp/recipe.txt" -o "$tmp/ft2.safetensors" -q 2>"$tmp/err"
if "$pat" score -q -m "$tmp/ft2.safetensors" --recipe "$tmp/recipe.txt" "$rec" -o "$tmp/s5.csv" 2>>"$tmp/err" &&
    cmp -s "$tmp/s2.csv" "$tmp/s5.csv"
then pass recipe_file_round_trip
else fail recipe_file_round_trip "$(cat "$tmp/err")"; fi

# 6. JSON output carries the recipe and the most-attended time of each window.
if "$pat" score -q -m "$tmp/ft.safetensors" "$rec" --json "$tmp/s.json" -o /dev/null 2>"$tmp/err" &&
    grep -q '"window_length": "1440"' "$tmp/s.json" && grep -q '"most_attended": "' "$tmp/s.json"
then pass json_output
else fail json_output "$(cat "$tmp/err")"; fi
# 7. pat eval --by participant against a participant AUC computed here:
#    window probabilities from pat predict, ids and labels from pat data
#    export, per-participant means and the pairwise AUC in awk. (The
#    participant bootstrap is checked against Python in test_participant.)
"$pat" predict -q -m "$tmp/ft.safetensors" -i "$tmp/train.patd" -o "$tmp/tp.csv" 2>"$tmp/err"
"$pat" data export --csv "$tmp/train.patd" -o "$tmp/tx.csv" --labels "$tmp/ty.csv" -q 2>>"$tmp/err"
"$pat" eval -m "$tmp/ft.safetensors" -i "$tmp/train.patd" --split all --by participant --json \
    --bootstrap 300 --seed 9 -o "$tmp/ep.json" 2>>"$tmp/err"
auc=$(awk -F, 'NR == FNR { if (FNR > 1) p[FNR] = $NF; next }
    FNR > 1 { id = $1; s[id] += p[FNR]; n[id]++; y[id] = $3 }
    END { for (i in s) m[i] = s[i] / n[i]
          for (a in m) for (b in m) if (y[a] == 1 && y[b] == 0) {
              pairs++; num += m[a] > m[b] ? 1 : (m[a] == m[b] ? 0.5 : 0) }
          printf "%.9f", num / pairs }' "$tmp/tp.csv" "$tmp/ty.csv")
got=$(sed -n 's/.*"roc_auc": *\([0-9.e-]*\).*/\1/p' "$tmp/ep.json" | head -1)
np=$(sed -n 's/.*"participants": *\([0-9]*\).*/\1/p' "$tmp/ep.json" | head -1)
if close "$got" "$auc" && [ "$np" = 12 ] && grep -q '"by": "participant"' "$tmp/ep.json"
then pass eval_by_participant_auc
else fail eval_by_participant_auc "eval '$got' ($np participants), awk '$auc'; $(tail -2 "$tmp/err")"; fi
# the same from CSV rows and the exported labels file (ids come with it)
"$pat" eval -m "$tmp/ft.safetensors" -i "$tmp/tx.csv" --labels "$tmp/ty.csv" --by participant \
    --json --bootstrap 300 --seed 9 -o "$tmp/ep2.json" 2>"$tmp/err"
if [ -s "$tmp/ep2.json" ] && [ "$(grep -v '"input"\|"labels"\|"split"' "$tmp/ep.json")" = \
    "$(grep -v '"input"\|"labels"\|"split"' "$tmp/ep2.json")" ]
then pass eval_by_participant_csv_with_export_labels
else fail eval_by_participant_csv_with_export_labels "$(cat "$tmp/err")"; fi
# window level reads the exported labels too; one label per line cannot name participants
tail -n +2 "$tmp/ty.csv" | cut -d, -f3 >"$tmp/ty1.csv"
"$pat" eval -m "$tmp/ft.safetensors" -i "$tmp/tx.csv" --labels "$tmp/ty.csv" -o "$tmp/ew1" 2>"$tmp/err"
"$pat" eval -m "$tmp/ft.safetensors" -i "$tmp/tx.csv" --labels "$tmp/ty1.csv" -o "$tmp/ew2" 2>>"$tmp/err"
if [ -s "$tmp/ew1" ] && cmp -s "$tmp/ew1" "$tmp/ew2" &&
    ! "$pat" eval -m "$tmp/ft.safetensors" -i "$tmp/tx.csv" --labels "$tmp/ty1.csv" \
        --by participant 2>"$tmp/err" >/dev/null && grep -q "needs each row's participant" "$tmp/err"
then pass labels_files_both_kinds
else fail labels_files_both_kinds "$(cat "$tmp/err")"; fi
exit 0
