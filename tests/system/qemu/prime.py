#!/usr/bin/python3
"""Run by `privmemctl exec` in place of QEMU: writes the nonce into the lease's memfd
($PRIVMEM_FD), then becomes QEMU (same pid, same fd), so the guest finds the nonce in its RAM.
Usage: prime.py NONCE_HEX -- COMMAND ARGS..."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest_mailbox  # noqa: E402

if len(sys.argv) < 4 or sys.argv[2] != "--":
    sys.exit(__doc__)
guest_mailbox.write_nonce(int(os.environ["PRIVMEM_FD"]), int(sys.argv[1], 16))
os.execvp(sys.argv[3], sys.argv[3:])
