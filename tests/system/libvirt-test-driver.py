#!/usr/bin/env python3
"""Leases owned by libvirt domains, against a real (private) libvirtd and its test driver
(test+unix:///default): a running domain's lease stays; `virsh destroy` from another process
ends it; libvirtd going away ends nothing and ownerDomain answers LibvirtUnavailable meanwhile;
after libvirtd comes back, privmemd reconnects and ends the lease of a domain that no longer
exists (the test driver's state lives in libvirtd's memory) while keeping the running one's.
GetStatus shows the link connected, then unavailable with the reconnects' error.
Also: NoSuchDomain, PermissionDenied for others than root and the admin group, bad combinations.
Usage: libvirt-test-driver.py PRIVMEMD"""
import os
import time

from libvirt_common import (Client, VarlinkError, acquire_for, config, expect_active,
                            expect_error, fail, lease, supervised_privmemd, wait_ended, MiB)
from libvirt_sandbox import Libvirtd, main as sandbox_main

TEST_UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f"   # the test driver's built-in domain "test"
D2_UUID = "5b1f3c8e-0d2a-4b7e-9c61-2f4d8a7b9e10"
D2_XML = """<domain type='test'><name>d2</name><uuid>%s</uuid><memory>65536</memory>
<os><type>hvm</type></os></domain>""" % D2_UUID


def as_nobody(path):
    """What Acquire with ownerDomain answers to uid 65534."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            c = Client(path)
            try:
                c.call("io.privmemd.Acquire", {"pool": "a", "size": 4 * MiB, "ownerDomain": "test"})
                os.write(w, b"acquired")
            except VarlinkError as e:
                os.write(w, e.error.encode())
        finally:
            os._exit(0)
    os.close(w)
    answer = os.read(r, 200).decode()
    os.waitpid(pid, 0)
    return answer


def expect_link(c, state, uri, error, what):
    """GetStatus's libvirt link is in state, at uri, its lastError saying error."""
    got = c.call("io.privmemd.GetStatus")[0]["status"]["libvirt"]
    if got.get("state") != state or got.get("uri") != uri or (error and error not in got.get("lastError", "")):
        fail("%s: GetStatus says libvirt is %s, expected %s at %s%s" % (what, got, state, uri,
                                                                        ", lastError saying %r" % error if error else ""))


def run(tmp, privmemd):
    lv = Libvirtd(tmp)
    lv.start()
    uri = lv.uri()
    sm, pump = supervised_privmemd(tmp, privmemd, config(uri))
    try:
        pump.restart(stop=False)
        os.chmod(tmp, 0o755)
        os.chmod(sm.socket_path, 0o666)
        c = Client(sm.socket_path)

        l1 = acquire_for(c, "test")
        owner = l1["owner"]
        if owner.get("kind") != "domain" or owner.get("domain") != TEST_UUID or owner.get("domainName") != "test":
            fail("owner of a lease acquired for domain 'test': %s" % owner)
        expect_error(c, {"pool": "a", "size": 4 * MiB, "ownerDomain": "nope"}, "io.privmemd.NoSuchDomain", "unknown name")
        expect_error(c, {"pool": "a", "size": 4 * MiB, "ownerDomain": "00000000-0000-0000-0000-000000000001"},
                     "io.privmemd.NoSuchDomain", "unknown UUID")
        expect_error(c, {"pool": "a", "size": 4 * MiB, "ownerDomain": "test", "bindToConnection": True},
                     "org.varlink.service.InvalidParameter", "ownerDomain with bindToConnection")
        answer = as_nobody(sm.socket_path)
        if answer != "org.varlink.service.PermissionDenied":
            fail("uid 65534 asking for a domain owner got %s" % answer)

        xml = os.path.join(tmp, "d2.xml")
        with open(xml, "w") as f:
            f.write(D2_XML)
        lv.virsh(uri, "define", xml)
        lv.virsh(uri, "start", "d2")
        l2 = acquire_for(c, D2_UUID)
        if lease(c, l2["id"])["owner"].get("domainName") != "d2":
            fail("a lease acquired by UUID should name its domain: %s" % lease(c, l2["id"])["owner"])

        time.sleep(1.5)
        expect_active(c, l1["id"], "domain test running")
        expect_active(c, l2["id"], "domain d2 running")
        c.close()  # the hook that acquired may go away: the domain owns the leases
        c = Client(sm.socket_path)
        expect_active(c, l1["id"], "after the acquiring connection closed")
        print("ok: leases of running domains stay", flush=True)
        expect_link(c, "connected", uri, None, "libvirtd running")

        lv.stop()
        time.sleep(2)
        expect_active(c, l1["id"], "libvirtd stopped")
        expect_active(c, l2["id"], "libvirtd stopped")
        expect_error(c, {"pool": "a", "size": 4 * MiB, "ownerDomain": "test"}, "io.privmemd.LibvirtUnavailable",
                     "ownerDomain while libvirtd is down")
        expect_link(c, "unavailable", uri, "cannot connect: ", "libvirtd stopped")  # the retries' error
        print("ok: libvirtd going away ends nothing", flush=True)

        lv.start()
        wait_ended(c, l2["id"], "d2 does not exist in the new libvirtd")
        expect_active(c, l1["id"], "domain test runs in the new libvirtd")
        print("ok: after reconnecting, a vanished domain's lease ended and a running one's stayed", flush=True)

        l3 = acquire_for(c, "test")
        lv.virsh(uri, "destroy", "test")
        wait_ended(c, l1["id"], "virsh destroy test", timeout=10)
        wait_ended(c, l3["id"], "virsh destroy test", timeout=10)
        print("ok: virsh destroy from another process ended the domain's leases", flush=True)
        c.close()
    finally:
        pump.close()
        lv.stop()
        if os.environ.get("PRIVMEMD_TEST_VERBOSE"):
            print(lv.tail_log())



if __name__ == "__main__":
    sandbox_main(run)
