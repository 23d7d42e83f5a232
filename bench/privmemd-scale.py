#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""privmemd-scale: what privmemd costs as leases pile up, under a stand-in service manager with an fd
store (tests/service/service_manager.py), one owner process holding every lease:
  - RSS and open fds of privmemd, and entries in the fd store, at 10, 1,000 and 10,000 leases
  - Acquire p50/p99 at each level (one Acquire, then its Release untimed, 2 ms apart), next to a bare
    SCM_RIGHTS request/reply between two Python processes measured in the same run (the floor), and
    as a ratio against the 10-lease figure
  - ListLeases time at each level
  - restart time: SIGKILL to READY=1, and to the first ListLeases answer, at each level
Usage (as root, to raise RLIMIT_NOFILE): privmemd-scale.py PRIVMEMD [MAX_LEASES]"""
import os
import resource
import select
import signal
import socket
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "service"))
from service_manager import ServiceManager  # noqa: E402
from varlink_client import Client  # noqa: E402

ROUNDS = 500
SIZE = 4096
CONFIG = """[pool bench]
sizes = 4K:64
limit = 1G
leases_per_uid = 1000000
users = *
"""


def percentile(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * (len(v) - 1) + 0.5))]


def floor_latency():
    """A request and a 300-byte reply carrying an fd, between two processes: the least a lease costs."""
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    memfd = os.memfd_create("floor")
    pid = os.fork()
    if pid == 0:
        a.close()
        while b.recv(512):
            socket.send_fds(b, [b"x" * 300], [memfd])
        os._exit(0)
    b.close()
    lat = []
    for _ in range(ROUNDS):
        t = time.perf_counter()
        a.send(b"y" * 120)
        _, fds, _, _ = socket.recv_fds(a, 512, 1)
        lat.append(time.perf_counter() - t)
        os.close(fds[0])
        time.sleep(0.002)
    a.close()
    os.waitpid(pid, 0)
    return lat


def manager_process(privmemd, tmp, cmd, ans):
    """The stand-in service manager, in a process of its own so that the fd store is served while
    the benchmark waits on privmemd. Commands: k (SIGKILL and restart), s (store size), q (quit)."""
    conf = os.path.join(tmp, "privmemd.conf")
    sm = ServiceManager([privmemd, "--config=" + conf, "--log-level=warning"], tmp)
    sm.start(timeout=60)
    os.write(ans, b"%d\n" % sm.pid)
    while True:
        r, _, _ = select.select([cmd], [], [], 0.02)
        sm.poll(0)
        if not r:
            continue
        c = os.read(cmd, 1)
        if c == b"k":
            t = time.monotonic()
            sm.stop(signal.SIGKILL)
            sm.start(timeout=120)
            os.write(ans, b"%d %f\n" % (sm.pid, time.monotonic() - t))
        elif c == b"s":
            os.write(ans, b"%d\n" % len(sm.store_all()))
        else:
            sm.close()
            os._exit(0)


class Bench:
    def __init__(self, privmemd, tmp):
        with open(os.path.join(tmp, "privmemd.conf"), "w") as f:
            f.write(CONFIG)
        self.cmd_r, self.cmd_w = os.pipe()
        self.ans_r, self.ans_w = os.pipe()
        sys.stdout.flush()
        self.mpid = os.fork()
        if self.mpid == 0:
            try:
                manager_process(privmemd, tmp, self.cmd_r, self.ans_w)
            except BaseException:  # noqa: B036
                traceback.print_exc()
            finally:
                os._exit(1)
        os.close(self.cmd_r)
        os.close(self.ans_w)
        self.pid = int(self.answer())
        self.socket = os.path.join(tmp, "io.privmemd")
        self.client = Client(self.socket)
        self.held = []

    def answer(self):
        line = b""
        while not line.endswith(b"\n"):
            c = os.read(self.ans_r, 1)
            if not c:
                raise RuntimeError("the stand-in service manager died")
            line += c
        return line.decode()

    def ask(self, c):
        os.write(self.cmd_w, c)
        return self.answer()

    def acquire(self):
        reply, fds = self.client.call("io.privmemd.Acquire", {"pool": "bench", "size": SIZE})
        os.close(fds[0])  # the lease is this process's, not its fd's
        return reply["lease"]["id"]

    def fill(self, n):
        t = time.monotonic()
        while len(self.held) < n:
            self.held.append(self.acquire())
        return time.monotonic() - t

    def latency(self):
        lat = []
        for _ in range(ROUNDS):
            t = time.perf_counter()
            lease = self.acquire()
            lat.append(time.perf_counter() - t)
            self.client.call("io.privmemd.Release", {"id": lease})
            time.sleep(0.002)
        return lat

    def usage(self):
        with open("/proc/%d/status" % self.pid) as f:
            rss = [int(line.split()[1]) for line in f if line.startswith("VmRSS:")][0]
        return rss * 1024, len(os.listdir("/proc/%d/fd" % self.pid)), int(self.ask(b"s"))

    def list_time(self):
        t = time.monotonic()
        n = len(self.client.call("io.privmemd.ListLeases")[0]["leases"])
        return time.monotonic() - t, n

    def restart(self):
        self.client.close()
        t = time.monotonic()
        pid, ready = self.ask(b"k").split()
        self.pid = int(pid)
        self.client = Client(self.socket)
        _, n = self.list_time()
        return float(ready), time.monotonic() - t, n

    def close(self):
        self.client.close()
        os.write(self.cmd_w, b"q")
        os.waitpid(self.mpid, 0)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    privmemd = os.path.abspath(sys.argv[1])
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    levels = [n for n in (10, 1000, 10000, top) if n <= top]
    levels = sorted(set(levels))
    want = 2 * top + 4096  # the store's copies and privmemd's own; inherited by both
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        print("RLIMIT_NOFILE: %d (cannot raise it to %d here)" % (hard, want))

    fl = floor_latency()
    fl50, fl99 = percentile(fl, 50) * 1e6, percentile(fl, 99) * 1e6
    print("floor: a bare SCM_RIGHTS request/reply (Python): p50 %.0f us, p99 %.0f us" % (fl50, fl99))
    print("load: %s" % open("/proc/loadavg").read().split()[0:3])
    rows = []
    with tempfile.TemporaryDirectory(prefix="privmemd-scale.") as tmp:
        b = Bench(privmemd, tmp)
        try:
            for n in levels:
                fill = b.fill(n)
                time.sleep(0.5)  # the pool back at its target
                lat = b.latency()
                rss, fds, stored = b.usage()
                lt, listed = b.list_time()
                ready, answer, after = b.restart()
                if after != n:
                    print("WARNING: %d leases before the restart, %d after" % (n, after))
                rows.append((n, rss, fds, stored, percentile(lat, 50) * 1e6, percentile(lat, 99) * 1e6, lt, ready,
                             answer, fill / max(n, 1)))
        finally:
            b.close()
    base = rows[0]
    print("| leases | RSS MiB | KiB/lease over 10 | fds | fd store | Acquire p50 us (x floor, x 10 leases) "
          "| p99 us (x 10 leases) | ListLeases s | restart: READY=1 s | first answer s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for n, rss, fds, stored, p50, p99, lt, ready, answer, _ in rows:
        per = (rss - base[1]) / 1024 / (n - base[0]) if n > base[0] else 0
        print("| %d | %.1f | %s | %d | %d | %.0f (%.1fx, %.2fx) | %.0f (%.2fx) | %.3f | %.3f | %.3f |"
              % (n, rss / 2**20, "%.2f" % per if per else "-", fds, stored, p50, p50 / fl50, p50 / base[4], p99,
                 p99 / base[5], lt, ready, answer))


if __name__ == "__main__":
    main()
