#!/usr/bin/env python3
"""privmemd whose [libvirt] uri= names a socket that accepts connections and never answers (a hung
or overloaded libvirtd): libvirt's thread is stuck in virConnectOpen() for good, and yet
  - GetStatus and a process-owned Acquire/Release answer, and the watchdog is pinged;
  - Acquire with ownerDomain answers LibvirtUnavailable within [libvirt] timeout= (and at once
    after that, until libvirt says something);
  - privmemd stops cleanly (exit 0) within its stop timeout, and a process-owned lease is in the
    fd store and back after a restart, with libvirt still hung.
Needs no libvirtd: only a privmemd built with libvirt and libvirt.so.0.
Usage: libvirt-hung-socket.py PRIVMEMD"""
import ctypes.util
import os
import signal
import socket
import sys
import tempfile
import threading
import time

from libvirt_common import Client, Pump, ServiceManager, VarlinkError, fail, MiB
from libvirt_sandbox import SKIP, skip

TIMEOUT = 2             # [libvirt] timeout=
STOP_TIMEOUT = 30       # privmemd.service's TimeoutStopSec=
BOUND = 10              # what "answers" means here: generous, no timing is asserted tighter


class SilentServer(threading.Thread):
    """Accepts every connection on a unix socket and never reads or writes."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.accepted = []
        self.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for c in self.accepted:
            c.close()


def timed(what, f):
    start = time.monotonic()
    try:
        result = f()
    except socket.timeout:
        fail("%s did not answer within %d s" % (what, BOUND))
    took = time.monotonic() - start
    print("%s answered in %.3f s" % (what, took), flush=True)
    return result, took


def acquire_release(c):
    params, fds = c.call("io.privmemd.Acquire", {"pool": "a", "size": 4 * MiB})
    for fd in fds:
        os.close(fd)
    c.call("io.privmemd.Release", {"id": params["lease"]["id"]})


def domain_acquire(c):
    try:
        _, fds = c.call("io.privmemd.Acquire", {"pool": "a", "size": 4 * MiB, "ownerDomain": "vm"})
        for fd in fds:
            os.close(fd)
    except VarlinkError as e:
        return e
    fail("ownerDomain acquired with libvirt hung")


def hold_lease(path):
    """A child that acquires a lease and keeps running: the lease is its."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            c = Client(path)
            params, _ = c.call("io.privmemd.Acquire", {"pool": "a", "size": 4 * MiB})
            os.write(w, params["lease"]["id"].encode())
            time.sleep(3600)
        finally:
            os._exit(0)
    os.close(w)
    lease = os.read(r, 64).decode()
    os.close(r)
    return pid, lease


def run(tmp, privmemd):
    silent = SilentServer(os.path.join(tmp, "hung-libvirt-sock"))
    cfg = os.path.join(tmp, "privmemd.conf")
    with open(cfg, "w") as f:
        f.write("[pool a]\nsizes = 4M:2\nlimit = 64M\nusers = *\n\n[libvirt]\nuri = qemu+unix:///system?socket=%s\n"
                "timeout = %d\n" % (silent.sock.getsockname(), TIMEOUT))
    sm = ServiceManager([privmemd, "--config", cfg], tmp, env=dict(os.environ, WATCHDOG_USEC="1000000"))
    pump = Pump(sm)
    holder = None
    try:
        pump.restart(stop=False)
        end = time.monotonic() + BOUND
        while not silent.accepted and time.monotonic() < end:
            time.sleep(0.05)
        if not silent.accepted:
            fail("privmemd never connected to the silent socket")
        time.sleep(0.5)  # libvirt's thread is inside virConnectOpen() now, waiting for an answer
        c = Client(sm.socket_path)
        c.sock.settimeout(BOUND)
        pings = sm.watchdog_pings
        timed("GetStatus", lambda: c.call("io.privmemd.GetStatus"))
        timed("process-owned Acquire + Release", lambda: acquire_release(c))
        e, took = timed("ownerDomain Acquire", lambda: domain_acquire(c))
        if e.error != "io.privmemd.LibvirtUnavailable":
            fail("ownerDomain with libvirt hung: %s, expected LibvirtUnavailable" % e)
        print("  reason: %s" % e.parameters.get("reason"), flush=True)
        e, took = timed("ownerDomain Acquire again", lambda: domain_acquire(c))
        if e.error != "io.privmemd.LibvirtUnavailable":
            fail("ownerDomain again: %s" % e)
        time.sleep(1.5)
        if sm.watchdog_pings <= pings:
            fail("no watchdog ping while libvirt hangs (%d before, %d after)" % (pings, sm.watchdog_pings))
        print("ok: status, process-owned leases and the watchdog go on; ownerDomain gets LibvirtUnavailable",
              flush=True)

        holder, lease = hold_lease(sm.socket_path)
        c.close()
        start = time.monotonic()
        with pump.lock:
            status = sm.stop(timeout=STOP_TIMEOUT + 5)
        took = time.monotonic() - start
        print("privmemd stopped in %.2f s, wait status %s" % (took, status), flush=True)
        if status is None or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            fail("privmemd did not exit cleanly while libvirt hangs: wait status %s" % status)
        if took > STOP_TIMEOUT:
            fail("privmemd took %.1f s to stop, more than its stop timeout %d s" % (took, STOP_TIMEOUT))
        if sm.lease_name(lease) is None:
            fail("lease %s is not in the fd store after the stop: %s" % (lease, sm.stored_names()))
        pump.restart(stop=False)
        c = Client(sm.socket_path)
        c.sock.settimeout(BOUND)
        params, took = timed("GetLease after a restart", lambda: c.call("io.privmemd.GetLease", {"id": lease}))
        if params[0]["lease"]["state"] != "active":
            fail("lease %s after a restart with libvirt hung: %s" % (lease, params[0]["lease"]))
        c.close()
        print("ok: privmemd stopped within its stop timeout and restarted with its lease, libvirt still hung",
              flush=True)
    finally:
        if holder:
            os.kill(holder, signal.SIGKILL)
            os.waitpid(holder, 0)
        pump.close()
        silent.close()


def main():
    if len(sys.argv) != 2:
        fail("usage: libvirt-hung-socket.py PRIVMEMD")
    if os.environ.get("PRIVMEMD_LIBVIRT") == "0":
        skip("privmemd was built without libvirt (-Dlibvirt=disabled or no libvirt-dev)")
    if not ctypes.util.find_library("virt"):
        skip("libvirt.so.0 is not installed (tools/install-deps --tests)")
    with tempfile.TemporaryDirectory(prefix="privmemd-libvirt.") as tmp:
        run(tmp, sys.argv[1])
    print("PASS")


if __name__ == "__main__":
    assert SKIP == 77
    main()
