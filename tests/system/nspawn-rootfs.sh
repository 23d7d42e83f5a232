#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds, once, the pristine Debian 12 tree the nspawn system test boots, in a cache outside the
# repository (default /var/cache/privmemd-test/rootfs-bookworm). It is built from Debian's archive
# into a temporary directory and renamed into place only when complete, under a lock, so a run that
# dies half-way leaves nothing half-built and two runs never build it twice. Nothing writes into the
# pristine tree afterwards: each test run boots an overlay (or a copy) of it.
# Usage: nspawn-rootfs.sh [DIR]; prints DIR. Exit 77 if debootstrap is missing.
set -euo pipefail

ROOTFS=${1:-${PRIVMEMD_TEST_ROOTFS:-/var/cache/privmemd-test/rootfs-bookworm}}
MIRROR=${PRIVMEMD_TEST_MIRROR:-http://deb.debian.org/debian}
# systemd to boot; python3 for the test client; libjson-c5 and libinih1 for privmemd
# (libsystemd0 comes with systemd); procps for /bin/kill (ExecReload=); dbus as on a host.
# The marker file records this list: a tree built with another list is built again.
INCLUDE=systemd,systemd-sysv,dbus,procps,python3,libjson-c5,libinih1

if ! command -v debootstrap >/dev/null; then
        echo "SKIP: debootstrap is missing (apt-get install debootstrap)" >&2
        exit 77
fi

mkdir -p "$(dirname "$ROOTFS")"
exec 9>"$ROOTFS.lock"
flock 9
if [ -x "$ROOTFS/usr/lib/systemd/systemd" ] && [ "$(cat "$ROOTFS/.privmemd-test-complete" 2>/dev/null)" = "$INCLUDE" ]; then
        echo "$ROOTFS"
        exit 0
fi

tmp=$(mktemp -d "$ROOTFS.new.XXXXXX")
trap 'rm -rf --one-file-system "$tmp"' EXIT
start=$(date +%s)
debootstrap --variant=minbase --include="$INCLUDE" bookworm "$tmp" "$MIRROR" >"$tmp.log" 2>&1 || {
        tail -20 "$tmp.log" >&2
        exit 1
}
# A machine id of its own, empty: systemd makes a fresh one at every boot of an overlay.
: >"$tmp/etc/machine-id"
rm -rf "$tmp/var/cache/apt/archives/"*.deb "$tmp/var/lib/apt/lists/"*
echo "$INCLUDE" >"$tmp/.privmemd-test-complete"
rm -rf --one-file-system "$ROOTFS"
mv "$tmp" "$ROOTFS"
rm -f "$tmp.log"
trap - EXIT
echo "built $ROOTFS in $(( $(date +%s) - start ))s" >&2
echo "$ROOTFS"
