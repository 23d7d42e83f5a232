#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# privmemd under a real systemd 252 as PID 1: boots an overlay of a cached Debian 12 tree
# (nspawn-rootfs.sh) with systemd-nspawn, installs the freshly built privmemd and its units into it,
# and runs nspawn-scenario.py inside as a transient service: socket activation, restart, SIGKILL,
# watchdog, owners dying meanwhile, stop (or another scenario of tests/system: nspawn-chaos.py).
# Everything it starts it stops; the overlay is removed.
# Usage: nspawn-restart-test.sh BUILD_ROOT SOURCE_ROOT [SCENARIO]. Exit 77 when it cannot run here.
set -euo pipefail

BUILD=$(realpath "$1")
SRC=$(realpath "$2")
HERE=$SRC/tests/system
SCENARIO=${3:-nspawn-scenario.py}
MACHINE=privmemd-test-$$
BOOT_TIMEOUT=${PRIVMEMD_TEST_BOOT_TIMEOUT:-120}

skip() { echo "SKIP: $*"; exit 77; }
log() { echo "[$(( $(date +%s) - START ))s] $*"; }
START=$(date +%s)

[ "$(id -u)" = 0 ] || skip "needs root"
command -v systemd-nspawn >/dev/null || skip "systemd-nspawn is missing (apt-get install systemd-container)"
command -v nsenter >/dev/null || skip "nsenter is missing"
command -v systemd-sysusers >/dev/null || skip "systemd-sysusers is missing"
command -v debootstrap >/dev/null || [ -e "${PRIVMEMD_TEST_ROOTFS:-/var/cache/privmemd-test/rootfs-bookworm}/usr/lib/systemd/systemd" ] ||
        skip "debootstrap is missing (apt-get install debootstrap) and no cached rootfs"

ROOTFS=$("$HERE/nspawn-rootfs.sh")
log "rootfs $ROOTFS"

