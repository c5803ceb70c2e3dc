#!/bin/sh
# test_shared.sh BUILD - the shared library (make shared, mk/shared.mk):
# exactly the PAT_API functions of include/pat.h are exported, the soname
# carries the API version, make install lays out header, both libraries,
# the CLI and pat.pc, and a program built with `pkg-config pat` against the
# installed library embeds the fixture rows bit for bit as pat embed does.
build=${1:-build}
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
if [ ! -e "$build/libpat.so" ]; then
    echo "SKIP shared: $build/libpat.so not built (make shared)"
    exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Every function declared in pat.h (a line at column 0 naming pat_x( after
# its return type) must be marked PAT_API, or the library would lack it.
unmarked=$(grep -E '^(const |enum |struct |unsigned |long |size_t |int |void |float |double )[^(]*[ *]pat_[a-z0-9_]+\(' \
    include/pat.h | sed 's/(.*//' | awk '{print $NF}' | tr -d '*' | tr '\n' ' ')
if [ -z "$unmarked" ]; then pass api_declarations_marked
else fail api_declarations_marked "declared without PAT_API: $unmarked"; fi

sed -n 's/^PAT_API .*[ *]\(pat_[a-z0-9_]*\)(.*/\1/p' include/pat.h | sort >"$tmp/declared"
nm -D --defined-only "$build/libpat.so" | awk '{print $3}' | sort >"$tmp/exported"
if [ -s "$tmp/declared" ] && cmp -s "$tmp/declared" "$tmp/exported"; then
    pass exports_exactly_the_api
else
    fail exports_exactly_the_api "$(diff "$tmp/declared" "$tmp/exported" | head -5 | tr '\n' ' ')"
fi

version=$(sed -n 's/^#define PAT_VERSION "\(.*\)"/\1/p' include/pat.h)
soname=$(readelf -d "$build/libpat.so" | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
case "$version" in 0.*) want="libpat.so.0.$(echo "$version" | cut -d. -f2)" ;;
                   *) want="libpat.so.$(echo "$version" | cut -d. -f1)" ;; esac
if [ "$soname" = "$want" ] && [ -e "$build/$soname" ]; then pass soname_carries_version
else fail soname_carries_version "soname '$soname', expected '$want'"; fi

if make -s install BUILD="$build" PREFIX="$tmp/prefix" >"$tmp/log" 2>&1; then
    missing=""
    for f in bin/pat include/pat.h lib/libpat.a lib/libpat.so "lib/$soname" "lib/libpat.so.$version" \
             lib/pkgconfig/pat.pc; do
        [ -e "$tmp/prefix/$f" ] || missing="$missing $f"
    done
    if [ -z "$missing" ]; then pass install_layout; else fail install_layout "missing$missing"; fi
else
    fail install_layout "$(tail -3 "$tmp/log")"
fi

fx=${PAT_FIXTURES:-$build/fixtures}/model
if [ ! -e "$fx/s.safetensors" ]; then
    echo "SKIP pkg_config_program: no fixtures in $fx (make fixtures)"
    exit 0
fi
export PKG_CONFIG_PATH="$tmp/prefix/lib/pkgconfig"
# shellcheck disable=SC2046
if ${CC:-cc} -o "$tmp/embed_rows" tests/shared/embed_rows.c $(pkg-config --cflags --libs pat) \
       -Wl,-rpath,"$tmp/prefix/lib" 2>"$tmp/log" &&
   "$tmp/embed_rows" "$fx/s.safetensors" "$fx/x_day.csv" >"$tmp/lib.csv" 2>"$tmp/log" &&
   "$build/pat" embed -m "$fx/s.safetensors" -i "$fx/x_day.csv" -q >"$tmp/cli.csv" 2>>"$tmp/log"
then
    if ldd "$tmp/embed_rows" | grep -q "$tmp/prefix/lib/$soname" && cmp -s "$tmp/lib.csv" "$tmp/cli.csv"
    then pass pkg_config_program_matches_cli
    else fail pkg_config_program_matches_cli "outputs differ or not linked to the installed library"; fi
else
    fail pkg_config_program_matches_cli "$(tail -3 "$tmp/log")"
fi
