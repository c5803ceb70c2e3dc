#!/bin/sh
# mpi_scaling.sh BUILD [REPEATS] - data-parallel throughput on this machine
# (docs/scaling.md): PAT-M pretraining and full fine-tuning on generated
# weeks (10080 minutes), as 1 rank x 1 thread, 1 rank x 2 threads and
# 2 ranks x 1 thread (mpirun; SETUPS="1x1 1x2 2x1 ..." to change), each
# REPEATS times (default 3). Prints, per run, the training seq/s of the
# epoch (pat's progress line), the wall and CPU seconds of the command (CPU:
# user + system of every rank, when /usr/bin/time exists), and the
# median seq/s of each setup relative to 1 x 1. Every run's model is
# compared with the 1 x 1 one: they must be byte-identical.
# PT_SETUPS / FT_SETUPS set them per kind. Pretraining: 63 training and 9
# validation weeks, batch 32; fine-tuning: 32 and 8, batch 16. Then sharded
# pat score (SCORE_SETUPS; participants/s). TRAIN_KINDS="" skips training,
# SCORE=0 scoring.
# Needs an MPI build (make MPI=1 BUILD=build-mpi) and mpirun.
set -u
build=${1:-build-mpi}
reps=${2:-3}
pat="$build/pat"
mpirun_cmd=${PAT_MPIRUN:-"mpirun --allow-run-as-root --oversubscribe"}
"$pat" --version | grep -q "MPI: yes" || { echo "$pat is built without MPI" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
awk 'BEGIN { srand(5); for (i = 0; i < 72; i++) { ph = 6.2832 * rand(); a = 0.5 + rand(); line = "";
      for (t = 0; t < 10080; t++) { v = a * sin(6.2832 * t / 1440 + ph) + 0.3 * (rand() - 0.5);
          if (a > 1.0 && t % 1440 > 600 && t % 1440 < 660) v += 1.0
          line = line (t ? "," : "") sprintf("%.3f", v) } print line; print (i % 2) > "'"$tmp"'/y.csv" } }' \
    >"$tmp/x.csv"
head -n 32 "$tmp/x.csv" >"$tmp/xtr.csv"; head -n 32 "$tmp/y.csv" >"$tmp/ytr.csv"
sed -n 33,40p "$tmp/x.csv" >"$tmp/xva.csv"; sed -n 33,40p "$tmp/y.csv" >"$tmp/yva.csv"
head -n 72 "$tmp/x.csv" >"$tmp/xpt.csv"
"$pat" init --arch M --seed 1 -o "$tmp/init.safetensors" 2>/dev/null

job() { # job KIND RANKS THREADS OUT
    kind=$1 np=$2 th=$3 out=$4
    if [ "$np" -eq 1 ]; then launch="$pat"; else launch="$mpirun_cmd -np $np $pat"; fi
    if [ "$kind" = pretrain ]; then
        set -- pretrain --arch M --train "$tmp/xpt.csv" --val-fraction 0.112 --epochs 1 \
            --batch-size 32 -t "$th" -o "$out"
    else
        set -- finetune -m "$tmp/init.safetensors" --train "$tmp/xtr.csv" --train-labels "$tmp/ytr.csv" \
            --val "$tmp/xva.csv" --val-labels "$tmp/yva.csv" --epochs 1 --batch-size 16 \
            --lr 1e-4 --patience 0 -t "$th" -o "$out"
    fi
    timer=""
    [ -x /usr/bin/time ] && timer="/usr/bin/time -f TIME_CPU=%U+%S"
    t0=$(date +%s.%N)
    $timer $launch "$@" >"$tmp/log" 2>&1 || { cat "$tmp/log" >&2; echo "0 0 -"; return; }
    sps=$(grep -o '[0-9.]* seq/s' "$tmp/log" | head -1 | cut -d' ' -f1)
    cpu=$(sed -n 's/^TIME_CPU=//p' "$tmp/log" | awk -F+ '{ printf "%.1f", $1 + $2 }')
    echo "$sps $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') ${cpu:--}"
}

