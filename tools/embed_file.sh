#!/bin/sh
# embed_file.sh FILE NAME: a C source defining `const unsigned char NAME[]`
# (FILE's bytes and a final NUL) and `const size_t NAME_len` (without the
# NUL), declared in serve/api.h. POSIX od and awk only.
set -eu
file=$1 name=$2
printf '/* Generated from %s by tools/embed_file.sh (make): do not edit. */\n' "$file"
printf '#include "serve/api.h"\n\nconst unsigned char %s[] = {\n' "$name"
od -An -v -tx1 "$file" | awk '
    { for (i = 1; i <= NF; i++) { printf "0x%s,", $i; if (++n % 16 == 0) printf "\n" } }
    END { printf "0x00\n}; \n" }' | sed 's/ $//'
printf 'const size_t %s_len = %s;\n' "$name" "$(wc -c < "$file" | tr -d ' ')"
