#!/bin/sh
# data_build.sh [BUILD] [N] - pat data build vs pandas.read_sas on a synthetic
# NHANES cohort of N participants (default 200): wall time, peak memory, and
# the largest difference between the two week matrices (must be 0).
# Needs Debian python3-pandas (apt-get install python3-pandas); pat itself
# never needs Python.
set -eu
build=${1:-build}
n=${2:-200}
pat="$build/pat"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$pat" data synth --kind nhanes --n "$n" --seed 5 -o "$tmp/nh" 2>/dev/null
size=$(du -m "$tmp/nh/PAXMIN_H.XPT" | cut -f1)
echo "cohort: $n synthetic participants, PAXMIN_H.XPT $size MB"

rss() { sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1"; }
t0=$(date +%s.%N)
/usr/bin/time -v "$pat" data build --paxmin "$tmp/nh/PAXMIN_H.XPT" --min-day-minutes 0 \
    --scaler none --test 0 --val 0 --split-unlabeled -q -o "$tmp/d.patd" 2>"$tmp/time_pat"
t1=$(date +%s.%N)
"$pat" data export --csv "$tmp/d.patd" -o "$tmp/x.csv" -q
echo "pat data build: $(echo "$t1 - $t0" | bc) s, maxrss_kb=$(rss "$tmp/time_pat")"

/usr/bin/python3 "$(dirname "$0")/data_pandas.py" "$tmp/nh/PAXMIN_H.XPT" "$tmp/ref.npy"

/usr/bin/python3 - "$tmp/x.csv" "$tmp/ref.npy" <<'PY'
import sys
import numpy as np
x = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float32, ndmin=2)
ref = np.load(sys.argv[2])
assert x.shape == ref.shape, (x.shape, ref.shape)
d = float(np.abs(x - ref).max()) if x.size else 0.0
print(f"rows {x.shape[0]}, max |pat - pandas| = {d:g}")
sys.exit(0 if d == 0.0 else 1)
PY
