/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What privmemd does to a memfd: create, populate, seal, punch. Thread-safe, no state.
 *
 * Populating never maps the memfd into privmemd: MADV_POPULATE_WRITE holds the process's mmap
 * lock for the whole range, and every mmap/munmap/brk of the event loop (a malloc) then waits for
 * it — 23 ms seen for one munmap while 64 MiB chunks populated. Instead:
 *   shmem:   pwrite() of zeros: allocates every page and fills it, like a first write fault would.
 *            1 GiB on the 2-core test VM: 0.55-0.61 GB/s, MADV_POPULATE_WRITE 0.32-0.56 GB/s;
 *            fallocate() is faster but leaves the zeroing to the VMM's first touch.
 *   hugetlb: fallocate(), which allocates and clears each huge page.
 *   2M shmem (THP): MADV_POPULATE_WRITE after all, in a helper process of its own (memfd-thp.c).
 * The NUMA node is the worker thread's memory policy while it does that.
 * A deadline and a cancel fd (PopulateLimit) are looked at between two system calls: one call
 * that never returns (stuck in the kernel) cannot be interrupted from here.
 * bench/privmemd-bench measures the result against populating in the VMM's own process. */
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <poll.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "memfd/memfd-ops.h"
#include "memfd/memfd-thp.h"
#include "schema/io-privmemd.h"
#include "util/macro.h"
#include "util/string-table.h"

/* fallocate() of hugetlb or guest-sealed shmem in steps of this (or one page): the deadline and
 * the cancel fd are looked at between two steps. ~1 ms of hugetlb, ~10 ms of 4K shmem here. */
#define FALLOCATE_STEP (16ULL << 20)

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif
#ifndef MPOL_DEFAULT
#define MPOL_DEFAULT 0
#endif
#ifndef MPOL_BIND
#define MPOL_BIND 2
#endif

/* backing= takes the wire's names (Pool.backing). */
_Static_assert((int) BACKING_SHMEM == (int) SCHEMA_BACKING_SHMEM && (int) BACKING_HUGETLB == (int) SCHEMA_BACKING_HUGETLB &&
               _SCHEMA_BACKING_MAX == 2, "Backing and the schema's differ");

const char *backing_to_string(Backing b) {
        return string_table_to_string(schema_backings, b);
}

int backing_from_string(const char *s) {
        return string_table_from_string(schema_backings, s);
}

static unsigned huge_flags(uint64_t page_size) {
        return MFD_HUGETLB | ((unsigned) __builtin_ctzll(page_size) << MFD_HUGE_SHIFT);
}

static int memfd_new(const MemfdSpec *spec, const char *name) {
        unsigned flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;

        if (spec->backing == BACKING_HUGETLB)
                flags |= huge_flags(spec->page_size);
        int fd = memfd_create(name, flags | MFD_NOEXEC_SEAL);
        if (fd < 0 && errno == EINVAL)  /* a kernel before 6.3 has no MFD_NOEXEC_SEAL */
                fd = memfd_create(name, flags);
        return fd < 0 ? -errno : fd;
}

int memfd_ops_probe_seal_guest(const MemfdSpec *spec) {
        int fd = memfd_new(spec, "privmemd:probe");
        if (fd < 0)
                return fd;
        int r = fcntl(fd, F_ADD_SEALS, PRIVMEM_F_SEAL_GUEST) < 0 ? -errno : 0;
        safe_close(fd);
        return r;
}

int memfd_ops_create(const MemfdSpec *spec, const char *pool, const char *id, uint64_t size, int *ret_fd) {
        char name[250];

        snprintf(name, sizeof(name), "privmemd:%s:%s", pool, id);
        _cleanup_close_ int fd = memfd_new(spec, name);
        if (fd < 0)
                return fd;
        /* Only an empty memfd takes the guest seal: before it has a size. */
        if (spec->seal_guest && fcntl(fd, F_ADD_SEALS, PRIVMEM_F_SEAL_GUEST) < 0)
                return -errno;
        if (ftruncate(fd, (off_t) size) < 0)
                return -errno;
        *ret_fd = TAKE_FD(fd);
        return 0;
}

