#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""10,000 leases under a real systemd 252 (run inside the container by nspawn-restart-test.sh):
one VMM stand-in (uid vmm) acquires them (4 KiB each), privmemd is SIGKILLed and restarted by
systemd with all of them in its fd store (LISTEN_FDNAMES must fit execve()'s 128 KiB), every lease
is listed again, the store holds one entry per lease, one for the owner process and the ready
memfds; then the owner exits and every lease ends, the store back to the ready memfds.
PRIVMEMD_SCALE_LEASES (default 10000) changes the count."""
import grp
import os
import pwd
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_container import SOCKET, call, fail, log, show  # noqa: E402
from varlink_client import Client  # noqa: E402

N = int(os.environ.get("PRIVMEMD_SCALE_LEASES", "10000"))
TARGET = 64

def active_leases():
    return sum(1 for l in call("io.privmemd.ListLeases")["leases"] if l["state"] == "active")


def stored():
    """Entries in privmemd's fd store, by kind letter, from the names systemd passes it."""
    env = open("/proc/%s/environ" % show("MainPID"), "rb").read().split(b"\0")
    names = [e[len(b"LISTEN_FDNAMES="):].decode() for e in env if e.startswith(b"LISTEN_FDNAMES=")]
    kinds = {}
    for n in (names[0].split(":") if names else []):
        kinds[n[0]] = kinds.get(n[0], 0) + 1
    return kinds, len(names[0]) if names else 0


def owner(sock):
    vmm = pwd.getpwnam("vmm")
    os.setgroups([grp.getgrnam("privmem").gr_gid])
    os.setgid(vmm.pw_gid)
    os.setuid(vmm.pw_uid)
    c = Client(SOCKET)
    lat = []
    for i in range(N):
        t = time.perf_counter()
        _, fds = c.call("io.privmemd.Acquire", {"pool": "scale", "size": 4096})
        lat.append(time.perf_counter() - t)
        os.close(fds[0])  # the lease is this process's
    c.close()
    k = min(1000, N // 2)
    first, last = sorted(lat[:k]), sorted(lat[-k:])
    print("Acquire p50 over the first %d leases %.0f us, over the last %d %.0f us (systemd's fd store "
          "grows with them)" % (k, first[k // 2] * 1e6, k, last[k // 2] * 1e6), flush=True)
    sock.send(b"a")
    sock.recv(1)  # until told to exit
    return 0


def main():
    with open("/etc/privmemd/privmemd.conf", "w") as f:
        f.write("[pool scale]\nsizes = 4K:%d\nlimit = 1G\nleases_per_uid = 1000000\ngroups = privmem\n" % TARGET)
    parent, child = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            parent.close()
            code = owner(child)
        finally:
            os._exit(code)
    child.close()
    parent.settimeout(600)
    if parent.recv(1) != b"a":
        fail("the owner could not acquire %d leases" % N)
    log("%d leases acquired by one process; privmemd has %d fds" % (N, len(os.listdir("/proc/%s/fd" % show("MainPID")))))
    old = show("MainPID")
    t = time.monotonic()
    os.kill(int(old), signal.SIGKILL)
    while show("MainPID") in ("0", old) or show("ActiveState") != "active":
        if time.monotonic() - t > 120:
            fail("privmemd did not come back after SIGKILL with %d leases (%s)" % (N, show("Result")))
        time.sleep(0.05)
    ready = time.monotonic() - t
    n = active_leases()
    log("SIGKILL to active again: %.2f s, to %d leases listed: %.2f s" % (ready, n, time.monotonic() - t))
    if n != N:
        fail("%d of %d leases came back after the restart" % (n, N))
    kinds, length = stored()
    log("fd store handed back: %s, LISTEN_FDNAMES %d bytes (execve() takes at most 131072)" % (kinds, length))
    if kinds.get("l") != N or kinds.get("o") != 1:
        fail("the store held %s for %d leases of one process" % (kinds, N))
    parent.send(b"x")
    os.waitpid(pid, 0)
    end = time.monotonic() + 120
    while active_leases() or call("io.privmemd.ListLeases")["leases"]:
        if time.monotonic() > end:
            fail("the leases of the exited owner did not end")
        time.sleep(0.2)
    log("the owner exited: every lease ended")
    print("scale: leases=%d restart-active=%.2fs recovered=%d store=%s" % (N, ready, n, kinds), flush=True)
    print("ok", flush=True)


if __name__ == "__main__":
    main()
