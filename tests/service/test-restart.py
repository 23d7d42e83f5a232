#!/usr/bin/env python3
"""privmemd restarts (SIGTERM, SIGKILL, a hung daemon killed as a watchdog would) under a stand-in
service manager lose no lease and no byte: every lease is listed again, its memory intact, the pools
back at target, a later owner exit still invalidates, and an owner that died while privmemd was down
is invalidated at start. Usage: test-restart.py PRIVMEMD"""
import json
import mmap
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_manager import ServiceManager  # noqa: E402
from varlink_client import Client  # noqa: E402

MiB = 1 << 20
CONFIG = """[pool a]
sizes = 16M:2
limit = 256M
users = *
"""


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


class Owner:
    """A child process that acquires a lease, writes a pattern into it and waits for orders."""

    def __init__(self, socket_path, size, pattern):
        self.cmd_r, self.cmd_w = os.pipe()
        self.ans_r, self.ans_w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            code = 1
            try:
                code = self._run(socket_path, size, pattern)
            finally:
                os._exit(code)
        os.close(self.cmd_r)
        os.close(self.ans_w)
        self.lease = os.read(self.ans_r, 64).decode()
        if not self.lease:
            fail("an owner could not acquire")

    def _run(self, socket_path, size, pattern):
        c = Client(socket_path)
        params, fds = c.call("io.privmemd.Acquire", {"pool": "a", "size": size})
        c.close()  # a VMM may hang up and keep running: the lease is its process's
        m = mmap.mmap(fds[0], size, mmap.MAP_SHARED)
        m[0:len(pattern)] = pattern
        m[size - len(pattern):size] = pattern
        os.write(self.ans_w, params["lease"]["id"].encode())
        while True:
            cmd = os.read(self.cmd_r, 1)
            if cmd != b"c":
                return 0
            ok = m[0:len(pattern)] == pattern and m[size - len(pattern):size] == pattern
            os.write(self.ans_w, b"y" if ok else b"n")

    def memory_intact(self):
        os.write(self.cmd_w, b"c")
        return os.read(self.ans_r, 1) == b"y"

    def exit(self):
        os.write(self.cmd_w, b"x")
        os.waitpid(self.pid, 0)
        self.pid = None


def leases(sm):
    c = Client(sm.socket_path)
    params, _ = c.call("io.privmemd.ListLeases")
    c.close()
    return {l["id"]: l for l in params["leases"]}


def pool_ready(sm):
    c = Client(sm.socket_path)
    params, _ = c.call("io.privmemd.ListPools")
    c.close()
    return params["pools"][0]["classes"][0]["ready"]


def wait_for(what, predicate, timeout=20):
    end = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > end:
            fail("timed out waiting for " + what)
        time.sleep(0.05)


def blocks(fd):
    return os.fstat(fd).st_blocks


def check_after_restart(sm, owners, how):
    got = leases(sm)
    for o in owners:
        if got.get(o.lease, {}).get("state") != "active":
            fail("after %s, lease %s is %s" % (how, o.lease, got.get(o.lease)))
        if not o.memory_intact():
            fail("after %s, the memory of lease %s changed" % (how, o.lease))
    wait_for("pool a back at target after " + how, lambda: pool_ready(sm) == 2 or sm.poll(0) or False)
    print("ok: %s kept %d lease(s) and their memory; store holds %d names" % (how, len(owners), len(sm.stored_names())))