/* The calling thread's memory policy: bound to node, or (node < 0) the default again. */
static int thread_bind_to_node(int node) {
        unsigned long mask[16] = {};

        if (node < 0)
                return syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0) < 0 ? -errno : 0;
        if ((size_t) node >= sizeof(mask) * 8)
                return -EINVAL;
        mask[node / (8 * sizeof(unsigned long))] |= 1UL << (node % (8 * sizeof(unsigned long)));
        return syscall(SYS_set_mempolicy, MPOL_BIND, mask, sizeof(mask) * 8) < 0 ? -errno : 0;
}

static uint64_t monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Between two system calls of an in-thread populate: whether to go on (0), or why not. */
static int limit_check(const PopulateLimit *limit, uint64_t deadline) {
        struct pollfd p = { .fd = limit->cancel_fd, .events = POLLIN };

        if (deadline > 0 && monotonic_usec() >= deadline)
                return -ETIMEDOUT;
        if (limit->cancel_fd >= 0 && poll(&p, 1, 0) > 0)
                return -ECANCELED;
        return 0;
}

/* shmem: 1 MiB pwrite()s of zeros; hugetlb and guest-sealed: fallocate() in steps of `step`. */
static int fill_step(const MemfdSpec *spec, int fd, uint64_t offset, uint64_t length) {
        static const char zeros[1 << 20];

        if (spec->backing == BACKING_HUGETLB || spec->seal_guest)
                return fallocate(fd, 0, (off_t) offset, (off_t) length) < 0 ? -errno : (int) MIN(length, (uint64_t) INT_MAX);
        ssize_t n = pwrite(fd, zeros, MIN(length, sizeof(zeros)), (off_t) offset);
        if (n < 0)
                return errno == EINTR ? 0 : errno == ENOSPC ? -ENOMEM : -errno;
        return (int) n;
}

static int fill(const MemfdSpec *spec, const PopulateLimit *limit, int fd, uint64_t offset, uint64_t length) {
        uint64_t deadline = limit->timeout_usec > 0 ? monotonic_usec() + limit->timeout_usec : 0;
        uint64_t step = MAX(FALLOCATE_STEP, spec->page_size);

        while (length > 0) {
                int r = limit_check(limit, deadline);
                if (r < 0)
                        return r;
                r = fill_step(spec, fd, offset, MIN(length, step));
                if (r < 0)
                        return r;
                offset += (uint64_t) r;
                length -= (uint64_t) r;
        }
        return 0;
}

int memfd_ops_populate(const MemfdSpec *spec, const PopulateLimit *limit, int fd, uint64_t offset, uint64_t length,
                       uint64_t *ret_huge) {
        if (memfd_spec_is_thp(spec))  /* in a process of its own: memfd-thp.c */
                return memfd_thp_populate(fd, offset, length, spec->numa_node, spec->background, limit, ret_huge);
        *ret_huge = spec->backing == BACKING_HUGETLB ? length : 0;
        int r = spec->numa_node >= 0 ? thread_bind_to_node(spec->numa_node) : 0;
        if (r < 0)
                return r;
        /* A guest-sealed memfd takes no write(): its pages are allocated, and the kernel gives them
         * to the guest's owner cleared. hugetlb: ENOSPC when there are no free huge pages. */
        r = fill(spec, limit, fd, offset, length);
        if (spec->numa_node >= 0)
                (void) thread_bind_to_node(-1);
        return r;
}

int memfd_ops_seal(int fd) {
        if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
                return -errno;
        return 0;
}

int memfd_ops_allocated(int fd, uint64_t *ret) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        *ret = (uint64_t) st.st_blocks * 512;
        return 0;
}

int memfd_ops_punch(int fd, uint64_t size, uint64_t *ret_held) {
        if (size > 0 && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, (off_t) size) < 0)
                return -errno;
        return memfd_ops_allocated(fd, ret_held);
}
