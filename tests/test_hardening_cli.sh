#!/bin/sh
# test_hardening_cli.sh BUILD - command-line regressions of issue 12:
# non-finite results made inside pat (exit 5, row named, nothing written),
# the row-length cap (--max-minutes), OMP_NUM_THREADS capped at the -t
# limit.
build=${1:-build}
pat="$build/pat"
fx="$build/fixtures/model"
model="$fx/s.safetensors"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

# expect NAME WANT_RC GREP -- command...: exit code and a stderr substring.
expect() {
    name=$1 want=$2 pattern=$3; shift 4
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -ne "$want" ]; then fail "$name" "exit $rc, expected $want: $(cat "$tmp/err")"; return 1; fi
    if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$tmp/err" "$tmp/out"; then
        fail "$name" "output lacks '$pattern': $(cat "$tmp/err")"; return 1
    fi
    pass "$name"
}

# patch_tensor FILE NAME BYTES: overwrite every float of tensor NAME of a
# safetensors file with the 4 bytes BYTES (printf escapes).
patch_tensor() {
    hlen=$(od -An -t u8 -N8 "$1" | tr -d ' ')
    range=$(dd if="$1" bs=1 skip=8 count="$hlen" 2>/dev/null | tr '}' '\n' |
            grep -F "\"$2\":" | sed 's/.*data_offsets":\[\([0-9]*\),\([0-9]*\)\].*/\1 \2/')
    set -- "$1" "$3" $range
    n=$((($4 - $3) / 4)); i=0
    while [ $i -lt $n ]; do printf "$2"; i=$((i + 1)); done |
        dd of="$1" bs=1 seek=$((8 + hlen + $3)) conv=notrunc 2>/dev/null
}

# Item 3: the last LayerNorm's gamma at FLT_MAX overflows every embedding.
cp "$model" "$tmp/huge.safetensors"
patch_tensor "$tmp/huge.safetensors" encoder_layer_1_transformer/encoder_layer_1_norm2/gamma '\377\377\177\177'
if expect nonfinite_result_is_fatal 5 "huge.safetensors gave" -- \
        "$pat" embed -q -m "$tmp/huge.safetensors" -i "$fx/x_day.csv" -o "$tmp/e.csv"; then
    if ! grep -q "for row 1 " "$tmp/err"; then fail nonfinite_names_row "$(cat "$tmp/err")"
    elif [ -e "$tmp/e.csv" ]; then fail nonfinite_names_row "output written"
    else pass nonfinite_names_row; fi
fi

# Item 6: a row longer than 8 weeks is refused unless --max-minutes allows it.
awk 'BEGIN { n = 18 * 4481; for (i = 1; i <= n; i++) printf "%d%s", i % 7, i < n ? "," : "\n" }' \
    >"$tmp/long.csv"
expect row_length_capped 2 "raise it with --max-minutes" -- \
    "$pat" embed -q -m "$model" -i "$tmp/long.csv" -o "$tmp/long_e.csv"
expect row_length_max_minutes_raises 0 "" -- \
    "$pat" embed -q -m "$model" -i "$tmp/long.csv" -o "$tmp/long_e.csv" --max-minutes 100000
expect max_minutes_checked 2 "max-minutes must be" -- \
    "$pat" embed -q -m "$model" -i "$tmp/long.csv" --max-minutes 0

# Item 7: OMP_NUM_THREADS far above the -t limit is capped, not a crash.
"$pat" embed -q -t 1 -m "$model" -i "$fx/x_day.csv" -o "$tmp/t1.csv"
OMP_NUM_THREADS=100000 "$pat" embed -q -m "$model" -i "$fx/x_day.csv" -o "$tmp/tmany.csv" \
    2>"$tmp/err"; rc=$?
if [ "$rc" -eq 0 ] && cmp -s "$tmp/t1.csv" "$tmp/tmany.csv"; then pass omp_num_threads_capped
else fail omp_num_threads_capped "exit $rc: $(head -c 300 "$tmp/err")"; fi

# Messages: bytes echoed from a file are escaped (no raw ESC/BEL reaches the
# terminal; an invalid UTF-8 byte such as 0x92 shows as \x92).
printf '1,2\n3,\033[31mX\a\222\n' >"$tmp/esc.csv"
"$pat" embed -q -m "$model" -i "$tmp/esc.csv" 2>"$tmp/err" >/dev/null
if grep -q "$(printf '\033')" "$tmp/err" || grep -q "$(printf '\a')" "$tmp/err" ||
   ! grep -qF '\x1B[31mX\x07\x92' "$tmp/err"; then
    fail message_bytes_escaped "$(od -c "$tmp/err" | head -5)"
