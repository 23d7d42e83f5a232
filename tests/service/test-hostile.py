#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hostile clients of one uid must not hurt another uid's Acquire. privmemd runs under the stand-in
service manager; a victim (uid 65534) measures Acquire p50/p99 (each followed by an untimed Release,
2 ms apart) on a quiet daemon, then again while, all at once, uid 4243 holds:
  - a Watch consumer that never reads (its output grows until privmemd drops it),
  - a client that sends one byte a second (a call that never completes),
  - 256 idle connections (the per-uid limit; a 257th is refused),
  - a client that sends 253 fds with every call, back to back.
Prints the p99 ratio (hostile / quiet); the goal is 2x. Timing on a shared 2-vCPU machine is noisy,
so the test fails only on errors, a crash, or a ratio above a generous bound (PRIVMEMD_HOSTILE_BOUND,
default 20). Usage: test-hostile.py PRIVMEMD [ROUNDS]"""
import json
import os
import select
import signal
import socket
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_manager import ServiceManager  # noqa: E402
from varlink_client import Client, VarlinkError  # noqa: E402

VICTIM_UID = 65534
HOSTILE_UID = 4243
SIZE = 1 << 20
BOUND = float(os.environ.get("PRIVMEMD_HOSTILE_BOUND", "20"))
CONFIG = """[pool h]
sizes = 1M:16
limit = 256M
users = *
"""


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def percentile(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(p / 100 * (len(v) - 1) + 0.5))]


def as_uid(uid, fn, *args):
    """Runs fn(*args) in a child process as uid; returns (pid, read end of a pipe it may write to)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            code = fn(w, *args) or 0
        except Exception as e:  # noqa: BLE001
            print("child %d: %r" % (uid, e), flush=True)
        finally:
            os._exit(code)
    os.close(w)
    return pid, r


def victim(w, path, rounds):
    c = Client(path)
    lat, errors = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        try:
            reply, fds = c.call("io.privmemd.Acquire", {"pool": "h", "size": SIZE})
        except (VarlinkError, OSError) as e:
            errors.append(str(e))
            c = Client(path)
            continue
        lat.append(time.perf_counter() - t)
        os.close(fds[0])
        c.call("io.privmemd.Release", {"id": reply["lease"]["id"]})
        time.sleep(0.002)
    os.write(w, json.dumps({"lat": lat, "errors": errors[:5], "n_errors": len(errors)}).encode())


def read_serving(sm, r):
    """Reads a child's pipe to its end, serving the fd store meanwhile (privmemd waits on it)."""
    data = b""
    while True:
        sm.poll(0)
        if not select.select([r], [], [], 0.02)[0]:
            continue
        chunk = os.read(r, 1 << 16)
        if not chunk:
            return data
        data += chunk


def run_victim(sm, rounds):
    pid, r = as_uid(VICTIM_UID, victim, sm.socket_path, rounds)
    data = read_serving(sm, r)
    os.close(r)
    os.waitpid(pid, 0)
    res = json.loads(data or b'{"lat": [], "errors": ["no answer"], "n_errors": 1}')
    if res["n_errors"]:
        fail("the victim's calls failed %d time(s): %s" % (res["n_errors"], res["errors"]))
    return percentile(res["lat"], 50) * 1e6, percentile(res["lat"], 99) * 1e6


def hostile_watch(w, path):
    c = Client(path)
    c.send("io.privmemd.Watch", {}, more=True)
    os.write(w, b"r")
    time.sleep(3600)  # never reads


def hostile_slow(w, path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    os.write(w, b"r")
    msg = json.dumps({"method": "io.privmemd.ListPools", "parameters": {}}).encode()
    for i in range(3600):
        try:
            s.send(msg[i % len(msg):i % len(msg) + 1])
        except OSError:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
        time.sleep(1)


def hostile_idle(w, path):
    conns, refused = [], 0
    for _ in range(257):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        conns.append(s)
    time.sleep(0.5)
    for s in conns:  # the server closes what it refuses: those read EOF at once
        s.setblocking(False)
        try:
            if s.recv(1) == b"":
                refused += 1
        except BlockingIOError:
            pass
    os.write(w, b"%d" % refused)
    time.sleep(3600)


def hostile_fds(w, path):
    fds = [os.open("/dev/null", os.O_RDONLY) for _ in range(253)]
    c = Client(path)
    os.write(w, b"r")
    calls = errors = 0
    while True:
        try:
            c.call("io.privmemd.ListPools", {}, fds)
            calls += 1
        except VarlinkError:
            errors += 1
        except OSError:
            c = Client(path)


def start_hostile(sm, fn):
    pid, r = as_uid(HOSTILE_UID, fn, sm.socket_path)
    while not select.select([r], [], [], 0.02)[0]:
        sm.poll(0)
    got = os.read(r, 16)
    os.close(r)
    if fn is hostile_idle and got:
        print("  idle connections: %s of 257 refused (256 per uid)" % got.decode(), flush=True)
    return pid


def main():
    privmemd = os.path.abspath(sys.argv[1])
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 400
    with tempfile.TemporaryDirectory(prefix="privmemd-hostile.") as tmp:
        os.chmod(tmp, 0o755)
        conf = os.path.join(tmp, "privmemd.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        sm = ServiceManager([privmemd, "--config=" + conf, "--log-level=warning"], tmp)
        os.chmod(sm.socket_path, 0o666)
        children = []
        try:
            sm.start()
            p50q, p99q = run_victim(sm, rounds)
            print("quiet:          Acquire p50 %4.0f us, p99 %5.0f us" % (p50q, p99q), flush=True)
            hostiles = (hostile_watch, hostile_slow, hostile_idle, hostile_fds)
            for fn in hostiles + (None,):  # each alone, then all at once
                started = [start_hostile(sm, f) for f in ((fn,) if fn else hostiles)]
                children.extend(started)
                p50h, p99h = run_victim(sm, rounds)
                if sm.pid is None or os.waitpid(sm.pid, os.WNOHANG)[0]:
                    fail("privmemd died")
                ratio = p99h / p99q
                print("%-15s Acquire p50 %4.0f us, p99 %5.0f us: p50 %.2fx, p99 %.2fx the quiet run's"
                      % ((fn.__name__[len("hostile_"):] if fn else "all at once") + ":", p50h, p99h, p50h / p50q, ratio),
                      flush=True)
                for pid in started:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    children.remove(pid)
                sm.poll(0.2)
            print("load %s; the goal is p99 within 2x of the quiet run's" % open("/proc/loadavg").read().split()[0],
                  flush=True)
            if ratio > BOUND:
                fail("p99 %.1fx the quiet run's, above the bound %.0fx" % (ratio, BOUND))
            print("ok", flush=True)
        finally:
            for pid in children:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            sm.close()


if __name__ == "__main__":
    main()
