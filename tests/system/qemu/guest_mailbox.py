"""The mailbox the guest (guest.S) and the test share in guest RAM, read and written through the
lease's memfd. Guest physical address == memfd offset: the guest runs without paging and pc maps
RAM below 4G from offset 0."""
import mmap
import os
import struct

OFFSET = 0x00400000
NONCE, COMMAND, DERIVED, MARKER, HEARTBEAT, STATE = 0, 8, 16, 24, 32, 36
MARKER_VALUE = b"GUESTRAN"
COMMAND_LEAVE, COMMAND_HALT = 1, 2
STATE_WAITING, STATE_HALTED = 1, 2
EXIT_STATUS = 0x21 << 1 | 1     # what QEMU exits with when the guest leaves through isa-debug-exit


def derive(nonce):
    """What the guest computes from the nonce: each 32-bit half byte-swapped and xored."""
    lo, hi = struct.unpack("<II", struct.pack("<Q", nonce))
    swap = lambda v: struct.unpack("<I", struct.pack(">I", v))[0]
    return struct.unpack("<Q", struct.pack("<II", swap(lo) ^ 0x9e3779b9, swap(hi) ^ 0x7f4a7c15))[0]


def _write(fd, offset, data):
    # Through a mapping: hugetlbfs has no write(). OFFSET is 2M-aligned, as hugetlbfs wants.
    with mmap.mmap(fd, 2 << 20, offset=OFFSET) as m:
        m[offset:offset + len(data)] = data


def write_nonce(fd, nonce):
    """Before QEMU starts: the nonce, no command, and nothing where the guest answers."""
    _write(fd, NONCE, struct.pack("<QI", nonce, 0) + bytes(28))


def read(fd):
    """(derived, marker, heartbeat, state) as the guest left them."""
    b = os.pread(fd, 40, OFFSET)
    derived, = struct.unpack_from("<Q", b, DERIVED)
    heartbeat, state = struct.unpack_from("<II", b, HEARTBEAT)
    return derived, b[MARKER:MARKER + 8], heartbeat, state


def command(fd, cmd):
    _write(fd, COMMAND, struct.pack("<I", cmd))