def main():
    privmemd = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="privmemd-restart.") as tmp:
        conf = os.path.join(tmp, "privmemd.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        sm = ServiceManager([privmemd, "--config=" + conf], tmp)
        owners = []
        try:
            sm.start()
            wait_for("two ready memfds in the store",
                     lambda: sm.poll(0.05) or len(sm.names_of_kind("r")) == 2)
            owners = [Owner(sm.socket_path, 16 * MiB, b"first"), Owner(sm.socket_path, 32 * MiB, b"second")]

            for how, sig in (("SIGTERM", signal.SIGTERM), ("SIGKILL", signal.SIGKILL), ("a hung daemon killed", None)):
                if sig is None:
                    os.kill(sm.pid, signal.SIGSTOP)
                    time.sleep(0.2)
                    sig = signal.SIGKILL
                sm.stop(sig)
                sm.start()
                check_after_restart(sm, owners, how)

            # One short name per lease and per owner process (fdstore.h: LISTEN_FDNAMES must stay short).
            if len(sm.names_of_kind("l")) != 2 or len(sm.names_of_kind("o")) != 2:
                fail("the store holds %s for 2 leases of 2 processes" % sm.stored_names())

            # An upgrade: the store as earlier versions named it (lease.ID, owner.ID, ready.POOL.ID) is
            # recovered, and stored again under short names.
            sm.stop(signal.SIGTERM)
            for name in list(sm.stored_names()):
                fd = sm.store[name][0]
                target = os.readlink("/proc/self/fd/%d" % fd)
                if target.startswith("/memfd:privmemd:"):
                    pool, mid = target.split(" ")[0].split(":")[2:4]
                    old = "lease." + mid if mid in [o.lease for o in owners] else "ready.%s.%s" % (pool, mid)
                elif name[0] == "o":
                    pid = [o for o in owners if sm.owner_name(o.pid) == name][0]
                    old = "owner." + pid.lease
                else:
                    continue
                sm.store[old] = sm.store.pop(name)
            sm.start()
            check_after_restart(sm, owners, "an upgrade from the long fd names")
            if any("." in n for n in sm.stored_names()) or len(sm.names_of_kind("o")) != 2:
                fail("after an upgrade the store holds %s" % sm.stored_names())

            # A lent memfd still stored as ready (the change that took it out was lost): its lease file
            # makes it the lease again, never a ready memfd of the pool.
            sm.stop(signal.SIGTERM)
            name = sm.lease_name(owners[0].lease)
            sm.store["rzzz"] = sm.store.pop(name)
            sm.start()
            check_after_restart(sm, owners, "a lent memfd stored under a ready name")
            if not sm.lease_name(owners[0].lease).startswith("l") or pool_ready(sm) != 2:
                fail("a lent memfd stored as ready came back as %s, %d ready" % (sm.lease_name(owners[0].lease),
                                                                                 pool_ready(sm)))

            # An owner that exits while privmemd is down is invalidated at the next start.
            doomed = owners.pop()
            sm.stop(signal.SIGTERM)
            name = sm.lease_name(doomed.lease)
            spy = os.dup(sm.store[name][0])
            doomed.exit()
            sm.start()
            wait_for("the lease of an owner gone while privmemd was down to end",
                     lambda: doomed.lease not in leases(sm))
            if blocks(spy) != 0:
                fail("the memory of a lease whose owner died while privmemd was down was not returned")
            os.close(spy)
            print("ok: an owner gone while privmemd was down is invalidated at start")

            # Lease files use the wire's names (Lease, its Owner); a file in the flat format of
            # earlier versions is still read, so an upgrade keeps every lease.
            kept = owners[0]
            sm.stop(signal.SIGTERM)
            path = os.path.join(tmp, "runtime", "leases", kept.lease + ".json")
            with open(path) as f:
                record = json.load(f)
            want = {"format", "id", "pool", "size", "state", "owner", "uid", "acquiredUsec"}
            if set(record) != want or record["format"] != 1 or record["owner"]["kind"] != "process" or \
                    record["owner"]["pid"] != kept.pid:
                fail("lease file %s, want the keys %s (format 1) and the wire's Owner" % (record, sorted(want)))
            del record["format"]  # the flat files had none
            owner = record.pop("owner")
            record.update({"ownerKind": owner["kind"], "ownerPid": owner["pid"], "ownerCommand": owner["command"],
                           "ownerStartTime": owner["startTime"],
                           "tag": "flat"})  # only the file knows it: proves the file was read
            with open(path, "w") as f:
                json.dump(record, f)
            sm.start()
            got = leases(sm).get(kept.lease)
            if not got or got["state"] != "active" or got.get("tag") != "flat" or \
                    got["owner"] != {"kind": "process", "pid": kept.pid, "command": owner["command"]}:
                fail("a lease file in the earlier flat format came back as %s" % got)
            if not kept.memory_intact():
                fail("the memory of a lease recovered from a file in the earlier format changed")
            print("ok: a lease file in the earlier flat format is recovered, owner and memory intact")

            # A lease file lost while privmemd is down: the lease comes back from its memfd, as root's, of
            # unknown owner (only the file named the owner: the store holds one pidfd per process, not
            # per lease), and a Release ends it.
            sm.stop(signal.SIGTERM)
            os.unlink(os.path.join(tmp, "runtime", "leases", kept.lease + ".json"))
            sm.start()
            got = leases(sm).get(kept.lease)
            if not got or got["state"] != "active" or got["owner"]["kind"] != "unknown" or got["uid"] != 0:
                fail("a lease without its file came back as %s" % got)
            if not kept.memory_intact():
                fail("the memory of a lease recovered without its file changed")
            c = Client(sm.socket_path)
            c.call("io.privmemd.Release", {"id": kept.lease})
            c.close()
            wait_for("the released lease of unknown owner to end", lambda: kept.lease not in leases(sm))
            owners.remove(kept)
            kept.exit()
            kept = Owner(sm.socket_path, 16 * MiB, b"fourth")
            owners.append(kept)
            print("ok: a lease fd without its file is recovered as root's, of unknown owner; a Release ends it")

            # A lease file whose memfd is gone from the store: reported and removed, nothing invented.
            sm.stop(signal.SIGTERM)
            ghost = os.path.join(tmp, "runtime", "leases", "0123456789abcdef.json")
            with open(ghost, "w") as f:
                f.write('{"id":"0123456789abcdef","pool":"a","size":16777216,"state":"active",'
                        '"owner":{"kind":"process","pid":1,"command":"init","startTime":1},"uid":0,"acquiredUsec":1}')
            sm.start()
            if "0123456789abcdef" in leases(sm) or os.path.exists(ghost):
                fail("a lease file without its memfd was kept")
            print("ok: a lease file without its memfd is reported and removed")

            # systemd drops a stored pidfd once its process is reaped; privmemd then finds the owner
            # by pid, but only a process with the recorded start time is still the owner.
            stranger = Owner(sm.socket_path, 16 * MiB, b"third")
            owners.append(stranger)
            sm.stop(signal.SIGTERM)
            for o in (kept, stranger):
                name = sm.owner_name(o.pid)
                if name is None:
                    fail("no pidfd of owner process %d in the store: %s" % (o.pid, sm.stored_names()))
                sm.drop(name)
            path = os.path.join(tmp, "runtime", "leases", stranger.lease + ".json")
            with open(path) as f:
                record = json.load(f)
            record["owner"]["startTime"] += 1  # as if pid were reused by a later process
            with open(path, "w") as f:
                json.dump(record, f)
            sm.start()
            got = leases(sm)
            if got.get(kept.lease, {}).get("state") != "active":
                fail("an owner found again by pid and start time lost its lease: %s" % got.get(kept.lease))
            wait_for("the lease whose pid now names another process to end", lambda: stranger.lease not in leases(sm))
            owners.remove(stranger)
            stranger.exit()
            print("ok: an owner whose pidfd was dropped is found by pid and start time, and only then")

            # A later owner exit still invalidates.
            last = owners.pop()
            spy = os.dup(sm.store[sm.lease_name(last.lease)][0])
            last.exit()
            wait_for("the lease of an exited owner to end", lambda: last.lease not in leases(sm))
            wait_for("its memory to be punched", lambda: blocks(spy) == 0)
            os.close(spy)
            sm.poll(0.3)
            if sm.names_of_kind("l") or sm.names_of_kind("o"):
                fail("the fd store still holds %s" % sm.stored_names())
            print("ok: after the restarts an owner exit still invalidates, and the store is clean")
        finally:
            for o in owners:
                if o.pid:
                    o.exit()
            sm.close()
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
