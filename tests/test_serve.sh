#!/bin/sh
# test_serve.sh BUILD - pat serve: every endpoint's numbers equal the CLI's,
# malformed and oversized requests get 4xx and the server stays up, the
# concurrency limit answers 429, slow clients are cut off, SIGTERM drains a
# request in flight and exits 0, the access log is JSON, the page is served.
# Needs curl; the slow-client and log checks need python3 (else SKIP).
build=${1:-build}
pat="$build/pat"
model=models/pat-s-depresjon.safetensors
tmp=$(mktemp -d)
pids="" # servers still running (a reaped pid may belong to another process)
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# The page embedded in the binary is the checked-in page.html.
sh tools/embed_file.sh src/serve/page.html serve_page_html > "$tmp/page_html.c"
if cmp -s "$tmp/page_html.c" src/serve/page_html.c; then pass page_embedded_in_sync
else fail page_embedded_in_sync "src/serve/page_html.c is stale: run make"; fi

"$pat" serve -m "demo=$model" --port 0 >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
    grep -q '"listening"\|no HTTP server' "$tmp/err" && break
    sleep 0.25
done
if grep -q "no HTTP server" "$tmp/err"; then
    wait "$pid"  # it has exited on its own
    if grep -q "apt-get install libmicrohttpd-dev" "$tmp/err"; then pass serve_absent_says_how
    else fail serve_absent_says_how "$(cat "$tmp/err")"; fi
    skip serve "this build has no libmicrohttpd (apt-get install libmicrohttpd-dev)"
    exit 0
fi
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
if ! command -v curl >/dev/null; then skip serve "curl not installed"; exit 0; fi

# start NAME ARGS...: a server in the background; sets port and pid.
start() {
    log="$tmp/$1.log"; shift
    "$pat" serve --port 0 "$@" 2>"$log" &
    pid=$!
    pids="$pids $pid"
    port=""
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
        port=$(grep -o '"url":"http://127.0.0.1:[0-9]*' "$log" | grep -o '[0-9]*$')
        [ -n "$port" ] && break
        sleep 0.25
    done
    [ -n "$port" ] || { fail "start_$1" "no listening line: $(cat "$log")"; exit 1; }
}

# post PATH FILE [curl args]: body to $tmp/body, status code printed.
post() {
    p=$1 f=$2; shift 2
    curl -s -o "$tmp/body" -w '%{http_code}' --data-binary "@$f" "$@" "http://127.0.0.1:$port$p"
}

# Inputs: three days (the demo model's length) and two one-week rows.
awk 'BEGIN { srand(5); for (r = 0; r < 3; r++) { for (t = 0; t < 1440; t++)
    printf "%s%d", (t ? "," : ""), int(rand() * 400); print "" } }' > "$tmp/days.csv"
awk -F, '{ printf "%s[%s]", (NR > 1 ? ", " : "{\"sequences\": ["), $0 } END { print "]}" }' \
    "$tmp/days.csv" > "$tmp/days.json"
"$pat" init --arch S --seed 3 -o "$tmp/s.safetensors" >/dev/null 2>&1
"$pat" init --arch S --seed 3 --no-head -o "$tmp/enc.safetensors" >/dev/null 2>&1
awk 'BEGIN { srand(9); for (r = 0; r < 2; r++) { for (t = 0; t < 10080; t++)
    printf "%s%.2f", (t ? "," : ""), rand() * 3; print "" } }' > "$tmp/week.csv"

mkdir "$tmp/srvtmp"
TMPDIR="$tmp/srvtmp"; export TMPDIR  # where /score keeps uploads while it reads them
start main -m "demo=$model" -m "s=$tmp/s.safetensors" -m "enc=$tmp/enc.safetensors" --timeout 2 \
    --drain 900
main_pid=$pid main_port=$port

