#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A resource privmemd needs to keep leases runs out while leases are held, under the stand-in
service manager; each time the caller gets a clear error, privmemd stays up, a restart (SIGKILL)
recovers every lease, and Acquire works again once the resource comes back:
  fdstore  the fd store is full: $FDSTORE and the stand-in's FileDescriptorStoreMax= are small;
           TooManyLeases "fd store" comes before the store would refuse an fd (it refuses none)
  nofile   RLIMIT_NOFILE is small: TooManyLeases "open files"
  emfile   RLIMIT_NOFILE is smaller than what privmemd holds plus the connections waiting: accept()
           fails with EMFILE; privmemd does not spin on its listening socket (it used a whole CPU),
           and serves the waiting clients once fds come back
  runfull  the runtime directory (an 8 MiB tmpfs mounted and unmounted here) is full, so a lease
           file cannot be written: SystemError ENOSPC naming the directory, both when privmemd's
           look at its room finds it full and when the write fails first (it looks less often while
           there is plenty: the directory filled up right after a lease)
  nomem    RLIMIT_AS of the running privmemd is lowered to what it uses (prlimit): each Acquire is
           lent or fails with SystemError ENOMEM, never a hang-up or a reply with values left out
           (json-c drops what it cannot allocate: privmemd must notice); privmemd stays up, and no
           lease it answered is lost
Usage: test-exhaustion.py PRIVMEMD fdstore|nofile|emfile|runfull|nomem"""
import errno
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from service_manager import ServiceManager  # noqa: E402
from varlink_client import Client, VarlinkError  # noqa: E402

SIZE = 64 << 10
TARGET = 4
CONFIG = """[pool x]
sizes = 64K:%d
limit = 1G
leases_per_uid = 100000
users = *
""" % TARGET
ROOM = 20                       # leases + owner processes privmemd may hold in each case
EMFILE_NOFILE = 48
CONNECTIONS_MAX = 4096          # the varlink server's limit: two fds each are set aside


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


class Run:
    def __init__(self, sm):
        self.sm = sm
        self.held = []

    def call(self, method, params=None):
        c = Client(self.sm.socket_path)
        try:
            return c.call(method, params)
        finally:
            c.close()
            self.sm.poll(0)  # privmemd's notifications wait on the stand-in

    def acquire(self, wait=False):
        """A lease of this process (its id), or the VarlinkError privmemd answered."""
        try:
            reply, fds = self.call("io.privmemd.Acquire", {"pool": "x", "size": SIZE, "wait": wait})
        except VarlinkError as e:
            return e
        for fd in fds:
            os.close(fd)
        lease = (reply.get("lease") or {}).get("id")
        if not isinstance(lease, str):  # json-c out of memory leaves values out
            raise ValueError("a reply without its lease: %s" % reply)
        self.held.append(lease)
        return lease

    def fill(self):
        """Acquires until privmemd refuses; the refusal."""
        for _ in range(1000):
            got = self.acquire()
            if isinstance(got, VarlinkError):
                return got
        fail("privmemd never refused a lease")

    def release(self, n):
        for lease in self.held[:n]:
            self.call("io.privmemd.Release", {"id": lease})
        self.held = self.held[n:]
        self.sm.poll(0.3)

    def listed(self):
        """The active leases: id -> the owner's pid."""
        return {l["id"]: l["owner"].get("pid") for l in self.call("io.privmemd.ListLeases")[0]["leases"]
                if l["state"] == "active"}

    def restart(self, how):
        self.sm.stop(signal.SIGKILL)
        self.sm.start()
        listed = self.listed()
        missing = set(self.held) - set(listed)
        if missing:
            fail("after %s, %d of %d leases are gone: %s" % (how, len(missing), len(self.held), sorted(missing)[:3]))
        orphans = [l for l in self.held if listed[l] != os.getpid()]  # a lease file was not written
        if orphans:
            fail("after %s, %d leases lost their owner: %s" % (how, len(orphans), orphans[:3]))
        print("ok: %s: all %d leases recovered with their owner" % (how, len(self.held)), flush=True)


