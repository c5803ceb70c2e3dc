#!/bin/sh
# test_readers_cli.sh BUILD - every --input format end to end: files
# written by `test_readers --write` from each format's public description
# go through `pat data build --input F` (format detected from the content)
# and `pat data export`, and must give exactly the planted minutes; a file
# no reader recognises is refused with the formats tried.
build=${1:-build}
pat="$build/pat"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }

if ! "$build/tests/test_readers" --write "$tmp" >"$tmp/names" 2>"$tmp/err"; then
    fail setup "$(tail -3 "$tmp/err")"
    exit 0
fi
# (a build without libcsv, SQLite, expat or libzip writes only what it reads)

while read -r name; do
    f="$tmp/in/$name"
    if "$pat" data build --input "$f" -o "$tmp/d.patd" --length 1440 --val 0 --test 0 \
            --scaler none 2>"$tmp/err" &&
        "$pat" data export --csv "$tmp/d.patd" -o "$tmp/x.csv" --labels "$tmp/y.csv" -q \
            2>>"$tmp/err" &&
        grep -q 'detected from its content' "$tmp/err" &&
        cmp -s "$tmp/x.csv" "$tmp/expected/$name" &&
        grep -q ',2024-03-04 00:00,' "$tmp/y.csv"
    then pass "round_trip_$name"
    else fail "round_trip_$name" "$(tail -2 "$tmp/err"; cmp "$tmp/x.csv" "$tmp/expected/$name" 2>&1 | head -1)"
    fi
done <"$tmp/names"

# pat score reads the same files (the demo model scores 1440-minute days):
# one row per participant, all 1440 planted minutes observed.
model=models/pat-s-depresjon.safetensors
if [ -f "$model" ]; then
    while read -r name; do
        f="$tmp/in/$name"
        fmt=""
        [ "$name" = generic.csv ] && fmt="--format generic-csv"
        # shellcheck disable=SC2086
        if "$pat" score -m "$model" $fmt "$f" >"$tmp/s.csv" 2>"$tmp/err" &&
            [ "$(grep -c ',1440,' "$tmp/s.csv")" -eq "$(($(wc -l <"$tmp/s.csv") - 1))" ] &&
            [ "$(wc -l <"$tmp/s.csv")" -ge 2 ]
        then pass "score_$name"
        else fail "score_$name" "$(tail -2 "$tmp/err"; head -3 "$tmp/s.csv")"
        fi
    done <"$tmp/names"
else
    echo "SKIP score: $model not found"
fi

# A folder of several formats at once: one participant per file, two in
# the Fitbit file.
n=$(grep -vc minuteSteps "$tmp/names")
grep -q minuteSteps "$tmp/names" && n=$((n + 2))
if "$pat" data report --input "$tmp/in" --length 1440 -o "$tmp/report.txt" 2>"$tmp/err" &&
    grep -q "participants read $n," "$tmp/report.txt"
then pass folder_of_formats
else fail folder_of_formats "$(tail -2 "$tmp/err"; head -3 "$tmp/report.txt")"
fi

printf '\001\002\000binary' >"$tmp/blob.dat"
if "$pat" data build --input "$tmp/blob.dat" -o "$tmp/b.patd" 2>"$tmp/err"; then
    fail unrecognised_refused "accepted"
elif grep -q 'blob.dat: not a recognised activity file (formats tried: agd, apple-health' "$tmp/err" &&
    [ ! -e "$tmp/b.patd" ]
then pass unrecognised_refused
else fail unrecognised_refused "$(cat "$tmp/err")"
fi

if "$pat" data build --input "$tmp/in/generic.csv" --format awd -o "$tmp/b.patd" 2>"$tmp/err"; then
    fail forced_format_refused "accepted"
elif grep -q 'generic.csv' "$tmp/err"; then pass forced_format_refused
else fail forced_format_refused "$(cat "$tmp/err")"
fi
