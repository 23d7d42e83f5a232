#!/usr/bin/env python3
"""A lease owned by a libvirt domain, as privmemd describes it, through libprivmem and privmemctl:
the tables and watch name the domain, lease ID shows its UUID, and --json prints the reply as it
came (key order, numbers as written, fields privmemctl itself does not know); status shows the
libvirt link, connected or not, and from an older privmemd nothing of it. privmemd is played by a
stand-in varlink server on a temporary socket, so that no libvirt is needed."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ctltest import PRIVMEMCTL, expect, expect_eq, main  # noqa: E402

UUID = "6f1ee0a4-5c5a-4d4e-9d4e-1f2a3b4c5d6e"
# As privmemd writes it; 1.50 and the unknown field "later" show that nothing is re-serialised.
LEASE = ('{"id": "0123456789abcdef", "pool": "vm", "size": 2097152, "state": "active", '
         '"owner": {"kind": "domain", "pid": 4242, "command": "qemu-system-x86", '
         '"domain": "%s", "domainName": "guest-1"}, "uid": 0, "age": 1.50, "later": [1, 2]}' % UUID)
EVENT = ('{"event": {"kind": "leaseAcquired", "timestamp": 1700000000000000, "lease": %s, "pool": "vm", '
         '"size": 2097152}}' % LEASE)
STATUS = ('{"parameters": {"status": {"version": "0.3", "uptime": 100.5, "connections": 1, "pools": 1, "leases": 1%s}}}')
LINK_DOWN = (', "libvirt": {"state": "unavailable", "uri": "qemu:///system", "since": 75.2, '
             '"lastError": "cannot connect: no answer within 5 s"}')
LINK_UP = ', "libvirt": {"state": "connected", "uri": "qemu:///system", "since": 3.0}'
REPLIES = {
    "io.privmemd.ListLeases": ['{"parameters": {"leases": [%s]}}' % LEASE],
    "io.privmemd.GetLease": ['{"parameters": {"lease": %s}}' % LEASE],
    "io.privmemd.Watch": ['{"parameters": {"event": {"kind": "watching", "timestamp": 1700000000000000}}, '
                          '"continues": true}',
                          '{"parameters": %s, "continues": true}' % EVENT],
}


def run_ctl(args):
    r = subprocess.run([PRIVMEMCTL] + args, capture_output=True, text=True, timeout=20)
    expect_eq(r.returncode, 0, "exit status of privmemctl %s (stderr: %s)" % (" ".join(args), r.stderr))
    return r


def serve(conn):
    with conn:
        buf = b""
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                method = json.loads(msg)["method"]
                replies = REPLIES.get(method, ['{"error": "org.varlink.service.MethodNotFound", '
                                               '"parameters": {"method": "%s"}}' % method])
                for reply in replies:
                    conn.sendall(reply.encode() + b"\0")


def listen(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(8)

    def loop():
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()
    threading.Thread(target=loop, daemon=True).start()
    return s


def test():
    tmp = tempfile.mkdtemp(prefix="privmem-ctl-domain-")
    path = os.path.join(tmp, "io.privmemd")
    server = listen(path)
    try:
        ctl = lambda *args: run_ctl(["--socket=" + path] + list(args))  # noqa: E731

        out = ctl("leases").stdout
        row = [line for line in out.splitlines() if line.startswith("0123456789abcdef")]
        expect(len(row) == 1 and "domain guest-1" in row[0], "the leases table names the domain:\n" + out)

        out = ctl("lease", "0123456789abcdef").stdout
        for want in ("Owner: domain guest-1", "Domain: %s" % UUID, "Process: 4242 (qemu-system-x86)"):
            expect(want in out, "lease ID shows %r:\n%s" % (want, out))

        for args, key in ((["leases", "--json"], "leases"), (["lease", "0123456789abcdef", "--json"], "lease")):
            out = ctl(*args).stdout
            sent = json.loads(REPLIES["io.privmemd." + ("ListLeases" if key == "leases" else "GetLease")][0])
            expect_eq(json.loads(out), sent["parameters"], " ".join(args))
            expect('"age": 1.50' in out, "%s prints the number as privmemd wrote it:\n%s" % (" ".join(args), out))
            keys = ['"%s":' % k for k in ("id", "pool", "size", "state", "owner", "uid", "age", "later")]
            expect_eq(sorted(keys, key=out.index), keys, "%s keeps privmemd's key order" % " ".join(args))

        for link, wants, unwanted in ((LINK_DOWN, ["Libvirt: unavailable for 1min 15s (qemu:///system)",
                                                   "last error: cannot connect: no answer within 5 s"], None),
                                      (LINK_UP, ["Libvirt: connected for 3s (qemu:///system)"], "last error"),
                                      ("", ["Leases: 1"], "Libvirt")):
            REPLIES["io.privmemd.GetStatus"] = [STATUS % link]
            out = ctl("status").stdout
            for want in wants:
                expect(want in out, "status shows %r:\n%s" % (want, out))
            expect(unwanted is None or unwanted not in out, "status does not show %r:\n%s" % (unwanted, out))

        lines = ctl("watch", "--count=1").stdout.splitlines()
        expect(len(lines) == 2 and "leaseAcquired" in lines[1] and "owner=domain guest-1" in lines[1],
               "watch names the domain:\n%s" % "\n".join(lines))
        lines = ctl("watch", "--count=1", "--json").stdout.splitlines()
        expect_eq(len(lines), 2, "watch --count=1 --json: watching, then one event")
        expect_eq(json.loads(lines[1]), json.loads(EVENT), "watch --json prints the event's reply")
        expect('"age":1.50' in lines[1].replace(" ", ""), "watch --json keeps 1.50:\n" + lines[1])
    finally:
        server.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(test, timeout=30, root=False)
