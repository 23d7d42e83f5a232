"""A private libvirtd for the libvirt-* system tests: Debian's libvirtd as root, in its own mount
namespace (unshare -m) where temporary directories are bound over /run/libvirt, /var/lib/libvirt,
/var/cache/libvirt, /var/log/libvirt and /etc/libvirt (and copies over /etc/passwd and /etc/group
that add the libvirt-qemu user the qemu driver insists on), so nothing of the host's libvirt is
touched. A bind needs its mount point to exist: on a host without libvirt-daemon-system none of
those directories does, so the sandbox makes the missing ones before it starts libvirtd and removes
them (if still empty) after it stops, leaving the host as it found it. Its socket is
TMP/run/libvirt-sock, reachable from outside the namespace. It is stopped by its pid; the namespace
and its mounts go with its last process."""
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77

LIBVIRTD_CONF = """unix_sock_dir = "/run/libvirt"
unix_sock_rw_perms = "0700"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:stderr"
"""

# The qemu driver as root without cgroups, security drivers or virtlogd: enough for a TCG guest.
QEMU_CONF = """user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
stdio_handler = "file"
cgroup_controllers = [ ]
"""

BINDS = [("run", "/run/libvirt"), ("lib", "/var/lib/libvirt"), ("cache", "/var/cache/libvirt"),
         ("log", "/var/log/libvirt"), ("etc", "/etc/libvirt"), ("passwd", "/etc/passwd"), ("group", "/etc/group")]


def skip(reason):
    print("SKIP: " + reason)
    sys.exit(SKIP)


def _on_sigterm(signum, frame):
    raise SystemExit("killed by signal %d" % signum)


def unavailable():
    """Why this machine cannot run a private libvirtd, or None."""
    if os.geteuid() != 0:
        return "needs root (a mount namespace for a private libvirtd)"
    for tool in ("libvirtd", "virsh", "unshare"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            return "%s is not installed (tools/install-deps --tests)" % tool
    return None


def unwind_on_sigterm():
    """A SIGTERM (meson's timeout) unwinds the test, so that its libvirtd and privmemd are stopped
    and its directories removed."""
    signal.signal(signal.SIGTERM, _on_sigterm)


def require():
    """Exits 77 unless this machine can run a private libvirtd; unwind_on_sigterm()."""
    unwind_on_sigterm()
    if os.environ.get("PRIVMEMD_LIBVIRT") == "0":
        skip("privmemd was built without libvirt (-Dlibvirt=disabled or no libvirt-dev)")
    if unavailable():
        skip(unavailable())


def main(run):
    """The whole of a test that needs only this sandbox and privmemd: its usage, require(), then
    run(tmp, privmemd) in a temporary directory that goes with it."""
    if len(sys.argv) != 2:
        print("FAIL: usage: %s PRIVMEMD" % os.path.basename(sys.argv[0]), flush=True)
        sys.exit(1)
    require()
    with tempfile.TemporaryDirectory(prefix="privmemd-libvirt.") as tmp:
        run(tmp, sys.argv[1])
    print("PASS")


class Libvirtd:
    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "libvirt")
        self.socket = os.path.join(self.dir, "run", "libvirt-sock")
        self.log = os.path.join(self.dir, "libvirtd.log")
        self.proc = None
        self.lock = None
        for name, _ in BINDS:
            if name not in ("passwd", "group"):
                os.makedirs(os.path.join(self.dir, name), exist_ok=True)
        with open(os.path.join(self.dir, "etc", "libvirtd.conf"), "w") as f:
            f.write(LIBVIRTD_CONF)
        with open(os.path.join(self.dir, "etc", "qemu.conf"), "w") as f:
            f.write(QEMU_CONF)
        self._copy_with("/etc/passwd", "passwd", "libvirt-qemu:x:64055:64055::/nonexistent:/usr/sbin/nologin\n")
        self._copy_with("/etc/group", "group", "libvirt-qemu:x:64055:\n")

    def _copy_with(self, src, name, line):
        with open(src) as f:
            text = f.read()
        if line.split(":")[0] + ":" not in text:
            text += line
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(text)

    def uri(self, driver="test", path="/default"):
        return "%s+unix://%s?socket=%s" % (driver, path, self.socket)

    # Sandboxes of several test runs may overlap: each holds a shared flock on /run while its
    # libvirtd runs, and the mount points one of them made are listed in MADE until the last one
    # (the one that gets the lock exclusively) removes them. A directory removed under another
    # sandbox would detach that sandbox's mounts.
    MADE = "/run/privmemd-libvirt-sandbox.made"

    def _make_mount_points(self):
        """Creates each bind target the host lacks, noting it in MADE for the last sandbox to remove."""
        self.lock = os.open("/run", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(self.lock, fcntl.LOCK_EX)
        with open(self.MADE, "a") as made:
            for _, target in BINDS:
                if not os.path.exists(target):
                    os.mkdir(target, 0o755)
                    made.write(target + "\n")
        fcntl.flock(self.lock, fcntl.LOCK_SH)

    def _remove_mount_points(self):
        if self.lock is None:
            return
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass        # another sandbox still runs: the last one cleans up
        else:
            try:
                with open(self.MADE) as made:
                    targets = [t for t in made.read().split("\n") if t]
            except FileNotFoundError:
                targets = []
            for target in reversed(targets):
                try:
                    os.rmdir(target)
                except OSError as e:
                    print("libvirt sandbox: could not remove %s, which it created: %s" % (target, e))
            if os.path.exists(self.MADE):
                os.unlink(self.MADE)
        os.close(self.lock)
        self.lock = None

    def start(self, timeout=60):
        self._make_mount_points()
        binds = " && ".join("mount --bind %s %s" % (os.path.join(self.dir, n), t) for n, t in BINDS)
        script = "%s && exec libvirtd -f /etc/libvirt/libvirtd.conf" % binds
        log = open(self.log, "a")
        self.proc = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                                     stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("libvirtd exited (%s); see %s" % (self.proc.returncode, self.log))
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.socket)
                s.close()
                return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("libvirtd did not listen on %s" % self.socket)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        self._remove_mount_points()

    def virsh(self, uri, *args, check=True):
        r = subprocess.run(["virsh", "-q", "-c", uri] + list(args), capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise RuntimeError("virsh %s: %s" % (" ".join(args), r.stderr.strip()))
        return r.stdout

    def tail_log(self, n=20):
        try:
            with open(self.log) as f:
                return "".join(f.readlines()[-n:])
        except OSError:
            return ""
