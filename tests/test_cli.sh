#!/bin/sh
# test_cli.sh BUILD - the pat command line: help, exit codes, refusals that
# name row and column and leave no output behind, conversion, threads.
build=${1:-build}
pat="$build/pat"
fx="$build/fixtures/model"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# expect NAME WANT_RC GREP -- command...: exit code and a stderr substring.
expect() {
    name=$1 want=$2 pattern=$3; shift 4
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -ne "$want" ]; then fail "$name" "exit $rc, expected $want: $(cat "$tmp/err")"; return; fi
    if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$tmp/err" "$tmp/out"; then
        fail "$name" "output lacks '$pattern': $(cat "$tmp/err")"; return
    fi
    pass "$name"
}

# max_diff A B: largest absolute difference between two numeric CSVs.
max_diff() {
    paste -d, "$1" "$2" | awk -F, '{ n = NF / 2; for (i = 1; i <= n; i++) {
        d = $i - $(i + n); if (d < 0) d = -d; if (d > m) m = d } } END { printf "%.3g\n", m + 0 }'
}

for cmd in info convert embed predict explain; do
    expect "help_$cmd" 0 "Usage: pat $cmd" -- "$pat" "$cmd" --help
done
expect help_main 0 "Commands:" -- "$pat" --help
expect no_command 2 "Usage" -- "$pat"
expect unknown_command 2 "unknown command" -- "$pat" frobnicate
expect unknown_option 2 "Try 'pat embed --help'" -- "$pat" embed --bogus
expect missing_model_arg 2 "missing -m" -- "$pat" embed -i x.csv
expect info_all 0 "1983616" -- "$pat" info --all
expect info_arch 0 "993440" -- "$pat" info --arch M
expect missing_model_file 3 "nope.safetensors" -- "$pat" embed -m "$tmp/nope.safetensors" -i "$fx/x_day.csv"

if ! "$pat" --version | grep -q "HDF5 import: yes"; then
    echo "SKIP convert_keras: built without HDF5"
else
    expect convert_keras 0 "PAT-L" -- "$pat" convert --from-keras "$fx/l.h5" -o "$tmp/l.safetensors"
    expect info_converted 0 "encoder params 1984192" -- "$pat" info "$tmp/l.safetensors"
    "$pat" embed -q -m "$tmp/l.safetensors" -i "$fx/x_day.csv" -o "$tmp/e.csv"
    d=$(max_diff "$tmp/e.csv" "$fx/l_day_embed.csv")
    if awk "BEGIN { exit !($d <= 1e-4) }"; then pass embed_converted_matches_reference
    else fail embed_converted_matches_reference "max diff $d"; fi
    expect convert_not_h5 4 "" -- "$pat" convert --from-keras "$fx/x_day.csv" -o "$tmp/bad.safetensors"
    if [ -e "$tmp/bad.safetensors" ]; then fail convert_no_partial "output left behind"
    else pass convert_no_partial; fi
fi

model="$fx/s.safetensors"
for kind in predict explain; do
    ref=prob; [ "$kind" = explain ] && ref=explain
    "$pat" "$kind" -q -m "$model" -i "$fx/x_week.csv" -o "$tmp/$kind.csv"
    d=$(max_diff "$tmp/$kind.csv" "$fx/s_week_$ref.csv")
    if awk "BEGIN { exit !($d <= 1e-5) }"; then pass "${kind}_matches_reference"
    else fail "${kind}_matches_reference" "max diff $d"; fi
done

# Threads change nothing, bit for bit.
"$pat" explain -q -t 1 -m "$fx/m.safetensors" -i "$fx/x_day.csv" -o "$tmp/t1.csv"
"$pat" explain -q -t 2 -m "$fx/m.safetensors" -i "$fx/x_day.csv" -o "$tmp/t2.csv"
if cmp -s "$tmp/t1.csv" "$tmp/t2.csv"; then pass threads_bit_identical
else fail threads_bit_identical "outputs differ"; fi

# Bad CSV rows: clear errors naming row and column, no output left behind,
# and an existing output file is left untouched.
printf '1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18\n1,2\n' >"$tmp/short.csv"
awk 'BEGIN { for (r = 0; r < 2; r++) { for (i = 1; i <= 18; i++)
    printf "%s%s", (i > 1 ? "," : ""), (r == 1 && i == 3 ? "nan" : i); print "" } }' >"$tmp/nan.csv"
awk 'BEGIN { for (i = 1; i <= 18; i++) printf "%s%s", (i > 1 ? "," : ""), (i == 2 ? "abc" : i); print "" }' >"$tmp/word.csv"
awk 'BEGIN { for (i = 1; i <= 20; i++) printf "%s%s", (i > 1 ? "," : ""), i; print "" }' >"$tmp/len20.csv"
echo "keep me" >"$tmp/existing.csv"
expect csv_short_row 4 "row 2 has 2 values" -- "$pat" embed -m "$model" -i "$tmp/short.csv" -o "$tmp/existing.csv"
expect csv_nan 5 "row 2, column 3" -- "$pat" embed -m "$model" -i "$tmp/nan.csv" -o "$tmp/o1.csv"
expect csv_word 4 "row 1, column 2" -- "$pat" embed -m "$model" -i "$tmp/word.csv" -o "$tmp/o2.csv"
expect csv_bad_length 2 "multiple of the patch size" -- "$pat" embed -m "$model" -i "$tmp/len20.csv" -o "$tmp/o3.csv"
if [ -e "$tmp/o1.csv" ] || [ -e "$tmp/o2.csv" ] || ls "$tmp" | grep -q '\.tmp\.'; then
    fail csv_no_partial_output "a partial output file was left behind"