# same_numbers NAME MODEL_FILE CMD INPUT URL_PATH: CSV answer == CLI output
# byte for byte; JSON answer (from a CSV and from a JSON body) has the same numbers.
same_numbers() {
    name=$1 mfile=$2 cmd=$3 in=$4 path=$5 jin=${6:-}
    "$pat" "$cmd" -q -m "$mfile" -i "$in" -o "$tmp/cli.csv"
    code=$(post "$path?format=csv" "$in")
    if [ "$code" = 200 ] && cmp -s "$tmp/body" "$tmp/cli.csv"; then pass "${name}_csv_equals_cli"
    else fail "${name}_csv_equals_cli" "HTTP $code: $(head -c 300 "$tmp/body")"; fi
    code=$(post "$path" "${jin:-$in}")
    if ! command -v python3 >/dev/null; then skip "${name}_json_equals_cli" "python3 not installed"; return; fi
    if [ "$code" = 200 ] && python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
got = next(v for k, v in d.items() if k in ("predictions", "embeddings", "explanations"))
got = [r if isinstance(r, list) else [r] for r in got]
want = [[float(x) for x in line.split(",")] for line in open(sys.argv[2])]
assert d["rows"] == len(want) and got == want, (len(got), len(want))
' "$tmp/body" "$tmp/cli.csv"; then pass "${name}_json_equals_cli"
    else fail "${name}_json_equals_cli" "HTTP $code: $(head -c 300 "$tmp/body")"; fi
}
same_numbers predict_days "$model" predict "$tmp/days.csv" /v1/models/demo/predict "$tmp/days.json"
same_numbers embed_days "$model" embed "$tmp/days.csv" /v1/models/demo/embed "$tmp/days.json"
same_numbers explain_days "$model" explain "$tmp/days.csv" /v1/models/demo/explain "$tmp/days.json"
same_numbers predict_week "$tmp/s.safetensors" predict "$tmp/week.csv" /v1/models/s/predict
same_numbers embed_week_encoder "$tmp/enc.safetensors" embed "$tmp/week.csv" /v1/models/enc/embed

# /score: a recording (pat data synth) -> pat score's rows and chart.
"$pat" data synth --kind depresjon -o "$tmp/synth" --n 2 --prevalence 0.5 --days 8 --seed 7 >/dev/null 2>&1
rec="$tmp/synth/condition/condition_1.csv"
"$pat" score -q -m "$model" -o "$tmp/score_cli.csv" --windows "$tmp/windows_cli.csv" \
    --chart "$tmp/charts" "$rec"
code=$(post "/v1/models/demo/score?name=condition_1.csv&format=csv" "$rec")
if [ "$code" = 200 ] && cmp -s "$tmp/body" "$tmp/score_cli.csv"; then pass score_csv_equals_cli
else fail score_csv_equals_cli "HTTP $code: $(head -c 300 "$tmp/body")"; fi
code=$(post "/v1/models/demo/score?name=condition_1.csv" "$rec")
if [ "$code" = 200 ] && command -v python3 >/dev/null && python3 -c '
import csv, json, sys
d = json.load(open(sys.argv[1]))
p = d["participants"][0]
row = next(csv.DictReader(open(sys.argv[2])))
assert p["id"] == row["id"] and p["probability"] == float(row["probability"]), (p, row)
assert p["decision"] == int(row["decision"]) and p["windows"] == int(row["windows"])
win = list(csv.DictReader(open(sys.argv[3])))
got = [(w["start"], w["probability"]) for w in p["window_rows"]]
assert got == [(w["start"], float(w["probability"])) for w in win], got
' "$tmp/body" "$tmp/score_cli.csv" "$tmp/windows_cli.csv"; then pass score_json_equals_cli
else fail score_json_equals_cli "HTTP $code: $(head -c 300 "$tmp/body")"; fi
code=$(post "/v1/models/demo/score?name=condition_1.csv&chart=svg" "$rec")
if [ "$code" = 200 ] && cmp -s "$tmp/body" "$tmp/charts/condition_1.svg"; then pass score_chart_equals_cli
else fail score_chart_equals_cli "HTTP $code: $(head -c 300 "$tmp/body")"; fi
printf 'timestamp,date,activity\n2004-08-23 15:00:00,2004-08-23,x\n' > "$tmp/bad_rec.csv"
expect_code_early() { if [ "$3" = "$2" ]; then pass "$1"; else fail "$1" "HTTP $3: $(head -c 300 "$tmp/body")"; fi; }
expect_code_early score_bad_recording 400 "$(post "/v1/models/demo/score?name=bad.csv" "$tmp/bad_rec.csv")"
if grep -q "bad.csv" "$tmp/body" && ! grep -q "pat-serve-" "$tmp/body"; then pass score_error_names_upload
else fail score_error_names_upload "$(cat "$tmp/body")"; fi
expect_code_early score_no_recipe 400 "$(post "/v1/models/s/score" "$rec")"
grep -q "cannot score recordings" "$tmp/body" && pass score_no_recipe_says_why || fail score_no_recipe_says_why "$(cat "$tmp/body")"
if [ -z "$(ls -A "$tmp/srvtmp")" ]; then pass score_leaves_no_files
else fail score_leaves_no_files "$(ls -A "$tmp/srvtmp")"; fi

