#!/bin/sh
# data_build.sh [BUILD] [N] - pat data build against pandas.read_sas on a
# synthetic PAXMIN_H-shaped file of N participants (default 1300: 1.07 GB),
# in the same run: rows/s, MB/s and peak RSS of each, the throughput ratio,
# pat's peak RSS on a file a tenth the size (it must not grow with the
# file), and the largest difference between the two week matrices (must
# be 0). make bench-data runs it. Needs Debian python3-pandas; pat itself
# never needs Python. Disk: the XPT, a copy a tenth its size, and a CSV
# export of the weeks (about 1.9 GB in all for N = 1300).
set -eu
build=${1:-build}
n=${2:-1300}
pat="$build/pat"
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

rss() { sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$1"; }
now() { date +%s.%N; }
build_weeks() { # XPT OUT.patd TIMEFILE
    /usr/bin/time -v "$pat" data build --paxmin "$1" --min-day-minutes 0 --scaler none \
        --test 0 --val 0 --split-unlabeled -q -o "$2" 2>"$3"
}

small=$((n / 10 > 0 ? n / 10 : 1))
"$pat" data synth --kind nhanes --n "$n" --seed 5 -o "$tmp/nh" 2>/dev/null
"$pat" data synth --kind nhanes --n "$small" --seed 5 -o "$tmp/nh_small" 2>/dev/null
xpt="$tmp/nh/PAXMIN_H.XPT"
bytes=$(stat -c %s "$xpt")
echo "file: $n synthetic participants, PAXMIN_H.XPT $bytes bytes"

build_weeks "$tmp/nh_small/PAXMIN_H.XPT" "$tmp/small.patd" "$tmp/time_small"
t0=$(now)
build_weeks "$xpt" "$tmp/d.patd" "$tmp/time_pat"
t1=$(now)
"$pat" data export --csv "$tmp/d.patd" -o "$tmp/x.csv" -q
pat_s=$(echo "$t1 $t0" | awk '{ print $1 - $2 }')
pat_kb=$(rss "$tmp/time_pat")
small_kb=$(rss "$tmp/time_small")

/usr/bin/time -v /usr/bin/python3 "$here/data_pandas.py" "$xpt" "$tmp/ref.npy" \
    >"$tmp/pandas.out" 2>"$tmp/time_pandas"
cat "$tmp/pandas.out"
read_s=$(sed -n 's/.*pandas_read_s=\([0-9.]*\).*/\1/p' "$tmp/pandas.out")
weeks_s=$(sed -n 's/.*pandas_weeks_s=\([0-9.]*\).*/\1/p' "$tmp/pandas.out")
table_rows=$(sed -n 's/.*table_rows=\([0-9]*\).*/\1/p' "$tmp/pandas.out") # minutes in the file
pandas_kb=$(rss "$tmp/time_pandas")

/usr/bin/python3 - "$tmp/x.csv" "$tmp/ref.npy" <<'PY'
import sys
import numpy as np
x = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float32, ndmin=2)
ref = np.load(sys.argv[2])
assert x.shape == ref.shape, (x.shape, ref.shape)
d = float(np.abs(x - ref).max()) if x.size else 0.0
print(f"weeks: {x.shape[0]} rows; max |pat - pandas| = {d:g}")
sys.exit(0 if d == 0.0 else 1)
PY

awk -v bytes="$bytes" -v rows="$table_rows" -v pat_s="$pat_s" -v read_s="$read_s" \
    -v weeks_s="$weeks_s" -v pat_kb="$pat_kb" -v pandas_kb="$pandas_kb" \
    -v small_kb="$small_kb" -v n="$n" -v small="$small" 'BEGIN {
    mb = bytes / 1e6
    print ""
    print "| reader | seconds | rows/s | MB/s | peak RSS MB |"
    print "|---|---:|---:|---:|---:|"
    printf "| pat data build (XPT to weeks, one pass) | %.2f | %.3g | %.0f | %.0f |\n", pat_s, rows / pat_s, mb / pat_s, pat_kb / 1024
    printf "| pandas.read_sas (reading only) | %.2f | %.3g | %.0f | %.0f |\n", read_s, rows / read_s, mb / read_s, pandas_kb / 1024
    printf "| pandas.read_sas + numpy weeks | %.2f | %.3g | %.0f | |\n", read_s + weeks_s, rows / (read_s + weeks_s), mb / (read_s + weeks_s)
    ratio = read_s / pat_s
    grow = pat_kb / small_kb
    print ""
    printf("- [%s] pat throughput >= 10x pandas.read_sas (reading only): %.1fx\n", (ratio >= 10 ? "met" : "not met"), ratio)
    printf("- [%s] pat peak RSS independent of the file size: %.1f MB for %d participants, %.1f MB for %d (%.2fx for 10x the data)\n", (grow <= 1.25 ? "met" : "not met"), pat_kb / 1024, n, small_kb / 1024, small, grow)
}'
