#!/bin/sh
# test_transform_cli.sh BUILD - input transforms across the CLI: a model
# fine-tuned on a --log1p dataset records pat.input_transform = log1p and
# then scores raw minutes (CSV), raw datasets and log1p datasets alike,
# bit for bit; a model without the transform refuses log1p rows; raw CSV
# values <= -1 are refused naming the row and column.
build=${1:-build}
pat="$build/pat"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
days="--length 1440 --nonwear-zeros 600 --min-day-minutes 600 --val 0.3 --test 0 --max-windows 3 -q"

"$pat" data synth --kind depresjon -o "$tmp/cohort" --n 12 --prevalence 0.5 --days 8 --seed 3 \
    >/dev/null 2>&1 || { fail setup "pat data synth failed"; exit 0; }
# shellcheck disable=SC2086
"$pat" data build --depresjon "$tmp/cohort" $days --log1p -o "$tmp/log.patd" 2>"$tmp/err" &&
    "$pat" data build --depresjon "$tmp/cohort" $days --scaler none -o "$tmp/raw.patd" 2>>"$tmp/err" &&
    "$pat" data export --csv "$tmp/raw.patd" -o "$tmp/raw.csv" -q 2>>"$tmp/err" &&
    "$pat" data export --csv "$tmp/log.patd" -o "$tmp/log.csv" -q 2>>"$tmp/err" &&
    "$pat" init --arch S -o "$tmp/init.safetensors" --seed 1 2>>"$tmp/err" ||
    { fail setup "$(tail -3 "$tmp/err")"; exit 0; }

if "$pat" finetune -m "$tmp/init.safetensors" --data "$tmp/log.patd" -o "$tmp/ft.safetensors" \
    --epochs 1 --batch-size 8 --lr 1e-4 -q 2>"$tmp/err" &&
    "$pat" info "$tmp/ft.safetensors" 2>&1 | grep -q 'pat.input_transform.*log1p'
then pass finetune_records_log1p
else fail finetune_records_log1p "$(tail -3 "$tmp/err")"; fi

# The same days: raw CSV, raw dataset, log1p dataset -> identical probabilities.
"$pat" predict -q -m "$tmp/ft.safetensors" -i "$tmp/raw.csv" -o "$tmp/p_csv.csv" 2>"$tmp/err"
# (a dataset's output has a header and id,start columns: keep the probability)
"$pat" predict -q -m "$tmp/ft.safetensors" -i "$tmp/raw.patd" 2>>"$tmp/err" |
    tail -n +2 | cut -d, -f3 >"$tmp/p_raw.csv"
"$pat" predict -q -m "$tmp/ft.safetensors" -i "$tmp/log.patd" 2>>"$tmp/err" |
    tail -n +2 | cut -d, -f3 >"$tmp/p_log.csv"
n=$(wc -l <"$tmp/p_csv.csv" 2>/dev/null || echo 0)
if [ "$n" -gt 10 ] && cmp -s "$tmp/p_csv.csv" "$tmp/p_raw.csv" && cmp -s "$tmp/p_csv.csv" "$tmp/p_log.csv"
then pass predict_raw_equals_transformed
else fail predict_raw_equals_transformed "$n rows; $(tail -2 "$tmp/err")"; fi

# Already-transformed values given as raw minutes are transformed again: different.
"$pat" predict -q -m "$tmp/ft.safetensors" -i "$tmp/log.csv" -o "$tmp/p_twice.csv" 2>/dev/null
if ! cmp -s "$tmp/p_csv.csv" "$tmp/p_twice.csv"; then pass csv_rows_are_raw
else fail csv_rows_are_raw "log1p applied twice gave the same probabilities"; fi

# eval: the log1p dataset and the raw dataset give the same metrics.
"$pat" eval -m "$tmp/ft.safetensors" -i "$tmp/log.patd" --split val --json \
    -o "$tmp/e_log.json" 2>"$tmp/err"
"$pat" eval -m "$tmp/ft.safetensors" -i "$tmp/raw.patd" --split val --json \
    -o "$tmp/e_raw.json" 2>>"$tmp/err"
a=$(grep -o '"roc_auc": *[0-9.e-]*' "$tmp/e_log.json" 2>/dev/null | head -1)
b=$(grep -o '"roc_auc": *[0-9.e-]*' "$tmp/e_raw.json" 2>/dev/null | head -1)
if [ -n "$a" ] && [ "$a" = "$b" ]; then pass eval_same_either_way
else fail eval_same_either_way "log: '$a' raw: '$b'; $(tail -2 "$tmp/err")"; fi

# A model without the transform refuses log1p rows, naming both files.
if "$pat" predict -q -m "$tmp/init.safetensors" -i "$tmp/log.patd" -o "$tmp/p_bad.csv" 2>"$tmp/err"
then fail plain_model_refuses_log1p_rows "accepted"
elif grep -q "log.patd: rows were stored after log1p" "$tmp/err" && grep -q init.safetensors "$tmp/err" &&
    [ ! -e "$tmp/p_bad.csv" ]
then pass plain_model_refuses_log1p_rows
else fail plain_model_refuses_log1p_rows "$(cat "$tmp/err")"; fi

# Raw minutes must be > -1 for log1p.
awk -F, 'NR == 2 { $5 = -1 } { print }' OFS=, "$tmp/raw.csv" >"$tmp/neg.csv"
if "$pat" predict -q -m "$tmp/ft.safetensors" -i "$tmp/neg.csv" -o "$tmp/p_neg.csv" 2>"$tmp/err"
then fail refuses_minus_one "accepted"
elif grep -q "row 2, column 5" "$tmp/err" && grep -q "log(1 + x)" "$tmp/err"
then pass refuses_minus_one
else fail refuses_minus_one "$(cat "$tmp/err")"; fi

# Fine-tuning the log1p model further on raw CSV rows: they go through its
# transform, and the result keeps it.
head -8 "$tmp/raw.csv" >"$tmp/tr.csv"; tail -6 "$tmp/raw.csv" >"$tmp/va.csv"
printf '0\n1\n0\n1\n0\n1\n1\n0\n' >"$tmp/tr_y.csv"; printf '0\n1\n1\n0\n0\n1\n' >"$tmp/va_y.csv"
if "$pat" finetune -m "$tmp/ft.safetensors" --train "$tmp/tr.csv" --train-labels "$tmp/tr_y.csv" \
    --val "$tmp/va.csv" --val-labels "$tmp/va_y.csv" -o "$tmp/ft2.safetensors" --epochs 1 \
    --batch-size 4 -q 2>"$tmp/err" &&
    "$pat" info "$tmp/ft2.safetensors" 2>&1 | grep -q 'pat.input_transform.*log1p'
then pass finetune_csv_keeps_transform
else fail finetune_csv_keeps_transform "$(tail -3 "$tmp/err")"; fi

# Pretraining on a log1p dataset: the encoder records it.
if "$pat" pretrain --arch S --data "$tmp/log.patd" -o "$tmp/enc.safetensors" --epochs 1 \
    --batch-size 8 -q 2>"$tmp/err" &&
    "$pat" info "$tmp/enc.safetensors" 2>&1 | grep -q 'pat.input_transform.*log1p'
then pass pretrain_records_log1p
else fail pretrain_records_log1p "$(tail -3 "$tmp/err")"; fi
