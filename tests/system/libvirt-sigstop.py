#!/usr/bin/env python3
"""A SIGSTOPped libvirtd does not slow privmemd down, against a private libvirtd (test driver):
  - 16 clients run process-owned Acquire/Release and GetStatus for 10 s with libvirtd running,
    then for 10 s with libvirtd SIGSTOPped: every call answers, in both runs. The latencies of
    both runs are printed (p50, p99, max and the p99 ratio); only a generous bound is asserted.
  - during the stop, Acquire with ownerDomain answers LibvirtUnavailable within [libvirt] timeout=,
    and a lease whose owner process exits ends;
    a domain destroyed during the stop (virsh destroy, which libvirtd carries out once it runs
    again) has its lease ended after SIGCONT, and a running domain keeps its lease;
  - privmemd stops and restarts while libvirtd is SIGSTOPped: the stop is within its stop timeout,
    the fd store keeps every lease, domain leases included, and after SIGCONT the reconcile keeps
    the running domain's lease;
  - libvirtd SIGSTOPped past keepalive (5 s x 3), with a lookup pending: privmemd declares the
    connection dead (ownerDomain then says "not connected"), reconnects after SIGCONT and
    reconciles: a domain gone meanwhile loses its lease, the running one keeps its.
Usage: libvirt-sigstop.py PRIVMEMD"""
import json
import os
import signal
import socket
import subprocess
import time

from libvirt_common import (Client, VarlinkError, acquire_for, expect_active, fail, lease,
                            supervised_privmemd, wait_ended, MiB)
from libvirt_sandbox import Libvirtd, main as sandbox_main

CLIENTS = 16
SECONDS = 10
TIMEOUT = 2             # [libvirt] timeout=
STOP_TIMEOUT = 30       # privmemd.service's TimeoutStopSec=
BOUND = 20              # every call must answer within this: generous, not a timing test
D2_UUID = "5b1f3c8e-0d2a-4b7e-9c61-2f4d8a7b9e10"
DOMAIN_XML = """<domain type='test'><name>%s</name><uuid>%s</uuid><memory>65536</memory>
<os><type>hvm</type></os></domain>"""
D3_UUID = "5b1f3c8e-0d2a-4b7e-9c61-2f4d8a7b9e11"
KEEPALIVE_DEAD = 60     # privmemd declares a silent libvirtd dead after ~20 s; this is the bound


def config(uri):
    return """[pool a]
sizes = 4M:16
limit = 256M
users = *

[libvirt]
uri = %s
timeout = %d
""" % (uri, TIMEOUT)


def client_loop(path, seconds):
    """One client: Acquire (owned by this process), Release, GetStatus, again and again. Returns
    the latency of every call, and how many got no answer within BOUND."""
    c = Client(path)
    c.sock.settimeout(BOUND)
    lat, lost = [], 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            t0 = time.monotonic()
            params, fds = c.call("io.privmemd.Acquire", {"pool": "a", "size": 4 * MiB})
            t1 = time.monotonic()
            for fd in fds:
                os.close(fd)
            c.call("io.privmemd.Release", {"id": params["lease"]["id"]})
            t2 = time.monotonic()
            c.call("io.privmemd.GetStatus")
            t3 = time.monotonic()
            lat += [t1 - t0, t2 - t1, t3 - t2]
        except socket.timeout:
            lost += 1
            c.close()
            c = Client(path)
            c.sock.settimeout(BOUND)
    c.close()
    return lat, lost


def run_clients(path, seconds):
    """CLIENTS processes at once; all their latencies, and the calls that got no answer."""
    children = []
    for _ in range(CLIENTS):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                lat, lost = client_loop(path, seconds)
                with os.fdopen(w, "w") as f:
                    json.dump({"lat": lat, "lost": lost}, f)
            finally:
                os._exit(0)
        os.close(w)
        children.append((pid, r))
    lat, lost = [], 0
    for pid, r in children:
        with os.fdopen(r) as f:
            text = f.read()
        os.waitpid(pid, 0)
        if not text:
            fail("a client died")
        d = json.loads(text)
        lat += d["lat"]
        lost += d["lost"]
    return sorted(lat), lost


