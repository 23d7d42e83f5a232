#!/usr/bin/env python3
"""watch sees the events of another client's acquire and exit, in JSON (one object per line) and
for people; a failing pool's events say its cause; nobody's watch sees only its own leases; --count ends it; a daemon that goes away ends
it with exit status 3."""
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import NOBODY, Daemon, Lines, MiB, expect, expect_eq, main  # noqa: E402

CONFIG = """[pool vm]
sizes = 2M:1
limit = 32M
users = *
"""

# Larger than this machine: no huge pages for it, ever.
FAILING_CONFIG = """[pool nohuge]
backing = hugetlb
page_size = 2M
sizes = 64G:1
limit = 64G
users = *
"""

LEASE_FIELDS = {"id", "pool", "size", "state", "owner", "uid", "age", "tag"}


def start_watch(d, *args, uid=0):
    p = d.spawn("watch", *args, uid=uid, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p, Lines(p.stdout)


def event(line):
    o = json.loads(line)
    expect_eq(set(o), {"event"}, "top level of a watch line")
    return o["event"]


def other_client(d, tag, uid=0):
    """Another client: acquires through privmemctl exec and exits at once; returns its pid."""
    p = d.spawn("exec", "--pool=vm", "--size=2M", "--tag=" + tag, "--", "true", uid=uid)
    expect_eq(p.wait(), 0, "exit status of the other client")
    return p.pid


def test_json(d):
    w, lines = start_watch(d, "--json")
    first = event(lines.next())
    expect_eq(first["kind"], "watching", "first event")
    expect(isinstance(first["timestamp"], int) and first["timestamp"] > 1.6e15, "timestamp %r" % first)
    pid = other_client(d, "w1")

    def lease_event(kind):
        line = lines.until(lambda s: (lambda e: e["kind"] == kind and e.get("lease", {}).get("tag") == "w1")(event(s)),
                           kind + " of w1")
        return event(line)
    acquired = lease_event("leaseAcquired")
    lease = acquired["lease"]
    expect_eq(set(lease), LEASE_FIELDS, "fields of the lease in the event")
    expect_eq((acquired["pool"], acquired["size"]), ("vm", 2 * MiB), "pool and size of leaseAcquired")
    expect_eq((lease["pool"], lease["size"], lease["state"], lease["uid"]), ("vm", 2 * MiB, "active", 0), "lease")
    expect_eq(lease["owner"]["kind"], "process", "owner kind")
    expect_eq(lease["owner"]["pid"], pid, "the owner is the other client's process")
    for kind in ("leaseInvalidating", "leaseReleased"):
        e = lease_event(kind)
        expect_eq(e["lease"]["id"], lease["id"], "lease of " + kind)
        expect(e["timestamp"] >= acquired["timestamp"], "timestamps in order")
    w.terminate()
    w.wait()


def test_human(d):
    w, lines = start_watch(d)
    expect_eq(lines.next(), "Watching privmemd on %s; Ctrl-C stops." % d.socket, "first line for people")
    pid = other_client(d, "w2")
    line = lines.until(lambda s: "leaseAcquired" in s, "leaseAcquired for people")
    pattern = (r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}  leaseAcquired     pool=vm size=2\.0 MiB "
               r"lease=[0-9a-f]{16} owner=%d \(privmemctl\) uid=0 tag=w2" % pid)
    expect(re.fullmatch(pattern, line), "watch line %r\ndoes not match %r" % (line, pattern))
    lines.until(lambda s: "leaseReleased" in s, "leaseReleased for people")
    w.terminate()
    w.wait()


def test_count(d):
    w, lines = start_watch(d, "--json", "--count=2")
    expect_eq(event(lines.next())["kind"], "watching", "first event")
    other_client(d, "w3")
    expect_eq(w.wait(10), 0, "exit status of watch --count=2")
    rest = []
    while (line := lines.next()) is not None:
        rest.append(event(line))
    expect_eq(len(rest), 2, "events after watching with --count=2")


def test_only_own(d):
    w, lines = start_watch(d, "--json", uid=NOBODY)
    expect_eq(event(lines.next())["kind"], "watching", "first event for nobody")
    other_client(d, "root-lease")
    other_client(d, "nobody-lease", uid=NOBODY)
    line = lines.until(lambda s: "lease" in event(s), "nobody's first lease event")
    e = event(line)
    expect_eq((e["lease"]["tag"], e["lease"]["uid"]), ("nobody-lease", NOBODY), "nobody sees its own lease first")
    w.terminate()
    w.wait()


def test_daemon_gone(d):
    w, lines = start_watch(d, "--json")
    lines.next()
    d.stop()
    expect_eq(w.wait(10), 3, "exit status of watch when privmemd goes away")
    err = w.stderr.read().decode()
    expect("privmemd closed the connection" in err and "Is it running?" in err, "watch's message: " + err)


def test_pool_failing():
    """A hugetlb pool whose memfd is larger than the machine fails its builds (no huge pages):
    each poolFailing event says its cause, in JSON and for people."""
    d = Daemon(FAILING_CONFIG)
    wj, jlines = start_watch(d, "--json")
    wh, hlines = start_watch(d)
    e = event(jlines.until(lambda s: event(s)["kind"] == "poolFailing", "poolFailing in JSON"))
    expect_eq((e["pool"], e.get("cause")), ("nohuge", "noMemory"), "poolFailing's pool and cause")
    line = hlines.until(lambda s: "poolFailing" in s, "poolFailing for people")
    pattern = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}  poolFailing       pool=nohuge size=64 GiB cause=noMemory reason=.*"
    expect(re.fullmatch(pattern, line), "watch line %r\ndoes not match %r" % (line, pattern))
    for w in (wj, wh):
        w.terminate()
        w.wait()
    d.stop()


def test():
    test_pool_failing()
    d = Daemon(CONFIG)
    d.wait_settled("vm")
    test_json(d)
    test_human(d)
    test_count(d)
    test_only_own(d)
    test_daemon_gone(d)


if __name__ == "__main__":
    main(test)
