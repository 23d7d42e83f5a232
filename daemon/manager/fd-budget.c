/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How many leases privmemd can hold and keep across a restart, from the configuration and the
 * limits (privmemd(8), "File descriptors"). A lease holds one fd (its memfd), an owner process one
 * more (its pidfd), in privmemd and again in the service manager's fd store. What is left for them:
 *
 *   open files  RLIMIT_NOFILE (the soft limit is raised to the hard one), less FD_BUDGET_OWN for
 *               privmemd itself, two per connection up to the server's limit (the socket and the
 *               peer's pidfd), and two per ready memfd of the pools' targets (ready and building);
 *   fd store    $FDSTORE (FileDescriptorStoreMax=: systemd 254 and later set it, privmemd.service
 *               sets it for older ones), at most FDSTORE_NAMES_MAX (what LISTEN_FDNAMES can name),
 *               less one per ready memfd of the pools' targets.
 *
 * The smaller is the budget; Acquire answers TooManyLeases beyond it. */
#include <limits.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

#include "core/clock.h"
#include "manager/manager.h"
#include "store/fdstore.h"
#include "util/log.h"
#include "util/macro.h"

#define FD_BUDGET_OWN 64U      /* the loop, signals, workers, the journal, lease files being written, libvirt */

static unsigned ready_targets(const Config *c) {
        unsigned n = 0;
        for (size_t i = 0; i < c->n_pools; i++)
                for (size_t j = 0; j < c->pools[i].n_sizes; j++)
                        n += c->pools[i].sizes[j].target;
        return n;
}

static unsigned budget_left(unsigned long long limit, unsigned long long reserved) {
        return limit > reserved ? (unsigned) MIN(limit - reserved, (unsigned long long) UINT_MAX - 1) : 0;
}

static unsigned open_files(void) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
                return UINT_MAX - 1;
        if (rl.rlim_cur < rl.rlim_max) {  /* privmemd polls with epoll only: any number of fds is fine */
                rl.rlim_cur = rl.rlim_max;
                (void) setrlimit(RLIMIT_NOFILE, &rl);
                (void) getrlimit(RLIMIT_NOFILE, &rl);
        }
        return rl.rlim_cur == RLIM_INFINITY ? UINT_MAX - 1 : (unsigned) MIN(rl.rlim_cur, (rlim_t) UINT_MAX - 1);
}

/* FileDescriptorStoreMax=, as $FDSTORE says; else what LISTEN_FDNAMES can name. */
static unsigned fdstore_max(void) {
        const char *e = getenv("FDSTORE");
        char *end;
        unsigned long v = e ? strtoul(e, &end, 10) : 0;

        if (!e || end == e || *end)
                return FDSTORE_NAMES_MAX;
        return (unsigned) MIN(v, (unsigned long) FDSTORE_NAMES_MAX);
}

void manager_update_fd_budget(Manager *m) {
        unsigned targets = ready_targets(&m->config), files = open_files();
        unsigned conns = VARLINK_LIMITS_DEFAULT.connections_max;
        FdBudget b = {
                .max = budget_left(files, FD_BUDGET_OWN + 2ULL * conns + 2ULL * targets),
                .resource = "open files",
        };

        if (fdstore_enabled()) {
                unsigned store = fdstore_max(), n = budget_left(store, targets);
                if (!getenv("FDSTORE"))
                        log_notice("$FDSTORE is not set: taking the fd store to hold %u fds (set it to "
                                   "FileDescriptorStoreMax=).", store);
                if (n < b.max)
                        b = (FdBudget) { .max = n, .resource = "fd store" };
        }
        m->core.fd_budget = b;
        log_info("Room for %u leases and owner processes (%s): RLIMIT_NOFILE %u, fd store %s, %u ready memfds "
                 "targeted, %u connections.", b.max, b.resource, files,
                 fdstore_enabled() ? (getenv("FDSTORE") ?: "unsized") : "none", targets, conns);
}

/* The runtime directory is looked at before a memfd is lent, so that a full one refuses the Acquire
 * with an error naming it (and no memfd is spent). With plenty of room, the next look is a second
 * later: lease files (one block each) do not fill megabytes in a second, and a statvfs() per
 * Acquire is not free. Something else may fill the directory meanwhile, as it may between any look
 * and the write: then the write fails, the lease ends before its reply, and the next Acquire looks. */
#define LEASE_FILE_ROOM_PLENTY_BYTES ((uint64_t) 4 << 20)
#define LEASE_FILE_ROOM_PLENTY_FILES ((uint64_t) 1024)
#define LEASE_FILE_ROOM_RECHECK_USEC ((uint64_t) 1000 * 1000)

int manager_check_lease_file_room(Manager *m) {
        uint64_t now = clock_now(m->event);
        struct statvfs sv;

        if (!fdstore_enabled() || now < m->lease_file_room_until)
                return 0;
        if (statvfs(m->leases_dir, &sv) < 0)
                return 0;  /* a directory that cannot be looked at fails the write, which logs it */
        if (sv.f_bavail < 1 || (sv.f_files > 0 && sv.f_favail < 1))
                return -ENOSPC;
        if ((uint64_t) sv.f_bavail * sv.f_frsize >= LEASE_FILE_ROOM_PLENTY_BYTES &&
            (sv.f_files == 0 || (uint64_t) sv.f_favail >= LEASE_FILE_ROOM_PLENTY_FILES))
                m->lease_file_room_until = now + LEASE_FILE_ROOM_RECHECK_USEC;
        return 0;
}
