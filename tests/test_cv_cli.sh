#!/bin/sh
# test_cv_cli.sh BUILD - pat cv end to end on a small synthetic cohort
# (pat data synth --kind depresjon, 16 participants, 3 days each):
#   - every method runs; results.json, tables.md and roc.svg are written, and
#     each repeat's ROC-AUC recomputes from its participants' scores;
#   - the same numbers with 1 and 2 threads;
#   - --resume after losing finished folds gives the same files; another
#     configuration is refused;
#   - --final writes models that pat predict takes, with their threshold;
#   - bad options are refused with exit 2;
#   - on the real Depresjon days ($PAT_SHARED_DATA/depresjon) the acceptance
#     run (kfold 5 x 1, features,probe) recomputes too, or SKIP.
build=${1:-build}
pat="$build/pat"
real=${PAT_SHARED_DATA:-../shared/data}/depresjon
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
days="--length 1440 --log1p --nonwear-zeros 600 --min-day-minutes 600 --val 0 --test 0 -q"
tiny="--folds 3 --repeats 2 --inner-folds 3 --pre-epochs 1 --ft-epochs 1 --pre-batch 16 --ft-batch 16 --bootstrap 200 -q"

# recompute DIR: every method's and repeat's "auc" against the Mann-Whitney
# AUC of its participants' scores (results.json: one key per line).
recompute() {
    awk '
        /^ *"repeats": \[/ { inrep = 1 }
        inrep && /^ *"auc": / { v = $2; sub(/,$/, "", v); want = v + 0; n = 0; np = 0; nn = 0 }
        inrep && /^ *"label": / { v = $2; sub(/,$/, "", v); lab = v + 0 }
        inrep && /^ *"score": / { v = $2; sub(/,$/, "", v); n++; s[n] = v + 0; y[n] = lab }
        inrep && /^ *"participants": \[/ { inpart = 1 }
        inpart && /^ *\]/ {
            inpart = 0; num = 0; P = 0; N = 0
            for (i = 1; i <= n; i++) if (y[i]) { P++; for (j = 1; j <= n; j++) if (!y[j]) {
                num += (s[i] > s[j]) + 0.5 * (s[i] == s[j]) } } else N++
            got = num / (P * N); checked++
            if (got - want > 1e-12 || want - got > 1e-12) { bad++; print "auc " want " recomputes as " got }
        }
        END { if (!checked) print "no repeat found"; exit (bad || !checked) }' "$1/results.json"
}

mkdir -p "$tmp/raw"
"$pat" data synth --kind depresjon -o "$tmp/raw" --n 16 --prevalence 0.5 --days 8 --seed 3 >/dev/null 2>&1
# shellcheck disable=SC2086
if ! "$pat" data build --depresjon "$tmp/raw" $days --max-windows 3 -o "$tmp/d.patd" 2>"$tmp/err"; then
    fail cv_data "$(cat "$tmp/err")"; exit 0
fi
all=features,probe,probe-mlp,full,two-stage,mae-probe,mae-full
# shellcheck disable=SC2086
if "$pat" cv --data "$tmp/d.patd" -o "$tmp/a" --methods $all $tiny -t 2 >"$tmp/a.md" 2>"$tmp/err" \
    && [ -s "$tmp/a/results.json" ] && grep -q '</svg>' "$tmp/a/roc.svg" && cmp -s "$tmp/a.md" "$tmp/a/tables.md" \
    && [ "$(grep -c '^| \(features\|probe\|probe-mlp\|full\|two-stage\|mae-probe\|mae-full\) | [-+0-9]' "$tmp/a.md")" -eq 13 ]
then pass cv_every_method; else fail cv_every_method "$(tail -3 "$tmp/err") $(cat "$tmp/a.md")"; fi
if out=$(recompute "$tmp/a"); then pass cv_auc_recomputes; else fail cv_auc_recomputes "$out"; fi
if grep -q '"threshold_per_fold"' "$tmp/a/results.json" && grep -q '"auc_ci"' "$tmp/a/results.json" \
    && grep -q '"delong_p"' "$tmp/a/results.json" && grep -q '"fold": 2' "$tmp/a/results.json"
then pass cv_results_fields; else fail cv_results_fields "a field is missing"; fi

# threads: fewer methods, the same numbers with 1 thread
few=features,probe,probe-mlp,mae-probe
# shellcheck disable=SC2086
"$pat" cv --data "$tmp/d.patd" -o "$tmp/t2" --methods $few $tiny -t 2 >/dev/null 2>&1
# shellcheck disable=SC2086
"$pat" cv --data "$tmp/d.patd" -o "$tmp/t1" --methods $few $tiny -t 1 >/dev/null 2>&1
grep -v '"seconds"' "$tmp/t1/results.json" >"$tmp/t1.json"
grep -v '"seconds"' "$tmp/t2/results.json" >"$tmp/t2.json"
if [ -s "$tmp/t1.json" ] && cmp -s "$tmp/t1.json" "$tmp/t2.json" && cmp -s "$tmp/t1/tables.md" "$tmp/t2/tables.md"
then pass cv_same_numbers_1_and_2_threads; else fail cv_same_numbers_1_and_2_threads "results differ"; fi

# resume: lose three finished folds, resume, compare
cp -r "$tmp/t2" "$tmp/r"
rm -f "$tmp/r/results.json" "$tmp/r/tables.md" "$tmp/r/state/task-r1-f2.txt" "$tmp/r/state/task-r2-f1.txt" \
    "$tmp/r/state/task-r2-f3.txt"
# shellcheck disable=SC2086
"$pat" cv --data "$tmp/d.patd" -o "$tmp/r" --methods $few $tiny -t 2 --resume >/dev/null 2>"$tmp/err"
grep -v '"seconds"' "$tmp/r/results.json" >"$tmp/r.json" 2>/dev/null
if cmp -s "$tmp/t2.json" "$tmp/r.json" && cmp -s "$tmp/t2/tables.md" "$tmp/r/tables.md"
then pass cv_resume_identical; else fail cv_resume_identical "$(tail -2 "$tmp/err")"; fi
# shellcheck disable=SC2086
"$pat" cv --data "$tmp/d.patd" -o "$tmp/r" --methods $few $tiny --seed 5 --resume >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 2 ] && grep -q 'other options' "$tmp/err"
then pass cv_resume_refuses_other_options; else fail cv_resume_refuses_other_options "rc $rc: $(cat "$tmp/err")"; fi