else
    pass message_bytes_escaped
fi

# A UTF-8 BOM is stripped: by the matrix CSV reader and the per-participant
# layouts (whose detection failed on it).
awk 'BEGIN { printf "\357\273\277"; for (i = 1; i <= 18; i++) printf "%d%s", i, i < 18 ? "," : "\n" }' >"$tmp/bom.csv"
expect bom_matrix_csv 0 "" -- "$pat" embed -q -m "$model" -i "$tmp/bom.csv" -o "$tmp/bom_e.csv"
mkdir "$tmp/rec"
awk 'BEGIN { printf "\357\273\277timestamp,date,activity\n";
    for (m = 0; m < 3 * 1440; m++) { d = int(m / 1440) + 1; h = int((m % 1440) / 60); mi = m % 60;
        printf "2003-01-%02d %02d:%02d:00,2003-01-%02d,%d\n", d, h, mi, d, m % 97 } }' >"$tmp/rec/p1.csv"
expect bom_recording_layout 0 "" -- "$pat" data build --csv "$tmp/rec/p1.csv" --length 1440 \
    --scaler none -o "$tmp/rec.patd"

# A CR-only file names its line endings.
printf '1,2\r3,4\r' >"$tmp/cr.csv"
expect cr_line_endings 4 "CR line endings" -- "$pat" embed -q -m "$model" -i "$tmp/cr.csv"
printf 'timestamp,date,activity\r2003-01-01 00:00:00,2003-01-01,1\r' >"$tmp/rec/cr.csv"
expect cr_line_endings_recording 4 "CR line endings" -- \
    "$pat" data build --csv "$tmp/rec/cr.csv" --length 1440 -o "$tmp/cr.patd"

# A raw recording given to predict points to pat data build.
expect raw_recording_points_to_data_build 4 "pat data build" -- \
    "$pat" predict -q -m "$model" -i "$tmp/rec/p1.csv"

# --lr out of range says the allowed range.
expect lr_range_named 2 "in \[0, 10\]" -- \
    "$pat" pretrain --arch S --data "$tmp/rec.patd" --lr 50 -o "$tmp/pre"

# One spelling for "unlabeled" (NA) and rows counted from 1, in
# data info --rows and in .patd messages.
tail -c +4 "$tmp/rec/p1.csv" >"$tmp/p1.csv" # without the BOM
"$pat" data build --csv "$tmp/p1.csv" --length 1440 --scaler none -q -o "$tmp/plain.patd"
"$pat" data info "$tmp/plain.patd" --rows >"$tmp/info" 2>&1
if grep -q '^1,p1,.*,NA,' "$tmp/info" && ! grep -q ',nan,' "$tmp/info"; then pass data_info_rows_na_one_based
else fail data_info_rows_na_one_based "$(tail -3 "$tmp/info")"; fi
cp "$tmp/plain.patd" "$tmp/nan.patd"
printf '\000\000\300\177' | dd of="$tmp/nan.patd" bs=1 seek=516 conv=notrunc 2>/dev/null
expect patd_rows_one_based 5 "row 1, minute 2 is not finite" -- "$pat" data info "$tmp/nan.patd"

# --phq-missing zero: the participants whose items were zeroed are counted.
if "$pat" data synth --kind nhanes -o "$tmp/nh" --n 120 --seed 2 >/dev/null 2>&1; then
    expect phq_missing_zero_counted 0 "8 with refused or missing items counted as 0" -- \
        "$pat" data build --paxmin "$tmp/nh/PAXMIN_H.XPT" --dpq "$tmp/nh/DPQ_H.XPT" \
        --phq-missing zero -o "$tmp/nh.patd"
else
    echo "SKIP phq_missing_zero_counted: no NHANES synthesis (built without libreadstat)"
fi

# Huge finite training inputs are named as such (they stopped training with
# "lower the learning rate").
awk -F, 'NR == 2 { for (i = 1; i <= NF; i++) $i = (i % 2 ? "3e38" : "-3e38") } { print }' OFS=, \
    "$fx/x_day.csv" >"$tmp/big.csv"
awk 'END { for (i = 1; i <= NR; i++) print i % 2 }' "$fx/x_day.csv" >"$tmp/y.csv"
expect huge_training_input_named 5 "big.csv: row 2, column 1 is 3e+38, out of the range" -- \
    "$pat" finetune -q -m "$model" --train "$tmp/big.csv" --train-labels "$tmp/y.csv" \
    --val "$fx/x_day.csv" --val-labels "$tmp/y.csv" --epochs 1 -o "$tmp/ft.safetensors"