def summary(name, lat, lost):
    if not lat:
        fail("%s: no call answered" % name)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000  # noqa: E731
    print("%s: %d calls, p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d unanswered" % (name, len(lat), p(0.5), p(0.99),
                                                                                   lat[-1] * 1000, lost), flush=True)
    if lost:
        fail("%s: %d calls got no answer within %d s" % (name, lost, BOUND))
    return p(0.99)


def define_start(lv, uri, tmp, name, uuid):
    xml = os.path.join(tmp, name + ".xml")
    with open(xml, "w") as f:
        f.write(DOMAIN_XML % (name, uuid))
    lv.virsh(uri, "define", xml)
    lv.virsh(uri, "start", name)


def unavailable_reason(c, domain):
    """The reason of the LibvirtUnavailable an ownerDomain Acquire gets now."""
    try:
        _, fds = c.call("io.privmemd.Acquire", {"pool": "a", "size": 4 * MiB, "ownerDomain": domain})
        for fd in fds:
            os.close(fd)
    except VarlinkError as e:
        if e.error != "io.privmemd.LibvirtUnavailable":
            fail("ownerDomain with libvirtd SIGSTOPped: %s" % e)
        return e.parameters.get("reason", "")
    fail("ownerDomain acquired with libvirtd SIGSTOPped")


