#!/bin/sh
# check_deps.sh SRC [OBJDIR] - the source tree's dependency rule
# (DEVELOPING.md, "Dependency rule"). Exits 1 naming every violation.
#
# 1. Includes: each folder of SRC may include only the folders its rule
#    lists (plus its own, and the top-level util.h, rng.h and pat.h).
# 2. With OBJDIR (the build's objects of SRC): no two object files call
#    functions the other defines (read from `nm`).
set -u
src=${1:?usage: check_deps.sh SRC [OBJDIR]}
obj=${2:-}

# folder: the other folders it may include ("*" = any folder of src/).
allowed() {
    case "$1" in
    top) echo "" ;;
    nn) echo "" ;;
    eval | baseline) echo "eval baseline" ;;
    train) echo "nn eval io report" ;;
    io) echo "nn io report" ;;
    data) echo "nn io report data" ;;
    report) echo "eval" ;;
    *) echo "*" ;;
    esac
}

fail=0
for f in $(find "$src" -name '*.[ch]' | sort); do
    rel=${f#"$src"/}
    case "$rel" in */*) dir=${rel%%/*} ;; *) dir=top ;; esac
    ok=$(allowed "$dir")
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        case "$inc" in */*) idir=${inc%%/*} ;; *) continue ;; esac
        [ "$idir" = "$dir" ] && continue
        if [ "$ok" = "*" ]; then
            [ -d "$src/$idir" ] && continue
        else
            case " $ok " in *" $idir "*) continue ;; esac
        fi
        echo "check_deps: $rel includes \"$inc\": $dir/ may not use $idir/" >&2
        fail=1
    done
done

# Mutual calls between object files: A uses a symbol B defines and back.
if [ -n "$obj" ]; then
    objs=$(find "$obj" -name '*.o' | sort)
    pairs=$(for o in $objs; do
        nm "$o" | awk -v f="${o#"$obj"/}" '$1 == "U" { print "U", f, $2; next }
                                          NF == 3 && $2 ~ /[TDBR]/ { print "D", f, $3 }'
    done | awk '
        $1 == "D" { def[$3] = $2; next }
        { use[NR] = $2 " " $3 }
        END {
            for (i in use) {
                split(use[i], u, " ")
                if ((u[2] in def) && def[u[2]] != u[1]) edge[u[1] " " def[u[2]]] = 1
            }
            for (e in edge) {
                split(e, p, " ")
                if ((p[2] " " p[1]) in edge && p[1] < p[2]) print p[1] " <-> " p[2]
            }
        }')
    if [ -n "$pairs" ]; then
        printf '%s\n' "$pairs" | sed 's/^/check_deps: files call each other: /' >&2
        fail=1
    fi
fi
[ "$fail" -eq 0 ] && echo "check_deps: the dependency rule holds"
exit "$fail"
