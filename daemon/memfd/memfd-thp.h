/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 2 MiB transparent-huge-page shmem memfds: populating them in a helper process, and whether the
 * host's THP settings give huge folios at all. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "memfd/memfd-ops.h"

#define THP_SYSFS_DIR "/sys/kernel/mm/transparent_hugepage"

/* Allocates and zeroes [offset, offset+length) of fd (2 MiB multiples) in a privmemd-populate
 * process with its own address space, so privmemd's mmap lock is never held for it; at nice 10 in
 * the background (nothing waits for it). *ret_huge: how many of those bytes are 2 MiB folios.
 * -ENOMEM when the kernel has no memory for them. When limit's time runs out or its cancel_fd
 * turns readable, the process is SIGKILLed through its pidfd, reaped, and -ETIMEDOUT or
 * -ECANCELED returned: a helper stopped (SIGSTOP) or stuck in reclaim does not keep the caller. */
int memfd_thp_populate(int fd, uint64_t offset, uint64_t length, int numa_node, bool background,
                       const PopulateLimit *limit, uint64_t *ret_huge);

/* Where privmemd-populate is: next to the running privmemd (a build tree), else libexecdir. */
const char *memfd_thp_helper_path(void);

/* Whether the knobs under sysfs_dir (THP_SYSFS_DIR) give 2 MiB shmem folios to a mapping with
 * MADV_HUGEPAGE: 1 yes; 0 no, and *ret_advice says what to change; -errno when unreadable.
 * *ret_advice may also be set with 1, for a note (the kernel will not align VMM mappings). */
int memfd_thp_host_check(const char *sysfs_dir, char **ret_advice);
