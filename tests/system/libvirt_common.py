"""What the libvirt-* system tests share: privmemd under the stand-in service manager of
tests/service, a varlink client, and waiting for a lease to end."""
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "service"))
from service_manager import ServiceManager  # noqa: E402,F401
from varlink_client import Client, VarlinkError  # noqa: E402,F401

MiB = 1 << 20


class Pump(threading.Thread):
    """Reads privmemd's notify messages (STATUS=, the fd store) all the time, as systemd does: a
    full notify socket would block privmemd in sd_notify(). start/stop privmemd through it."""

    def __init__(self, sm):
        super().__init__(daemon=True)
        self.sm = sm
        self.lock = threading.Lock()
        self.done = False
        self.start()

    def run(self):
        while not self.done:
            with self.lock:
                if self.sm.pid is not None:
                    self.sm.poll(0)
            time.sleep(0.02)

    def restart(self, stop=True):
        with self.lock:
            if stop:
                self.sm.stop()
            self.sm.start()

    def stop_daemon(self):
        with self.lock:
            self.sm.stop()

    def close(self):
        self.done = True
        self.join()
        self.sm.close()


def fail(msg):
    print("FAIL: " + msg, flush=True)
    raise SystemExit(1)


def config(uri):
    return """[pool a]
sizes = 4M:1
limit = 128M
users = *

[libvirt]
uri = %s
""" % uri


def supervised_privmemd(tmp, privmemd, config_text, *args):
    """privmemd with config_text as tmp/privmemd.conf under the stand-in service manager, not yet
    started, and the Pump that will drive its loop."""
    cfg = os.path.join(tmp, "privmemd.conf")
    with open(cfg, "w") as f:
        f.write(config_text)
    sm = ServiceManager([privmemd, "--config", cfg] + list(args), tmp)
    return sm, Pump(sm)


def lease_state(c, lease_id):
    """active, invalidating, leaked, or None once it has ended."""
    try:
        params, _ = c.call("io.privmemd.GetLease", {"id": lease_id})
        return params["lease"]["state"]
    except VarlinkError as e:
        if e.error == "io.privmemd.NoSuchLease":
            return None
        raise


def lease(c, lease_id):
    return c.call("io.privmemd.GetLease", {"id": lease_id})[0]["lease"]


def expect_active(c, lease_id, what):
    if lease_state(c, lease_id) != "active":
        fail("%s: lease %s is %s, expected active" % (what, lease_id, lease_state(c, lease_id)))


def wait_ended(c, lease_id, what, timeout=40):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if lease_state(c, lease_id) in (None, "invalidating"):
            return
        time.sleep(0.1)
    fail("%s: lease %s still %s after %s s" % (what, lease_id, lease_state(c, lease_id), timeout))


def acquire_for(c, domain, size=4 * MiB):
    params, fds = c.call("io.privmemd.Acquire", {"pool": "a", "size": size, "ownerDomain": domain})
    for fd in fds:
        os.close(fd)
    return params["lease"]


def expect_error(c, params, error, what):
    try:
        _, fds = c.call("io.privmemd.Acquire", params)
        for fd in fds:
            os.close(fd)
    except VarlinkError as e:
        if e.error != error:
            fail("%s: %s, expected %s" % (what, e, error))
        return e.parameters
    fail("%s: acquired, expected %s" % (what, error))
