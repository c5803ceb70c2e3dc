#!/bin/sh
# test_mpi_shards.sh BUILD - sharded pat score, embed, predict and explain
# under mpirun (docs/scaling.md "Sharded scoring"): every output byte-
# identical to one process, fewer participants or rows than ranks, inputs
# read by one rank (participant files) or by all (a Depresjon folder, a long
# CSV), and a bad file only a rank other than 0 reads ends the job fast with
# the file named and nothing written. Called by tests/test_mpi.sh, with its
# environment:
#   PAT_MPI_NP   rank counts to try (default "2 3")
#   PAT_MPIRUN   the launcher (default "mpirun --allow-run-as-root --oversubscribe")
build=${1:-build}
pat="$build/pat"
nps=${PAT_MPI_NP:-"2 3"}
mpirun_cmd=${PAT_MPIRUN:-"mpirun --allow-run-as-root --oversubscribe"}

if ! command -v mpirun >/dev/null 2>&1; then
    echo "SKIP mpi_shards: mpirun not found"; exit 0
fi
if ! "$pat" --version 2>/dev/null | grep -q "MPI: yes"; then
    echo "SKIP mpi_shards: $pat is built without MPI (make MPI=1 BUILD=build-mpi)"; exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
mpi() { np=$1; shift; $mpirun_cmd -np "$np" "$@"; }
# same NAME A B: B exists, is not empty and has A's bytes (folders: every file)
same() {
    if [ -d "$2" ]; then
        if [ -n "$(ls "$2")" ] && diff -r "$2" "$3" >/dev/null 2>&1; then pass "$1"
        else fail "$1" "$3 differs from $2"; fi
    elif [ -s "$2" ] && cmp -s "$2" "$3"; then pass "$1"
    else fail "$1" "$3 differs from $2"; fi
}
model=models/pat-s-depresjon.safetensors

# A cohort of 7 (9 days each), one participant with 8 hours of data
# (no window: a row with a reason), and a long CSV of 4 of them.
"$pat" data synth --kind depresjon -o "$tmp/cohort" --n 7 --prevalence 0.5 --days 9 --seed 11 \
    >/dev/null 2>&1 || { fail setup "pat data synth failed"; exit 0; }
head -n 500 "$tmp/cohort/control/control_1.csv" >"$tmp/short.csv"
files="$tmp/cohort/condition/condition_1.csv $tmp/short.csv $tmp/cohort/control/control_2.csv
$tmp/cohort/condition/condition_2.csv $tmp/cohort/control/control_1.csv
$tmp/cohort/control/control_3.csv $tmp/cohort/condition/condition_3.csv"
awk -F, 'FNR == 1 { n = split(FILENAME, p, "/"); id = p[n]; sub(/\.csv$/, "", id); next }
    { print id "," $1 "," $3 }' "$tmp/cohort/control/control_2.csv" \
    "$tmp/cohort/condition/condition_1.csv" "$tmp/short.csv" "$tmp/cohort/control/control_3.csv" |
    { echo "id,time,activity"; cat; } >"$tmp/long.csv"
long="--id-col id --time-col time --value-col activity"

