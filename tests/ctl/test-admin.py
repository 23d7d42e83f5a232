#!/usr/bin/env python3
"""set-target, drain and reload as root: what privmemd does after each, seen through pools --json,
and the refusals worded with the numbers in IEC units and exit status 1; bad command lines exit 2."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import Daemon, MiB, expect, expect_eq, main, wait_until  # noqa: E402

CONFIG = """[pool vm]
sizes = 2M:2 4M:1
limit = 32M
users = *
"""

CONFIG_NEW = CONFIG.replace("2M:2", "2M:1") + """
[pool extra]
sizes = 1M:1
limit = 4M
users = *
"""


def targets(d, pool):
    return {c["size"]: (c["target"], c["ready"]) for c in d.pool(pool)["classes"]}


def silent(r, what):
    expect_eq((r.stdout, r.stderr), ("", ""), "output of " + what)


def test_set_target(d):
    silent(d.ctl("set-target", "vm", "2M=3", "4MiB=0"), "set-target")
    # a class with target 0 and nothing in it may be forgotten: both are right
    wait_until(lambda: targets(d, "vm")[2 * MiB] == (3, 3) and targets(d, "vm").get(4 * MiB, (0, 0)) == (0, 0),
               "targets 2M=3 4M=0 reached")
    silent(d.ctl("set-target", "vm", "2097152=1", "--json"), "set-target --json")
    wait_until(lambda: targets(d, "vm")[2 * MiB] == (1, 1), "target 2M=1 reached")

    r = d.ctl("set-target", "vm", "2M=100", code=1)
    expect("pool 'vm' exhausted: limit 32 MiB, used 2.0 MiB, asked 200 MiB" in r.stderr, "over the limit: " + r.stderr)
    expect("limit= in privmemd.conf" in r.stderr, "says what to do: " + r.stderr)
    r = d.ctl("exec", "--pool=vm", "--size=6M", "--no-wait", "--", "true", code=1)
    expect("no ready memfd of this size" in r.stderr and "Acquire without --no-wait" in r.stderr and
           "limit=" not in r.stderr, "nothing ready, no wait: the hint follows the cause: " + r.stderr)
    r = d.ctl("set-target", "vm", "3000=1", code=1)
    expect("size 3000 bytes is not a positive multiple of the pool's page size 4.0 KiB" in r.stderr, r.stderr)
    r = d.ctl("set-target", "nope", "2M=1", code=1)
    expect("no pool 'nope'. 'privmemctl pools' lists them." in r.stderr, r.stderr)
    for bad in (["vm"], ["vm", "2M"], ["vm", "x=1"], ["vm", "2M=-1"], ["vm", "2M=one"], ["vm", "0=1"]):
        r = d.ctl("set-target", *bad, code=2)
        expect(r.stderr.startswith("privmemctl: set-target: "), "usage error of %r: %s" % (bad, r.stderr))
    expect_eq(targets(d, "vm")[2 * MiB][0], 1, "target after the refusals")


def test_drain(d):
    silent(d.ctl("drain", "vm"), "drain")
    wait_until(lambda: (lambda p: p["state"] == "drained" and p["bytesReady"] == 0)(d.pool("vm")),
               "pool vm drained, nothing ready")
    r = d.ctl("exec", "--pool=vm", "--size=2M", "--no-wait", "--", "true", code=1)
    expect("pool 'vm' exhausted" in r.stderr, "--no-wait from a drained pool: " + r.stderr)
    d.ctl("exec", "--pool=vm", "--size=2M", "--", "true")    # a drained pool still builds what is asked
    expect_eq(d.pool("vm")["state"], "drained", "still drained after an acquire")
    d.ctl("drain", "nope", code=1)
    d.ctl("drain", code=2)
    d.ctl("set-target", "vm", "2M=1")
    wait_until(lambda: d.pool("vm")["state"] == "ok" and targets(d, "vm")[2 * MiB] == (1, 1),
               "set-target ends the drain")


def test_reload(d):
    d.ctl("drain", "vm")
    d.write_config(CONFIG_NEW)
    silent(d.ctl("reload"), "reload")
    wait_until(lambda: [p["name"] for p in d.json("pools")["pools"]] == ["vm", "extra"], "pool extra after reload")
    d.wait_settled("extra")
    p = d.wait_settled("vm")
    expect_eq(p["state"], "ok", "reload ends the drain")
    wait_until(lambda: targets(d, "vm") == {2 * MiB: (1, 1), 4 * MiB: (1, 1)}, "targets from the new configuration")

    d.write_config(CONFIG_NEW + "\n[pool broken]\nsizes = 2M:1\nlimit = lots\n")
    r = d.ctl("reload", code=1)
    expect("privmemd refused the configuration and keeps the one in use: " in r.stderr, r.stderr)
    expect(d.config in r.stderr and "limit" in r.stderr, "names the file and key: " + r.stderr)
    expect_eq([p["name"] for p in d.json("pools")["pools"]], ["vm", "extra"], "pools after a refused reload")
    d.ctl("reload", "now", code=2)


def test():
    d = Daemon(CONFIG)
    d.wait_settled("vm")
    test_set_target(d)
    test_drain(d)
    test_reload(d)
    d.stop()


if __name__ == "__main__":
    main(test, timeout=80)
