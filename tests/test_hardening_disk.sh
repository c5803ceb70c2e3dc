#!/bin/sh
# test_hardening_disk.sh BUILD - full disks (issue 12, item 4): pat exits 3
# with no temporary left, never crashes. Two ways, both as root:
#  - a private full device (mknod c 1 7, what /dev/full is): every write
#    fails with ENOSPC, for the streamed (direct) path;
#  - a 256 KiB tmpfs mounted for the test: the temporary + rename path
#    (convert --to-keras crashed in libhdf5's close-at-exit, exit 139).
# Each skips with the reason where the container refuses mknod or mount.
build=${1:-build}
pat="$build/pat"
fx="$build/fixtures/model"
model="$fx/s.safetensors"
tmp=$(mktemp -d)
mnt="$tmp/small"
cleanup() { umount "$mnt" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

: >"$tmp/err"
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# full_case NAME DIR OUT -- command...: exit 3, "No space left", nothing
# left in DIR but what was there.
full_case() {
    name=$1 dir=$2 out=$3; shift 4
    before=$(ls "$dir")
    "$@" -o "$out" >/dev/null 2>"$tmp/err"; rc=$?
    after=$(ls "$dir")
    if [ "$rc" -ne 3 ]; then fail "$name" "exit $rc, expected 3: $(cat "$tmp/err")"
    elif ! grep -q "No space left" "$tmp/err"; then fail "$name" "message: $(cat "$tmp/err")"
    elif [ "$before" != "$after" ]; then fail "$name" "left behind: $after"
    else pass "$name"; fi
}

if mknod "$tmp/full" c 1 7 2>/dev/null; then
    full_case full_device_embed "$tmp" "$tmp/full" -- "$pat" embed -q -m "$model" -i "$fx/x_day.csv"
    full_case full_device_convert_keras "$tmp" "$tmp/full" -- "$pat" convert --to-keras "$model"
    if [ -c "$tmp/full" ]; then pass full_device_kept; else fail full_device_kept "$(ls -l "$tmp/full")"; fi
else
    skip full_device_embed "mknod needs root"
fi

mkdir "$mnt"
if mount -t tmpfs -o size=256k tmpfs "$mnt" 2>/dev/null; then
    full_case full_disk_convert_keras "$mnt" "$mnt/s.h5" -- "$pat" convert --to-keras "$model"
    full_case full_disk_checkpoint "$mnt" "$mnt/s.safetensors" -- "$pat" init --arch S
    awk 'BEGIN { for (r = 0; r < 400; r++) for (i = 1; i <= 1440; i++) printf "%d%s", (i * r) % 50, i < 1440 ? "," : "\n" }' >"$tmp/many.csv"
    full_case full_disk_embed "$mnt" "$mnt/e.csv" -- "$pat" embed -q -m "$model" -i "$tmp/many.csv"
else
    skip full_disk_convert_keras "cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)"
fi
