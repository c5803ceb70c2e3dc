#!/bin/sh
# test_serve_browser.sh BUILD - pat serve's page in a real browser: headless
# Chromium loads /, uploads a generated recording (pat data synth: eight days
# of a Depresjon-like participant) and the participant probability it renders
# equals pat score's, with the chart shown; then three days as sequences, and
# the probabilities it renders equal pat predict's. Needs chromium,
# chromium-driver and python3-selenium (Debian; .ci/run installs them).
build=${1:-build}
pat="$build/pat"
model=models/pat-s-depresjon.safetensors
py=/usr/bin/python3
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
    echo "SKIP browser: Chromium is absent (apt-get install chromium chromium-driver python3-selenium)"
    exit 0
fi
if ! "$py" -c 'import selenium' 2>/dev/null; then
    echo "SKIP browser: python3-selenium is absent (apt-get install python3-selenium)"
    exit 0
fi
tmp=$(mktemp -d)
"$pat" serve -m "demo=$model" --port 0 2>"$tmp/log" &
pid=$!
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
port=""
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    port=$(grep -o '"url":"http://127.0.0.1:[0-9]*' "$tmp/log" | grep -o '[0-9]*$')
    [ -n "$port" ] && break
    sleep 0.25
done
if [ -z "$port" ]; then
    wait "$pid"; pid=""  # it has exited on its own: nothing to stop
    if grep -q "no HTTP server" "$tmp/log"; then echo "SKIP browser: no libmicrohttpd in this build"; exit 0; fi
    echo "FAIL browser: server did not start: $(cat "$tmp/log")"; exit 1
fi
# Sequences: three days with a daily rhythm (active days, quiet nights).
awk 'BEGIN { srand(11); for (d = 0; d < 3; d++) { for (t = 0; t < 1440; t++) {
    h = t / 60; a = (h > 7 && h < 23) ? 150 + 200 * rand() : 5 * rand()
    printf "%s%d", (t ? "," : ""), int(a) } print "" } }' > "$tmp/recording.csv"
"$pat" predict -q -m "$model" -i "$tmp/recording.csv" -o "$tmp/cli.csv"
"$pat" data synth --kind depresjon -o "$tmp/synth" --n 2 --prevalence 0.5 --days 8 --seed 7 >/dev/null 2>&1
"$pat" score -q -m "$model" -o "$tmp/score.csv" "$tmp/synth/condition/condition_1.csv"
mkdir -p "$build/screenshots"
HOME="$tmp" timeout 180 "$py" tests/serve_browser.py "http://127.0.0.1:$port/" demo \
    "$(cd "$tmp" && pwd)/synth/condition/condition_1.csv" "$tmp/score.csv" \
    "$(cd "$tmp" && pwd)/recording.csv" "$tmp/cli.csv" "$build/screenshots" 2>"$tmp/err" \
    || echo "FAIL browser: $(tail -n 5 "$tmp/err")"
