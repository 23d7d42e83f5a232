#!/usr/bin/python3
"""QEMU runs a guest in privmemd memory, started by `privmemctl exec`, and the lease outlives it
by exactly as long as it must: active and whole while QEMU runs, invalidated and back in the
kernel's accounting once QEMU is gone — whether the guest leaves through isa-debug-exit, QEMU is
killed with SIGKILL while the guest runs, or with SIGTERM while the guest is halted.

shmem-2m (transparent huge pages): QEMU's mapping of the lease (align=2M) is PMD-mapped wherever
it is mapped at all, and the pool reports its ready memory huge; the per-size shmem THP knob is
`advise` for the test and written back after.

Usage: lease-test.py shmem|shmem-2m|hugetlb    (with $PRIVMEMD and $PRIVMEMCTL: the built programs)"""
import os
import secrets
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guest_mailbox as mbox  # noqa: E402
import harness  # noqa: E402
from harness import Fail, Skip, wait_for  # noqa: E402
import varlink  # noqa: E402

SIZE = 64 << 20
FD = 5          # not the default 3: --fd must be honoured
POOL = "vm"
HUGEPAGE = 2 << 20

CONFIG = """[pool vm]
backing = {backing}
page_size = {page_size}
sizes = 64M:1
limit = 128M
users = *
"""


def qemu_argv(qemu, guest, backing):
    align = ",align=2M" if backing == "shmem-2m" else ""
    return [qemu, "-accel", "tcg", "-M", "pc", "-nodefaults", "-display", "none", "-serial", "none",
            "-object", "memory-backend-file,id=ram0,size={size},mem-path=/proc/self/fd/{fd},share=on" + align,
            "-machine", "memory-backend=ram0",
            "-kernel", guest, "-device", "isa-debug-exit,iobase=0xf4,iosize=4"]


