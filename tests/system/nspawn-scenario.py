#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Runs inside the booted container, as root, next to a real systemd 252: privmemd.socket activates
privmemd on the first connection; leases acquired by VMM stand-ins (uid vmm, group privmem) keep
their memory through `systemctl reload`, `systemctl restart`, a SIGKILL (Restart=on-failure) and a
watchdog kill of a SIGSTOPped daemon; an owner killed while the daemon hangs is invalidated at the
restart; a later owner exit still invalidates. Then it looks at what `systemctl stop` does to the
fd store. Prints "ok: ..." per step, "FAIL: ..." and exits 1 at the first failure."""
import grp
import os
import pwd
import signal
import socket
import stat
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from in_container import SOCKET, call, elapsed, fail, show, wait_for  # noqa: E402
from varlink_client import Client  # noqa: E402

POOL = "vm"
MiB = 1 << 20


def ok(msg):
    print("ok: [%5.1fs] %s" % (elapsed(), msg), flush=True)


def leases():
    return {l["id"]: l for l in call("io.privmemd.ListLeases")["leases"]}


def thp_pool_huge():
    """The 2M shmem pool has its memfd ready and reports it huge: privmemd-populate ran under the unit."""
    pool = [p for p in call("io.privmemd.ListPools")["pools"] if p["name"] == "thp"][0]
    return pool["classes"][0]["ready"] == 1 and pool.get("huge", {}).get("readyHugeBytes") == 8 * MiB


def pool_at_target():
    pool = [p for p in call("io.privmemd.ListPools")["pools"] if p["name"] == POOL][0]
    return all(c["ready"] == c["target"] and c["building"] == 0 for c in pool["classes"])


class Owner:
    """A VMM stand-in: a child running as uid vmm that acquires a lease, writes a pattern into it,
    hands the parent a copy of its memfd (to see the blocks go when the lease ends) and waits."""

    def __init__(self, size, pattern, own_pidfd=False):
        self.size, self.pattern = size, pattern
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self.pid = os.fork()
        if self.pid == 0:
            parent.close()
            code = 1
            try:
                code = self._run(child, own_pidfd)
            except Exception as e:  # noqa: BLE001
                print("owner %s: %r" % (pattern, e), flush=True)
            finally:
                os._exit(code)
        child.close()
        self.sock = parent
        parent.settimeout(60)  # privmemd that does not start must fail the test, not hang it
        try:
            msg, fds, _, _ = socket.recv_fds(parent, 64, 1)
        except TimeoutError:
            msg, fds = None, None
        if not msg or not fds:
            fail("owner %s could not acquire within 60 s" % pattern)
        self.lease, self.spy = msg.decode(), fds[0]

    def _run(self, sock, own_pidfd):
        vmm = pwd.getpwnam("vmm")
        os.setgroups([grp.getgrnam("privmem").gr_gid])
        os.setgid(vmm.pw_gid)
        os.setuid(vmm.pw_uid)
        import mmap
        c = Client(SOCKET)
        params = {"pool": POOL, "size": self.size}
        fds = ()
        if own_pidfd:  # the owner named by a pidfd (ownerFileDescriptor), not taken from the peer
            fds = (os.pidfd_open(os.getpid()),)
            params["ownerFileDescriptor"] = 0
        reply, got = c.call("io.privmemd.Acquire", params, fds)
        c.close()  # a VMM may hang up and keep running: the lease is its process's
        m = mmap.mmap(got[0], self.size, mmap.MAP_SHARED)
        m[0:len(self.pattern)] = self.pattern
        m[self.size - len(self.pattern):self.size] = self.pattern
        socket.send_fds(sock, [reply["lease"]["id"].encode()], [got[0]])
        while True:
            cmd = sock.recv(1)
            if cmd != b"c":
                return 0
            good = m[0:len(self.pattern)] == self.pattern and m[self.size - len(self.pattern):self.size] == self.pattern
            sock.send(b"y" if good else b"n")

    def memory_intact(self):
        self.sock.send(b"c")
        return self.sock.recv(1) == b"y"

    def kill(self):
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.pid = None

    def exit(self):
        self.sock.send(b"x")
        os.waitpid(self.pid, 0)
        self.pid = None

    def blocks(self):
        return os.fstat(self.spy).st_blocks


def check_all(owners, how):
    got = leases()
    for o in owners:
        if got.get(o.lease, {}).get("state") != "active":
            fail("after %s, lease %s is %s" % (how, o.lease, got.get(o.lease)))
        if not o.memory_intact():
            fail("after %s, the memory of lease %s changed" % (how, o.lease))
    wait_for("pool %s back at target after %s" % (POOL, how), pool_at_target)
    ok("%s: %d lease(s) listed, their memory intact, the pool at target (MainPID %s, NRestarts %s)"
       % (how, len(owners), show("MainPID"), show("NRestarts")))


def wait_new_main_pid(old, what):
    wait_for(what, lambda: show("MainPID") not in ("0", old) and show("ActiveState") == "active")


def wait_gone(o, why):
    wait_for("the lease of %s to end" % why, lambda: o.lease not in leases())
    wait_for("the memory of %s to go back to the kernel" % why, lambda: o.blocks() == 0, timeout=10)


def main():
    if show("ActiveState", "privmemd.socket") != "active":
        fail("privmemd.socket is %s" % show("ActiveState", "privmemd.socket"))
    if show("ActiveState") != "inactive":
        fail("privmemd.service is %s before any client connected" % show("ActiveState"))
    st = os.stat(SOCKET)
    if stat.S_IMODE(st.st_mode) != 0o660 or st.st_gid != grp.getgrnam("privmem").gr_gid:
        fail("%s has mode %o gid %d" % (SOCKET, stat.S_IMODE(st.st_mode), st.st_gid))
    ok("privmemd.socket listens (0660, group privmem), privmemd.service inactive")

    a = Owner(16 * MiB, b"alpha")
    if show("ActiveState") != "active":
        fail("privmemd.service is %s after the first connection" % show("ActiveState"))
    if show("User") == "root" or show("DynamicUser") != "yes":
        fail("privmemd does not run as its dynamic user")
    b = Owner(16 * MiB, b"bravo", own_pidfd=True)
    c = Owner(32 * MiB, b"charlie")
    owners = [a, b, c]
    ok("socket activation on the first connection; 3 leases acquired by uid vmm")
    wait_for("pool at target", pool_at_target)
    check_all(owners, "the start")
    wait_for("the 2M shmem pool to report 8 MiB huge", thp_pool_huge)
    ok("the 2M shmem pool populated huge pages through privmemd-populate under the unit's sandbox")

    pid = show("MainPID")
    subprocess.run(["systemctl", "reload", "privmemd.service"], check=True)
    if show("MainPID") != pid:
        fail("systemctl reload replaced the daemon")
    check_all(owners, "systemctl reload (SIGHUP)")

    subprocess.run(["systemctl", "restart", "privmemd.service"], check=True)
    wait_new_main_pid(pid, "a new privmemd after systemctl restart")
    check_all(owners, "systemctl restart")
    wait_for("the 2M shmem pool's recovered memfd measured huge", thp_pool_huge)

    pid = show("MainPID")
    os.kill(int(pid), signal.SIGKILL)
    wait_new_main_pid(pid, "Restart=on-failure after SIGKILL")
    check_all(owners, "kill -9 and Restart=on-failure")

    # A hung daemon: the watchdog kills it; meanwhile one owner dies, unseen.
    pid = show("MainPID")
    restarts = int(show("NRestarts"))
    subprocess.run(["systemd-analyze", "log-level", "debug"], check=True)  # to see what the fd store drops
    os.kill(int(pid), signal.SIGSTOP)
    c.kill()
    wait_new_main_pid(pid, "the watchdog to kill a SIGSTOPped privmemd and Restart=on-failure")
    if int(show("NRestarts")) != restarts + 1:
        fail("NRestarts went from %d to %s" % (restarts, show("NRestarts")))
    log = subprocess.run(["journalctl", "-b", "-u", "privmemd.service", "-o", "cat", "--no-pager"],
                         capture_output=True, text=True).stdout
    if "Watchdog timeout" not in log:
        fail("the journal does not say the watchdog fired")
    subprocess.run(["systemd-analyze", "log-level", "info"], check=True)
    for line in log.splitlines():
        if "on stored fd" in line:  # systemd closes a stored fd that reports EPOLLHUP: a reaped owner's pidfd
            print("systemd: " + line, flush=True)
    owners.remove(c)
    wait_gone(c, "an owner killed while privmemd hung")
    check_all(owners, "a watchdog kill")
    ok("the lease of the owner killed while privmemd hung was invalidated at the restart, its blocks returned")

    a.exit()
    owners.remove(a)
    wait_gone(a, "an owner that exits after the restarts")
    ok("a later owner exit still invalidates; its blocks returned")

    # What systemd 252 does with the fd store on stop. privmemd.socket stays and its path too.
    subprocess.run(["systemctl", "stop", "privmemd.service"], check=True)
    if not os.path.exists(SOCKET) or show("ActiveState", "privmemd.socket") != "active":
        fail("stopping privmemd.service took the socket away")
    state_left = os.path.exists("/run/privmemd/state")
    kept = b.lease in leases()  # connects: socket activation again
    if not b.memory_intact():
        fail("the memory of lease %s changed across a stop" % b.lease)
    wait_for("pool at target after stop and start", pool_at_target)
    ok("systemctl stop + start: socket kept; /run/privmemd/state %s; lease of a live owner %s; "
       "its owner's memory intact, the pool at target"
       % ("kept" if state_left else "removed", "RECOVERED (fd store kept)" if kept else "FORGOTTEN (fd store dropped)"))
    print("fdstore-on-stop: %s" % ("kept" if kept else "dropped"), flush=True)
    b.exit()
    ok("done")


if __name__ == "__main__":
    main()
