#!/usr/bin/env python3
"""privmemctl exec: the command finds the memfd at fd N (not close-on-exec, sealed, of the size,
zeroed), the environment and {fd} {size} {lease} in its arguments, owns the lease itself, and when
it exits the lease is invalidated. Exec failures exit 127/126 as a shell does; bad usage 2."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import Daemon, MiB, expect, expect_eq, main, wait_until  # noqa: E402

CONFIG = """[pool vm]
sizes = 2M:1 4M:1
limit = 32M
users = *
"""
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "exec-child.py")


def invalidations(d):
    return d.json("metrics")["metrics"]["invalidations"]


def run_child(d, fd_args, size, code=0):
    before = invalidations(d)
    r = d.ctl("exec", "--pool=vm", "--size=" + size, "--tag=exec-test", *fd_args, "--",
              sys.executable, CHILD, "{fd}", "{size}", "{lease}", d.argv([])[0], d.socket, str(code), code=code)
    expect("exec-child" not in r.stderr, "the child's checks: " + r.stderr)
    d.wait_leases(0, "the lease to end with the command")
    wait_until(lambda: invalidations(d) == before + 1, "the lease to be invalidated")


def test_fds(d):
    run_child(d, [], "2M")                   # default fd 3: where the varlink socket was
    run_child(d, ["--fd=4"], "4M")           # fd 4: where the memfd already is
    run_child(d, ["--fd=9"], "2MiB", code=7)  # the command's exit status is privmemctl's


def test_substitution(d):
    out = subprocess.run(d.argv(["exec", "--pool=vm", "--size=2M", "--fd=5", "--", "sh", "-c",
                                 'echo "$1 $PRIVMEM_FD $PRIVMEM_SIZE $PRIVMEM_LEASE"', "sh",
                                 "mem-path=/proc/self/fd/{fd},size={size},id={lease}{fd}"]),
                         capture_output=True, text=True)
    expect_eq(out.returncode, 0, "exit status: " + out.stderr)
    words = out.stdout.split()
    lease = words[3]
    expect_eq(words[:3], ["mem-path=/proc/self/fd/5,size=2097152,id=%s5" % lease, "5", "2097152"], "substituted")
    d.wait_leases(0, "the lease to end with sh")  # or the next test may find it still listed


def test_lives_with_command(d):
    p = d.spawn("exec", "--pool=vm", "--size=2M", "--", "sleep", "1000")
    lease = d.wait_leases(1, "the lease of a running command")[0]
    expect_eq(lease["owner"]["pid"], p.pid, "owner pid")
    p.send_signal(signal.SIGKILL)
    p.wait()
    d.wait_leases(0, "the lease to end when the command is killed")


def test_failures(d):
    r = d.ctl("exec", "--pool=vm", "--size=2M", "--", "/nonexistent/vmm", "-x", code=127)
    expect_eq(r.stderr, "privmemctl: exec: cannot execute '/nonexistent/vmm': No such file or directory\n", "127")
    tmp = tempfile.mkdtemp()
    try:
        path = os.path.join(tmp, "not-executable")
        open(path, "w").close()
        r = d.ctl("exec", "--pool=vm", "--size=2M", "--", path, code=126)
        expect_eq(r.stderr, "privmemctl: exec: cannot execute '%s': Permission denied\n" % path, "126")
    finally:
        shutil.rmtree(tmp)
    d.wait_leases(0, "no lease left by failed execs")
    for args in (["--size=2M", "--", "true"], ["--pool=vm", "--", "true"], ["--pool=vm", "--size=2X", "--", "true"],
                 ["--pool=vm", "--size=2M"], ["--pool=vm", "--size=2M", "--fd=-1", "--", "true"]):
        r = d.ctl("exec", *args, code=2)
        expect(r.stderr.startswith("privmemctl: exec: "), "usage message of %r: %s" % (args, r.stderr))
    r = d.ctl("exec", "--pool=vm", "--size=3000", "--", "true", code=1)
    expect("size 3000 bytes is not a positive multiple of the pool's page size 4.0 KiB" in r.stderr, r.stderr)
    r = d.ctl("exec", "--pool=vm", "--size=64M", "--", "true", code=1)
    expect("your quota in pool 'vm' is exhausted: limit 32 MiB, used 0 B, asked 64 MiB" in r.stderr, r.stderr)


def test_qemu(d):
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        print("no qemu-system-x86_64: the QEMU example is not run")
        return
    r = subprocess.run(d.argv(["exec", "--pool=vm", "--size=4M", "--", qemu, "-accel", "tcg", "-nodefaults",
                               "-display", "none", "-S", "-monitor", "stdio", "-m", "4M", "-object",
                               "memory-backend-file,id=ram0,size={size},mem-path=/proc/self/fd/{fd},share=on",
                               "-machine", "pc,memory-backend=ram0"]),
                       input="info memdev\nquit\n", capture_output=True, text=True, timeout=60)
    expect_eq(r.returncode, 0, "QEMU with the lease's memfd: " + r.stderr)
    expect("size:  4194304" in r.stdout and "share: true" in r.stdout, "info memdev:\n" + r.stdout)
    d.wait_leases(0, "the lease to end with QEMU")


def test():
    d = Daemon(CONFIG)
    d.wait_settled("vm")
    test_fds(d)
    test_substitution(d)
    test_lives_with_command(d)
    test_failures(d)
    test_qemu(d)
    d.stop()


if __name__ == "__main__":
    main(test, timeout=80)
