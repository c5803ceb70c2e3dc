#!/bin/sh
# test_mpi.sh BUILD - data-parallel pat under mpirun (docs/scaling.md):
# fine-tuning and pretraining end with the bytes of one process for the same
# global batch, a run interrupted under N ranks resumes under another N to
# the bytes of an uninterrupted run, sharded embed/predict/explain write the
# output of one process, a killed rank ends the job within seconds, and an
# error is reported once with a non-zero exit.
#   PAT_MPI_NP   rank counts to try (default "2 3")
#   PAT_MPIRUN   the launcher (default "mpirun --allow-run-as-root --oversubscribe")
# Skips when mpirun or an MPI build (make MPI=1 BUILD=build-mpi) is absent.
build=${1:-build}
pat="$build/pat"
nps=${PAT_MPI_NP:-"2 3"}
mpirun_cmd=${PAT_MPIRUN:-"mpirun --allow-run-as-root --oversubscribe"}

if ! command -v mpirun >/dev/null 2>&1; then
    echo "SKIP mpi: mpirun not found (apt-get install openmpi-bin libopenmpi-dev)"; exit 0
fi
if ! "$pat" --version 2>/dev/null | grep -q "MPI: yes"; then
    echo "SKIP mpi: $pat is built without MPI (make MPI=1 BUILD=build-mpi)"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
mpi() { np=$1; shift; $mpirun_cmd -np "$np" "$@"; }
same() { # same NAME A B
    if [ -s "$2" ] && cmp -s "$2" "$3"; then pass "$1"; else fail "$1" "$3 differs from $2"; fi
}
# shared NAME NP ONE.json RUN.json: the run's results list NP processes, each
# of which computed a part (> 0, < all) of the sequences one process computed
# (identical models alone cannot tell a sharded run from NP full copies)
per_process() { tr -d ' \n' <"$1" | sed -n 's/.*"sequences_per_process":\[\([0-9.,]*\)\].*/\1/p'; }
shared() {
    got=$(per_process "$4") all=$(per_process "$3")
    if echo "$got" | awk -F, -v np="$2" -v all="$all" '{ s = 0; ok = NF == np && all > 0
        for (i = 1; i <= NF; i++) { s += $i; if ($i <= 0 || $i >= all) ok = 0 } exit !(ok && s == all) }'
    then pass "$1"; else fail "$1" "sequences per process [$got], one process [$all]"; fi
}

# labelled rows of 144 minutes (a planted bout for label 1); the MAE's rows
# of 360 minutes with a rhythm of random phase
gen() {
    awk -v seed="$1" -v n="$2" -v yf="$4" 'BEGIN { srand(seed); for (r = 0; r < n; r++) {
        y = r % 2; for (t = 0; t < 144; t++) { v = rand() - 0.5; if (y && t >= 20 && t < 40) v += 1.5
        printf "%s%.3f", (t ? "," : ""), v } printf "\n"; print y > yf } }' >"$3"
}
gen 1 61 "$tmp/xtr.csv" "$tmp/ytr.csv"
gen 2 29 "$tmp/xva.csv" "$tmp/yva.csv"
awk 'BEGIN { srand(7); for (i = 0; i < 90; i++) { ph = 6.2832 * rand(); a = 0.5 + rand(); line = "";
      for (t = 0; t < 360; t++) { v = a * sin(6.2832 * t / 90 + ph) + 0.2 * (rand() - 0.5);
          line = line (t ? "," : "") sprintf("%.4f", v) } print line } }' >"$tmp/mae.csv"
"$pat" init --arch S --seed 3 -o "$tmp/init.safetensors" 2>/dev/null

ft() { # ft OUT "OPTIONS" LAUNCHER...: two-stage fine-tuning, a batch of 13 (not a power of two)
    out=$1 opts=$2; shift 2
    "$@" finetune $opts -m "$tmp/init.safetensors" --train "$tmp/xtr.csv" --train-labels "$tmp/ytr.csv" \
        --val "$tmp/xva.csv" --val-labels "$tmp/yva.csv" --epochs 2 --lr 1e-3 --batch-size 13 \
        --patience 0 --recipe two-stage --stage1-epochs 1 -q -o "$out" >"$tmp/log" 2>&1 ||
        { cat "$tmp/log"; return 1; }
}
pt() { # pt OUT EPOCHS "OPTIONS" LAUNCHER...: pretraining, a batch of 11, mask groups of 3
    out=$1 ep=$2 opts=$3; shift 3
    "$@" pretrain $opts --arch S --train "$tmp/mae.csv" --epochs "$ep" --batch-size 11 --lr 3e-3 \
        --mask-ratio 0.75 --mask-group 3 -q -o "$out" >"$tmp/log" 2>&1 || { cat "$tmp/log"; return 1; }
}