# GET endpoints.
get() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }
code=$(get "http://127.0.0.1:$port/healthz")
if [ "$code" = 200 ] && grep -q '"status": "ok"' "$tmp/body"; then pass healthz; else fail healthz "$code"; fi
code=$(get "http://127.0.0.1:$port/v1/models")
if [ "$code" = 200 ] && grep -q '"name": "demo"' "$tmp/body" && grep -q '"architecture": "PAT-S"' "$tmp/body" \
    && grep -q '"head": false' "$tmp/body"; then pass models_list; else fail models_list "$code $(cat "$tmp/body")"; fi
code=$(get "http://127.0.0.1:$port/")
if [ "$code" = 200 ] && cmp -s "$tmp/body" src/serve/page.html; then pass page_served; else fail page_served "$code"; fi

# expect_code NAME WANT GREP CODE: a status and a message substring.
expect_code() {
    if [ "$4" = "$2" ] && grep -q -- "$3" "$tmp/body"; then pass "$1"
    else fail "$1" "HTTP $4 (want $2): $(head -c 300 "$tmp/body")"; fi
}
bad() { printf '%s' "$2" > "$tmp/bad"; expect_code "$1" 400 "$3" "$(post /v1/models/demo/predict "$tmp/bad")"; }
bad json_truncated '{"sequences": [[1, 2, 3' "JSON ends early"
bad json_nan '{"sequences": [[1, NaN, 3]]}' "value 2: 'NaN' is not a number"
bad json_infinite '{"sequences": [[1, 1e39]]}' "not a finite float32 number"
bad json_ragged '{"sequences": [[1, 2], [3]]}' "sequence 2 has 1 values, expected 2"
bad json_no_sequences '{"rows": [[1]]}' 'no \\"sequences\\"'
bad json_trailing '{"sequences": [[1]]} x' "end of the body"
bad json_deep "{\"x\": $(printf '[%.0s' $(seq 40))" "nested deeper"
bad csv_not_number '1,2,x' "row 1, column 3: 'x' is not a number"
bad csv_nan '1,nan,3' "not a finite float32 number"
bad csv_ragged "$(printf '1,2\n3')" "row 2 has 1 values, expected 2"
bad empty_body '' "no rows"
bad wrong_length "$(head -c 2000 "$tmp/days.csv" | sed 's/,[0-9]*$//')" "differs from the model's scaler length\|not a positive multiple"
printf '1,2' > "$tmp/bad"
expect_code unknown_model 404 "no model called 'nope'" "$(post /v1/models/nope/predict "$tmp/bad")"
expect_code no_head 400 "no classification head" "$(post /v1/models/enc/predict "$tmp/week.csv")"
expect_code unknown_path 404 "no such endpoint" "$(get "http://127.0.0.1:$port/v2")"
expect_code get_on_predict 405 "use POST" "$(get "http://127.0.0.1:$port/v1/models/demo/predict")"

# Limits: a small server.
start limits -m "demo=$model" --max-body 4M --max-row 2000 --threads 1 --max-queue 0 --timeout 1
awk 'BEGIN { for (i = 0; i < 4200000; i++) printf "1"; print "" }' > "$tmp/big"
expect_code body_too_big 413 "over the limit of 4194304 bytes" "$(post /v1/models/demo/predict "$tmp/big")"
expect_code body_too_big_chunked 413 "over the limit" \
    "$(post /v1/models/demo/predict "$tmp/big" -H 'Transfer-Encoding: chunked')"
