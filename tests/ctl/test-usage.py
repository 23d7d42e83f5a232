#!/usr/bin/env python3
"""The command line: --help for privmemctl and each command, --version, usage errors exit 2, an
unreachable daemon exits 3 and says what to do; --socket wins over $PRIVMEMD_SOCKET."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import PRIVMEMCTL, Daemon, expect, expect_eq, main  # noqa: E402

COMMANDS = ["status", "pools", "leases", "lease", "release", "set-target", "drain", "reload", "watch", "metrics", "exec"]


def run(*args, env=None):
    return subprocess.run([PRIVMEMCTL] + list(args), capture_output=True, text=True, timeout=20,
                          env=dict(os.environ, **(env or {})))


def test_help():
    r = run("--help")
    expect_eq(r.returncode, 0, "--help")
    for c in COMMANDS:
        expect("\n  %-12s " % c in r.stdout, "--help lists %s:\n%s" % (c, r.stdout))
    expect("Exit status: 0 done, 1 privmemd refused or failed, 2 bad usage, 3 privmemd unreachable." in r.stdout, r.stdout)
    for c in COMMANDS:
        for h in ("--help", "-h"):
            r = run(c, h)
            expect_eq(r.returncode, 0, c + " " + h)
            expect(r.stdout.startswith("privmemctl %s " % c), "%s %s:\n%s" % (c, h, r.stdout))
    expect("--pool=POOL" in run("exec", "--help").stdout, "exec --help names its options")
    expect_eq(run("--version").stdout.split()[0], "privmemctl", "--version")


def test_usage_errors():
    for args, msg in ((), "no command given"), (("frobnicate",), "unknown command 'frobnicate'"), \
            (("status", "extra"), "status: too many arguments"), (("lease",), "lease: missing arguments"), \
            (("pools", "--pool=x"), "unknown option or missing value: '--pool=x'"), \
            (("watch", "--count=many"), "--count=many: not a number"), (("--socket=",), "--socket needs a path"):
        r = run(*args)
        expect_eq(r.returncode, 2, "exit status of %r" % (args,))
        expect(r.stderr.startswith("privmemctl: ") and msg in r.stderr, "message of %r: %s" % (args, r.stderr))
        expect_eq(r.stdout, "", "stdout of %r" % (args,))


def test_unreachable():
    for c in (["status"], ["pools", "--json"], ["watch"], ["exec", "--pool=p", "--size=2M", "--", "true"]):
        r = run("--socket=/nonexistent/io.privmemd", *c)
        expect_eq(r.returncode, 3, "exit status of %s without a daemon" % c[0])
        expect_eq(r.stderr, "privmemctl: cannot connect to /nonexistent/io.privmemd: No such file or directory. "
                  "Is privmemd running? (systemctl start privmemd.socket)\n", "message without a daemon")
    r = run("status", env={"PRIVMEMD_SOCKET": "/nonexistent/env"})
    expect("/nonexistent/env" in r.stderr, "$PRIVMEMD_SOCKET is used: " + r.stderr)


def test_socket_choice():
    d = Daemon("[pool vm]\nsizes = 2M:1\nlimit = 8M\nusers = *\n")
    r = run("status", env={"PRIVMEMD_SOCKET": d.socket})
    expect_eq(r.returncode, 0, "status with $PRIVMEMD_SOCKET: " + r.stderr)
    r = run("--socket=" + d.socket, "status", env={"PRIVMEMD_SOCKET": "/nonexistent"})
    expect_eq(r.returncode, 0, "--socket wins over $PRIVMEMD_SOCKET: " + r.stderr)
    r = run("status", "--json", "--socket=" + d.socket)
    expect_eq(r.returncode, 0, "options after the command: " + r.stderr)
    d.stop()


def test():
    test_help()
    test_usage_errors()
    test_unreachable()
    test_socket_choice()


if __name__ == "__main__":
    main(test, timeout=25)