ft "$tmp/ft1.safetensors" "-t 1 --results $tmp/ft1.json" "$pat"
pt "$tmp/pt1.safetensors" 3 "-t 1 --results $tmp/pt1.json" "$pat"
"$pat" embed -q -b 5 -m "$tmp/pt1.safetensors" -i "$tmp/mae.csv" -o "$tmp/e1.csv"
"$pat" predict -q -b 4 -m "$tmp/ft1.safetensors" -i "$tmp/xva.csv" -o "$tmp/p1.csv"
"$pat" explain -q -b 3 -m "$tmp/ft1.safetensors" -i "$tmp/xva.csv" -o "$tmp/x1.csv"
for np in $nps; do
    ft "$tmp/ft$np.safetensors" "-t 1 --results $tmp/ft$np.json" mpi "$np" "$pat"
    same "finetune_np${np}_identical" "$tmp/ft1.safetensors" "$tmp/ft$np.safetensors"
    shared "finetune_np${np}_sharded" "$np" "$tmp/ft1.json" "$tmp/ft$np.json"
    pt "$tmp/pt$np.safetensors" 3 "-t 1 --results $tmp/pt$np.json" mpi "$np" "$pat"
    same "pretrain_np${np}_identical" "$tmp/pt1.safetensors" "$tmp/pt$np.safetensors"
    shared "pretrain_np${np}_sharded" "$np" "$tmp/pt1.json" "$tmp/pt$np.json"
    mpi "$np" "$pat" embed -q -b 5 -m "$tmp/pt1.safetensors" -i "$tmp/mae.csv" -o "$tmp/e$np.csv"
    same "embed_np${np}_identical" "$tmp/e1.csv" "$tmp/e$np.csv"
    mpi "$np" "$pat" predict -q -b 4 -m "$tmp/ft1.safetensors" -i "$tmp/xva.csv" -o "$tmp/p$np.csv"
    same "predict_np${np}_identical" "$tmp/p1.csv" "$tmp/p$np.csv"
    mpi "$np" "$pat" explain -q -b 3 -m "$tmp/ft1.safetensors" -i "$tmp/xva.csv" -o "$tmp/x$np.csv"
    same "explain_np${np}_identical" "$tmp/x1.csv" "$tmp/x$np.csv"
done
# threads inside ranks change nothing either
ft "$tmp/ftt.safetensors" "-t 2" mpi 2 "$pat"
same finetune_np2_threads2_identical "$tmp/ft1.safetensors" "$tmp/ftt.safetensors"

# Kill rank 1 of a long run once its checkpoint exists: the job ends within
# seconds with an error; the checkpoint resumes under other rank counts to
# the bytes of an uninterrupted run.
first=$(echo "$nps" | awk '{ print $1 }')
pt "$tmp/long1.safetensors" 12 "-t 1" "$pat"
$mpirun_cmd -np "$first" "$pat" pretrain --arch S --train "$tmp/mae.csv" --epochs 12 \
    --batch-size 11 --lr 3e-3 --mask-ratio 0.75 --mask-group 3 -q -t 1 \
    --checkpoint "$tmp/ck.safetensors" -o "$tmp/killed.safetensors" >"$tmp/kill.log" 2>&1 &
job=$!
i=0
while [ ! -e "$tmp/ck.safetensors" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
victim=""
children() { # PIDs whose parent is $1 (from /proc: procps may be absent)
    for st in /proc/[0-9]*/stat; do
        awk -v pp="$1" '{ sub(/^.*\) /, ""); if ($2 == pp) { split(FILENAME, f, "/"); print f[3] } }' "$st" 2>/dev/null
    done
}
for p in $(children "$job"); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1'; then victim=$p; fi
done
if [ -z "$victim" ]; then
    fail killed_rank_ends_job "no rank 1 found (checkpoint written: $([ -e "$tmp/ck.safetensors" ] && echo yes || echo no))"
    wait "$job"
else
    t0=$(date +%s.%N)
    kill -9 "$victim"
    wait "$job"; rc=$?
    dt=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [ "$rc" -ne 0 ] && awk -v d="$dt" 'BEGIN { exit !(d < 10) }' && [ ! -e "$tmp/killed.safetensors" ]; then
        pass "killed_rank_ends_job (exit $rc after ${dt}s)"
    else
        fail killed_rank_ends_job "exit $rc after ${dt}s: $(tail -3 "$tmp/kill.log")"
    fi
fi
for np in 1 $nps; do
    if [ "$np" -eq 1 ]; then launch="$pat"; else launch="mpi $np $pat"; fi
    cp "$tmp/ck.safetensors" "$tmp/ck$np.safetensors"
    pt "$tmp/res$np.safetensors" 12 "-t 1 --resume $tmp/ck$np.safetensors" $launch
    same "resume_np${np}_identical" "$tmp/long1.safetensors" "$tmp/res$np.safetensors"
done

# an error every rank meets: reported once (rank 0), non-zero exit, no hang
t0=$(date +%s)
mpi "$first" "$pat" finetune -m "$tmp/missing.safetensors" --train "$tmp/xtr.csv" \
    --train-labels "$tmp/ytr.csv" --val "$tmp/xva.csv" --val-labels "$tmp/yva.csv" \
    -o "$tmp/bad.safetensors" >"$tmp/err.log" 2>&1; rc=$?
n=$(grep -c '^pat finetune' "$tmp/err.log")
if [ "$rc" -ne 0 ] && [ "$n" -eq 1 ] && [ $(( $(date +%s) - t0 )) -lt 20 ]; then pass error_one_voice
else fail error_one_voice "exit $rc, $n messages: $(head -3 "$tmp/err.log")"; fi
# commands that are not data-parallel refuse to run under mpirun
mpi "$first" "$pat" info "$tmp/init.safetensors" >"$tmp/err.log" 2>&1; rc=$?
if [ "$rc" -eq 2 ] && grep -q "runs as one process" "$tmp/err.log"; then pass info_refused_under_mpirun
else fail info_refused_under_mpirun "exit $rc: $(head -2 "$tmp/err.log")"; fi

# ---- sharded pat score (and more embed/predict/explain cases): its own file
sh "$(dirname "$0")/test_mpi_shards.sh" "$build"
