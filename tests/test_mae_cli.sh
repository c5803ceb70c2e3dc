#!/bin/sh
# test_mae_cli.sh BUILD - pat pretrain end to end on a synthetic cohort: the
# validation loss falls, the encoder is accepted by pat finetune, pat convert
# --to-keras round-trips it, a finished checkpoint resumes to the same file,
# and bad command lines are refused.
build=${1:-build}
pat="$build/pat"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

expect() {
    name=$1 want=$2 pattern=$3; shift 4
    "$@" >"$tmp/out" 2>"$tmp/err"; rc=$?
    if [ "$rc" -ne "$want" ]; then fail "$name" "exit $rc, expected $want: $(tail -3 "$tmp/err")"; return; fi
    if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$tmp/err" "$tmp/out"; then
        fail "$name" "output lacks '$pattern': $(tail -3 "$tmp/err")"; return
    fi
    pass "$name"
}

# 48 standardized-looking sequences of 360 minutes: a rhythm of random phase
# and amplitude, activity bouts, noise; labels: amplitude above its median.
awk 'BEGIN { srand(7); for (i = 0; i < 48; i++) { ph = 6.2832 * rand(); a = 0.5 + rand();
      b = int(rand() * 330); line = "";
      for (t = 0; t < 360; t++) { v = a * sin(6.2832 * t / 90 + ph) + 0.2 * (rand() - 0.5);
          if (t >= b && t < b + 20) v += 0.8; line = line (t ? "," : "") sprintf("%.4f", v) }
      print line; print (a > 1.0 ? 1 : 0) > "'"$tmp"'/y.csv" } }' > "$tmp/x.csv"
head -n 40 "$tmp/x.csv" > "$tmp/xtr.csv"; tail -n 8 "$tmp/x.csv" > "$tmp/xva.csv"
head -n 40 "$tmp/y.csv" > "$tmp/ytr.csv"; tail -n 8 "$tmp/y.csv" > "$tmp/yva.csv"

expect help_pretrain 0 "Usage: pat pretrain" -- "$pat" pretrain --help
expect pretrain_runs 0 "wrote $tmp/enc.safetensors" -- "$pat" pretrain --arch S \
    --train "$tmp/x.csv" -o "$tmp/enc.safetensors" --epochs 4 --batch-size 8 --lr 3e-3 \
    --mask-ratio 0.75 --unshuffle faithful --results "$tmp/r.json" --curves "$tmp/c.svg" \
    --checkpoint "$tmp/ck.safetensors" -t 1

# validation loss: best below the first epoch's
first=$(grep -m1 '"val_loss"' "$tmp/r.json" | sed 's/.*: *//; s/,//')
best=$(grep '"best_val_loss"' "$tmp/r.json" | sed 's/.*: *//; s/,//')
if [ -n "$first" ] && awk "BEGIN { exit !($best < $first) }"; then pass pretrain_val_loss_falls
else fail pretrain_val_loss_falls "first $first, best $best"; fi
if grep -q '"val_rows": 5' "$tmp/r.json" && grep -q '<svg' "$tmp/c.svg"; then pass pretrain_outputs
else fail pretrain_outputs "results JSON (Keras split of 48 rows: 5 validation) or curves SVG wrong"; fi
expect pretrain_provenance 0 "pat.pretrain.unshuffle = faithful" -- "$pat" info "$tmp/enc.safetensors"

expect finetune_accepts_encoder 0 "has no head: added one" -- "$pat" finetune \
    -m "$tmp/enc.safetensors" -o "$tmp/ft.safetensors" --train "$tmp/xtr.csv" \
    --train-labels "$tmp/ytr.csv" --val "$tmp/xva.csv" --val-labels "$tmp/yva.csv" \
    --epochs 1 --batch-size 8

# resuming the finished run's checkpoint ends with the same encoder file
expect pretrain_resume 0 "" -- "$pat" pretrain --arch S --train "$tmp/x.csv" \
    -o "$tmp/enc2.safetensors" --epochs 4 --batch-size 8 --lr 3e-3 --mask-ratio 0.75 \
    --unshuffle faithful --resume "$tmp/ck.safetensors" -q -t 2
