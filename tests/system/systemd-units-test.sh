#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The units as built: `systemd-analyze verify` says nothing about them, and
# `systemd-analyze security --offline=true` rates privmemd.service at an overall exposure of at most
# MAX_EXPOSURE. ExecStart= is pointed at the freshly built privmemd (verify wants it to exist) and
# the man page Documentation= names is looked up in the source tree.
# Usage: systemd-units-test.sh BUILT_SERVICE SOCKET PRIVMEMD MANPAGE. Exit 77 without systemd-analyze.
set -euo pipefail
MAX_EXPOSURE=1.5

command -v systemd-analyze >/dev/null || { echo "SKIP: systemd-analyze is missing"; exit 77; }
service=$(realpath "$1") socket=$(realpath "$2") privmemd=$(realpath "$3") manpage=$(realpath "$4")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/units" "$tmp/man/man8"
sed "s|^ExecStart=[^ ]*|ExecStart=$privmemd|" "$service" >"$tmp/units/privmemd.service"
cp "$socket" "$tmp/units/privmemd.socket"
ln -s "$manpage" "$tmp/man/man8/privmemd.8"
grep -q "^ExecStart=$privmemd\$" "$tmp/units/privmemd.service" || { echo "FAIL: no ExecStart= to point at $privmemd"; exit 1; }

out=$(cd "$tmp/units" && MANPATH="$tmp/man" systemd-analyze verify privmemd.socket privmemd.service 2>&1) || {
        echo "$out"; echo "FAIL: systemd-analyze verify failed"; exit 1; }
if [ -n "$out" ]; then
        echo "$out"; echo "FAIL: systemd-analyze verify warned"; exit 1
fi
echo "ok: systemd-analyze verify: no warnings"

report=$(cd "$tmp/units" && systemd-analyze security --offline=true --no-pager privmemd.service 2>&1) || true
exposure=$(sed -n 's/.*Overall exposure level for privmemd.service: \([0-9.]*\).*/\1/p' <<<"$report")
if [ -z "$exposure" ]; then
        echo "$report"; echo "FAIL: no overall exposure in systemd-analyze security's report"; exit 1
fi
grep -v '^✓' <<<"$report" | sed -n '/NAME/,$p'
if awk -v e="$exposure" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(e > m) }'; then
        echo "FAIL: overall exposure $exposure > $MAX_EXPOSURE"; exit 1
fi
echo "ok: overall exposure $exposure <= $MAX_EXPOSURE"
