/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the core's pools and leases share: the event loop (the manager's), the workers, the lease
 * table, the owner processes, the metrics, and the queue of what changed, which the layers above read. */
#pragma once

#include <systemd/sd-event.h>

#include "core/change.h"
#include "core/hash.h"
#include "core/metrics.h"
#include "core/process.h"
#include "core/workers.h"

/* How many fds leases and their owner processes may hold, as the manager worked it out from the
 * limits (manager/fd-budget.c): a lease costs one fd (its memfd), a new owner process one more. */
typedef struct FdBudget {
        unsigned max;                   /* leases + owner processes + waiting Acquires */
        const char *resource;           /* the limit that sets max, as TooManyLeases names it; NULL: none yet */
} FdBudget;

typedef struct Core {
        sd_event *event;                /* borrowed */
        Workers *workers;               /* borrowed */
        Metrics metrics;
        Lease *leases;
        unsigned n_leases;
        HashTable lease_ids;            /* the same leases, by id */
        HashTable processes;            /* owner processes, by pid and start time */
        unsigned n_processes;
        FdBudget fd_budget;
        ChangeQueue changes;
} Core;

/* Frees the leases (without punching: the daemon exits), the owner processes, the tables and the
 * queued changes. The pools are their owner's; the workers must be stopped first. */
void core_done(Core *c);

Lease *core_find_lease(Core *c, const char *id);
int core_add_lease(Core *c, Lease *l);
void core_remove_lease(Core *c, Lease *l);
/* Whether one more lease of owner fits the fd budget, with `waiting` Acquires ahead of it that
 * will each become a lease: 0, or -EMFILE with what is used. */
int core_fd_budget_check(Core *c, const Owner *owner, unsigned waiting, unsigned *ret_used);
