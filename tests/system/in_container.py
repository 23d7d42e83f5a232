# SPDX-License-Identifier: LGPL-2.1-or-later
"""What the scenarios that run inside the booted container (nspawn-scenario.py, nspawn-chaos.py,
nspawn-scale.py; nspawn-restart-test.sh copies this file next to them) share: privmemd's socket, a
call on a connection of its own, the unit's properties and journal, and the time since the start."""
import subprocess
import sys
import time

from varlink_client import Client

SOCKET = "/run/privmemd/io.privmemd"
T0 = time.monotonic()


def elapsed():
    return time.monotonic() - T0


def log(msg):
    print("[%5.1fs] %s" % (elapsed(), msg), flush=True)


def journal_tail(n=60, units=("privmemd.service", "privmemd.socket")):
    args = [a for u in units for a in ("-u", u)]
    subprocess.run(["journalctl", "-b", *args, "--no-pager", "-n", str(n), "-o", "short-monotonic"])


def fail(msg):
    print("FAIL: " + msg, flush=True)
    journal_tail()
    sys.exit(1)


def show(prop, unit="privmemd.service"):
    return subprocess.run(["systemctl", "show", "-P", prop, unit], capture_output=True, text=True).stdout.strip()


def call_fds(method, params=None, timeout=15):
    """One call on a new connection: (reply, fds)."""
    c = Client(SOCKET)
    c.sock.settimeout(timeout)
    try:
        return c.call(method, params)
    finally:
        c.close()


def call(method, params=None, timeout=15):
    """One call on a new connection: its reply's parameters."""
    return call_fds(method, params, timeout)[0]


def wait_for(what, predicate, timeout=30):
    """Polls predicate until it is true; a connection refused or reset (privmemd between two lives)
    counts as not yet."""
    end = time.monotonic() + timeout
    while True:
        try:
            if predicate():
                return
        except (OSError, ConnectionError):
            pass
        if time.monotonic() > end:
            fail("timed out waiting for " + what)
        time.sleep(0.05)
