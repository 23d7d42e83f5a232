/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What privmemd does to a memfd: create, populate, seal, punch. Thread-safe, no state. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef enum Backing {
        BACKING_SHMEM,
        BACKING_HUGETLB,
} Backing;

const char *backing_to_string(Backing b);
int backing_from_string(const char *s);

/* What a pool's memfds are made of. */
typedef struct MemfdSpec {
        Backing backing;
        uint64_t page_size;
        bool seal_guest;        /* F_SEAL_GUEST (kernel-patches/): host user space can never touch it */
        int numa_node;          /* -1: any */
        bool background;        /* nothing waits for this populate: it may yield the CPU (2M shmem) */
} MemfdSpec;

/* When a populate gives up rather than wait on: a helper process it started is SIGKILLed and
 * reaped first, and in privmemd's own thread it stops between two system calls (one that never
 * returns cannot be interrupted). */
typedef struct PopulateLimit {
        uint64_t timeout_usec;  /* from the start: then -ETIMEDOUT; 0: none */
        int cancel_fd;          /* when it turns readable: -ECANCELED (privmemd stops); -1: none */
} PopulateLimit;

#define POPULATE_LIMIT_NONE ((PopulateLimit) { .timeout_usec = 0, .cancel_fd = -1 })

/* shmem with 2 MiB folios (transparent huge pages): backing=shmem page_size=2M. */
#define MEMFD_THP_SIZE (2ULL << 20)
static inline bool memfd_spec_is_thp(const MemfdSpec *spec) {
        return spec->backing == BACKING_SHMEM && spec->page_size == MEMFD_THP_SIZE;
}

/* F_SEAL_GUEST of kernel-patches/: free in 6.12 and in mainline (0x20 became F_SEAL_EXEC). */
#define PRIVMEM_F_SEAL_GUEST 0x0040

/* Whether this kernel has F_SEAL_GUEST for this backing: 0, or the kernel's error (-EINVAL). */
int memfd_ops_probe_seal_guest(const MemfdSpec *spec);
/* Creates an empty memfd of `size` bytes named privmemd:POOL:ID (what /proc/PID/maps shows),
 * guest-sealed first if the spec says so. */
int memfd_ops_create(const MemfdSpec *spec, const char *pool, const char *id, uint64_t size, int *ret_fd);
/* Allocates (and, but for guest-sealed shmem, zeroes) every page of [offset, offset+length), on
 * the spec's node, never mapping the memfd into privmemd. -ENOMEM (-ENOSPC from hugetlb) when the
 * kernel has no pages; -ETIMEDOUT or -ECANCELED as limit says, the range then partly populated.
 * *ret_huge: how many of those bytes are in pages larger than 4 KiB. */
int memfd_ops_populate(const MemfdSpec *spec, const PopulateLimit *limit, int fd, uint64_t offset, uint64_t length,
                       uint64_t *ret_huge);
/* Seals against shrinking, growing and further sealing. */
int memfd_ops_seal(int fd);
/* Punches the whole file; *ret_held is what is still allocated afterwards, in bytes. */
int memfd_ops_punch(int fd, uint64_t size, uint64_t *ret_held);
/* Bytes allocated to the file now. */
int memfd_ops_allocated(int fd, uint64_t *ret);