class LeaseTest:
    def __init__(self, h, backing):
        self.h, self.backing = h, backing
        self.privmemctl = os.environ.get("PRIVMEMCTL", "")
        if not os.access(self.privmemctl, os.X_OK):
            raise Skip(f"privmemctl not built ({self.privmemctl or '$PRIVMEMCTL unset'})")
        self.qemu = harness.need_program("qemu-system-x86_64", "qemu-system-x86")
        self.guest = h.build_guest(os.path.join(HERE, "guest.S"))
        if backing == "hugetlb":
            h.reserve_hugepages(2 * SIZE // HUGEPAGE)  # the ready memfd and the one lent
        page_size = "4K" if backing == "shmem" else "2M"
        self.daemon, self.sock = h.start_privmemd(os.environ["PRIVMEMD"],
                                                  CONFIG.format(backing=backing.split("-")[0], page_size=page_size))

    def call(self, method, **params):
        return varlink.call(self.sock, "io.privmemd." + method, **params)

    def pool(self):
        return self.call("ListPools")["pools"][0]

    def pool_settled(self):
        """The pool as configured, nothing lent, building or being punched: when accounting is exact."""
        p = self.pool()
        c = p["classes"][0]
        return p if (c["ready"], c["building"], c["lent"], p["bytesLent"], p["bytesOther"]) == (1, 0, 0, 0, 0) else None

    def launch(self, scenario, nonce):
        argv = [self.privmemctl, "exec", f"--pool={POOL}", "--size=64M", f"--fd={FD}",
                f"--tag=qemu-{scenario}", "--", os.path.join(HERE, "prime.py"), f"{nonce:016x}", "--"]
        env = dict(os.environ, PRIVMEMD_SOCKET=self.sock)
        # privmemctl execs prime.py, which execs QEMU: one pid throughout.
        return self.h.spawn("qemu-" + scenario, argv + qemu_argv(self.qemu, self.guest, self.backing), env=env)

    def open_lease_memfd(self, qemu):
        """Our own handle on the lease's memfd, through QEMU's fd, once QEMU is QEMU."""
        def ready():
            if qemu.poll() is not None:
                raise Fail(f"QEMU (or privmemctl) exited with {qemu.returncode}:\n{harness.tail(qemu)}")
            try:
                return os.path.realpath(f"/proc/{qemu.pid}/exe") == os.path.realpath(self.qemu)
            except OSError:
                return False
        wait_for("privmemctl to exec QEMU", ready, 30)
        return os.open(f"/proc/{qemu.pid}/fd/{FD}", os.O_RDONLY | os.O_CLOEXEC)

    def check_guest_ran(self, fd, nonce):
        wait_for("the guest's marker in the lease", lambda: mbox.read(fd)[1] == mbox.MARKER_VALUE, 60)
        derived, _, beat, _ = mbox.read(fd)
        if derived != mbox.derive(nonce):
            raise Fail(f"the guest wrote {derived:#x}, expected {mbox.derive(nonce):#x} from nonce {nonce:#x}")
        wait_for("the guest's heartbeat to move", lambda: mbox.read(fd)[2] != beat, 10)

    def check_lease_active(self, qemu, fd):
        mine = [l for l in self.call("ListLeases", pool=POOL)["leases"] if l["owner"].get("pid") == qemu.pid]
        if len(mine) != 1:
            raise Fail(f"expected one lease owned by QEMU (pid {qemu.pid}), ListLeases has {mine}")
        lease = self.call("GetLease", id=mine[0]["id"])["lease"]
        if lease["state"] != "active" or lease["size"] != SIZE or lease["owner"]["kind"] != "process":
            raise Fail(f"while QEMU runs the lease should be an active process-owned {SIZE}-byte lease: {lease}")
        if lease["id"] not in os.readlink(f"/proc/self/fd/{fd}"):
            raise Fail(f"QEMU's fd {FD} is not the memfd of lease {lease['id']}")
        blocks = os.fstat(fd).st_blocks * 512
        if blocks != SIZE:
            raise Fail(f"while QEMU runs the lease's memfd holds {blocks} bytes, not all {SIZE}: punched or not populated")
        if self.backing == "shmem-2m":
            self.check_pmd_mapped(qemu, lease["id"])
        return lease["id"]

    def check_pmd_mapped(self, qemu, lease_id):
        """QEMU's mapping of the lease starts 2 MiB-aligned, and all of it that is mapped is mapped
        with 2 MiB entries (the guest touches only some of it)."""
        start, f = harness.smaps_of(qemu.pid, f"privmemd:{POOL}:{lease_id}")
        if f is None:
            raise Fail(f"QEMU (pid {qemu.pid}) has no mapping of lease {lease_id}")
        if start % HUGEPAGE or f.get("Rss", 0) == 0 or f.get("ShmemPmdMapped") != f.get("Rss"):
            raise Fail(f"QEMU's mapping of the lease at {start:#x}: Rss {f.get('Rss')} kB, "
                       f"ShmemPmdMapped {f.get('ShmemPmdMapped')} kB: not all PMD-mapped")

    def command_guest(self, qemu, fd, scenario):
        """Ends QEMU the scenario's way; returns QEMU's exit status."""
        if scenario == "leave":
            wfd = os.open(f"/proc/{qemu.pid}/fd/{FD}", os.O_RDWR | os.O_CLOEXEC)
            mbox.command(wfd, mbox.COMMAND_LEAVE)
            os.close(wfd)
            wait_for("QEMU to exit through isa-debug-exit", lambda: qemu.poll() is not None, 30)
        elif scenario == "sigkill":
            os.kill(qemu.pid, signal.SIGKILL)
            qemu.wait()
        else:
            wfd = os.open(f"/proc/{qemu.pid}/fd/{FD}", os.O_RDWR | os.O_CLOEXEC)
            mbox.command(wfd, mbox.COMMAND_HALT)
            os.close(wfd)
            wait_for("the guest to halt", lambda: mbox.read(fd)[3] == mbox.STATE_HALTED, 30)
            qemu.terminate()
            qemu.wait()
        return qemu.returncode

    def check_released(self, lease_id, fd, baseline_free):
        def gone():
            try:
                self.call("GetLease", id=lease_id)
                return False
            except varlink.VarlinkError as e:
                if e.error != "io.privmemd.NoSuchLease":
                    raise
                return True
        wait_for(f"lease {lease_id} to be invalidated and released", gone, 30)
        st = os.fstat(fd)
        if st.st_blocks != 0:
            raise Fail(f"after release the memfd still holds {st.st_blocks * 512} bytes")
        if mbox.read(fd)[1] != bytes(8):
            raise Fail("after release the guest's marker is still readable")
        wait_for("the pool to settle (refilled, nothing lent or punching)", self.pool_settled, 30)
        if self.backing == "shmem-2m" and self.pool()["huge"]["readyHugeBytes"] != SIZE:
            raise Fail(f"the refilled pool reports {self.pool()['huge']}, not {SIZE} bytes huge")
        if self.backing == "hugetlb":
            # Waits a little: a hugetlb test of someone else may hold pages for a moment.
            try:
                wait_for("HugePages_Free", lambda: harness.meminfo("HugePages_Free") == baseline_free, 10)
            except Fail:
                raise Fail(f"HugePages_Free is {harness.meminfo('HugePages_Free')}, "
                           f"was {baseline_free} before QEMU started") from None

    def run(self, scenario, expect_status):
        wait_for("the pool to be ready", self.pool_settled, 60)
        baseline_free = harness.meminfo("HugePages_Free")
        nonce = secrets.randbits(64)
        qemu = self.launch(scenario, nonce)
        fd = self.open_lease_memfd(qemu)
        try:
            self.check_guest_ran(fd, nonce)
            lease_id = self.check_lease_active(qemu, fd)
            status = self.command_guest(qemu, fd, scenario)
            if not expect_status(status):
                raise Fail(f"QEMU exited with {status}:\n{harness.tail(qemu)}")
            self.check_released(lease_id, fd, baseline_free)
        finally:
            os.close(fd)
        print(f"ok {self.backing} {scenario}: guest answered nonce {nonce:#x}, lease {lease_id} "
              f"active while QEMU ran, released after (QEMU status {status})")


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("shmem", "shmem-2m", "hugetlb"):
        sys.exit(__doc__)
    with harness.Harness() as h, harness.thp_knob("advise" if sys.argv[1] == "shmem-2m" else None):
        t = LeaseTest(h, sys.argv[1])
        t.run("leave", lambda s: s == mbox.EXIT_STATUS)
        t.run("sigkill", lambda s: s == -signal.SIGKILL)
        t.run("halted-sigterm", lambda s: s in (0, -signal.SIGTERM))
        if harness.stop(t.daemon) != 0:
            raise Fail(f"privmemd did not exit cleanly on SIGTERM:\n{harness.tail(t.daemon)}")


if __name__ == "__main__":
    harness.main(main)
