#!/usr/bin/env python3
"""A pool with seal_guest=yes: on a kernel without F_SEAL_GUEST (kernel-patches/), privmemd refuses to
start and says why; on one with it, its memfds cannot be mapped or read by the client.
Usage: test-seal-guest.py PRIVMEMD"""
import mmap
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from varlink_client import Client  # noqa: E402

CONFIG = "[pool g]\nsizes = 4M:1\nseal_guest = yes\nusers = *\n"


def main():
    privmemd = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="privmemd-seal.") as tmp:
        conf, sock = os.path.join(tmp, "conf"), os.path.join(tmp, "sock")
        with open(conf, "w") as f:
            f.write(CONFIG)
        proc = subprocess.Popen([privmemd, "--config=" + conf, "--socket=" + sock],
                                stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(200):
                if proc.poll() is not None or os.path.exists(sock):
                    break
                time.sleep(0.02)
            if proc.poll() is not None:
                err = proc.stderr.read()
                if proc.returncode != 1 or "seal_guest=yes needs a kernel with F_SEAL_GUEST" not in err \
                        or "conf:2: pool 'g'" not in err:
                    print("FAIL: expected a clear refusal, got exit %d: %s" % (proc.returncode, err))
                    return 1
                print("ok: this kernel has no F_SEAL_GUEST and privmemd refuses the pool: " + err.strip())
                return 0
            # A patched kernel: the client gets a memfd it can neither map nor read.
            c = Client(sock)
            _, fds = c.call("io.privmemd.Acquire", {"pool": "g", "size": 4 << 20})
            try:
                mmap.mmap(fds[0], 4 << 20, mmap.MAP_SHARED)
                print("FAIL: a guest-sealed memfd could be mapped")
                return 1
            except PermissionError:
                pass
            try:
                os.pread(fds[0], 16, 0)
                print("FAIL: a guest-sealed memfd could be read")
                return 1
            except PermissionError:
                pass
            print("ok: a guest-sealed memfd cannot be mapped or read")
            return 0
        finally:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(10)


if __name__ == "__main__":
    sys.exit(main())
