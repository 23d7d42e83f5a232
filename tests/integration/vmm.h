/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in VMM in a child process: acquires, fills its memory, hands the test a dup of its memfd
 * and the lease id, and keeps running until killed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "helper.h"

/* hang_up: it closes its connection to privmemd after acquiring, as a VMM may. Returns its pid;
 * *ret_fd is the test's copy of the memfd, id the lease id. */
pid_t vmm_start(const TestDaemon *d, const char *pool, uint64_t size, uint32_t seed, bool hang_up,
                int *ret_fd, char *id, size_t id_size);
