/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fds the service manager hands back after a restart, each told apart by its name and by
 * itself: a memfd's name says its pool and id, a pidfd says its process. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"

typedef struct PassedFd {
        int fd;                         /* -1 once taken or closed */
        const char *name;
        char kind;                      /* FDSTORE_KIND_*, 's' for a listening socket, 0: unknown */
        unsigned slot;                  /* the short name's slot; 0 for a legacy name */
        char *pool;                     /* memfds: from the memfd's name */
        char id[MEMFD_ID_LEN + 1];
} PassedFd;

/* Reads what each fd is. Never fails: what cannot be told apart has kind 0. */
void passed_fds_classify(PassedFd *fds, size_t n);
/* The lease memfds sorted by id, for passed_fds_find_lease(). */
PassedFd **passed_fds_index_leases(PassedFd *fds, size_t n, size_t *ret_n);
PassedFd *passed_fds_find_lease(PassedFd **index, size_t n, const char *id);
/* f is kept, as fd (f's, or one taken from it): a legacy-named one is stored again under a short
 * name (the old name removed first, as the store keeps one copy of a file), and the slot it is
 * known by is written to *slot. */
void passed_fd_keep(PassedFd *f, int fd, unsigned *slot);
/* fd is not kept: closed, and its name taken out of the store. */
void passed_fd_drop(PassedFd *f);
void passed_fds_free(PassedFd *fds, size_t n);