if cmp -s "$tmp/enc.safetensors" "$tmp/enc2.safetensors"; then pass pretrain_resume_identical
else fail pretrain_resume_identical "encoders differ"; fi
expect pretrain_resume_other_options 2 "other options or data" -- "$pat" pretrain --arch S \
    --train "$tmp/x.csv" -o "$tmp/enc3.safetensors" --epochs 4 --batch-size 8 --lr 1e-3 \
    --mask-ratio 0.75 --unshuffle faithful --resume "$tmp/ck.safetensors" -q

if ! "$pat" --version | grep -q "HDF5 import: yes"; then
    echo "SKIP convert_to_keras: built without HDF5"
else
    expect convert_to_keras 0 "PAT-S, 274720 parameters" -- "$pat" convert \
        --to-keras "$tmp/enc.safetensors" -o "$tmp/enc.h5"
    expect convert_back 0 "" -- "$pat" convert --from-keras "$tmp/enc.h5" -o "$tmp/back.safetensors"
    "$pat" embed -m "$tmp/enc.safetensors" -i "$tmp/xva.csv" -o "$tmp/e1.csv" 2>/dev/null
    "$pat" embed -m "$tmp/back.safetensors" -i "$tmp/xva.csv" -o "$tmp/e2.csv" 2>/dev/null
    if [ -s "$tmp/e1.csv" ] && cmp -s "$tmp/e1.csv" "$tmp/e2.csv"; then pass keras_round_trip_identical
    else fail keras_round_trip_identical "embeddings differ after --to-keras/--from-keras"; fi
    expect convert_needs_one_direction 2 "give one of" -- "$pat" convert -o "$tmp/z.h5"
fi

# a dataset from the data pipeline: its participant-level split, per-split scalers
"$pat" data synth --kind depresjon -o "$tmp/raw" --n 12 --days 8 --seed 2 >/dev/null 2>&1
"$pat" data build --depresjon "$tmp/raw" -o "$tmp/d.patd" --length 360 --scaler per-split \
    --val 0.25 --test 0.1 -q >/dev/null 2>&1
val_rows=$("$pat" data info "$tmp/d.patd" 2>/dev/null | awk '$1 == "val" { print $2 }')
expect pretrain_dataset 0 "/ $val_rows validation sequences of 360 minutes, standardized" -- \
    "$pat" pretrain --data "$tmp/d.patd" --arch S -o "$tmp/encd.safetensors" --epochs 1 \
    --batch-size 32 --mask-group sequence
expect pretrain_dataset_last 0 "standardized" -- "$pat" pretrain --data "$tmp/d.patd" \
    --arch S -o "$tmp/encd.safetensors" --epochs 1 --batch-size 32 --val-split last
expect pretrain_dataset_needs_no_val 2 "goes with --train" -- "$pat" pretrain --data "$tmp/d.patd" \
    --val "$tmp/x.csv" --arch S -o "$tmp/z.safetensors"

expect pretrain_needs_output 2 "missing -o" -- "$pat" pretrain --arch S --train "$tmp/x.csv"
expect pretrain_arch_or_init 2 "one of --arch or --init" -- "$pat" pretrain --train "$tmp/x.csv" \
    -o "$tmp/z.safetensors"
expect pretrain_bad_unshuffle 2 "unknown value 'sideways'" -- "$pat" pretrain --arch S \
    --train "$tmp/x.csv" -o "$tmp/z.safetensors" --unshuffle sideways
cut -d, -f1-350 "$tmp/x.csv" > "$tmp/x350.csv"
expect pretrain_bad_length 2 "not a positive multiple" -- "$pat" pretrain --arch S \
    --train "$tmp/x350.csv" -o "$tmp/z.safetensors" --epochs 1 -q
if [ -e "$tmp/z.safetensors" ]; then fail pretrain_no_partial "output left behind"
else pass pretrain_no_partial; fi