awk 'BEGIN { for (i = 0; i < 2016; i++) printf "%s1", (i ? "," : ""); print "" }' > "$tmp/long"
expect_code row_too_long 413 "longer than 2000 values" "$(post /v1/models/demo/predict "$tmp/long")"
# One worker, no queue: of 6 requests at once, some are turned away with 429.
for i in 1 2 3 4 5 6; do post /v1/models/demo/explain "$tmp/days.csv" > "$tmp/code$i" & done
wait_codes() { for i in 1 2 3 4 5 6; do while [ ! -s "$tmp/code$i" ]; do sleep 0.1; done; done; }
wait_codes
n429=$(cat "$tmp"/code? | grep -o 429 | wc -l); n200=$(cat "$tmp"/code? | grep -o 200 | wc -l)
if [ "$n429" -ge 1 ] && [ "$n200" -ge 1 ] && [ $((n429 + n200)) = 6 ]; then pass concurrency_429
else fail concurrency_429 "codes: $(cat "$tmp"/code? | tr '\n' ' ')"; fi
# A computation longer than --timeout 1 (a busy connection, not an idle one)
# is answered (fewer rows under the sanitizers, which are slower anyway).
nlong=600; [ "${PAT_TEST_QUICK:-0}" = 1 ] && nlong=150
for i in $(seq $nlong); do head -n 1 "$tmp/days.csv"; done > "$tmp/long_job.csv"
code=$(post "/v1/models/demo/explain?format=csv" "$tmp/long_job.csv")
if [ "$code" = 200 ] && [ "$(grep -c '' "$tmp/body")" = $nlong ]; then pass computation_longer_than_timeout
else fail computation_longer_than_timeout "HTTP $code"; fi
port=$main_port
code=$(get "http://127.0.0.1:$port/healthz")
if [ "$code" = 200 ]; then pass up_after_bad_requests; else fail up_after_bad_requests "$code"; fi

if command -v python3 >/dev/null; then
    out=$(python3 tests/serve_clients.py "$main_port" 2 2>&1)
    printf '%s\n' "$out" | grep -E '^(PASS|FAIL|SKIP) '
else
    skip slow_clients "python3 not installed"
fi

# /metrics counts what happened.
code=$(get "http://127.0.0.1:$port/metrics")
if [ "$code" = 200 ] && grep -q '^pat_requests_total{endpoint="predict",code="200"} [1-9]' "$tmp/body" \
    && grep -q '^pat_requests_total{endpoint="predict",code="400"} [1-9]' "$tmp/body" \
    && grep -q '^pat_request_duration_seconds_bucket{endpoint="predict",le="+Inf"}' "$tmp/body" \
    && grep -q '^pat_queue_depth 0' "$tmp/body"; then pass metrics
else fail metrics "$code $(head -c 400 "$tmp/body")"; fi

# SIGTERM while a long request is in flight (longer than --timeout 2 on a
# slow machine or under ASan): it is answered, then exit 0.
for i in $(seq 200); do head -n 1 "$tmp/days.csv"; done > "$tmp/many.csv"
"$pat" explain -q -m "$model" -i "$tmp/many.csv" -o "$tmp/many_cli.csv"
post "/v1/models/demo/explain?format=csv" "$tmp/many.csv" > "$tmp/drain_code" &
cpid=$!
for _ in $(seq 200); do  # until its computation is running
    curl -s "http://127.0.0.1:$port/metrics" | grep -q '^pat_inflight_requests 1' && break
    sleep 0.05
done
kill -TERM "$main_pid"
wait "$cpid"
wait "$main_pid"; rc=$?
pids=$(echo "$pids" | sed "s/ $main_pid\b//")
if [ "$rc" = 0 ] && [ "$(cat "$tmp/drain_code")" = 200 ] && cmp -s "$tmp/body" "$tmp/many_cli.csv" \
    && grep -q '"event":"stopped","cut_short":0' "$tmp/main.log"; then pass sigterm_drains
else fail sigterm_drains "exit $rc, HTTP $(cat "$tmp/drain_code"): $(tail -n 3 "$tmp/main.log")"; fi
if curl -s -m 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then fail stopped_after_drain "still answering"
else pass stopped_after_drain; fi

# Every access log line is one JSON object with the documented fields.
if command -v python3 >/dev/null; then
    if python3 -c '
import json, sys
n = 0
for line in open(sys.argv[1]):
    d = json.loads(line)
    if "status" in d:
        n += 1
        assert {"time", "remote", "method", "path", "endpoint", "status", "ms"} <= d.keys(), d
assert n >= 20, n
' "$tmp/main.log"; then pass access_log_json; else fail access_log_json "$(head -n 3 "$tmp/main.log")"; fi
fi
