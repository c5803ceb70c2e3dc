#!/bin/sh
# test_crash_safety.sh BUILD - pat finetune and pat pretrain survive SIGKILL.
#
# On a tiny dataset (pat data synth + pat data build --length 144, PAT-S,
# 4 epochs) each command is run once uninterrupted, then in TRIALS seeded
# trials: started with --checkpoint, killed with SIGKILL after a random
# delay, its checkpoint checked (absent, or complete: the strict reader of
# --resume refuses a truncated or damaged file; the header length and the
# data offsets must cover the file exactly), resumed from it, and sometimes
# killed again during the resume. The final weights must be byte-identical to
# the uninterrupted run's.
#
#   PAT_CRASH_TRIALS  trials per command (default 20; 0 skips the test)
#   PAT_CRASH_SEED    seed of the kill delays (default 1)
#   PAT_CRASH_EPOCHS  epochs per run (default 4; the long variant: more)
build=${1:-build}
pat="$build/pat"
trials=${PAT_CRASH_TRIALS:-20}
seed=${PAT_CRASH_SEED:-1}
epochs=${PAT_CRASH_EPOCHS:-4}
tmp=$(mktemp -d)
child=
trap '[ -n "$child" ] && kill -9 "$child" 2>/dev/null; rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

if [ "$trials" -eq 0 ]; then
    echo "SKIP crash_safety: PAT_CRASH_TRIALS=0"
    exit 0
fi

# The data: 10 participants, 6 windows of 144 minutes each.
if ! { "$pat" data synth --kind depresjon --n 10 --prevalence 0.5 --days 8 --seed 3 \
           -o "$tmp/raw" &&
       "$pat" data build --depresjon "$tmp/raw" --length 144 --max-windows 6 \
           --val 0.25 --test 0.25 -o "$tmp/d.patd" &&
       "$pat" init --arch S --seed 2 -o "$tmp/init.safetensors"; } >"$tmp/log" 2>&1; then
    fail crash_safety_setup "$(tail -3 "$tmp/log")"
    exit 1
fi

ft_args="finetune -q -t 1 -m $tmp/init.safetensors --data $tmp/d.patd --epochs $epochs \
--batch-size 8 --patience 0 --shuffle 1"
pt_args="pretrain -q -t 1 --arch S --data $tmp/d.patd --epochs $epochs --batch-size 8 \
--patience 0"

# A seeded uniform delay in [0, max) seconds, 3 decimals.
delay() { awk -v s="$1" -v m="$2" 'BEGIN { srand(s); printf "%.3f", rand() * m }'; }

# Wall seconds of a command, at least 0.2 (for the delay range).
elapsed() {
    t0=$(date +%s.%N)
    "$@" >"$tmp/log" 2>&1 || return 1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { d = b - a; printf "%.3f", d < 0.2 ? 0.2 : d }'
}

# A checkpoint is absent or complete: the 8-byte little-endian header length
# N (< 100 MB), a header ending in '}' (or padding spaces), and data offsets
# whose largest end equals the file size minus 8 + N.
ckpt_complete() {
    f=$1
    [ -e "$f" ] || return 0
    size=$(wc -c <"$f")
    [ "$size" -ge 8 ] || return 1
    n=$(od -A n -t u8 -N 8 "$f" | tr -d ' ')
    [ "$n" -gt 1 ] && [ "$n" -lt 100000000 ] && [ $((8 + n)) -le "$size" ] || return 1
    end=$(head -c $((8 + n)) "$f" | tail -c "$n" | tr ',' '\n' |
          sed -n 's/^\([0-9][0-9]*\)\]}\{1,\} *$/\1/p' | sort -n | tail -1)
    [ -n "$end" ] && [ $((8 + n + end)) -eq "$size" ]
}