RUN=$(mktemp -d /var/tmp/privmemd-nspawn.XXXXXX)
TREE=$RUN/merged
NSPAWN_PID=
cleanup() {
        local rc=$?
        if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
                # SIGTERM asks the container to power off; SIGKILL if it does not within 20 s.
                kill -TERM "$NSPAWN_PID" 2>/dev/null || true
                for _ in $(seq 200); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.1; done
                kill -KILL "$NSPAWN_PID" 2>/dev/null || true
                wait "$NSPAWN_PID" 2>/dev/null || true
        fi
        if [ $rc != 0 ] && [ -e "$RUN/console.log" ]; then
                echo "--- container console (last 40 lines) ---"; tail -40 "$RUN/console.log"
        fi
        mountpoint -q "$TREE" && umount "$TREE"
        rm -rf --one-file-system "$RUN"
        [ -n "${THP_WAS:-}" ] && echo "$THP_WAS" >"$THP_KNOB"
        exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

THP_KNOB=/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/shmem_enabled
if [ -w "$THP_KNOB" ]; then
        exec {thp_lock}>/run/lock/privmemd-test-thp.lock
        flock "$thp_lock"
        THP_WAS=$(sed 's/.*\[\(.*\)\].*/\1/' "$THP_KNOB")
        echo advise >"$THP_KNOB"
fi

# A private, writable tree: an overlay over the pristine rootfs, or a copy where overlayfs is missing.
mkdir -p "$RUN/upper" "$RUN/work" "$TREE"
if ! mount -t overlay overlay -o "lowerdir=$ROOTFS,upperdir=$RUN/upper,workdir=$RUN/work" "$TREE" 2>/dev/null; then
        log "no overlayfs here; copying the rootfs"
        cp -a --reflink=auto "$ROOTFS/." "$TREE/"
fi

# Installed as a package would be: units, sysusers.d, the binary; plus a test user, a pool,
# a short watchdog.
meson install -C "$BUILD" --no-rebuild --quiet --destdir "$TREE" >"$RUN/install.log" 2>&1 ||
        { cat "$RUN/install.log"; exit 1; }
mkdir -p "$TREE/etc/sysusers.d" "$TREE/etc/privmemd" "$TREE/etc/systemd/system/privmemd.service.d" \
        "$TREE/etc/systemd/system/sockets.target.wants" "$TREE/root/privmemd-test"
printf 'u vmm 4242 "VMM stand-in" /nonexistent\nm vmm privmem\n' >"$TREE/etc/sysusers.d/privmemd-test.conf"
systemd-sysusers --root="$TREE" >/dev/null
printf '[pool %s]\nsizes = 16M:2\nlimit = 256M\ngroups = privmem\n' vm >"$TREE/etc/privmemd/privmemd.conf"
# A 2M shmem (THP) pool: its populate helper is a process of its own, exec'd under the unit's
# sandbox (DynamicUser, SystemCallFilter, ...). The host's per-size knob is set to advise for the
# run, under the lock of our other THP tests, and written back at exit.
printf '[pool thp]\nbacking = shmem\npage_size = 2M\nsizes = 8M:1\nlimit = 32M\ngroups = privmem\n' \
        >>"$TREE/etc/privmemd/privmemd.conf"
# LimitNOFILE=65536 cannot be granted where our own hard limit is lower (no CAP_SYS_RESOURCE here):
# the container gets what this machine has.
nofile=$(ulimit -Hn)
[ "$nofile" = unlimited ] || [ "$nofile" -ge 65536 ] || PRIVMEMD_TEST_SERVICE_EXTRA="LimitNOFILE=$nofile
${PRIVMEMD_TEST_SERVICE_EXTRA:-}"
printf '[Unit]\nStartLimitBurst=50\n[Service]\nWatchdogSec=3s\n%b\n' "${PRIVMEMD_TEST_SERVICE_EXTRA:-}" \
        >"$TREE/etc/systemd/system/privmemd.service.d/test.conf"  # _EXTRA: lines to try, e.g. ProtectProc=invisible
ln -sf /lib/systemd/system/privmemd.socket "$TREE/etc/systemd/system/sockets.target.wants/privmemd.socket"
cp "$HERE/$SCENARIO" "$HERE/in_container.py" "$SRC/tests/service/varlink_client.py" "$TREE/root/privmemd-test/"
# Nothing the test does not need: no getty on the console, no network to wait for.
ln -sf /dev/null "$TREE/etc/systemd/system/console-getty.service"
ln -sf /dev/null "$TREE/etc/systemd/system/systemd-networkd-wait-online.service"
log "installed privmemd into $TREE"

systemd-nspawn --quiet --boot --directory="$TREE" --machine="$MACHINE" --register=no --keep-unit \
        --private-network --console=passive >"$RUN/console.log" 2>&1 </dev/null &
NSPAWN_PID=$!

# The container's PID 1: the systemd among the descendants of our nspawn.
leader() {
        local p
        for p in $(pgrep -P "$NSPAWN_PID") $(pgrep -P "$(pgrep -P "$NSPAWN_PID" | head -1)" 2>/dev/null); do
                [ "$(cat /proc/$p/comm 2>/dev/null)" = systemd ] && { echo "$p"; return 0; }
        done
        return 1
}
in_container() { nsenter --target "$LEADER" --mount --uts --ipc --net --pid --cgroup -- "$@"; }

for _ in $(seq $((BOOT_TIMEOUT * 10))); do
        kill -0 "$NSPAWN_PID" 2>/dev/null || { echo "systemd-nspawn exited"; exit 1; }
        LEADER=$(leader) && break
        sleep 0.1
done
[ -n "${LEADER:-}" ] || { echo "no systemd in the container after ${BOOT_TIMEOUT}s"; exit 1; }
# systemctl needs PID 1's private socket, which appears a moment after PID 1 does.
for _ in $(seq $((BOOT_TIMEOUT * 10))); do
        in_container test -S /run/systemd/private && break
        sleep 0.1
done
state=$(in_container timeout "$BOOT_TIMEOUT" systemctl is-system-running --wait 2>&1 || true)
log "container $MACHINE booted (PID 1 is $LEADER on the host): $state"
if [ "$state" != running ]; then
        in_container systemctl --failed --no-pager || true
fi

# The installed units as systemd 252 inside sees them (no man pages in the container).
in_container systemd-analyze verify --man=no /lib/systemd/system/privmemd.socket /lib/systemd/system/privmemd.service
in_container systemd-analyze security privmemd.service --no-pager | tail -1

rc=0
setenv=()  # PRIVMEMD_CHAOS_SECONDS=, PRIVMEMD_CHAOS_SEED=, PRIVMEMD_SCALE_LEASES= reach the scenario
for v in PRIVMEMD_CHAOS_SECONDS PRIVMEMD_CHAOS_SEED PRIVMEMD_SCALE_LEASES; do
        [ -n "${!v:-}" ] && setenv+=("--setenv=$v=${!v}")
done
in_container systemd-run "${setenv[@]}" --quiet --wait --pipe --unit=privmemd-scenario --property=Type=exec \
        --property=TimeoutStartSec=600 /usr/bin/python3 -u "/root/privmemd-test/$SCENARIO" || rc=$?
log "scenario exited with $rc"
exit $rc
