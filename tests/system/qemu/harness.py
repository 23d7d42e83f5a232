"""What the QEMU system tests share: skip/fail, a private directory, every process started by pid
and stopped by pid however the test ends, hugepages reserved and given back, the guest image."""
import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SKIP = 77


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def need_program(name, package):
    path = shutil.which(name)
    if not path:
        raise Skip(f"{name} not found (install {package})")
    return path


def wait_for(what, predicate, timeout, interval=0.05):
    """predicate's first true value, or Fail after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise Fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class Harness:
    """Use as a context manager; it undoes everything it did on the way out, in reverse."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="privmemd-system.")
        self.procs = []
        self.undo = []

    def __enter__(self):
        # meson stops a test that timed out with SIGTERM: turn it into an exception, so that
        # __exit__ still stops our processes and gives the hugepages back.
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, lambda n, f: sys.exit(f"stopped by signal {n}"))
        return self

    def __exit__(self, *exc):
        for proc in reversed(self.procs):
            stop(proc)
        for fn in reversed(self.undo):
            fn()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def spawn(self, name, argv, **kw):
        """Starts argv with stdout and stderr in TMP/name.log; stopped by pid on exit."""
        log = open(self.path(name + ".log"), "wb")
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, **kw)
        proc.log = log.name
        self.procs.append(proc)
        return proc

    def start_privmemd(self, privmemd, config_text):
        with open(self.path("privmemd.conf"), "w") as f:
            f.write(config_text)
        sock = self.path("sock")
        proc = self.spawn("privmemd", [privmemd, f"--socket={sock}", f"--config={f.name}"])
        wait_for("privmemd to listen", lambda: proc.poll() is not None or os.path.exists(sock), 10)
        if proc.poll() is not None:
            raise Fail(f"privmemd exited with {proc.returncode}:\n{tail(proc)}")
        return proc, sock

    def reserve_hugepages(self, count, kb=2048):
        """Adds count hugepages of kb KiB (2M by default) to the kernel's pool; takes back exactly
        what it added on exit."""
        nr = f"/sys/kernel/mm/hugepages/hugepages-{kb}kB/nr_hugepages"
        if not os.access(nr, os.W_OK):
            raise Skip(f"cannot write {nr} (needs root)")
        with hugepages_lock():
            before = int(open(nr).read())
            with open(nr, "w") as f:
                f.write(str(before + count))
            added = int(open(nr).read()) - before
        if added > 0:
            self.undo.append(lambda: give_back_hugepages(nr, added))
        if added < count:
            raise Skip(f"the kernel gave {added} of {count} {kb} KiB hugepages (memory too fragmented?)")

    def build_guest(self, source):
        """Assembles guest.S into a multiboot ELF that QEMU's -kernel loads at 1 MiB."""
        as_ = need_program("as", "binutils")
        ld = need_program("ld", "binutils")
        obj, elf = self.path("guest.o"), self.path("guest.elf")
        subprocess.run([as_, "--32", "-o", obj, source], check=True)
        subprocess.run([ld, "-m", "elf_i386", "-N", "-Ttext=0x100000", "-e", "_start",
                        "--no-warn-rwx-segments", "-o", elf, obj], check=True)
        return elf


THP_KNOB = "/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/shmem_enabled"


@contextlib.contextmanager
def thp_knob(value):
    """The per-size shmem THP knob at value (None: as it is) while the block runs, under the lock
    our tests and benchmarks take (tests/integration/thp.c, bench/); written back after."""
    if value is None:
        yield
        return
    if not os.path.exists(THP_KNOB):
        raise Skip(f"no {THP_KNOB}: this kernel has no per-size shmem THP (6.11+) or no THP")
    if not os.access(THP_KNOB, os.W_OK):
        raise Skip(f"cannot write {THP_KNOB} (needs root)")
    with open("/run/lock/privmemd-test-thp.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        before = open(THP_KNOB).read().split("[")[1].split("]")[0]
        with open(THP_KNOB, "w") as f:
            f.write(value)
        try:
            yield
        finally:
            with open(THP_KNOB, "w") as f:
                f.write(before)


def smaps_of(pid, name_part):
    """The smaps fields (kB) of pid's first mapping whose path contains name_part, with its start."""
    fields, start = None, None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if "-" in head[0] and len(head) >= 5 and not head[0].endswith(":"):
                if fields is not None:
                    break
                if name_part in line:
                    fields, start = {}, int(head[0].split("-")[0], 16)
            elif fields is not None and head[0].endswith(":") and len(head) >= 2 and head[1].isdigit():
                fields[head[0][:-1]] = int(head[1])
    return start, fields


@contextlib.contextmanager
def hugepages_lock():
    """Held across each read-modify-write of nr_hugepages, by every test and benchmark of ours
    (tests/integration/hugepages.c, bench/bench-util.c take the same lock): two of them
    interleaving their reads and writes would otherwise leave pages reserved for nobody."""
    with open("/run/lock/privmemd-test-hugepages.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def give_back_hugepages(nr, count):
    # What is there now, less what we added: another user's reservation meanwhile stays.
    with hugepages_lock():
        now = int(open(nr).read())
        with open(nr, "w") as f:
            f.write(str(max(now - count, 0)))


def stop(proc, sig=signal.SIGTERM, timeout=10):
    """Stops a process we started, by its pid (Popen never signals a reaped pid)."""
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def tail(proc, lines=30):
    with open(proc.log, errors="replace") as f:
        return "".join(f.readlines()[-lines:])


def meminfo(key):
    for line in open("/proc/meminfo"):
        k, v = line.split(":")
        if k == key:
            return int(v.split()[0])
    raise KeyError(key)


def main(run):
    """Runs run(), turning Skip into exit 77 and Fail into exit 1, each with its reason."""
    try:
        run()
    except Skip as e:
        print(f"SKIP: {e}")
        sys.exit(SKIP)
    except Fail as e:
        print(f"FAIL: {e}")
        sys.exit(1)