def expect_refusal(run, err, name, check):
    if err.error != name or not check(err.parameters):
        fail("privmemd answered %s %s, expected %s" % (err.error, err.parameters, name))
    if run.sm.pid is None or os.waitpid(run.sm.pid, os.WNOHANG)[0]:
        fail("privmemd died")
    print("ok: after %d leases: %s %s" % (len(run.held), err.error, err.parameters), flush=True)


def scenario_fd_budget(run, resource_name):
    err = run.fill()
    expect_refusal(run, err, "io.privmemd.TooManyLeases",
                   lambda p: p["resource"] == resource_name and p["limit"] == ROOM and p["used"] == ROOM)
    if len(run.held) != ROOM - 1:  # one owner process: this one
        fail("%d leases fit, expected %d" % (len(run.held), ROOM - 1))
    if run.sm.store_refused:
        fail("the fd store refused %d fd(s): a lease would not survive a restart" % run.sm.store_refused)
    run.restart("a restart with the " + resource_name + " full")
    run.release(3)
    for _ in range(3):
        if isinstance(run.acquire(), VarlinkError):
            fail("no lease after 3 were released")
    if not isinstance(run.acquire(), VarlinkError):
        fail("a lease beyond the room was lent")
    print("ok: 3 released, 3 more lent, the next refused again", flush=True)


