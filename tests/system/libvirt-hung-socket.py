#!/usr/bin/env python3
"""privmemd whose [libvirt] uri= names a socket that accepts connections and never answers (a hung
or overloaded libvirtd). virConnectOpen() then never returns; privmemd runs it on a thread of its
own and counts it as failed after [libvirt] timeout=, and
  - GetStatus and a process-owned Acquire/Release answer, and the watchdog is pinged;
  - Acquire with ownerDomain answers LibvirtUnavailable within [libvirt] timeout= (and at once
    after that, until libvirt answers);
  - the failure is logged once, naming the socket and the seconds waited, and no second connection
    is made while the first one waits (one open at a time); GetStatus shows the libvirt link
    connecting, then unavailable with that error, then connected;
  - privmemd stops at once (exit 0), not after the timeout, and a process-owned lease is in the fd
    store and back after a restart, with libvirt still hung.
Then the libvirtd behind the socket turns healthy (a real, private libvirtd, libvirt_sandbox.py):
  (a) it answers the connection it held (a stopped libvirtd continued): privmemd connects at once;
  (b) it closes the connection it held and answers new ones (a restarted libvirtd): privmemd
      connects after its backoff;
each time an ownerDomain Acquire works, and privmemd stops at once.
Part two needs root and libvirtd: without them the test exits 77 after part one passed.
Usage: libvirt-hung-socket.py PRIVMEMD"""
import ctypes.util
import os
import signal
import socket
import sys
import tempfile
import threading
import time

from libvirt_common import Client, Pump, ServiceManager, VarlinkError, acquire_for, expect_active, fail, MiB
from libvirt_sandbox import SKIP, Libvirtd, skip, unavailable, unwind_on_sigterm

TIMEOUT = 3             # [libvirt] timeout=
STOP_TIMEOUT = 30       # privmemd.service's TimeoutStopSec=
BOUND = 10              # what "answers" means here: generous, no timing is asserted tighter
CONNECT_BOUND = 30      # privmemd connects within this after libvirtd turned healthy (it takes ~1 s)


def pump(src, dst):
    """Copies src to dst until src ends, then ends dst's writing half."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


class StandIn(threading.Thread):
    """A unix socket where libvirtd would be: silent (accepts every connection and holds it, never
    reading or writing), or forwarding every connection to a real libvirtd's socket."""

    def __init__(self, path):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.path = path
        self.lock = threading.Lock()
        self.accepted = 0
        self.held = []
        self.target = None
        self.sockets = []       # every socket, to close at the end
        self.start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.accepted += 1
                self.sockets.append(conn)
                target = self.target
                if target is None:
                    self.held.append(conn)
            if target is not None:
                self._forward(conn, target)

    def _forward(self, conn, target):
        up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        up.connect(target)
        with self.lock:
            self.sockets.append(up)
        for a, b in ((conn, up), (up, conn)):
            threading.Thread(target=pump, args=(a, b), daemon=True).start()

    def n_accepted(self):
        with self.lock:
            return self.accepted

    def silent(self):
        with self.lock:
            self.target = None

    def forward(self, target, answer_held):
        """Forwards new connections to target from now on, and the held ones too (answer_held) or
        closes them (the client sees the end of the file)."""
        with self.lock:
            self.target = target
            held, self.held = self.held, []
        for conn in held:
            if answer_held:
                self._forward(conn, target)
            else:
                conn.shutdown(socket.SHUT_RDWR)

    def close(self):
        self.sock.close()
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for s in sockets:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