lscpu | grep 'Model name'
echo "kind      ranks x threads  seq/s   wall s   cpu s (all ranks)  identical"
for kind in ${TRAIN_KINDS-pretrain finetune}; do
    if [ "$kind" = pretrain ]; then setups=${PT_SETUPS:-${SETUPS:-1x1 1x2 2x1}}
    else setups=${FT_SETUPS:-${SETUPS:-1x1 1x2 2x1}}; fi
    for setup in $setups; do
        np=${setup%x*} th=${setup#*x}
        : >"$tmp/sps"
        for r in $(seq "$reps"); do
            res=$(job "$kind" "$np" "$th" "$tmp/$kind-$np-$th.safetensors")
            ref="$tmp/$kind-1-1.safetensors"
            same=$(cmp -s "$ref" "$tmp/$kind-$np-$th.safetensors" && echo yes || echo NO)
            echo "$kind $np $th $res $same" |
                awk '{ printf "%-9s %2s x %-2s          %6.2f  %7.1f   %6s             %s\n", $1, $2, $3, $4, $5, $6, $7 }'
            echo "$res" | cut -d' ' -f1 >>"$tmp/sps"
            [ "$np$th" = 11 ] && grep '^epoch\|^stage' "$tmp/log" | sed 's/^/    pat: /'
        done
        med=$(sort -n "$tmp/sps" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
        echo "$kind $np $th $med" >>"$tmp/medians"
    done
done
[ -s "$tmp/medians" ] && echo "medians (seq/s) and ratio to 1 rank x 1 thread:" &&
awk '{ if ($2 == 1 && $3 == 1) base[$1] = $4
       printf "  %-9s %2s ranks x %-2s threads  %6.2f  x%.2f\n", $1, $2, $3, $4, base[$1] ? $4 / base[$1] : 0 }' "$tmp/medians"

# Sharded pat score (docs/scaling.md "Sharded scoring"): the demo model over
# a generated cohort of 60 participants x 28 days (one file each), --json
# (attention too), as SCORE_SETUPS (default "1x1 1x2 2x1"); every output
# compared with the 1 x 1 one.
[ "${SCORE:-1}" = 1 ] || exit 0
"$pat" data synth --kind depresjon -o "$tmp/cohort" --n 60 --days 28 --seed 9 >/dev/null 2>&1
echo "score     ranks x threads  part/s  wall s   identical"
: >"$tmp/score_medians"
for setup in ${SCORE_SETUPS:-1x1 1x2 2x1}; do
    np=${setup%x*} th=${setup#*x}
    if [ "$np" -eq 1 ]; then launch="$pat"; else launch="$mpirun_cmd -np $np $pat"; fi
    : >"$tmp/sps"
    for r in $(seq "$reps"); do
        t0=$(date +%s.%N)
        # shellcheck disable=SC2086
        $launch score -q -t "$th" -m models/pat-s-depresjon.safetensors "$tmp"/cohort/*/*_*.csv \
            -o "$tmp/score-$np-$th.csv" --json "$tmp/score-$np-$th.json" 2>"$tmp/log" ||
            { cat "$tmp/log" >&2; continue; }
        wall=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
        same=$(cmp -s "$tmp/score-1-1.json" "$tmp/score-$np-$th.json" &&
               cmp -s "$tmp/score-1-1.csv" "$tmp/score-$np-$th.csv" && echo yes || echo NO)
        awk -v np="$np" -v th="$th" -v w="$wall" -v s="$same" \
            'BEGIN { printf "score     %2s x %-2s          %6.1f  %7.2f   %s\n", np, th, 60 / w, w, s }'
        awk -v w="$wall" 'BEGIN { print 60 / w }' >>"$tmp/sps"
    done
    med=$(sort -n "$tmp/sps" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    echo "score $np $th $med" >>"$tmp/score_medians"
done
echo "medians (participants/s) and ratio to 1 rank x 1 thread:"
awk '{ if ($2 == 1 && $3 == 1) base = $4
       printf "  %-9s %2s ranks x %-2s threads  %6.1f  x%.2f\n", $1, $2, $3, $4, base ? $4 / base : 0 }' \
    "$tmp/score_medians"
