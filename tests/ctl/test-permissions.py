#!/usr/bin/env python3
"""privmemctl as an unprivileged uid (nobody, through setpriv): set-target, drain and reload are
refused with PermissionDenied, a clear message and exit 1; leases, lease and release see only its
own leases; reading pools and status works; a pool that does not list it refuses exec."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import NOBODY, Daemon, expect, expect_eq, main  # noqa: E402

CONFIG = """[pool vm]
sizes = 2M:2
limit = 32M
users = *

[pool rootonly]
sizes = 1M:1
limit = 8M
users = 0
"""


def test_admin_refused(d):
    for args in (["set-target", "vm", "2M=1"], ["drain", "vm"], ["reload"]):
        r = d.ctl(*args, uid=NOBODY, code=1)
        expect_eq(r.stderr, "privmemctl: %s: permission denied: only root and privmemd's admin group "
                  "(admin_group= in privmemd.conf, default privmem-admin) may do that.\n" % args[0],
                  "message of %s as nobody" % args[0])
        expect_eq(r.stdout, "", "stdout of a refused " + args[0])
    p = d.pool("vm")
    expect_eq((p["state"], p["classes"][0]["target"]), ("ok", 2), "vm untouched by nobody")


def test_own_leases(d):
    root_vmm = d.spawn("exec", "--pool=vm", "--size=2M", "--tag=root", "--", "sleep", "1000")
    nobody_vmm = d.spawn("exec", "--pool=vm", "--size=2M", "--tag=nobody", "--", "sleep", "1000", uid=NOBODY)
    both = d.wait_leases(2, "root's and nobody's leases")
    by_tag = {l["tag"]: l for l in both}
    expect_eq(by_tag["nobody"]["uid"], NOBODY, "uid of nobody's lease")
    expect_eq(by_tag["nobody"]["owner"]["pid"], nobody_vmm.pid, "owner of nobody's lease")
    mine = d.leases(uid=NOBODY)
    expect_eq([l["id"] for l in mine], [by_tag["nobody"]["id"]], "nobody sees only its own lease")
    out = d.ctl("leases", uid=NOBODY).stdout
    expect(by_tag["nobody"]["id"] in out and by_tag["root"]["id"] not in out, "the table of nobody:\n" + out)

    r = d.ctl("lease", by_tag["root"]["id"], uid=NOBODY, code=1)
    expect("no lease '%s' (or not one of yours)" % by_tag["root"]["id"] in r.stderr, r.stderr)
    d.ctl("release", by_tag["root"]["id"], uid=NOBODY, code=1)
    expect_eq(len(d.leases()), 2, "root's lease survives nobody's release")
    d.ctl("lease", by_tag["nobody"]["id"], uid=NOBODY)
    d.ctl("release", by_tag["nobody"]["id"], uid=NOBODY)
    d.wait_leases(1, "nobody released its own lease")
    for p in (root_vmm, nobody_vmm):
        p.send_signal(signal.SIGTERM)
        p.wait()


def test_reads_and_acl(d):
    expect_eq(d.json("status", uid=NOBODY)["status"]["pools"], 2, "status as nobody")
    expect_eq(len(d.json("pools", uid=NOBODY)["pools"]), 2, "pools as nobody")
    r = d.ctl("exec", "--pool=rootonly", "--size=1M", "--", "true", uid=NOBODY, code=1)
    expect_eq(r.stderr, "privmemctl: exec: permission denied: pool 'rootonly' does not let your uid or groups "
              "acquire (users=, groups= in privmemd.conf).\n", "exec as nobody into a root-only pool")


def test():
    d = Daemon(CONFIG)
    d.wait_settled("vm")
    test_admin_refused(d)
    test_own_leases(d)
    test_reads_and_acl(d)
    d.stop()


if __name__ == "__main__":
    main(test)