def silent_past_keepalive(lv, uri, c, tmp, running):
    """libvirtd SIGSTOPped for longer than keepalive allows. privmemd's connection is test:///default's
    last one, so when keepalive closes it the test driver drops its state (domain "test" comes
    back as new, d3 is gone): at the reconnect, d3's lease ends at reconcile, test's stays."""
    define_start(lv, uri, tmp, "d3", D3_UUID)
    time.sleep(0.5)
    l_d3 = acquire_for(c, "d3")["id"]
    os.kill(lv.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        while "not connected" not in unavailable_reason(c, "test"):
            if time.monotonic() - t0 > KEEPALIVE_DEAD:
                fail("privmemd did not declare a libvirtd silent for %d s dead" % KEEPALIVE_DEAD)
            time.sleep(0.5)
        print("privmemd declared the silent libvirtd dead after %.1f s" % (time.monotonic() - t0), flush=True)
        c.call("io.privmemd.GetStatus")
    finally:
        os.kill(lv.proc.pid, signal.SIGCONT)
    wait_ended(c, l_d3, "d3 gone while privmemd's connection was dead", timeout=30)
    expect_active(c, running, "domain test runs on")
    acquire_for(c, "test", size=4 * MiB)
    print("ok: keepalive declared the SIGSTOPped libvirtd dead; after SIGCONT privmemd reconnected and reconciled",
          flush=True)


def owner_exits(path, c):
    """A process acquires a lease and exits: the lease ends (the owner's invalidation waits for
    nothing of libvirt's). Returns how long that took."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            cc = Client(path)
            params, _ = cc.call("io.privmemd.Acquire", {"pool": "a", "size": 4 * MiB})
            os.write(w, params["lease"]["id"].encode())
        finally:
            os._exit(0)
    os.close(w)
    lid = os.read(r, 64).decode()
    os.close(r)
    t0 = time.monotonic()
    os.waitpid(pid, 0)
    wait_ended(c, lid, "owner exited while libvirtd is SIGSTOPped", timeout=BOUND)
    return time.monotonic() - t0


def expect_unavailable(c, domain, what):
    t0 = time.monotonic()
    try:
        _, fds = c.call("io.privmemd.Acquire", {"pool": "a", "size": 4 * MiB, "ownerDomain": domain})
        for fd in fds:
            os.close(fd)
        fail("%s: ownerDomain acquired" % what)
    except VarlinkError as e:
        if e.error != "io.privmemd.LibvirtUnavailable":
            fail("%s: %s, expected LibvirtUnavailable" % (what, e))
    took = time.monotonic() - t0
    print("%s: LibvirtUnavailable in %.3f s" % (what, took), flush=True)


def stop_restart(lv, sm, pump, leases):
    """privmemd stopped and started while libvirtd is SIGSTOPped."""
    os.kill(lv.proc.pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        with pump.lock:
            status = sm.stop(timeout=STOP_TIMEOUT + 5)
        took = time.monotonic() - t0
        print("privmemd stopped in %.2f s with libvirtd SIGSTOPped, wait status %s" % (took, status), flush=True)
        if status is None or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0 or took > STOP_TIMEOUT:
            fail("privmemd did not stop cleanly within %d s: wait status %s after %.1f s" % (STOP_TIMEOUT, status, took))
        for lid in leases:
            if sm.lease_name(lid) is None:
                fail("lease %s is not in the fd store: %s" % (lid, sm.stored_names()))
        pump.restart(stop=False)
        c = Client(sm.socket_path)
        c.sock.settimeout(BOUND)
        for lid in leases:
            expect_active(c, lid, "privmemd restarted while libvirtd is SIGSTOPped")
        c.call("io.privmemd.GetStatus")
        print("ok: privmemd stopped and restarted while libvirtd was SIGSTOPped; every lease is back", flush=True)
    finally:
        os.kill(lv.proc.pid, signal.SIGCONT)
    return c


def run(tmp, privmemd):
    lv = Libvirtd(tmp)
    lv.start()
    uri = lv.uri()
    sm, pump = supervised_privmemd(tmp, privmemd, config(uri))
    destroy = None
    try:
        pump.restart(stop=False)
        c = Client(sm.socket_path)
        c.sock.settimeout(BOUND)
        define_start(lv, uri, tmp, "d2", D2_UUID)
        time.sleep(0.5)
        l_test = acquire_for(c, "test")["id"]
        l_d2 = acquire_for(c, "d2")["id"]

        base = summary("libvirtd running", *run_clients(sm.socket_path, SECONDS))

        os.kill(lv.proc.pid, signal.SIGSTOP)
        try:
            destroy = subprocess.Popen(["virsh", "-q", "-k", "0", "-c", uri, "destroy", "d2"], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
            expect_unavailable(c, "test", "ownerDomain with libvirtd SIGSTOPped")
            stopped = summary("libvirtd SIGSTOPped", *run_clients(sm.socket_path, SECONDS))
            print("an owner's exit ended its lease in %.3f s, libvirtd SIGSTOPped" % owner_exits(sm.socket_path, c),
                  flush=True)
            expect_unavailable(c, "test", "ownerDomain after 10 s of SIGSTOP")
        finally:
            os.kill(lv.proc.pid, signal.SIGCONT)
        print("p99 ratio (SIGSTOPped / running): %.2f" % (stopped / base), flush=True)
        print("ok: every call answered while libvirtd was SIGSTOPped", flush=True)

        if destroy.wait(60) != 0:
            fail("virsh destroy d2 failed")
        wait_ended(c, l_d2, "d2 destroyed while libvirtd was SIGSTOPped", timeout=30)
        expect_active(c, l_test, "domain test still runs")
        print("ok: the domain destroyed during the stop lost its lease after SIGCONT; the running one kept its",
              flush=True)

        end = time.monotonic() + 20
        while time.monotonic() < end:  # the lookup that timed out is answered; then ownerDomain works again
            try:
                l_test2 = acquire_for(c, "test")["id"]
                break
            except VarlinkError:
                time.sleep(0.2)
        else:
            fail("ownerDomain still refused 20 s after SIGCONT")
        c.close()

        c = stop_restart(lv, sm, pump, [l_test, l_test2])
        time.sleep(TIMEOUT + 3)  # reconnect and reconcile after SIGCONT
        for lid in (l_test, l_test2):
            expect_active(c, lid, "after SIGCONT and the reconcile")
            if lease(c, lid)["owner"].get("domainName") != "test":
                fail("owner after the restart: %s" % lease(c, lid)["owner"])
        print("ok: after SIGCONT the reconcile kept the running domain's leases", flush=True)

        silent_past_keepalive(lv, uri, c, tmp, l_test)
        c.close()
    finally:
        if destroy and destroy.poll() is None:
            destroy.kill()
            destroy.wait()
        pump.close()
        lv.stop()



if __name__ == "__main__":
    sandbox_main(run)