# score_all TAG LAUNCHER...: every kind of input and output ($files and
# $long split into words on purpose)
# shellcheck disable=SC2086
score_all() {
    tag=$1; shift
    "$@" score -q -m "$model" $files -o "$tmp/p$tag.csv" --windows "$tmp/w$tag.csv" \
        --json "$tmp/j$tag.json" --chart "$tmp/c$tag" >"$tmp/log" 2>&1 &&
    "$@" score -q -m "$model" "$tmp/cohort/condition/condition_2.csv" "$tmp/short.csv" \
        -o "$tmp/two$tag.csv" --json "$tmp/twoj$tag.json" >>"$tmp/log" 2>&1 &&
    "$@" score -q -m "$model" "$tmp/cohort" -o "$tmp/d$tag.csv" --windows "$tmp/dw$tag.csv" \
        --json "$tmp/dj$tag.json" >>"$tmp/log" 2>&1 &&
    "$@" score -q -m "$model" "$tmp/cohort/condition" "$tmp/short.csv" -o "$tmp/f$tag.csv" \
        --json "$tmp/fj$tag.json" >>"$tmp/log" 2>&1 &&
    "$@" score -q -m "$model" $long "$tmp/long.csv" \
        -o - --json "$tmp/lj$tag.json" >"$tmp/l$tag.csv" 2>>"$tmp/log" ||
        { fail "score_$tag" "$(tail -3 "$tmp/log")"; return 1; }
}
score_all 1 "$pat"
rows=$(($(wc -l <"$tmp/p1.csv") - 1))
if [ "$rows" -eq 7 ] && grep -q '^short,,,0,' "$tmp/p1.csv" && [ "$(ls "$tmp/c1" | wc -l)" -eq 6 ] &&
    [ "$(($(wc -l <"$tmp/l1.csv") - 1))" -eq 4 ]
then pass score_one_process_outputs
else fail score_one_process_outputs "$rows rows, $(ls "$tmp/c1" | wc -l) charts, $(cat "$tmp/l1.csv")"; fi
for np in $nps; do
    score_all "$np" mpi "$np" "$pat" || continue
    same "score_files_np${np}_csv_identical" "$tmp/p1.csv" "$tmp/p$np.csv"
    same "score_files_np${np}_windows_identical" "$tmp/w1.csv" "$tmp/w$np.csv"
    same "score_files_np${np}_json_identical" "$tmp/j1.json" "$tmp/j$np.json"
    same "score_files_np${np}_charts_identical" "$tmp/c1" "$tmp/c$np"
    same "score_2_participants_np${np}_identical" "$tmp/two1.csv" "$tmp/two$np.csv"
    same "score_2_participants_np${np}_json_identical" "$tmp/twoj1.json" "$tmp/twoj$np.json"
    same "score_depresjon_folder_np${np}_identical" "$tmp/d1.csv" "$tmp/d$np.csv"
    same "score_depresjon_folder_np${np}_windows_identical" "$tmp/dw1.csv" "$tmp/dw$np.csv"
    same "score_depresjon_folder_np${np}_json_identical" "$tmp/dj1.json" "$tmp/dj$np.json"
    same "score_csv_folder_np${np}_identical" "$tmp/f1.csv" "$tmp/f$np.csv"
    same "score_csv_folder_np${np}_json_identical" "$tmp/fj1.json" "$tmp/fj$np.json"
    same "score_long_csv_stdout_np${np}_identical" "$tmp/l1.csv" "$tmp/l$np.csv"
    same "score_long_csv_np${np}_json_identical" "$tmp/lj1.json" "$tmp/lj$np.json"
done

# A bad file that only rank 1 reads (the big good file goes to rank 0): the
# job ends within seconds, naming it, with nothing written.
printf 'not,an\nactivity,file\n' >"$tmp/bad.csv"
for np in $nps; do
    t0=$(date +%s)
    mpi "$np" "$pat" score -q -m "$model" "$tmp/cohort/condition/condition_1.csv" "$tmp/bad.csv" \
        -o "$tmp/bad_out.csv" --json "$tmp/bad_out.json" >"$tmp/err.log" 2>&1; rc=$?
    dt=$(($(date +%s) - t0))
    if [ "$rc" -ne 0 ] && [ "$dt" -lt 20 ] && grep -q "^pat score (rank 1 of $np): $tmp/bad.csv: " "$tmp/err.log" &&
        [ "$(grep -c '^pat score' "$tmp/err.log")" -eq 1 ] &&
        [ ! -e "$tmp/bad_out.csv" ] && [ ! -e "$tmp/bad_out.json" ]
    then pass "score_bad_file_on_rank1_np${np}_fails_fast (exit $rc after ${dt}s)"
    else fail "score_bad_file_on_rank1_np${np}_fails_fast" "exit $rc after ${dt}s: $(head -3 "$tmp/err.log")"; fi
