/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Benchmarks of 2M shmem (THP): the host knob, touching and populating memory as a VMM would. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Makes MADV_HUGEPAGE shmem mappings get 2 MiB folios until exit (writes `advise` to the per-size
 * knob when neither knob gives them, and the old value back at exit), under the lock our tests
 * take. false when this kernel cannot. */
bool bench_thp_enable(void);
/* Maps size bytes of fd in a child process at a 2 MiB-aligned address plus skew bytes (skew 0: as
 * QEMU with align=2M does; < 0: wherever mmap() puts it) and writes one byte per 4 KiB page:
 * seconds, and the PMD-mapped share (0-1). */
double bench_touch(int fd, uint64_t size, long skew, double *ret_pmd_share);
/* A fresh memfd populated by one thread in this process, the VMM's own way: 4K shmem, 2M shmem
 * (MADV_HUGEPAGE on an aligned mapping) or hugetlb of page_size. Seconds, or < 0. */
double bench_populate_in_process(uint64_t size, bool hugetlb, uint64_t page_size);
/* The kernel's zeroing bandwidth, GB/s: MADV_POPULATE_WRITE of fresh anonymous 2 MiB pages by
 * n_threads threads at once, size bytes each. */
double bench_zeroing_bandwidth(uint64_t size, unsigned n_threads);
