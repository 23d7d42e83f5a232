#!/usr/bin/env python3
"""What privmemctl exec runs in the tests: checks that the memfd is where and what it was told,
then exits with the code it was given. Usage: exec-child.py FD SIZE LEASE PRIVMEMCTL SOCKET EXIT"""
import fcntl
import json
import mmap
import os
import subprocess
import sys

F_GET_SEALS = 1034
F_SEAL_SEAL, F_SEAL_SHRINK, F_SEAL_GROW = 1, 2, 4


def check(cond, msg):
    if not cond:
        print("exec-child: " + msg, file=sys.stderr, flush=True)
        sys.exit(99)


fd, size, lease, ctl, sock, code = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
check(os.environ.get("PRIVMEM_FD") == str(fd), "PRIVMEM_FD %r, argument %d" % (os.environ.get("PRIVMEM_FD"), fd))
check(os.environ.get("PRIVMEM_SIZE") == str(size), "PRIVMEM_SIZE %r" % os.environ.get("PRIVMEM_SIZE"))
check(os.environ.get("PRIVMEM_LEASE") == lease, "PRIVMEM_LEASE %r, argument %r" % (os.environ.get("PRIVMEM_LEASE"), lease))
check(not fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC, "fd %d is close-on-exec" % fd)
check(os.fstat(fd).st_size == size, "fd %d has %d bytes, not %d" % (fd, os.fstat(fd).st_size, size))
seals = fcntl.fcntl(fd, F_GET_SEALS)
check(seals & (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW) == F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW, "seals 0x%x" % seals)
check(lease in os.readlink("/proc/self/fd/%d" % fd), "fd %d is %s" % (fd, os.readlink("/proc/self/fd/%d" % fd)))
m = mmap.mmap(fd, size)
check(m[:4096] == bytes(4096) and m[size - 4096:] == bytes(4096), "the memory is not zero")
m[:5] = b"hello"
m.close()
out = subprocess.run([ctl, "--socket=" + sock, "lease", "--json", lease], capture_output=True, text=True)
check(out.returncode == 0, "privmemctl lease: " + out.stderr)
owner = json.loads(out.stdout)["lease"]["owner"]
check(owner["pid"] == os.getpid(), "the lease's owner is %r, not this process %d" % (owner, os.getpid()))
sys.exit(code)
