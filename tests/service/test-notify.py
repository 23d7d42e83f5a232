#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""privmemd's notify socket under the stand-in service manager, at a path and at an abstract name:
READY=1 comes with a STATUS= line; after an Acquire the fd store holds the lease and the owner's
pidfd and the STATUS= line follows (coalesced, from a timer); the service manager's socket is then
replaced under privmemd's open one (closed, bound again at the same address): the next Acquire's
fds reach the new socket, and a restart (SIGKILL) recovers both leases.
Usage: test-notify.py PRIVMEMD path|abstract"""
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_manager import ServiceManager  # noqa: E402
from varlink_client import Client  # noqa: E402

CONFIG = """[pool x]
sizes = 64K:2
limit = 64M
users = *
"""


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def call(sm, method, params=None):
    c = Client(sm.socket_path)
    try:
        return c.call(method, params)
    finally:
        c.close()
        sm.poll(0)


def acquire(sm):
    reply, fds = call(sm, "io.privmemd.Acquire", {"pool": "x", "size": 64 << 10})
    for fd in fds:
        os.close(fd)
    return reply["lease"]["id"]


def wait_for(sm, what, check, seconds=10):
    end = time.monotonic() + seconds
    while not check():
        if time.monotonic() > end:
            fail("%s: not within %d s (status %r, store %s)" % (what, seconds, sm.status, sm.stored_names()))
        sm.poll(0.05)
    print("ok: " + what, flush=True)


def main():
    privmemd, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    if case not in ("path", "abstract"):
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory(prefix="privmemd-notify.") as tmp:
        conf = os.path.join(tmp, "privmemd.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        abstract = "privmemd-test-notify/%d" % os.getpid() if case == "abstract" else None
        sm = ServiceManager([privmemd, "--config=" + conf, "--log-level=warning"], tmp, notify_abstract=abstract)
        try:
            sm.start()
            if not sm.status.startswith("1 pool(s), 0 lease(s)"):
                fail("READY=1 came without the STATUS= line: %r" % sm.status)
            print("ok: READY=1 at %s, STATUS=%s" % (sm.notify_path, sm.status), flush=True)
            first = acquire(sm)
            wait_for(sm, "the lease and its owner in the fd store",
                     lambda: sm.lease_name(first) is not None and len(sm.names_of_kind("o")) == 1)
            wait_for(sm, "STATUS= says 1 lease(s)", lambda: sm.status.startswith("1 pool(s), 1 lease(s)"))

            sm.replace_notify_socket()
            second = acquire(sm)
            wait_for(sm, "after the notify socket was replaced, the next lease in the fd store",
                     lambda: sm.lease_name(second) is not None)
            wait_for(sm, "STATUS= on the new socket says 2 lease(s)", lambda: sm.status.startswith("1 pool(s), 2 lease(s)"))

            # The first lease's fds were stored on the old socket, which was read before it closed.
            sm.stop(signal.SIGKILL)
            sm.start()
            leases = {l["id"] for l in call(sm, "io.privmemd.ListLeases")[0]["leases"] if l["state"] == "active"}
            if leases != {first, second}:
                fail("after a restart, leases %s, expected %s" % (sorted(leases), sorted([first, second])))
            print("ok: a restart recovered both leases", flush=True)
            print("1 passed, 0 failed", flush=True)
        finally:
            sm.close()


if __name__ == "__main__":
    main()
