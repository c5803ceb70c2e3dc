#!/bin/sh
# test_hardening_outputs.sh BUILD - outputs never replace what is not
# theirs (issue 12, item 1) and fatal signals leave no temporary (item 5):
# a character device made with mknod and a FIFO are written directly, a
# symlink stays a link whose target holds the output, a directory is an
# I/O error; SIGTERM/SIGINT during a run remove PATH.tmp.PID.
build=${1:-build}
pat="$build/pat"
fx="$build/fixtures/model"
model="$fx/s.safetensors"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# A private character device (the same numbers as /dev/null), as root only.
if mknod "$tmp/null" c 1 3 2>/dev/null; then
    "$pat" embed -q -m "$model" -i "$fx/x_day.csv" -o "$tmp/null"; rc=$?
    if [ "$rc" -eq 0 ] && [ -c "$tmp/null" ]; then pass output_char_device_kept
    else fail output_char_device_kept "exit $rc; $(ls -l "$tmp/null")"; fi
    "$pat" init --arch S -o "$tmp/null" >/dev/null 2>&1; rc=$?
    if [ "$rc" -eq 0 ] && [ -c "$tmp/null" ]; then pass checkpoint_char_device_kept
    else fail checkpoint_char_device_kept "exit $rc; $(ls -l "$tmp/null")"; fi
    if ls "$tmp" | grep -q '\.tmp\.'; then fail char_device_no_temporary "$(ls "$tmp")"
    else pass char_device_no_temporary; fi
else
    skip output_char_device_kept "mknod needs root"
fi

# A FIFO: streamed to its reader, stays a FIFO.
mkfifo "$tmp/fifo"
timeout 60 cat "$tmp/fifo" >"$tmp/from_fifo" &
reader=$!
"$pat" embed -q -m "$model" -i "$fx/x_day.csv" -o "$tmp/fifo"; rc=$?
[ -p "$tmp/fifo" ] && : 1<>"$tmp/fifo" # a reader still waiting (failed run) gets EOF
wait $reader
"$pat" embed -q -m "$model" -i "$fx/x_day.csv" -o "$tmp/direct.csv"
if [ "$rc" -eq 0 ] && [ -p "$tmp/fifo" ] && cmp -s "$tmp/from_fifo" "$tmp/direct.csv"; then
    pass output_fifo_streamed
else
    fail output_fifo_streamed "exit $rc; $(ls -l "$tmp/fifo")"
fi

# A symlink (relative, into another folder): the link stays, the target
# holds the output, the temporary lived beside the target.
mkdir "$tmp/real"
echo old >"$tmp/real/e.csv"
ln -s real/e.csv "$tmp/link.csv"
"$pat" embed -q -m "$model" -i "$fx/x_day.csv" -o "$tmp/link.csv"; rc=$?
if [ "$rc" -eq 0 ] && [ -L "$tmp/link.csv" ] && cmp -s "$tmp/real/e.csv" "$tmp/direct.csv"; then
    pass output_symlink_kept
else
    fail output_symlink_kept "exit $rc; $(ls -l "$tmp/link.csv")"
fi
# A dangling symlink creates its target; a chain of links is followed.
ln -s real/new.safetensors "$tmp/dangling"
ln -s dangling "$tmp/chain"
"$pat" init --arch S -o "$tmp/chain" >/dev/null 2>&1; rc=$?
if [ "$rc" -eq 0 ] && [ -L "$tmp/chain" ] && [ -L "$tmp/dangling" ] && [ -f "$tmp/real/new.safetensors" ]; then
    pass output_symlink_chain_dangling
else
    fail output_symlink_chain_dangling "exit $rc; $(ls -l "$tmp" "$tmp/real")"
fi
if [ -n "$(find "$tmp" -name '*.tmp.*')" ]; then fail symlink_no_temporary "$(find "$tmp" -name '*.tmp.*')"
else pass symlink_no_temporary; fi

# A directory is an I/O error (3) that says so.
mkdir "$tmp/dir"
"$pat" embed -q -m "$model" -i "$fx/x_day.csv" -o "$tmp/dir" 2>"$tmp/err"; rc=$?
if [ "$rc" -eq 3 ] && grep -q "is a directory" "$tmp/err" && [ -d "$tmp/dir" ]; then
    pass output_directory_io_error
else
    fail output_directory_io_error "exit $rc: $(cat "$tmp/err")"
fi

# Signals: a run blocked reading its input (a FIFO held open by us after
# one row) has created its temporary; SIGTERM / SIGINT must remove it.
# (An asynchronous command of a non-interactive shell ignores SIGINT:
# env --default-signal gives it back its default.)
signal_case() {
    name=$1 sig=$2; shift 2
    rm -f "$tmp/in.fifo"; mkfifo "$tmp/in.fifo"
    "$@" "$pat" embed -q -m "$model" -i "$tmp/in.fifo" -o "$tmp/sig.csv" 2>/dev/null &
    pid=$!
    exec 3<>"$tmp/in.fifo" # read-write: does not wait for the reader
    head -n 1 "$fx/x_day.csv" >&3
    i=0
    while [ $i -lt 100 ] && ! ls "$tmp" | grep -q '^sig\.csv\.tmp\.'; do sleep 0.1; i=$((i + 1)); done
    if ! ls "$tmp" | grep -q '^sig\.csv\.tmp\.'; then
        exec 3>&-; kill "$pid" 2>/dev/null; wait "$pid"
        fail "$name" "no temporary appeared"; return
    fi
    kill -s "$sig" "$pid"
    wait "$pid"; rc=$?
    exec 3>&-
    left=$(ls "$tmp" | grep '^sig\.csv' || true)
    if [ -z "$left" ] && [ "$rc" -gt 128 ]; then pass "$name"
    else fail "$name" "exit $rc, left: $left"; fi
}
signal_case signal_term_removes_temporary TERM
if env --default-signal=INT true 2>/dev/null; then
    signal_case signal_int_removes_temporary INT env --default-signal=INT
else
    skip signal_int_removes_temporary "env --default-signal unavailable"
fi
