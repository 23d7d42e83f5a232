#!/usr/bin/env python3
"""A 2M shmem (THP) pool across a restart under a stand-in service manager: its ready memfds come
back from the fd store (a shmem file's block size is 4 KiB even when its pages are 2 MiB), nothing
is populated again, and how much of them is huge is measured again and reported. A lease of the
pool keeps its hugeBytes across a second restart (its lease file records it).
Usage: test-thp-restart.py PRIVMEMD. Exit 77 when shmem THP is unavailable or not root."""
import fcntl
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_manager import ServiceManager  # noqa: E402
from varlink_client import Client  # noqa: E402

MiB = 1 << 20
KNOB = "/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/shmem_enabled"
CONFIG = """[pool thp]
backing = shmem
page_size = 2M
sizes = 8M:2
limit = 32M
users = *
"""


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def skip(msg):
    print("SKIP: " + msg)
    sys.exit(77)


def wait_for(what, predicate, timeout=20):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            fail("timed out waiting for " + what)
        time.sleep(0.05)


def pool(sm):
    c = Client(sm.socket_path)
    params, _ = c.call("io.privmemd.ListPools")
    c.close()
    return params["pools"][0]


def ready_names(sm):
    return sm.names_of_kind("r")


def all_huge(sm):
    p = pool(sm)
    return p["classes"][0]["ready"] == 2 and p["huge"]["readyHugeBytes"] == 16 * MiB


def lease(sm, lease_id):
    c = Client(sm.socket_path)
    params, _ = c.call("io.privmemd.GetLease", {"id": lease_id})
    c.close()
    return params["lease"]


def acquire(sm):
    """A lease of 8 MiB owned by this process, which outlives the restart."""
    c = Client(sm.socket_path)
    params, fds = c.call("io.privmemd.Acquire", {"pool": "thp", "size": 8 * MiB})
    c.close()
    for fd in fds:
        os.close(fd)
    return params["lease"]


def lease_keeps_huge_bytes(sm):
    before = acquire(sm)
    if before.get("hugeBytes") is None:
        fail("a lease of a 2M shmem pool without hugeBytes: %s" % before)
    sm.stop(signal.SIGTERM)
    sm.start()
    after = lease(sm, before["id"])
    if after.get("hugeBytes") != before["hugeBytes"] or after["owner"]["pid"] != os.getpid():
        fail("lease %s: hugeBytes %s, owner %s before the restart; %s, %s after" % (
            before["id"], before["hugeBytes"], before["owner"], after.get("hugeBytes"), after["owner"]))
    print("ok: lease %s kept hugeBytes %d across a restart" % (before["id"], after["hugeBytes"]))


def run(privmemd):
    with tempfile.TemporaryDirectory(prefix="privmemd-thp-restart.") as tmp:
        conf = os.path.join(tmp, "privmemd.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        sm = ServiceManager([privmemd, "--config=" + conf], tmp)
        try:
            sm.start()
            wait_for("two ready memfds in the store", lambda: sm.poll(0.05) or len(ready_names(sm)) == 2)
            wait_for("the pool to report 16 MiB huge", lambda: all_huge(sm))
            before = ready_names(sm)
            sm.stop(signal.SIGTERM)
            sm.start()
            wait_for("the recovered memfds measured huge again", lambda: all_huge(sm))
            p = pool(sm)
            if ready_names(sm) != before or p["huge"]["populatedBytes"] != 0:
                fail("the ready memfds were rebuilt, not recovered: %s then %s, %s" % (before, ready_names(sm), p["huge"]))
            print("ok: 2 ready 2M shmem memfds recovered from the store after a restart, measured 16 MiB huge again")
            lease_keeps_huge_bytes(sm)
        finally:
            sm.stop(signal.SIGTERM)


def main():
    if os.geteuid() != 0:
        skip("needs root to set " + KNOB)
    if not os.path.exists(KNOB):
        skip("no %s: no per-size shmem THP in this kernel" % KNOB)
    with open("/run/lock/privmemd-test-thp.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        before = open(KNOB).read().split("[")[1].split("]")[0]
        with open(KNOB, "w") as f:
            f.write("advise")
        try:
            run(os.path.abspath(sys.argv[1]))
        finally:
            with open(KNOB, "w") as f:
                f.write(before)


if __name__ == "__main__":
    main()