class Log:
    """privmemd's stderr, in a file: what it logged since a mark."""

    def __init__(self, path):
        self.path = path
        open(path, "w").close()

    def redirect(self):
        """In the child, before exec: after the service manager numbered the fds it passes, so
        the file is opened here, by name, not inherited (its fd could be one of those numbers)."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        os.dup2(fd, 2)
        os.close(fd)

    def mark(self):
        return os.path.getsize(self.path)

    def since(self, mark):
        with open(self.path) as f:
            f.seek(mark)
            return f.read()

    def dump(self):
        sys.stdout.write("--- privmemd's log ---\n" + self.since(0) + "--- end of privmemd's log ---\n")
        sys.stdout.flush()


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
        _, fds = c.call("io.privmemd.Acquire", {"pool": "a", "size": 4 * MiB, "ownerDomain": "test"})
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


class Run:
    """One test run: the stand-in socket, privmemd under the stand-in service manager, its log."""

    def __init__(self, tmp, privmemd):
        self.standin = StandIn(os.path.join(tmp, "hung-libvirt-sock"))
        self.log = Log(os.path.join(tmp, "privmemd.log"))
        self.uri = "test+unix:///default?socket=%s" % self.standin.path
        self.no_answer = "no answer within %d s (socket %s)" % (TIMEOUT, self.standin.path)
        cfg = os.path.join(tmp, "privmemd.conf")
        with open(cfg, "w") as f:
            f.write("[pool a]\nsizes = 4M:2\nlimit = 64M\nusers = *\n\n[libvirt]\nuri = %s\ntimeout = %d\n"
                    % (self.uri, TIMEOUT))
        self.sm = ServiceManager([privmemd, "--config", cfg], tmp, env=dict(os.environ, WATCHDOG_USEC="1000000"),
                                 preexec=self.log.redirect)
        self.pump = Pump(self.sm)
        self.holder = None
        self.c = None

    def start(self):
        """Starts privmemd; returns the log mark and the stand-in's count of connections before."""
        mark, accepted = self.log.mark(), self.standin.n_accepted()
        self.pump.restart(stop=False)
        self.c = Client(self.sm.socket_path)
        self.c.sock.settimeout(BOUND)
        return mark, accepted

    def wait_connection(self, accepted):
        """Until privmemd's libvirt thread connected to the stand-in, and its open waits there."""
        end = time.monotonic() + BOUND
        while self.standin.n_accepted() == accepted and time.monotonic() < end:
            time.sleep(0.05)
        if self.standin.n_accepted() == accepted:
            fail("privmemd never connected to the libvirt socket")
        time.sleep(0.5)  # virConnectOpen() waits for an answer now

    def stop(self, what):
        """Stops privmemd; fails unless it exits 0 within the timeout its libvirt thread has."""
        if self.c:
            self.c.close()
            self.c = None
        mark = self.log.mark()
        start = time.monotonic()
        with self.pump.lock:
            status = self.sm.stop(timeout=STOP_TIMEOUT + 5)
        took = time.monotonic() - start
        print("privmemd stopped in %.2f s (%s), wait status %s" % (took, what, status), flush=True)
        if status is None or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            fail("privmemd did not exit cleanly (%s): wait status %s" % (what, status))
        if took > STOP_TIMEOUT:
            fail("privmemd took %.1f s to stop (%s), more than its stop timeout %d s" % (took, what, STOP_TIMEOUT))
        # Before, a stop waited [libvirt] timeout= for the thread stuck in virConnectOpen(), then
        # said so; now an open under way is not waited for, and libvirt's threads end at once.
        if "did not let go" in self.log.since(mark):
            fail("privmemd's stop waited for libvirt's threads (%s):\n%s" % (what, self.log.since(mark)))

    def close(self):
        if self.holder:
            os.kill(self.holder, signal.SIGKILL)
            os.waitpid(self.holder, 0)
        if self.c:
            self.c.close()
        self.pump.close()
        self.standin.close()


def expect_told_once(run, mark, what):
    """The failed open was logged exactly once since mark, naming the socket and the seconds."""
    told = [line for line in run.log.since(mark).splitlines() if "Cannot connect to libvirt" in line]
    want = run.no_answer
    if len(told) != 1 or want not in told[0]:
        fail("%s: expected one 'Cannot connect to libvirt' saying %r, got %s" % (what, want, told))
    print("  logged once: %s" % told[0].strip(), flush=True)


def link(run):
    """GetStatus's libvirt link."""
    return run.c.call("io.privmemd.GetStatus")[0]["status"]["libvirt"]


def expect_link(run, state, what, error=None):
    got = link(run)
    if got.get("state") != state or got.get("uri") != run.uri or (error and error not in got.get("lastError", "")):
        fail("%s: GetStatus says libvirt is %s, expected %s, uri %s%s" % (what, got, state, run.uri,
                                                                          ", lastError saying %r" % error if error else ""))
    print("  status: %s" % got, flush=True)
    return got


def part_one(run):
    started = time.monotonic()
    mark, accepted = run.start()
    run.wait_connection(accepted)
    c = run.c
    pings = run.sm.watchdog_pings
    timed("GetStatus", lambda: c.call("io.privmemd.GetStatus"))
    expect_link(run, "connecting", "the first open under way")
    timed("process-owned Acquire + Release", lambda: acquire_release(c))
    e, took = timed("ownerDomain Acquire", lambda: domain_acquire(c))
    if e.error != "io.privmemd.LibvirtUnavailable":
        fail("ownerDomain with libvirt hung: %s, expected LibvirtUnavailable" % e)
    print("  reason: %s" % e.parameters.get("reason"), flush=True)
    e, took = timed("ownerDomain Acquire again", lambda: domain_acquire(c))
    if e.error != "io.privmemd.LibvirtUnavailable":
        fail("ownerDomain again: %s" % e)
    time.sleep(1.5)
    if run.sm.watchdog_pings <= pings:
        fail("no watchdog ping while libvirt hangs (%d before, %d after)" % (pings, run.sm.watchdog_pings))
    print("ok: status, process-owned leases and the watchdog go on; ownerDomain gets LibvirtUnavailable", flush=True)

    # Past the timeout and two backoffs (1 s, 2 s): an open that was not one at a time would have
    # connected again by now.
    time.sleep(max(0.0, started + TIMEOUT + 4 - time.monotonic()))
    if run.standin.n_accepted() != accepted + 1:
        fail("privmemd connected %d times while its first open waited, expected once"
             % (run.standin.n_accepted() - accepted))
    expect_told_once(run, mark, "libvirt hung")
    expect_link(run, "unavailable", "the open timed out", run.no_answer)
    print("ok: one open at a time, its failure told once and shown by GetStatus", flush=True)

    run.holder, lease = hold_lease(run.sm.socket_path)
    run.stop("libvirt hung")
    if run.sm.lease_name(lease) is None:
        fail("lease %s is not in the fd store after the stop: %s" % (lease, run.sm.stored_names()))
    run.start()
    params, took = timed("GetLease after a restart", lambda: run.c.call("io.privmemd.GetLease", {"id": lease}))
    if params[0]["lease"]["state"] != "active":
        fail("lease %s after a restart with libvirt hung: %s" % (lease, params[0]["lease"]))
    print("ok: privmemd stopped at once and restarted with its lease, libvirt still hung", flush=True)
    run.stop("libvirt hung, after a restart")


