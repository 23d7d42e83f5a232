#!/bin/sh
# libprivmem exports exactly the functions of privmem.h, all at LIBPRIVMEM_0.1, with soname libprivmem.so.0.
# usage: test-symbols.sh LIBPRIVMEM.so privmem.h libprivmem.sym
set -eu
lib=$1 header=$2 sym=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ "$soname" = libprivmem.so.0 ] || { echo "soname '$soname', expected libprivmem.so.0"; exit 1; }

nm -D --defined-only --with-symbol-versions "$lib" | awk '$2 == "T" { print $3 }' | grep -v '^LIBPRIVMEM' | sort > "$tmp/exported"
if grep -v '@@LIBPRIVMEM_0.1$' "$tmp/exported"; then echo "above: exported without version LIBPRIVMEM_0.1"; exit 1; fi
sed 's/@@.*//' "$tmp/exported" > "$tmp/names"
grep -o 'privmem_[a-z0-9_]*(' "$header" | tr -d '(' | sort -u > "$tmp/declared"
grep -o 'privmem_[a-z0-9_]*' "$sym" | sort -u > "$tmp/listed"
diff -u "$tmp/declared" "$tmp/names" || { echo "exported functions differ from $header"; exit 1; }
diff -u "$tmp/declared" "$tmp/listed" || { echo "$sym differs from $header"; exit 1; }
echo "$(wc -l < "$tmp/names") functions at LIBPRIVMEM_0.1, soname $soname"
