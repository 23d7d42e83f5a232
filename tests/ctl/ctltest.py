"""Harness of the privmemctl tests: a privmemd per test on a temp socket and config, stopped by pid
whatever happens; privmemctl run as a script or a person would, as root or as nobody."""
import ctypes
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PRIVMEMD = os.environ.get("PRIVMEMD_BINARY", "daemon/privmemd")
PRIVMEMCTL = os.environ.get("PRIVMEMCTL", "client/privmemctl")
NOBODY = 65534
MiB = 1 << 20
SKIP = 77

_daemons = []
_children = []


def fail(msg):
    print("FAIL: " + msg, flush=True)
    for d in _daemons:
        d.print_log()
    sys.exit(1)


def skip(msg):
    print("SKIP: " + msg, flush=True)
    sys.exit(SKIP)


def expect(cond, msg):
    if not cond:
        fail(msg)


def expect_eq(got, want, what):
    if got != want:
        fail("%s: got %r, want %r" % (what, got, want))


def wait_until(pred, what, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    fail("timed out after %.0f s waiting for %s" % (timeout, what))


def _die_with_parent():
    """In a child before exec: SIGKILL when the test dies, so nothing outlives a failure."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def as_user(uid):
    """The argv prefix that runs a command as uid, with no groups."""
    return ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"] if uid else []


class Daemon:
    def __init__(self, config):
        self.dir = tempfile.mkdtemp(prefix="privmem-ctl-")
        os.chmod(self.dir, 0o755)
        self.socket = os.path.join(self.dir, "io.privmemd")
        self.config = os.path.join(self.dir, "privmemd.conf")
        self.log = os.path.join(self.dir, "privmemd.log")
        self.write_config(config)
        _daemons.append(self)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [PRIVMEMD, "--socket=" + self.socket, "--config=" + self.config,
                 "--runtime-dir=" + os.path.join(self.dir, "runtime"), "--log-level=debug"],
                stdout=log, stderr=log, preexec_fn=_die_with_parent)
        self._wait_listening()

    def write_config(self, text):
        with open(self.config, "w") as f:
            f.write(text)

    def _wait_listening(self):
        end = time.monotonic() + 10
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                self.print_log()
                fail("privmemd exited before listening: %s" % self.proc.returncode)
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.connect(self.socket)
                os.chmod(self.socket, 0o666)  # for the tests that run privmemctl as nobody
                return
            except OSError:
                time.sleep(0.02)
        fail("privmemd did not listen on %s within 10 s" % self.socket)

    def print_log(self):
        try:
            with open(self.log) as f:
                sys.stdout.write("--- privmemd log ---\n" + f.read())
        except OSError:
            pass

    def kill(self):
        """SIGTERM, SIGKILL after 5 s; returns the exit status (None when killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return None
        return self.proc.returncode

    def stop(self):
        status = self.kill()
        if status != 0:
            self.print_log()
        _daemons.remove(self)
        shutil.rmtree(self.dir, ignore_errors=True)
        expect(status == 0, "privmemd ended with %r" % status)

    def argv(self, args, uid=0):
        return as_user(uid) + [PRIVMEMCTL, "--socket=" + self.socket] + list(args)

    def ctl(self, *args, uid=0, code=0, env=None, timeout=30):
        """Runs privmemctl; checks its exit code unless code is None."""
        r = subprocess.run(self.argv(args, uid), capture_output=True, text=True, timeout=timeout,
                           env=env, preexec_fn=_die_with_parent)
        if code is not None and r.returncode != code:
            fail("privmemctl %s: exit %d, expected %d\nstdout: %s\nstderr: %s"
                 % (" ".join(args), r.returncode, code, r.stdout, r.stderr))
        return r

    def json(self, *args, uid=0):
        """privmemctl ... --json, parsed: exactly one JSON document."""
        r = self.ctl(*(list(args) + ["--json"]), uid=uid)
        try:
            return json.loads(r.stdout)
        except ValueError as e:
            fail("privmemctl %s --json printed no JSON document (%s): %r" % (" ".join(args), e, r.stdout))

    def spawn(self, *args, uid=0, **kw):
        """privmemctl in the background (watch, exec of a long command)."""
        p = subprocess.Popen(self.argv(args, uid), preexec_fn=_die_with_parent, **kw)
        _children.append(p)
        return p

    def pool(self, name):
        pools = [p for p in self.json("pools")["pools"] if p["name"] == name]
        expect(len(pools) == 1, "pool %s listed %d times" % (name, len(pools)))
        return pools[0]

    def wait_settled(self, name, timeout=20):
        def settled():
            p = self.pool(name)
            return all(c["ready"] == c["target"] and c["building"] == 0 for c in p["classes"]) and p
        return wait_until(settled, "pool %s at its targets" % name, timeout)

    def leases(self, uid=0, pool=None):
        args = ["leases"] + (["--pool=" + pool] if pool else [])
        return self.json(*args, uid=uid)["leases"]

    def wait_leases(self, n, what, uid=0, timeout=10):
        """Waits until uid sees n leases; returns them."""
        found = []

        def check():
            found[:] = self.leases(uid)
            return len(found) == n
        wait_until(check, what, timeout)
        return found


class Lines:
    """Reads lines from a child's stdout with a deadline."""

    def __init__(self, stream):
        self.stream = stream
        self.buf = b""

    def next(self, timeout=10.0):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.stream], [], [], left)[0]:
                fail("no line within %.0f s (have %r)" % (timeout, self.buf))
            data = os.read(self.stream.fileno(), 65536)
            if not data:
                return None
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def until(self, pred, what, timeout=10.0):
        end = time.monotonic() + timeout
        seen = []
        while True:
            line = self.next(max(0.1, end - time.monotonic()))
            if line is None:
                fail("stream ended before %s; saw %r" % (what, seen))
            seen.append(line)
            if pred(line):
                return line


def _cleanup():
    for p in _children:
        if p.poll() is None:
            p.kill()
            p.wait()
    for d in list(_daemons):
        d.kill()
        shutil.rmtree(d.dir, ignore_errors=True)
    _daemons.clear()


def _on_signal(sig, frame):
    print("%s, cleaning up" % ("timed out" if sig == signal.SIGALRM else signal.Signals(sig).name), flush=True)
    _cleanup()
    os._exit(1)


def main(test, timeout=60, root=True):
    """Runs test() with the cleanup armed: daemons and children are stopped by pid, always."""
    if root and os.geteuid() != 0:
        skip("needs root (to run privmemctl as another uid)")
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):
        signal.signal(s, _on_signal)
    signal.alarm(timeout)
    try:
        test()
    except SystemExit:
        raise
    except BaseException:
        import traceback
        traceback.print_exc()
        _cleanup()
        sys.exit(1)
    finally:
        _cleanup()
    print("ok", flush=True)
    sys.exit(0)