done
# a bad file in a Depresjon folder: participant k of the folder is read by
# rank k mod N alone (the second file: rank 1)
cp -r "$tmp/cohort" "$tmp/badcohort"
cp "$tmp/bad.csv" "$tmp/badcohort/condition/condition_2.csv"
for np in $nps; do
    mpi "$np" "$pat" score -q -m "$model" "$tmp/badcohort" -o "$tmp/bad_out.csv" >"$tmp/err.log" 2>&1; rc=$?
    if [ "$rc" -ne 0 ] && grep -q "^pat score (rank 1 of $np): $tmp/badcohort/condition/condition_2.csv" "$tmp/err.log" &&
        [ "$(grep -c '^pat score' "$tmp/err.log")" -eq 1 ] && [ ! -e "$tmp/bad_out.csv" ]
    then pass "score_bad_folder_file_read_by_rank1_only_np${np}"
    else fail "score_bad_folder_file_read_by_rank1_only_np${np}" "exit $rc: $(head -3 "$tmp/err.log")"; fi
done
# an error every rank meets: one message, from rank 0
first=$(echo "$nps" | awk '{ print $1 }')
mpi "$first" "$pat" score -q -m "$tmp/missing.safetensors" "$tmp/short.csv" -o "$tmp/m.csv" \
    >"$tmp/err.log" 2>&1; rc=$?
if [ "$rc" -ne 0 ] && [ "$(grep -c '^pat score' "$tmp/err.log")" -eq 1 ] &&
    grep -q "^pat score: .*missing.safetensors" "$tmp/err.log" && [ ! -e "$tmp/m.csv" ]
then pass score_error_one_voice
else fail score_error_one_voice "exit $rc: $(head -3 "$tmp/err.log")"; fi

# embed, predict and explain: a dataset (named rows after a header) as
# input, a round of rows shorter than ranks x batch, and fewer rows than
# ranks (2 rows, a batch of 1: rank 2 of 3 has none)
"$pat" data build --csv "$tmp/cohort/control/control_2.csv" --length 1440 --log1p --val 0 --test 0 \
    --scaler none -q -o "$tmp/days.patd" >"$tmp/log" 2>&1 &&
    "$pat" data export --csv "$tmp/days.patd" -q -o "$tmp/days.csv" >>"$tmp/log" 2>&1 &&
    head -n 2 "$tmp/days.csv" >"$tmp/two_rows.csv" || fail infer_setup "$(tail -2 "$tmp/log")"
"$pat" predict -q -b 3 -m "$model" -i "$tmp/days.patd" -o "$tmp/dp1.csv" 2>"$tmp/log"
"$pat" explain -q -b 2 -m "$model" -i "$tmp/days.patd" -o "$tmp/dx1.csv" 2>>"$tmp/log"
"$pat" embed -q -b 1 -m "$model" -i "$tmp/two_rows.csv" -o "$tmp/de1.csv" 2>>"$tmp/log"
for np in $nps; do
    mpi "$np" "$pat" predict -q -b 3 -m "$model" -i "$tmp/days.patd" -o "$tmp/dp$np.csv" 2>>"$tmp/log"
    same "predict_dataset_np${np}_identical" "$tmp/dp1.csv" "$tmp/dp$np.csv"
    mpi "$np" "$pat" explain -q -b 2 -m "$model" -i "$tmp/days.patd" -o "$tmp/dx$np.csv" 2>>"$tmp/log"
    same "explain_dataset_np${np}_identical" "$tmp/dx1.csv" "$tmp/dx$np.csv"
    mpi "$np" "$pat" embed -q -b 1 -m "$model" -i "$tmp/two_rows.csv" -o "$tmp/de$np.csv" 2>>"$tmp/log"
    same "embed_2_rows_np${np}_identical" "$tmp/de1.csv" "$tmp/de$np.csv"
done
