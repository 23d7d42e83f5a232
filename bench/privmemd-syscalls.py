#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""privmemd-syscalls: the system calls privmemd makes for one Acquire+Release under a service
manager (tests/service's stand-in: notify socket, fd store), counted by strace -c -f on privmemd
(every thread: the loop and the workers' refill and punch) over ROUNDS rounds. Each round is a new
owner process, as a VMM is: it connects, acquires a lease from a warm pool, releases it and exits.
Given two builds, each is measured alternately RUNS times and the ratio printed: same run, same machine.
Usage: privmemd-syscalls.py PRIVMEMD [OTHER_PRIVMEMD] [ROUNDS]   (needs strace; as root or ptrace allowed)"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "service"))
from service_manager import ServiceManager  # noqa: E402
from varlink_client import Client  # noqa: E402

RUNS = 3
CONFIG = "[pool x]\nsizes = 4K:32\nlimit = 64M\nusers = *\n"
# Made only to talk to the service manager (sd_notify() made all of these per message, besides a
# sendmsg() and a close()), or to look at the runtime directory's room.
NOTIFY_ONLY = {"socket", "connect", "setsockopt", "getuid", "geteuid", "getgid", "getegid", "statfs",
               "timerfd_settime"}


def client_rounds(path, rounds):
    """Owner processes, one after the other, each Acquire then Release."""
    for _ in range(rounds):
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                c = Client(path)
                reply, fds = c.call("io.privmemd.Acquire", {"pool": "x", "size": 4096})
                for fd in fds:
                    os.close(fd)
                c.call("io.privmemd.Release", {"id": reply["lease"]["id"]})
                c.close()
                code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        if status != 0:
            sys.exit("a client failed (wait status 0x%x)" % status)


def run_clients(sm, rounds):
    """The clients in a process of their own: the stand-in reads privmemd's notifications meanwhile
    (privmemd waits while its queue is full, net.unix.max_dgram_qlen messages)."""
    clients = os.fork()
    if clients == 0:
        client_rounds(sm.socket_path, rounds)
        os._exit(0)
    while True:
        pid, status = os.waitpid(clients, os.WNOHANG)
        if pid:
            break
        sm.poll(0.01)
    if status != 0:
        sys.exit("the clients failed")


def measure(privmemd, rounds):
    """Per round: {syscall: calls} of privmemd."""
    with tempfile.TemporaryDirectory(prefix="privmemd-syscalls.") as tmp:
        conf = os.path.join(tmp, "privmemd.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        sm = ServiceManager([privmemd, "--config=" + conf, "--log-level=warning"], tmp)
        try:
            sm.start()
            run_clients(sm, 8)  # warm: the first owner, the first refill
            sm.poll(0.5)
            out = os.path.join(tmp, "strace")
            st = subprocess.Popen(["strace", "-f", "-c", "-U", "name,calls", "-o", out, "-p", str(sm.pid)],
                                  stderr=subprocess.DEVNULL)
            time.sleep(0.5)  # attached to every thread
            run_clients(sm, rounds)
            sm.poll(0.5)  # the last punches and refills, the STATUS= line
            st.send_signal(signal.SIGINT)
            st.wait()
            counts = {}
            for line in open(out):
                fields = line.split()
                if len(fields) == 2 and fields[1].isdigit() and fields[0] != "total":
                    counts[fields[0]] = int(fields[1]) / rounds
            return counts
        finally:
            sm.close()


def main():
    if len(sys.argv) < 2 or not shutil.which("strace"):
        sys.exit(__doc__)
    builds = [os.path.abspath(sys.argv[1])]
    rest = sys.argv[2:]
    if rest and not rest[0].isdigit():
        builds.append(os.path.abspath(rest.pop(0)))
    rounds = int(rest[0]) if rest else 200
    runs = {b: [] for b in builds}
    for _ in range(RUNS):
        for b in builds:
            runs[b].append(measure(b, rounds))
    names = sorted({n for b in builds for r in runs[b] for n in r})
    med = {b: {n: sorted(r.get(n, 0) for r in runs[b])[RUNS // 2] for n in names} for b in builds}
    print("system calls of privmemd per Acquire+Release (new owner process each), median of %d runs of %d rounds"
          % (RUNS, rounds))
    print("%-22s" % "" + "".join("%12s" % ("build %d" % (i + 1)) for i in range(len(builds))))
    for n in names:
        if any(med[b][n] >= 0.05 for b in builds):
            print("%-22s" % n + "".join("%12.2f" % med[b][n] for b in builds))
    for label, pick in (("total", lambda n: True), ("socket..getegid, statfs", lambda n: n in NOTIFY_ONLY)):
        tot = [sum(v for n, v in med[b].items() if pick(n)) for b in builds]
        line = "%-22s" % label + "".join("%12.2f" % t for t in tot)
        if len(builds) == 2 and tot[1] > 0:
            line += ("   build 2 / build 1: %.2fx" % (tot[1] / tot[0])) if tot[0] else ""
        print(line)
    for i, b in enumerate(builds):
        print("build %d: %s" % (i + 1, b))


if __name__ == "__main__":
    main()