def fill_up(path):
    with open(os.path.join(path, "filler"), "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise


def scenario_run_full(run, runtime):
    for _ in range(3):
        if isinstance(run.acquire(), VarlinkError):
            fail("no lease with room in the runtime directory")
    fill_up(runtime)
    for when in ("right after the directory filled up", "again"):
        err = run.acquire()
        if not isinstance(err, VarlinkError):
            fail("a lease was lent while its file could not be written (%s)" % when)
        expect_refusal(run, err, "io.privmemd.SystemError",
                       lambda p: p["errnoName"] == "ENOSPC" and runtime in p["message"])
    os.unlink(os.path.join(runtime, "filler"))
    if isinstance(run.acquire(), VarlinkError):
        fail("no lease once the runtime directory had room again")
    print("ok: with room again, a lease is lent", flush=True)
    run.restart("a restart after the runtime directory was full")


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def scenario_emfile(run):
    import socket
    waiting = []
    for _ in range(EMFILE_NOFILE + 16):  # more than privmemd can accept
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(run.sm.socket_path)
        waiting.append(s)
    run.sm.poll(0.3)
    before, t = cpu_seconds(run.sm.pid), time.monotonic()
    run.sm.poll(2)
    busy = (cpu_seconds(run.sm.pid) - before) / (time.monotonic() - t)
    print("ok: %d connections over RLIMIT_NOFILE %d: privmemd used %.0f%% of a CPU meanwhile"
          % (len(waiting), EMFILE_NOFILE, busy * 100), flush=True)
    if busy > 0.5:
        fail("privmemd spins on accept() failing with EMFILE")
    for s in waiting:
        s.close()
    got = run.acquire()  # served once fds came back: refused, there is no room for a lease here
    if not isinstance(got, VarlinkError) or got.error != "io.privmemd.TooManyLeases":
        fail("after the connections went: %s" % got)
    print("ok: with fds back a new client is served: %s %s" % (got.error, got.parameters), flush=True)


def watch_outcome(watcher):
    """What a Watch opened before memory ran short got: events, each whole, then either nothing
    more (still watching) or SystemError ENOMEM; never a hang-up without an error."""
    watcher.sock.settimeout(1)
    events = 0
    try:
        while True:
            event = watcher.receive()[0].get("event") or {}
            if "kind" not in event or (event["kind"].startswith("lease") and "id" not in event.get("lease", {})):
                fail("a Watch event with values left out: %s" % event)
            events += 1
    except TimeoutError:
        return "%d events, still watching" % events
    except VarlinkError as e:
        if e.error != "io.privmemd.SystemError" or e.parameters.get("errnoName") != "ENOMEM":
            fail("the Watch ended with %s %s" % (e.error, e.parameters))
        return "%d events, then SystemError ENOMEM" % events
    except (OSError, ConnectionError):
        fail("the Watch was hung up on after %d events, without an error" % events)


def scenario_no_memory(run):
    for _ in range(20):
        if isinstance(run.acquire(), VarlinkError):
            fail("no lease before memory ran short")
    watcher = Client(run.sm.socket_path)
    watcher.send("io.privmemd.Watch", more=True)
    watcher.receive()
    pid = run.sm.pid
    with open("/proc/%d/status" % pid) as f:
        vm = [int(line.split()[1]) for line in f if line.startswith("VmSize:")][0] << 10
    if vm > 1 << 40:
        print("SKIP: privmemd maps %d GiB of address space (a sanitizer build): RLIMIT_AS cannot bound its "
              "memory" % (vm >> 30), flush=True)
        sys.exit(77)
    resource.prlimit(pid, resource.RLIMIT_AS, (vm + (256 << 10), resource.RLIM_INFINITY))
    outcomes = {}
    for _ in range(3000):
        try:
            got = run.acquire()
            key = "lent" if isinstance(got, str) else "%s %s" % (got.error, got.parameters.get("errnoName", ""))
        except (OSError, ConnectionError):
            key = "hung up"
        except ValueError:
            key = "malformed reply"
        outcomes[key] = outcomes.get(key, 0) + 1
        if os.waitpid(pid, os.WNOHANG)[0]:
            fail("privmemd died when memory ran short: %s" % outcomes)
        if sum(outcomes.values()) - outcomes.get("lent", 0) >= 50:
            break
    print("ok: with RLIMIT_AS at what privmemd uses: %s" % outcomes, flush=True)
    if set(outcomes) - {"lent", "io.privmemd.SystemError ENOMEM"}:
        fail("answers other than a lease or SystemError ENOMEM: %s" % outcomes)
    print("ok: a Watch meanwhile: %s" % watch_outcome(watcher), flush=True)
    watcher.close()
    resource.prlimit(pid, resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    got = run.acquire(wait=True)  # the refills that failed meanwhile may not have been retried yet
    if isinstance(got, VarlinkError):
        fail("no lease once memory was back: %s %s" % (got.error, got.parameters))
    missing = set(run.held) - set(run.listed())
    if missing:
        fail("%d leases privmemd answered are gone: %s" % (len(missing), sorted(missing)[:3]))
    print("ok: memory back: a lease is lent, all %d answered leases listed" % len(run.held), flush=True)
    run.restart("a restart after memory ran short")


def main():
    privmemd, case = os.path.abspath(sys.argv[1]), sys.argv[2]
    with tempfile.TemporaryDirectory(prefix="privmemd-exhaustion.") as tmp:
        conf = os.path.join(tmp, "privmemd.conf")
        with open(conf, "w") as f:
            f.write(CONFIG)
        argv = [privmemd, "--config=" + conf, "--log-level=warning"]
        runtime, mounted = None, False
        env, store_max, preexec = dict(os.environ), None, None
        env.pop("FDSTORE", None)
        if case == "fdstore":
            store_max = ROOM + TARGET
            env["FDSTORE"] = str(store_max)
        elif case == "nofile":
            nofile = 64 + 2 * CONNECTIONS_MAX + 2 * TARGET + ROOM
            soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            if hard != resource.RLIM_INFINITY and hard < nofile:
                print("SKIP: RLIMIT_NOFILE hard limit %d < %d" % (hard, nofile))
                sys.exit(77)
            preexec = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))  # noqa: E731
        elif case == "nomem":
            pass
        elif case == "emfile":
            preexec = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (EMFILE_NOFILE, EMFILE_NOFILE))  # noqa: E731
        elif case == "runfull":
            runtime = os.path.join(tmp, "rt")
            os.mkdir(runtime)
            if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0755", "privmemd-test", runtime],
                              capture_output=True).returncode != 0:
                print("SKIP: cannot mount a tmpfs (needs root)")
                sys.exit(77)
            mounted = True
        else:
            sys.exit(__doc__)
        sm = ServiceManager(argv, tmp, env=env, store_max=store_max, preexec=preexec, runtime_dir=runtime)
        try:
            sm.start()
            run = Run(sm)
            if case == "runfull":
                scenario_run_full(run, runtime)
            elif case == "nomem":
                scenario_no_memory(run)
            elif case == "emfile":
                scenario_emfile(run)
            else:
                scenario_fd_budget(run, "fd store" if case == "fdstore" else "open files")
            print("1 passed, 0 failed", flush=True)
        finally:
            sm.close()
            if mounted:
                subprocess.run(["umount", runtime])


if __name__ == "__main__":
    main()
