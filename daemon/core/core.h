/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the core's pools and leases share: the event loop (the manager's), the workers, the lease
 * table, the metrics, and the queue of what changed, which the layers above read. */
#pragma once

#include <systemd/sd-event.h>

#include "core/change.h"
#include "core/metrics.h"
#include "core/workers.h"

typedef struct Core {
        sd_event *event;                /* borrowed */
        Workers *workers;               /* borrowed */
        Metrics metrics;
        Lease *leases;
        unsigned n_leases;
        ChangeQueue changes;
} Core;

Lease *core_find_lease(Core *c, const char *id);
void core_add_lease(Core *c, Lease *l);
void core_remove_lease(Core *c, Lease *l);
