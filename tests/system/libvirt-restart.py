#!/usr/bin/env python3
"""Domain-owned leases across restarts, against a private libvirtd whose test driver reads a node
file (test+unix:///PATH/node.xml): every new connection reads the file again, so a domain's state
can be changed "while nobody was looking" by rewriting the file between runs.
  - privmemd restarts (fd store + lease files): the leases come back owned by their domains;
  - privmemd restarts after a domain was shut off meanwhile: that domain's lease ends at start;
  - libvirtd restarts while the domain runs: the lease stays;
  - libvirtd restarts after the domain was shut off while it was down: the lease ends at reconnect;
  - libvirtd killed, a domain restarted meanwhile (libvirt gives it another id), libvirtd started
    again: that domain's old lease ends at reconcile; a domain that ran on keeps its lease.
Usage: libvirt-restart.py PRIVMEMD"""
import json
import os
import signal
import time

from libvirt_common import (Client, VarlinkError, acquire_for, config, expect_active, fail, lease,
                            supervised_privmemd, wait_ended, MiB)
from libvirt_sandbox import Libvirtd, main as sandbox_main

DOMAINS = {"vm0": "0a6f0c51-7d4e-4c1b-8a55-6f1b2c3d4e00", "vm1": "0a6f0c51-7d4e-4c1b-8a55-6f1b2c3d4e01",
           "vm2": "0a6f0c51-7d4e-4c1b-8a55-6f1b2c3d4e02", "vm3": "0a6f0c51-7d4e-4c1b-8a55-6f1b2c3d4e03"}
RUNNING, SHUTOFF = 1, 5   # virDomainState, as the test driver's <test:runstate> takes it


def write_node(path, states):
    doms = "".join("""  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>%s</name><uuid>%s</uuid><memory>65536</memory><os><type>hvm</type></os>
    <test:runstate>%d</test:runstate>
  </domain>
""" % (name, DOMAINS[name], states[name]) for name in sorted(states))
    with open(path + ".tmp", "w") as f:
        f.write("<node>\n%s</node>\n" % doms)
    os.rename(path + ".tmp", path)


def domain_ids(lv, uri):
    """name -> id of the running domains, as virsh list says."""
    ids = {}
    for line in lv.virsh(uri, "list").splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[0].isdigit():
            ids[fields[1]] = int(fields[0])
    return ids


def restarted_unseen(lv, uri, node, c):
    """The test driver numbers the running domains of the node file 1, 2, ... in order at every
    start of libvirtd: with vm0 shut off, vm1 runs with another id, as a domain stopped and
    started again does; vm3 keeps its id (vm2 starts instead of vm0)."""
    lv.stop()
    write_node(node, {"vm0": RUNNING, "vm1": RUNNING, "vm2": SHUTOFF, "vm3": RUNNING})
    lv.start()
    wait_connected(c)
    before = domain_ids(lv, uri)
    restarted = acquire_for(c, "vm1")["id"]
    ran_on = acquire_for(c, "vm3")["id"]
    lv.stop(signal.SIGKILL)
    write_node(node, {"vm0": SHUTOFF, "vm1": RUNNING, "vm2": RUNNING, "vm3": RUNNING})
    time.sleep(1)
    expect_active(c, restarted, "libvirtd killed")
    lv.start()
    after = domain_ids(lv, uri)
    print("domain ids before %s, after %s" % (before, after), flush=True)
    if before["vm1"] == after["vm1"] or before["vm3"] != after["vm3"]:
        fail("the test driver numbered the domains otherwise than this test expects")
    wait_ended(c, restarted, "vm1 runs with another id after libvirtd came back")
    expect_active(c, ran_on, "vm3 runs with the same id")
    print("ok: a domain restarted while libvirtd was down lost its old lease at reconcile; one that ran on kept its",
          flush=True)


def wait_connected(c, timeout=20):
    """Until ownerDomain is served again (privmemd reconnected)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            c.call("io.privmemd.Acquire", {"pool": "a", "size": 4 * MiB, "ownerDomain": "nope"})
        except VarlinkError as e:
            if e.error == "io.privmemd.NoSuchDomain":
                return
        time.sleep(0.2)
    fail("privmemd did not reconnect to libvirt within %d s" % timeout)


def run(tmp, privmemd):
    node = os.path.join(tmp, "node.xml")
    write_node(node, {"vm1": RUNNING, "vm2": RUNNING})
    lv = Libvirtd(tmp)
    lv.start()
    uri = lv.uri(path=node)
    states = lv.virsh(uri, "list", "--all")
    if "vm1" not in states or "running" not in states:
        fail("the test driver did not take the node file: %s" % states)
    sm, pump = supervised_privmemd(tmp, privmemd, config(uri))
    c = None
    try:
        pump.restart(stop=False)
        c = Client(sm.socket_path)
        l1 = acquire_for(c, "vm1")["id"]
        l2 = acquire_for(c, "vm2")["id"]
        with open(os.path.join(tmp, "runtime", "leases", l1 + ".json")) as f:
            rec = json.load(f)
        o = rec.get("owner", {})
        if o.get("kind") != "domain" or o.get("domain") != DOMAINS["vm1"] or not o.get("domainId"):
            fail("lease file of a domain-owned lease: %s" % rec)
        c.close()

        pump.restart()
        c = Client(sm.socket_path)
        for lid, name in ((l1, "vm1"), (l2, "vm2")):
            expect_active(c, lid, "privmemd restarted while %s runs" % name)
            o = lease(c, lid)["owner"]
            if o.get("kind") != "domain" or o.get("domain") != DOMAINS[name] or o.get("domainName") != name:
                fail("owner after a privmemd restart: %s" % o)
        print("ok: privmemd restarted, leases still owned by their running domains", flush=True)
        c.close()

        pump.stop_daemon()
        write_node(node, {"vm1": RUNNING, "vm2": SHUTOFF})
        pump.restart(stop=False)
        c = Client(sm.socket_path)
        wait_ended(c, l2, "vm2 shut off while privmemd was down", timeout=10)
        expect_active(c, l1, "vm1 still runs")
        print("ok: privmemd restarted, the lease of a domain shut off meanwhile ended", flush=True)

        lv.stop()
        time.sleep(1)
        lv.start()
        time.sleep(3)  # privmemd's reconnection backoff starts at 0.5 s
        expect_active(c, l1, "libvirtd restarted while vm1 runs")
        print("ok: libvirtd restarted while the domain runs, its lease stayed", flush=True)

        lv.stop()
        write_node(node, {"vm1": SHUTOFF, "vm2": SHUTOFF})
        time.sleep(1)
        expect_active(c, l1, "libvirtd down")
        lv.start()
        wait_ended(c, l1, "vm1 shut off while libvirtd was down")
        print("ok: vm1 stopped while libvirtd was down: its lease ended at reconnect", flush=True)

        restarted_unseen(lv, uri, node, c)
        c.close()
    finally:
        pump.close()
        lv.stop()



if __name__ == "__main__":
    sandbox_main(run)
