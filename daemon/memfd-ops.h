/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What privmemd does to a memfd: create, populate, seal, punch. Thread-safe, no state. */
#pragma once

#include <stdint.h>

typedef enum Backing {
        BACKING_SHMEM,
        BACKING_HUGETLB,
} Backing;

const char *backing_to_string(Backing b);
int backing_from_string(const char *s);

/* Creates an empty memfd of `size` bytes named privmemd:POOL:ID (what /proc/PID/maps shows). */
int memfd_ops_create(const char *pool, const char *id, Backing backing, uint64_t page_size, uint64_t size, int *ret_fd);
/* Allocates and zeroes every page of [offset, offset+length), on numa_node unless it is < 0,
 * without mapping the memfd. -ENOMEM (-ENOSPC from hugetlb) when the kernel has no pages. */
int memfd_ops_populate(int fd, Backing backing, uint64_t offset, uint64_t length, int numa_node);
/* Seals against shrinking, growing and further sealing. */
int memfd_ops_seal(int fd);
/* Punches the whole file; *ret_held is what is still allocated afterwards, in bytes. */
int memfd_ops_punch(int fd, uint64_t size, uint64_t *ret_held);
/* Bytes allocated to the file now. */
int memfd_ops_allocated(int fd, uint64_t *ret);
