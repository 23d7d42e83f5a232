#!/bin/sh
# libprivmem exports exactly the functions of privmem.h: those of the LIBPRIVMEM_0.1 node of the
# version script still at LIBPRIVMEM_0.1 (programs linked against 0.1 keep resolving), those of 0.2
# still at 0.2, every other one at LIBPRIVMEM_0.3; soname libprivmem.so.0. Every public struct
# begins with "size_t size;" (privmem.h says why), but those released before the convention.
# usage: test-symbols.sh LIBPRIVMEM.so privmem.h libprivmem.sym
set -eu
lib=$1 header=$2 sym=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libprivmem.so.0 ] || { echo "soname '$soname', expected libprivmem.so.0"; exit 1; }

nm -D --defined-only --with-symbol-versions "$lib" | awk '$2 == "T" { print $3 }' | grep -v '^LIBPRIVMEM' | sort > "$tmp/exported"
grep -o 'privmem_[a-z0-9_]*(' "$header" | tr -d '(' | sort -u > "$tmp/declared"
sed 's/@@.*//' "$tmp/exported" > "$tmp/names"
diff -u "$tmp/declared" "$tmp/names" || { echo "exported functions differ from $header"; exit 1; }
for v in 0.1 0.2 0.3; do
        sed -n "/^LIBPRIVMEM_$v {/,/^}/p" "$sym" | grep -o 'privmem_[a-z0-9_]*' | sort > "$tmp/listed-$v"
        sed -n "s/@@LIBPRIVMEM_$v\$//p" "$tmp/exported" > "$tmp/at-$v"
        diff -u "$tmp/listed-$v" "$tmp/at-$v" || { echo "functions at LIBPRIVMEM_$v differ from $sym"; exit 1; }
done
[ "$(cat "$tmp/at-0.1" "$tmp/at-0.2" "$tmp/at-0.3" | wc -l)" = "$(wc -l < "$tmp/names")" ] || { echo "a function of no version"; exit 1; }
[ "$(wc -l < "$tmp/at-0.1")" = 54 ] || { echo "LIBPRIVMEM_0.1 has $(wc -l < "$tmp/at-0.1") functions, it had 54"; exit 1; }
[ "$(wc -l < "$tmp/at-0.2")" = 31 ] || { echo "LIBPRIVMEM_0.2 has $(wc -l < "$tmp/at-0.2") functions, it had 31"; exit 1; }
# struct privmem_target: an array element of LIBPRIVMEM_0.2, released with a fixed size.
sizeless=$(awk '/^struct privmem_[a-z0-9_]* \{/ { name = $2; getline; if ($1 " " $2 != "size_t size;") print name }' "$header" |
        grep -vx 'privmem_target' || true)
[ -z "$sizeless" ] || { echo "public structs without a leading size_t size: $sizeless"; exit 1; }
echo "$(wc -l < "$tmp/at-0.1") functions at LIBPRIVMEM_0.1, $(wc -l < "$tmp/at-0.2") at LIBPRIVMEM_0.2, $(wc -l < "$tmp/at-0.3") at LIBPRIVMEM_0.3, soname $soname"
