/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's transparent huge pages for shmem, as a test needs them: set, measured, put back. */
#pragma once

#include <stdint.h>

#define THP_KNOB "/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/shmem_enabled"

/* Makes sure MADV_HUGEPAGE mappings of shmem get 2 MiB folios until the test ends: when neither
 * knob gives them, writes `advise` to THP_KNOB and writes its previous value back at exit. Holds a
 * lock against our other tests and benchmarks that set it, until exit. Skips (77) with the reason
 * when the kernel has no shmem THP, or the test is not root and would need to set it. */
void thp_require(void);
/* Writes value ("advise", "never", ...) to THP_KNOB; thp_require() first. */
void thp_set(const char *value);
/* Maps size bytes of fd 2 MiB-aligned in this process (as QEMU places guest RAM), writes one byte
 * in every 4 KiB page and returns how many bytes of the mapping are PMD-mapped (ShmemPmdMapped). */
uint64_t thp_touch_pmd_mapped(int fd, uint64_t size);