elif [ "$(cat "$tmp/existing.csv")" != "keep me" ]; then
    fail csv_no_partial_output "an existing output was overwritten"
else
    pass csv_no_partial_output
fi

# Fine-tuning and evaluation on small generated data (PAT-S, 144 minutes).
gen() { # gen SEED N X Y: rows with a planted signal in minutes 20-40 for label 1
    awk -v seed="$1" -v n="$2" -v yf="$4" 'BEGIN { srand(seed); for (r = 0; r < n; r++) {
        y = r % 2; for (t = 0; t < 144; t++) { v = rand() - 0.5; if (y && t >= 20 && t < 40) v += 1.5
        printf "%s%.3f", (t ? "," : ""), v } printf "\n"; print y > yf } }' >"$3"
}
gen 1 48 "$tmp/xtr.csv" "$tmp/ytr.csv"
gen 2 24 "$tmp/xva.csv" "$tmp/yva.csv"
gen 3 40 "$tmp/xte.csv" "$tmp/yte.csv"
expect init_model 0 "" -- "$pat" init --arch S --seed 3 -o "$tmp/init.safetensors"
expect finetune_runs 0 "test (evaluated once" -- "$pat" finetune -m "$tmp/init.safetensors" \
    --train "$tmp/xtr.csv" --train-labels "$tmp/ytr.csv" --val "$tmp/xva.csv" --val-labels "$tmp/yva.csv" \
    --test "$tmp/xte.csv" --test-labels "$tmp/yte.csv" -o "$tmp/ft.safetensors" --epochs 8 --lr 1e-3 \
    --batch-size 16 --patience 0 --results "$tmp/r.json" --curves "$tmp/c.svg"
if grep -q '"history"' "$tmp/r.json" && grep -q '<svg' "$tmp/c.svg"; then pass finetune_outputs
else fail finetune_outputs "results JSON or curves SVG missing"; fi
expect eval_separates 0 "ROC-AUC         1.0000\|ROC-AUC         0.9[0-9]" -- "$pat" eval -m "$tmp/ft.safetensors" \
    -i "$tmp/xte.csv" --labels "$tmp/yte.csv"
expect eval_json 0 '"roc_auc"' -- "$pat" eval --json -m "$tmp/ft.safetensors" -i "$tmp/xte.csv" --labels "$tmp/yte.csv"
head -n 10 "$tmp/ytr.csv" >"$tmp/yshort.csv"
expect finetune_label_count 4 "has 10 labels but" -- "$pat" finetune -m "$tmp/init.safetensors" \
    --train "$tmp/xtr.csv" --train-labels "$tmp/yshort.csv" --val "$tmp/xva.csv" --val-labels "$tmp/yva.csv" -o "$tmp/bad.safetensors"
sed 's/^1$/2/' "$tmp/yva.csv" >"$tmp/ybad.csv"
expect finetune_label_value 4 "is not 0 or 1" -- "$pat" finetune -m "$tmp/init.safetensors" \
    --train "$tmp/xtr.csv" --train-labels "$tmp/ytr.csv" --val "$tmp/xva.csv" --val-labels "$tmp/ybad.csv" -o "$tmp/bad.safetensors"
sed 's/^1$/0/' "$tmp/yva.csv" >"$tmp/yone.csv"
expect finetune_single_class 2 "single class" -- "$pat" finetune -m "$tmp/init.safetensors" \
    --train "$tmp/xtr.csv" --train-labels "$tmp/ytr.csv" --val "$tmp/xva.csv" --val-labels "$tmp/yone.csv" -o "$tmp/bad.safetensors"
if [ -e "$tmp/bad.safetensors" ]; then fail finetune_no_partial "output left behind"; else pass finetune_no_partial; fi
expect init_encoder_only 0 "" -- "$pat" init --arch S --no-head -o "$tmp/enc.safetensors"
expect eval_needs_head 2 "no classification head" -- "$pat" eval -m "$tmp/enc.safetensors" -i "$tmp/xte.csv" --labels "$tmp/yte.csv"

# A dataset from pat data feeds finetune, eval and embed.
expect data_synth 0 "" -- "$pat" data synth --kind depresjon -o "$tmp/syn" --n 16 --seed 4
expect data_build 0 "" -- "$pat" data build --depresjon "$tmp/syn" -o "$tmp/d.patd" --length 144 \
    --min-day-minutes 0 --val 0.25 --test 0.25 --seed 1 -q
expect finetune_dataset 0 "test (evaluated once" -- "$pat" finetune -m "$tmp/init.safetensors" \
    --data "$tmp/d.patd" -o "$tmp/ftd.safetensors" --epochs 2 --lr 1e-3 --batch-size 32 --patience 0
expect finetune_dataset_scaler 0 "scaler         per-minute, 144 minutes" -- "$pat" info "$tmp/ftd.safetensors"
expect eval_dataset 0 "ROC-AUC" -- "$pat" eval -m "$tmp/ftd.safetensors" -i "$tmp/d.patd" --split val
"$pat" embed -q -m "$tmp/ftd.safetensors" -i "$tmp/d.patd" -o "$tmp/ed.csv"
rows=$("$pat" data info "$tmp/d.patd" | awk '/^rows/ { print $2 }')
# a header, then id,start and the 96 values per row
if [ -n "$rows" ] && [ "$(wc -l <"$tmp/ed.csv")" -eq $((rows + 1)) ] &&
    head -1 "$tmp/ed.csv" | grep -q '^id,start,embedding_1,' &&
    [ "$(tail -1 "$tmp/ed.csv" | awk -F, '{ print NF }')" -eq 98 ]
then pass embed_dataset_rows
else fail embed_dataset_rows "expected a header and $rows rows, got $(wc -l <"$tmp/ed.csv")"; fi