# --final: models with their threshold that pat predict takes
# shellcheck disable=SC2086
if "$pat" cv --data "$tmp/d.patd" -o "$tmp/f" --methods features,probe,mae-full $tiny --repeats 1 --final \
        >/dev/null 2>"$tmp/err" \
    && "$pat" data export --csv "$tmp/d.patd" -o "$tmp/x.csv" -q \
    && "$pat" predict -m "$tmp/f/final-probe.safetensors" -i "$tmp/x.csv" -o "$tmp/p.csv" 2>>"$tmp/err" \
    && "$pat" predict -m "$tmp/f/final-mae-full.safetensors" -i "$tmp/x.csv" -o "$tmp/q.csv" 2>>"$tmp/err" \
    && [ "$(wc -l <"$tmp/p.csv")" -eq 48 ] && [ ! -e "$tmp/f/final-features.safetensors" ] \
    && "$pat" info "$tmp/f/final-probe.safetensors" | grep -q 'pat.cv.threshold'
then pass cv_final_models_predict; else fail cv_final_models_predict "$(tail -3 "$tmp/err")"; fi

# The final models carry the dataset's input recipe and the chosen
# threshold: pat score on the raw recordings gives each participant the mean
# of its windows' probabilities as pat predict gives them on the dataset
# (1e-6).
if "$pat" predict -q -m "$tmp/f/final-probe.safetensors" -i "$tmp/d.patd" -o "$tmp/pd.csv" 2>>"$tmp/err" \
    && "$pat" score -q -m "$tmp/f/final-probe.safetensors" "$tmp/raw" -o "$tmp/s.csv" 2>>"$tmp/err" \
    && "$pat" info "$tmp/f/final-probe.safetensors" | grep -q 'pat.recipe.threshold'
then
    bad=$(awk -F, 'FNR == 1 { next }
        FILENAME == ARGV[1] { n[$1]++; s[$1] += $NF; next }
        { k++; m = s[$1] / n[$1]; d = m - $2
          if (!($1 in n) || d > 1e-6 || d < -1e-6) print $1 ": " $2 " vs " m }
        END { if (k != 16) print k " participants scored" }' "$tmp/pd.csv" "$tmp/s.csv")
    if [ -z "$bad" ]; then pass cv_final_models_score
    else fail cv_final_models_score "$bad"; fi
else fail cv_final_models_score "$(tail -3 "$tmp/err")"; fi

# usage errors
bad=0
for args in "--methods nope" "--protocol x" "--folds 1" "--folds 9" "--inner-val 1" "--c-grid 1,x" \
            "--encoder $tmp/none.safetensors" "--bogus"; do
    # shellcheck disable=SC2086
    "$pat" cv --data "$tmp/d.patd" -o "$tmp/u" $args -q >/dev/null 2>"$tmp/err"
    rc=$?
    case "$args" in --encoder*) want=3 ;; *) want=2 ;; esac
    [ $rc -eq $want ] || { bad=1; echo "# $args: exit $rc ($(cat "$tmp/err"))"; }
done
if [ $bad -eq 0 ]; then pass cv_usage_errors; else fail cv_usage_errors "see above"; fi

if [ ! -d "$real/condition" ]; then
    echo "SKIP cv_depresjon_kfold: no Depresjon data at $real (set PAT_SHARED_DATA)"
    exit 0
fi
# shellcheck disable=SC2086
"$pat" data build --depresjon "$real" $days -o "$tmp/days.patd" 2>"$tmp/err"
if "$pat" cv --data "$tmp/days.patd" --protocol kfold --folds 5 --repeats 1 --methods features,probe \
        -o "$tmp/dj" -q >/dev/null 2>"$tmp/err" && out=$(recompute "$tmp/dj") \
    && [ "$(grep -c '"id": ' "$tmp/dj/results.json")" -eq 110 ]
then pass cv_depresjon_kfold; else fail cv_depresjon_kfold "$(tail -2 "$tmp/err") $out"; fi