# run_trials NAME ARGS: TRIALS kill-and-resume trials of `pat ARGS`.
run_trials() {
    name=$1 args=$2
    # shellcheck disable=SC2086
    if ! ref_time=$(elapsed "$pat" $args -o "$tmp/$name.ref" --checkpoint "$tmp/$name.refck"); then
        fail "${name}_reference" "$(tail -3 "$tmp/log")"
        return
    fi
    # within the uninterrupted run's time, so that nearly every trial kills a live run
    max=$(awk -v t="$ref_time" 'BEGIN { printf "%.3f", t * 0.9 }')
    ok=0 killed=0 twice=0 resumed=0 bad=
    i=0
    while [ "$i" -lt "$trials" ]; do
        i=$((i + 1))
        d="$tmp/$name.$i"
        mkdir "$d"
        s=$((seed * 1000 + i))
        kills=1
        [ $((i % 4)) -eq 0 ] && kills=2 # every fourth trial: kill the resume too
        k=0
        while :; do
            resume=
            [ -e "$d/ck" ] && resume="--resume $d/ck"
            # shellcheck disable=SC2086
            "$pat" $args -o "$d/out" --checkpoint "$d/ck" $resume >"$d/log" 2>&1 &
            child=$!
            if [ "$k" -lt "$kills" ]; then
                sleep "$(delay $((s * 7 + k)) "$max")"
                hit=0
                if kill -9 "$child" 2>/dev/null; then killed=$((killed + 1)) hit=1; fi
                wait "$child" 2>/dev/null
                child=
                k=$((k + 1))
                if ! ckpt_complete "$d/ck"; then
                    bad="trial $i: checkpoint truncated or malformed after SIGKILL"
                    break
                fi
                if [ -e "$d/out" ] && ! ckpt_complete "$d/out"; then
                    bad="trial $i: output truncated after SIGKILL"
                    break
                fi
                [ "$hit" -eq 1 ] && [ -e "$d/ck" ] && resumed=$((resumed + 1))
                [ "$k" -eq 2 ] && twice=$((twice + 1))
                continue
            fi
            wait "$child"
            rc=$?
            child=
            if [ "$rc" -ne 0 ]; then
                bad="trial $i: resume failed (exit $rc): $(tail -2 "$d/log")"
            elif ! cmp -s "$d/out" "$tmp/$name.ref"; then
                bad="trial $i: final weights differ from the uninterrupted run"
            fi
            break
        done
        [ -n "$bad" ] && break
        ok=$((ok + 1))
        rm -rf "$d"
    done
    if [ -n "$bad" ]; then
        fail "${name}_sigkill_resume" "$bad"
    else
        pass "${name}_sigkill_resume ($ok trials, $killed kills, $resumed of them resumed from a checkpoint, $twice killed twice, identical weights)"
    fi
}

# A non-finite loss stops the run with a clear message and exit status 5;
# the checkpoint already at --checkpoint (the last good one) is left as it
# was and no output is written. The model's first LayerNorm gamma at FLT_MAX
# is finite (accepted) but overflows the forward pass at the first step.
# (Inputs of +-3e38 did this before; they are now refused up front, naming
# the file and row: tests/test_hardening_cli.sh.)
nonfinite_stops() {
    name=$1; shift
    cp "$tmp/good.ck" "$tmp/nan.ck"
    rm -f "$tmp/nan.out"
    "$pat" "$@" -o "$tmp/nan.out" --checkpoint "$tmp/nan.ck" >"$tmp/log" 2>&1
    rc=$?
    if [ "$rc" -ne 5 ]; then fail "$name" "exit $rc, expected 5: $(tail -2 "$tmp/log")"
    elif ! grep -q "non-finite loss or gradient at .*epoch 1, step 1" "$tmp/log"; then
        fail "$name" "message: $(tail -2 "$tmp/log")"
    elif ! cmp -s "$tmp/good.ck" "$tmp/nan.ck"; then fail "$name" "checkpoint changed"
    elif [ -e "$tmp/nan.out" ]; then fail "$name" "output written"
    else pass "$name"
    fi
}
awk -v dir="$tmp" 'BEGIN { srand(5); for (i = 0; i < 16; i++) { l = "";
    for (t = 0; t < 144; t++) l = l (t ? "," : "") int(rand() * 100);
    print l; print i % 2 > (dir "/hy.csv") } }' >"$tmp/hx.csv"
# huge_gamma IN OUT: OUT = IN with encoder_layer_1_norm1/gamma at FLT_MAX.
huge_gamma() {
    cp "$1" "$2"
    hlen=$(od -An -t u8 -N8 "$2" | tr -d ' ')
    range=$(dd if="$2" bs=1 skip=8 count="$hlen" 2>/dev/null | tr '}' '\n' |
            grep -F '"encoder_layer_1_transformer/encoder_layer_1_norm1/gamma":' |
            sed 's/.*data_offsets":\[\([0-9]*\),\([0-9]*\)\].*/\1 \2/')
    set -- "$2" $range
    i=0
    while [ $i -lt $((($3 - $2) / 4)) ]; do printf '\377\377\177\177'; i=$((i + 1)); done |
        dd of="$1" bs=1 seek=$((8 + hlen + $2)) conv=notrunc 2>/dev/null
}
huge_gamma "$tmp/init.safetensors" "$tmp/huge.safetensors"
# shellcheck disable=SC2086
if "$pat" $ft_args -o "$tmp/good.out" --checkpoint "$tmp/good.ck" >"$tmp/log" 2>&1; then
    nonfinite_stops finetune_nonfinite_loss_keeps_checkpoint finetune -q -t 1 \
        -m "$tmp/huge.safetensors" --train "$tmp/hx.csv" --train-labels "$tmp/hy.csv" \
        --val "$tmp/hx.csv" --val-labels "$tmp/hy.csv" --epochs 2 --batch-size 8
    nonfinite_stops pretrain_nonfinite_loss_keeps_checkpoint pretrain -q -t 1 \
        --init "$tmp/huge.safetensors" --train "$tmp/hx.csv" --epochs 2 --batch-size 8
else
    fail nonfinite_setup "$(tail -2 "$tmp/log")"
fi

run_trials finetune "$ft_args"
run_trials pretrain "$pt_args"
