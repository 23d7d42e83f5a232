#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Chaos under a real systemd 252 (run inside the container by nspawn-restart-test.sh): 16 VMM
stand-ins (uid vmm) acquire, hold, verify and release leases, or exit holding them, for about a
minute, while privmemd is SIGKILLed, SIGABRTed, SIGSTOPped until the watchdog kills it, or restarted,
every few seconds, and systemd restarts it each time. The observer (this process, root) checks:
  double-lent   no memfd lent twice: the inode of every lent memfd (a copy is kept for the whole
                run, so an inode number cannot be reused) belongs to one lease id only
  lost          after every restart, each lease a live client holds is listed again, active
  punched       the clients check their memory's content (a pattern in every page) all the time:
                a punch of a live lease reads back zeros
  leaked        after the clients exit, every lent memfd has no blocks left and the pool's bytes are
                back at the baseline (ready memfds at target, nothing lent or returning)
  answer        privmemd answers (ListLeases) within a second of the old process's death
One summary line: restarts, acquires, releases, lost, leaked, double-lent. Exit 1 on any failure.
PRIVMEMD_CHAOS_SECONDS (default 60) and PRIVMEMD_CHAOS_SEED change the run."""
import grp
import mmap
import os
import pwd
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_container import call, call_fds, journal_tail, log, show  # noqa: E402
from varlink_client import VarlinkError  # noqa: E402

POOL = "chaos"
MiB = 1 << 20
SIZE = 4 * MiB
PAGE = 4096
CLIENTS = 16
TARGET = 8
DURATION = float(os.environ.get("PRIVMEMD_CHAOS_SECONDS", "60"))
SEED = int(os.environ.get("PRIVMEMD_CHAOS_SEED", str(int(time.time()))))
ANSWER_LIMIT = 1.0


# --- the clients --------------------------------------------------------------------------------

def page_stamp(lease, i):
    return struct.pack("<24sQ", lease.encode()[:24], i)


def client_call_retry(method, params):
    """Calls until privmemd answers: a restart in the middle makes the connection fail."""
    while True:
        try:
            return call_fds(method, params, timeout=30)
        except (OSError, ConnectionError, ValueError):
            time.sleep(0.05)


def client_hold(ctl, lease, m, seconds):
    """Checks every page while the lease is held; False when the memory changed."""
    end = time.monotonic() + seconds
    while True:
        for i in range(SIZE // PAGE):
            if m[i * PAGE:i * PAGE + 32] != page_stamp(lease, i):
                return False
        if time.monotonic() >= end:
            return True
        r, _, _ = select.select([ctl], [], [], 0.1)
        if r:  # the observer says stop: exit holding the lease, the way a VMM dies
            return None


def client_run(ctl, seed):
    rnd = random.Random(seed)
    while True:
        try:
            (reply, fds) = client_call_retry("io.privmemd.Acquire", {"pool": POOL, "size": SIZE})
        except VarlinkError as e:
            socket.send_fds(ctl, [b"E acquire: " + str(e).encode()[:200]], [])
            return 2
        lease = reply["lease"]["id"]
        m = mmap.mmap(fds[0], SIZE, mmap.MAP_SHARED)
        for i in range(SIZE // PAGE):
            m[i * PAGE:i * PAGE + 32] = page_stamp(lease, i)
        socket.send_fds(ctl, [b"A " + lease.encode()], [fds[0]])
        # Mostly short holds; some long enough to live through a watchdog kill (WatchdogSec=3s).
        held = client_hold(ctl, lease, m, rnd.uniform(0.3, 2.5) if rnd.random() < 0.7 else rnd.uniform(3, 8))
        if held is False:
            socket.send_fds(ctl, [b"P " + lease.encode()], [])
        if held is None:
            return 0
        if rnd.random() < 0.1:  # a VMM that exits instead of releasing: its lease ends with it
            socket.send_fds(ctl, [b"X " + lease.encode()], [])
            return 0
        socket.send_fds(ctl, [b"R " + lease.encode()], [])
        m.close()
        os.close(fds[0])
        try:
            client_call_retry("io.privmemd.Release", {"id": lease})
        except VarlinkError as e:
            if e.error != "io.privmemd.NoSuchLease":  # an answer lost in a restart: it was released
                socket.send_fds(ctl, [b"E release: " + str(e).encode()[:200]], [])
                return 2
        socket.send_fds(ctl, [b"D " + lease.encode()], [])


class Slot:
    """One of the 16 client places; a client that exits is replaced by a new process."""

    def __init__(self, index):
        self.index = index
        self.generation = 0
        self.spawn()

    def spawn(self):
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.generation += 1
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                parent.close()
                vmm = pwd.getpwnam("vmm")
                os.setgroups([grp.getgrnam("privmem").gr_gid])
                os.setgid(vmm.pw_gid)
                os.setuid(vmm.pw_uid)
                code = client_run(child, SEED * 1000 + self.index * 100 + self.generation)
            except Exception as e:  # noqa: BLE001
                print("client %d: %r" % (self.index, e), flush=True)
            finally:
                os._exit(code)
        child.close()
        self.pid, self.sock, self.lease = pid, parent, None

    def reap(self):
        os.waitpid(self.pid, 0)
        self.sock.close()


# --- the observer -------------------------------------------------------------------------------

class Observer:
    def __init__(self):
        self.slots = []
        self.by_inode = {}      # (dev, ino) -> lease id
        self.spies = {}         # lease id -> a copy of its memfd, kept to the end
        self.n = dict(restarts=0, acquires=0, releases=0, exits=0, lost=0, leaked=0, double_lent=0, punched=0,
                      errors=0, slow=0)
        self.kinds = {}
        self.max_answer = 0.0
        self.stopping = False

    def problem(self, counter, msg):
        self.n[counter] += 1
        log("PROBLEM (%s): %s" % (counter, msg))

    def on_message(self, slot, text, fds):
        kind, _, lease = text.partition(" ")
        if kind == "A":
            self.n["acquires"] += 1
            st = os.fstat(fds[0])
            key = (st.st_dev, st.st_ino)
            if lease in self.spies or key in self.by_inode:
                self.problem("double_lent", "lease %s, inode %d (before: %s)" % (lease, st.st_ino, self.by_inode.get(key)))
                os.close(fds[0])
            else:
                self.by_inode[key] = lease
                self.spies[lease] = fds[0]
            slot.lease = lease
        elif kind in ("R", "X"):
            slot.lease = None
            self.n["releases" if kind == "R" else "exits"] += 1
        elif kind == "P":
            self.problem("punched", "client %d: the memory of live lease %s changed" % (slot.index, lease))
        elif kind == "E":
            self.problem("errors", "client %d: %s" % (slot.index, lease))

    def drain(self, timeout=0.0):
        socks = {s.sock: s for s in self.slots if s.sock.fileno() >= 0}
        if not socks:
            return
        r, _, _ = select.select(list(socks), [], [], timeout)
        for sock in r:
            slot = socks[sock]
            try:
                msg, fds, _, _ = socket.recv_fds(sock, 512, 4)
            except ConnectionError:
                msg, fds = b"", []
            if msg:
                self.on_message(slot, msg.decode(), fds)
            else:  # the client exited: a new one takes its place, unless the run is ending
                slot.reap()
                slot.lease = None
                if not self.stopping:
                    slot.spawn()

    def live_leases(self):
        return {s.lease for s in self.slots if s.lease}

    def main_pid(self):
        for _ in range(200):
            pid = show("MainPID")
            if pid not in ("", "0") and show("ActiveState") == "active":
                return int(pid)
            self.drain(0.05)
        raise RuntimeError("privmemd.service has no main process")

    def disrupt(self, kind):
        """One blow; then the time from the old process's death to the new one's first answer."""
        pid = self.main_pid()
        pidfd = os.pidfd_open(pid)
        expected = self.live_leases()
        if kind == "kill":
            os.kill(pid, signal.SIGKILL)
        elif kind == "abort":
            os.kill(pid, signal.SIGABRT)
        elif kind == "watchdog":
            os.kill(pid, signal.SIGSTOP)
        else:
            subprocess.Popen(["systemctl", "restart", "--no-block", "privmemd.service"])
        while not select.select([pidfd], [], [], 0.05)[0]:
            self.drain()
        dead = time.monotonic()
        os.close(pidfd)
        reply, _ = call_fds("io.privmemd.ListLeases")
        answer = time.monotonic() - dead
        self.n["restarts"] += 1
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        self.max_answer = max(self.max_answer, answer)
        if answer > ANSWER_LIMIT:
            self.problem("slow", "privmemd answered %.2f s after the %s" % (answer, kind))
        self.drain()  # releases and exits the clients announced before the listing
        listed = {l["id"]: l["state"] for l in reply["leases"]}
        for lease in expected & self.live_leases():
            if listed.get(lease) != "active":
                self.problem("lost", "after a %s, live lease %s is %s" % (kind, lease, listed.get(lease, "not listed")))
        return answer

    def finish(self, baseline):
        self.stopping = True
        for s in self.slots:
            try:
                s.sock.send(b"q")
            except OSError:
                pass  # it exited already; drain() reaps it
        end = time.monotonic() + 30
        while any(s.sock.fileno() >= 0 for s in self.slots) and time.monotonic() < end:
            self.drain(0.1)
        end = time.monotonic() + 30
        while time.monotonic() < end:
            left = call("io.privmemd.ListLeases")["leases"]
            held = [l for l, fd in self.spies.items() if os.fstat(fd).st_blocks]
            if not left and not held and pool_bytes() == baseline:
                break
            time.sleep(0.2)
        for l in left:
            self.problem("leaked", "lease %s is still %s after its client exited" % (l["id"], l["state"]))
        for lease in held:
            self.problem("leaked", "lease %s still holds %d bytes" % (lease, os.fstat(self.spies[lease]).st_blocks * 512))
        if pool_bytes() != baseline:
            self.problem("leaked", "pool bytes %s, at the start %s" % (pool_bytes(), baseline))


def pool_bytes():
    pool = [p for p in call("io.privmemd.ListPools")["pools"] if p["name"] == POOL][0]
    return dict(ready=pool["bytesReady"], lent=pool["bytesLent"], other=pool["bytesOther"])


def at_target():
    b = pool_bytes()
    return b == dict(ready=TARGET * SIZE, lent=0, other=0)


def setup():
    with open("/etc/privmemd/privmemd.conf", "w") as f:
        f.write("[pool %s]\nsizes = 4M:%d\nlimit = 1G\ngroups = privmem\n" % (POOL, TARGET))
    os.makedirs("/etc/systemd/system/privmemd.service.d", exist_ok=True)
    with open("/etc/systemd/system/privmemd.service.d/chaos.conf", "w") as f:
        f.write("[Service]\nLimitCORE=0\n")  # SIGABRT: no core to write
    subprocess.run(["systemctl", "daemon-reload"], check=True)
    end = time.monotonic() + 30
    while not at_target():
        if time.monotonic() > end:
            raise RuntimeError("pool %s not at target: %s" % (POOL, pool_bytes()))
        time.sleep(0.1)


def main():
    setup()
    baseline = pool_bytes()
    log("seed %d; privmemd pid %s; pool %s at target %s" % (SEED, show("MainPID"), POOL, baseline))
    obs = Observer()
    obs.slots = [Slot(i) for i in range(CLIENTS)]
    rnd = random.Random(SEED)
    end = time.monotonic() + DURATION
    try:
        while time.monotonic() < end:
            pause = time.monotonic() + rnd.uniform(1.5, 4.0)
            while time.monotonic() < pause:
                obs.drain(0.1)
            kind = rnd.choices(["kill", "abort", "watchdog", "restart"], [4, 3, 2, 1])[0]
            answer = obs.disrupt(kind)
            log("%-8s answered after %.3f s; %d live leases, %d acquires so far"
                % (kind, answer, len(obs.live_leases()), obs.n["acquires"]))
        obs.finish(baseline)
    except Exception:
        journal_tail()
        raise
    n = obs.n
    print("chaos: restarts=%d (%s) acquires=%d releases=%d exits=%d lost=%d leaked=%d double-lent=%d "
          "punched-live=%d client-errors=%d max-answer=%.3fs"
          % (n["restarts"], " ".join("%s=%d" % kv for kv in sorted(obs.kinds.items())), n["acquires"], n["releases"],
             n["exits"], n["lost"], n["leaked"], n["double_lent"], n["punched"], n["errors"], obs.max_answer),
          flush=True)
    bad = n["lost"] + n["leaked"] + n["double_lent"] + n["punched"] + n["errors"] + n["slow"]
    if n["restarts"] < DURATION / 8 or n["acquires"] < DURATION * 3:
        log("FAIL: too little happened (restarts %d, acquires %d)" % (n["restarts"], n["acquires"]))
        bad += 1
    if bad:
        journal_tail()
        print("FAIL", flush=True)
        sys.exit(1)
    print("ok", flush=True)


if __name__ == "__main__":
    main()
