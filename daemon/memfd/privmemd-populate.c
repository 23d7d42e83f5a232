/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemd-populate: fills [OFFSET, OFFSET+LENGTH) of the memfd on fd 3 with huge (2 MiB) shmem
 * folios in its own address space, and prints how many of those bytes are huge.
 *
 *   privmemd-populate OFFSET LENGTH NODE NICE      (NODE -1: any; NICE: 0-19, added to its own)
 *   stdout: "HUGE_BYTES\n"; exit 0.  Failure: a message on stderr, exit status the errno.
 *
 * Why a process of its own: with shmem_enabled=advise only a mapping with MADV_HUGEPAGE gets huge
 * folios, and MADV_POPULATE_WRITE holds the mapping process's mmap lock for the whole range.
 * In privmemd's own address space every mmap/munmap of its event loop would wait for it (invariant
 * 4 of DESIGN.md). Here the lock is this process's; privmemd's worker thread just waits for it.
 *
 * A refill nothing waits for runs at NICE 10: on a host as small as 2 CPUs, two of these zeroing
 * at full speed otherwise delay privmemd's event loop by milliseconds (ListPools p99 2-3 ms
 * instead of ~0.1 ms in bench/privmemd-bench (c)); the loop needs little CPU, so the refill loses
 * little.
 *
 * The mapping is placed 2 MiB-aligned (the kernel aligns shmem mappings only when the global
 * shmem_enabled knob is not `never`), and ShmemPmdMapped of /proc/self/smaps says what is huge:
 * a folio that fell back to 4 KiB pages cannot be PMD-mapped. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define MEMFD 3
#define HUGE_SIZE (2ULL << 20)
#define MPOL_BIND 2

static int fail(int error, const char *what) {
        fprintf(stderr, "privmemd-populate: %s: %s\n", what, strerror(error));
        return error > 0 && error < 256 ? error : EIO;
}

static int parse_u64(const char *s, uint64_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-')
                return -EINVAL;
        *ret = v;
        return 0;
}

static int bind_to_node(const char *arg) {
        unsigned long mask[16] = {};
        int node = atoi(arg);

        if (node < 0)
                return 0;
        if ((size_t) node >= sizeof(mask) * 8)
                return -EINVAL;
        mask[node / (8 * sizeof(unsigned long))] |= 1UL << (node % (8 * sizeof(unsigned long)));
        return syscall(SYS_set_mempolicy, MPOL_BIND, mask, sizeof(mask) * 8) < 0 ? -errno : 0;
}

/* The memfd's range at a 2 MiB-aligned address: a PROT_NONE reservation, then MAP_FIXED over it. */
static void *map_aligned(uint64_t offset, uint64_t length) {
        uint8_t *r = mmap(NULL, length + HUGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r == MAP_FAILED)
                return MAP_FAILED;
        uint8_t *a = (uint8_t *) (((uintptr_t) r + HUGE_SIZE - 1) & ~(uintptr_t) (HUGE_SIZE - 1));
        return mmap(a, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, MEMFD, (off_t) offset);
}

/* ShmemPmdMapped of the mapping that starts at addr, in bytes. */
static int pmd_mapped(const void *addr, uint64_t *ret) {
        FILE *f = fopen("/proc/self/smaps", "re");
        char line[512];
        bool in = false, found = false;
        uint64_t kb = 0;

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                uintptr_t start, end;
                char *dash = strchr(line, '-'), *space = strchr(line, ' ');
                if (dash && space && dash < space && sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2) {
                        in = start == (uintptr_t) addr;
                        continue;
                }
                if (in && sscanf(line, "ShmemPmdMapped: %" SCNu64 " kB", &kb) == 1) {
                        found = true;
                        break;
                }
        }
        fclose(f);
        if (!found)
                return -ENODATA;  /* a kernel without THP has no such field */
        *ret = kb * 1024;
        return 0;
}

int main(int argc, char **argv) {
        uint64_t offset, length, huge, nice;
        int r;

        if (argc != 5 || parse_u64(argv[1], &offset) < 0 || parse_u64(argv[2], &length) < 0 || length == 0 ||
            offset % HUGE_SIZE || length % HUGE_SIZE || parse_u64(argv[4], &nice) < 0 || nice > 19)
                return fail(EINVAL, "usage: privmemd-populate OFFSET LENGTH NODE NICE (2 MiB multiples, memfd on fd 3)");
        if (nice > 0)
                (void) setpriority(PRIO_PROCESS, 0, (int) nice);
        r = bind_to_node(argv[3]);
        if (r < 0)
                return fail(-r, "set_mempolicy");
        void *p = map_aligned(offset, length);
        if (p == MAP_FAILED)
                return fail(errno, "mmap");
        if (madvise(p, length, MADV_HUGEPAGE) < 0)
                return fail(errno, "MADV_HUGEPAGE");
        while (madvise(p, length, MADV_POPULATE_WRITE) < 0)
                if (errno != EINTR)
                        return fail(errno == EFAULT ? ENOMEM : errno, "MADV_POPULATE_WRITE");
        r = pmd_mapped(p, &huge);
        if (r < 0)
                return fail(-r, "ShmemPmdMapped in /proc/self/smaps");
        printf("%" PRIu64 "\n", huge);
        return fflush(stdout) == 0 ? 0 : fail(errno, "stdout");
}
