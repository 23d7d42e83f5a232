#!/usr/bin/env python3
"""A real QEMU (TCG) domain of a private libvirtd's qemu driver on privmemd memory, through the
emulator wrapper of examples/libvirt/privmemd-qemu: the wrapper acquires a lease owned by the
domain, QEMU maps the lease's memfd; the lease stays while the domain runs and across a libvirtd
restart (QEMU keeps running, libvirtd reconnects to it), and ends after `virsh destroy`, once
QEMU has exited. The example hook (examples/libvirt/qemu) runs at prepare and release, and
refuses to start the domain while privmemd does not answer.
Usage: libvirt-qemu.py PRIVMEMD WRAPPER HOOK"""
import os
import shutil
import signal
import sys
import tempfile
import time

from libvirt_common import Client, Pump, ServiceManager, config, expect_active, fail, wait_ended
from libvirt_sandbox import Libvirtd, require, skip

UUID = "3c7e1a2b-9d84-4f6e-b1a0-5e2f7c9d8b31"
MiB = 1 << 20


def domain_xml(emulator):
    return """<domain type='qemu'>
  <name>pm-tcg</name><uuid>%s</uuid>
  <memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><emulator>%s</emulator>
    <controller type='usb' model='none'/><memballoon model='none'/></devices>
</domain>
""" % (UUID, emulator)


def qemu_pids():
    """The processes started with -uuid UUID: this test's QEMU."""
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    args = f.read().split(b"\0")
            except OSError:
                continue
            if b"-uuid" in args and args.index(b"-uuid") + 1 < len(args) and \
                    args[args.index(b"-uuid") + 1].decode(errors="replace") == UUID:
                pids.append(int(p))
    return pids


def domain_lease(c):
    leases = c.call("io.privmemd.ListLeases", {})[0]["leases"]
    mine = [l for l in leases if l["owner"].get("domain") == UUID and l["state"] == "active"]
    return mine[0] if len(mine) == 1 else None


def install_hook(lv, hook_src, sock, log):
    hooks = os.path.join(lv.dir, "etc", "hooks")
    os.makedirs(hooks, exist_ok=True)
    shutil.copy(hook_src, os.path.join(hooks, "qemu"))
    with open(os.path.join(hooks, "qemu.conf"), "w") as f:
        f.write("socket = %s\nlog = %s\n" % (sock, log))


def hook_log(log):
    try:
        with open(log) as f:
            return f.read()
    except FileNotFoundError:
        return ""


def run(tmp, privmemd, wrapper_src, hook_src):
    lv = Libvirtd(tmp)
    hlog = os.path.join(tmp, "hook.log")
    install_hook(lv, hook_src, os.path.join(tmp, "io.privmemd"), hlog)
    lv.start()
    uri = lv.uri("qemu", "/system")
    cfg = os.path.join(tmp, "privmemd.conf")
    with open(cfg, "w") as f:
        f.write(config(uri).replace("sizes = 4M:1", "sizes = 64M:1"))
    sm = ServiceManager([privmemd, "--config", cfg, "--log-level=debug"], tmp)
    pump = Pump(sm)
    wrapper = os.path.join(tmp, "privmemd-qemu")
    shutil.copy(wrapper_src, wrapper)
    with open(wrapper + ".conf", "w") as f:
        f.write("qemu = %s\nsocket = %s\npool = a\nowner = domain\nrequired = yes\n"
                % (shutil.which("qemu-system-x86_64"), sm.socket_path))
    xml = os.path.join(tmp, "pm-tcg.xml")
    with open(xml, "w") as f:
        f.write(domain_xml(wrapper))
    try:
        lv.virsh(uri, "define", xml)
        if lv.virsh(uri, "start", "pm-tcg", check=False) or qemu_pids():
            fail("the domain started while privmemd was not running")
        if "does not answer" not in hook_log(hlog):
            fail("the hook did not refuse the start: %r" % hook_log(hlog))
        print("ok: the hook refused to start the domain without privmemd", flush=True)
        pump.restart(stop=False)
        c = Client(sm.socket_path)
        lv.virsh(uri, "start", "pm-tcg")
        lease = domain_lease(c)
        pids = qemu_pids()
        if not lease or len(pids) != 1:
            fail("after virsh start: lease %s, QEMU pids %s" % (lease, pids))
        with open("/proc/%d/maps" % pids[0]) as f:
            if ("privmemd:a:" + lease["id"]) not in f.read():
                fail("QEMU %d does not map the lease's memfd" % pids[0])
        print("ok: QEMU %d runs on lease %s, owned by domain %s" % (pids[0], lease["id"], UUID), flush=True)

        time.sleep(1)
        expect_active(c, lease["id"], "the domain runs")
        lv.stop()
        time.sleep(1)
        expect_active(c, lease["id"], "libvirtd stopped, QEMU runs on")
        lv.start()
        time.sleep(3)
        if "running" not in lv.virsh(uri, "domstate", "pm-tcg"):
            fail("libvirtd did not find its running QEMU again")
        expect_active(c, lease["id"], "libvirtd restarted while the domain runs")
        print("ok: libvirtd restarted while QEMU ran: the lease stayed", flush=True)

        lv.virsh(uri, "destroy", "pm-tcg")
        wait_ended(c, lease["id"], "virsh destroy", timeout=20)
        if any(os.path.exists("/proc/%d" % p) and open("/proc/%d/stat" % p).read().split()[2] != "Z" for p in pids):
            fail("the lease ended while QEMU %s still ran" % pids)
        print("ok: virsh destroy: the lease ended, after QEMU had exited", flush=True)
        if "prepare: privmemd" not in hook_log(hlog) or "release:" not in hook_log(hlog):
            fail("the hook did not run at prepare and release: %r" % hook_log(hlog))
        lv.virsh(uri, "undefine", "pm-tcg")
        c.close()
    finally:
        for p in qemu_pids():  # only ours: started by this test's libvirtd with this test's UUID
            os.kill(p, signal.SIGKILL)
        pump.close()
        lv.stop()


def main():
    if len(sys.argv) != 4:
        fail("usage: libvirt-qemu.py PRIVMEMD WRAPPER HOOK")
    require()
    if not shutil.which("qemu-system-x86_64"):
        skip("qemu-system-x86 is not installed")
    with tempfile.TemporaryDirectory(prefix="privmemd-libvirt.") as tmp:
        os.chmod(tmp, 0o755)
        run(tmp, sys.argv[1], sys.argv[2], sys.argv[3])
    print("PASS")


if __name__ == "__main__":
    main()
