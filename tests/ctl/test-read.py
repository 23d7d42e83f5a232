#!/usr/bin/env python3
"""status, pools, leases, lease and release, in both output modes: the JSON checked field by field
against the configuration and the lease's owner, the tables checked for what a person reads."""
import os
import re
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import Daemon, MiB, expect, expect_eq, fail, main, wait_until  # noqa: E402

CONFIG = """[pool vm]
sizes = 2M:2 4M:1
limit = 32M
quota_per_uid = 16M
users = *

[pool rootonly]
sizes = 1M:1
limit = 8M
users = 0
"""


def cells(line):
    """(start, end, text) of each cell: cells are separated by two spaces or more."""
    return [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", line)]


def check_table(text, right):
    """Every row's cells line up under the header: left-aligned columns start where their header
    starts, right-aligned ones (named in right) end where it ends. Returns rows as dicts."""
    lines = text.rstrip("\n").split("\n")
    header = cells(lines[0])
    expect(all(h[2].isupper() for h in header), "header %r is not in capitals" % lines[0])
    expect("\x1b" not in text, "escape sequences when stdout is not a terminal: %r" % text)
    rows = []
    for line in lines[1:]:
        expect(line == line.rstrip(), "trailing blanks in %r" % line)
        row = cells(line)
        expect_eq(len(row), len(header), "cells of %r under %r" % (line, lines[0]))
        for (hs, he, name), (cs, ce, text_) in zip(header, row):
            if name in right:
                expect_eq(ce, he, "end of %s cell %r in %r" % (name, text_, line))
            else:
                expect_eq(cs, hs, "start of %s cell %r in %r" % (name, text_, line))
        rows.append({h[2]: c[2] for h, c in zip(header, row)})
    return rows


def test_status(d):
    # the harness's probe connection may not have been reaped yet: wait for privmemctl's alone
    wait_until(lambda: d.json("status")["status"]["connections"] == 1, "one connection, privmemctl's")
    s = d.json("status")
    expect_eq(set(s), {"status"}, "status --json top level")
    s = s["status"]
    expect_eq(set(s), {"version", "uptime", "connections", "pools", "leases", "libvirt", "workers", "stuckWorkers"},
              "status fields (stuckSince only while one is stuck)")
    expect(isinstance(s["workers"], int) and s["workers"] >= 1, "workers %r" % s["workers"])
    expect_eq(s["stuckWorkers"], 0, "stuckWorkers")
    expect_eq(set(s["libvirt"]), {"state", "since"}, "status.libvirt fields without [libvirt]")
    expect_eq(s["libvirt"]["state"], "disabled", "status.libvirt.state without [libvirt]")
    expect(0 <= s["libvirt"]["since"] <= s["uptime"] + 1, "libvirt since %r, uptime %r" % (s["libvirt"]["since"], s["uptime"]))
    expect(isinstance(s["version"], str) and s["version"], "version %r" % s["version"])
    expect(isinstance(s["uptime"], float) and 0 <= s["uptime"] < 60, "uptime %r" % s["uptime"])
    expect_eq(s["connections"], 1, "connections (privmemctl's own)")
    expect_eq(s["pools"], 2, "pools")
    expect_eq(s["leases"], 0, "leases")
    out = d.ctl("status").stdout
    for want in ["privmemd %s on %s" % (s["version"], d.socket), "Pools: 2", "Leases: 0", "Connections: ", "Uptime: ",
                 "Libvirt: disabled", "Workers: %d\n" % s["workers"]]:
        expect(want in out, "status shows %r:\n%s" % (want, out))


def check_pool_json(p, name, classes, limit, quota, page=4096):
    expect_eq(set(p), {"name", "backing", "pageSize", "sealGuest", "classes", "bytesReady", "bytesLent",
                       "bytesOther", "limit", "quotaPerUid", "state"}, "fields of pool %s" % name)
    expect_eq(p["sealGuest"], False, "sealGuest of %s" % name)
    expect_eq(p["name"], name, "name")
    expect_eq(p["backing"], "shmem", "backing of %s" % name)
    expect_eq(p["pageSize"], page, "pageSize of %s" % name)
    want = [{"size": s, "target": t, "ready": t, "building": 0, "lent": 0} for s, t in classes]
    expect_eq(p["classes"], want, "classes of %s" % name)
    expect_eq(p["bytesReady"], sum(s * t for s, t in classes), "bytesReady of %s" % name)
    expect_eq(p["bytesLent"], 0, "bytesLent of %s" % name)
    expect_eq(p["bytesOther"], 0, "bytesOther of %s" % name)
    expect_eq(p["limit"], limit, "limit of %s" % name)
    expect_eq(p["quotaPerUid"], quota, "quotaPerUid of %s" % name)
    expect_eq(p["state"], "ok", "state of %s" % name)


def test_pools(d):
    d.wait_settled("vm")
    d.wait_settled("rootonly")
    pools = d.json("pools")
    expect_eq(set(pools), {"pools"}, "pools --json top level")
    expect_eq([p["name"] for p in pools["pools"]], ["vm", "rootonly"], "pool names, in configuration order")
    check_pool_json(pools["pools"][0], "vm", [(2 * MiB, 2), (4 * MiB, 1)], 32 * MiB, 16 * MiB)
    check_pool_json(pools["pools"][1], "rootonly", [(1 * MiB, 1)], 8 * MiB, 8 * MiB)

    out = d.ctl("pools").stdout
    tables = out.split("\n\n")
    expect_eq(len(tables), 2, "pools prints the pools, a blank line, the size classes:\n" + out)
    rows = check_table(tables[0], {"PAGE", "READY", "LENT", "OTHER", "LIMIT", "QUOTA/UID", "HUGE"})
    expect_eq(rows[0], {"POOL": "vm", "BACKING": "shmem", "PAGE": "4.0 KiB", "STATE": "ok", "READY": "8.0 MiB",
                        "LENT": "0 B", "OTHER": "0 B", "LIMIT": "32 MiB", "QUOTA/UID": "16 MiB", "NUMA": "-",
                        "HUGE": "-"},
              "pool vm in the table")
    expect_eq(rows[1]["LIMIT"], "8.0 MiB", "limit of rootonly")
    rows = check_table(tables[1], {"SIZE", "TARGET", "READY", "BUILDING", "LENT"})
    expect_eq([(r["POOL"], r["SIZE"], r["TARGET"], r["READY"]) for r in rows],
              [("vm", "2.0 MiB", "2", "2"), ("vm", "4.0 MiB", "1", "1"), ("rootonly", "1.0 MiB", "1", "1")],
              "size classes")


def check_lease_json(l, owner_pid, tag):
    expect_eq(set(l), {"id", "pool", "size", "state", "owner", "uid", "age", "tag"}, "lease fields")
    expect(re.fullmatch(r"[0-9a-f]{16}", l["id"]), "lease id %r" % l["id"])
    expect_eq(l["pool"], "vm", "pool")
    expect_eq(l["size"], 2 * MiB, "size")
    expect_eq(l["state"], "active", "state")
    expect_eq(l["owner"]["kind"], "process", "owner kind")
    expect_eq(l["owner"]["pid"], owner_pid, "owner pid: the process privmemctl exec became")
    expect(l["owner"]["command"] in ("privmemctl", "sleep"), "owner command %r" % l["owner"]["command"])
    expect_eq(l["uid"], 0, "uid")
    expect(isinstance(l["age"], float) and 0 <= l["age"] < 60, "age %r" % l["age"])
    expect_eq(l["tag"], tag, "tag")


def test_leases(d):
    out = d.ctl("leases")
    expect_eq(out.stdout, "No leases.\n", "leases without any")
    expect_eq(d.leases(), [], "leases --json without any")
    vmm = d.spawn("exec", "--pool=vm", "--size=2M", "--tag=vm-1", "--", "sleep", "1000")
    leases = d.wait_leases(1, "the lease of privmemctl exec")
    check_lease_json(leases[0], vmm.pid, "vm-1")
    lease_id = leases[0]["id"]
    expect_eq([l["id"] for l in d.leases(pool="vm")], [lease_id], "leases --pool=vm")
    expect_eq(d.leases(pool="rootonly"), [], "leases --pool=rootonly")

    rows = check_table(d.ctl("leases").stdout, {"SIZE", "UID", "AGE"})
    expect_eq(len(rows), 1, "rows of leases")
    r = rows[0]
    expect_eq((r["LEASE"], r["POOL"], r["SIZE"], r["STATE"], r["UID"], r["TAG"]),
              (lease_id, "vm", "2.0 MiB", "active", "0", "vm-1"), "lease row")
    expect(re.fullmatch(r"%d \((privmemctl|sleep)\)" % vmm.pid, r["OWNER"]), "owner cell %r" % r["OWNER"])
    expect(re.fullmatch(r"\d+s", r["AGE"]), "age cell %r" % r["AGE"])

    one = d.json("lease", lease_id)
    expect_eq(set(one), {"lease"}, "lease --json top level")
    check_lease_json(one["lease"], vmm.pid, "vm-1")
    out = d.ctl("lease", lease_id).stdout
    for want in ["Lease: " + lease_id, "Pool: vm", "Size: 2.0 MiB (2097152 bytes)", "State: active",
                 "Owner: process %d (" % vmm.pid, "UID: 0", "Tag: vm-1"]:
        expect(want in out, "lease shows %r:\n%s" % (want, out))

    r = d.ctl("lease", "0123456789abcdef", code=1)
    expect_eq(r.stdout, "", "stdout of a failed lease")
    expect("no lease '0123456789abcdef'" in r.stderr and "privmemctl leases" in r.stderr, "stderr: " + r.stderr)
    r = d.ctl("lease", "0123456789abcdef", "--json", code=1)
    expect_eq(r.stdout, "", "stdout of a failed lease --json: no half document")
    r = d.ctl("leases", "--pool=nope", code=1)
    expect("no pool 'nope'" in r.stderr, "leases --pool=nope: " + r.stderr)

    r = d.ctl("release", lease_id)
    expect_eq((r.stdout, r.stderr), ("", ""), "release is silent")
    d.wait_leases(0, "the released lease to be gone")
    expect(vmm.poll() is None, "release ended the lease, not its owner")
    d.ctl("release", lease_id, code=1)
    vmm.send_signal(signal.SIGTERM)
    vmm.wait()


def test():
    d = Daemon(CONFIG)
    test_status(d)
    test_pools(d)
    test_leases(d)
    d.stop()


if __name__ == "__main__":
    main(test)