def connect_after(run, since, what):
    """Polls ownerDomain Acquire until it works: the seconds from since, and the lease."""
    end = since + CONNECT_BOUND
    while True:
        try:
            lease = acquire_for(run.c, "test")
            took = time.monotonic() - since
            print("privmemd connected and an ownerDomain Acquire worked %.2f s after %s" % (took, what), flush=True)
            return took, lease
        except VarlinkError as e:
            if e.error != "io.privmemd.LibvirtUnavailable":
                fail("ownerDomain Acquire after %s: %s, expected a lease or LibvirtUnavailable" % (what, e))
        if time.monotonic() > end:
            fail("privmemd did not connect within %d s after %s" % (CONNECT_BOUND, what))
        time.sleep(0.05)


def healthy_again(run, lv, answer_held, what):
    """privmemd started while the socket is silent; then libvirtd behind it turns healthy."""
    run.standin.silent()
    mark, accepted = run.start()
    run.wait_connection(accepted)
    time.sleep(TIMEOUT)  # the open has timed out: privmemd goes on without libvirt
    e = domain_acquire(run.c)
    if e.error != "io.privmemd.LibvirtUnavailable":
        fail("ownerDomain before %s: %s, expected LibvirtUnavailable" % (what, e))
    expect_told_once(run, mark, "before " + what)
    expect_link(run, "unavailable", "before " + what, run.no_answer)
    since = time.monotonic()
    run.standin.forward(lv.socket, answer_held)
    took, lease = connect_after(run, since, what)
    if "Connected to libvirt at" not in run.log.since(mark):
        fail("privmemd did not log its connection after %s" % what)
    # The last error is kept: the timeout's, or (b) how that open ended, the end of the file.
    shown = expect_link(run, "connected", "connected after " + what, run.no_answer if answer_held else "cannot connect: ")
    if shown["since"] > time.monotonic() - since:
        fail("connected for %.2f s, says GetStatus, but libvirtd is healthy for only %.2f s"
             % (shown["since"], time.monotonic() - since))
    return took, lease


def part_two(run, tmp):
    lv = Libvirtd(tmp)
    lv.start()
    try:
        took_a, lease = healthy_again(run, lv, True, "libvirtd answered the connection it held")
        run.stop("connected, a domain lease")
        # Restarted with that domain lease in the fd store, while libvirt hangs again: it stays
        # through the reconcile once connected (the domain runs on).
        took_b, _ = healthy_again(run, lv, False, "libvirtd closed the connection it held and answered new ones")
        time.sleep(0.5)
        expect_active(run.c, lease["id"], "the domain lease of (a), after a restart and a reconcile")
        run.stop("connected, two domain leases")
        print("ok: connected %.2f s after libvirtd answered the held connection, %.2f s after it closed it "
              "([libvirt] timeout=%d s, first backoff 1 s)" % (took_a, took_b, TIMEOUT), flush=True)
    finally:
        lv.stop()


def main():
    if len(sys.argv) != 2:
        fail("usage: libvirt-hung-socket.py PRIVMEMD")
    unwind_on_sigterm()
    if os.environ.get("PRIVMEMD_LIBVIRT") == "0":
        skip("privmemd was built without libvirt (-Dlibvirt=disabled or no libvirt-dev)")
    if not ctypes.util.find_library("virt"):
        skip("libvirt.so.0 is not installed (tools/install-deps --tests)")
    with tempfile.TemporaryDirectory(prefix="privmemd-libvirt.") as tmp:
        run = Run(tmp, sys.argv[1])
        try:
            part_one(run)
            if unavailable():
                skip("part one passed; part two (libvirtd turns healthy) %s" % unavailable())
            part_two(run, tmp)
        finally:
            run.log.dump()
            run.close()
    print("PASS")


if __name__ == "__main__":
    assert SKIP == 77
    main()
