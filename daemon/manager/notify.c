/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Telling the service manager how privmemd is: READY=1 once recovered, a STATUS= line kept
 * current every few seconds (not on every call: the acquire path stays free of it), STOPPING=1. */
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "core/pool.h"
#include "manager/manager.h"
#include "manager/notify.h"
#include "util/macro.h"

#define STATUS_INTERVAL_USEC ((uint64_t) 2 * 1000 * 1000)

static void format_status(Manager *m, char *buf, size_t size) {
        uint64_t ready = 0, lent = 0;
        for (size_t i = 0; i < m->n_pools; i++) {
                ready += m->pools[i]->bytes_ready;
                lent += m->pools[i]->bytes_lent;
        }
        snprintf(buf, size, "STATUS=%zu pool(s), %u lease(s), %" PRIu64 " MiB lent, %" PRIu64 " MiB ready",
                 m->n_pools, m->core.n_leases, lent >> 20, ready >> 20);
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        char buf[256];

        format_status(m, buf, sizeof(buf));
        if (!streq(buf, m->last_status)) {
                (void) sd_notify(false, buf);
                snprintf(m->last_status, sizeof(m->last_status), "%s", buf);
        }
        (void) sd_event_source_set_time_relative(s, STATUS_INTERVAL_USEC);
        return 0;
}

int manager_notify_ready(Manager *m) {
        char buf[256];

        format_status(m, buf, sizeof(buf));
        (void) sd_notifyf(false, "READY=1\n%s", buf);
        snprintf(m->last_status, sizeof(m->last_status), "%s", buf);
        if (!getenv("NOTIFY_SOCKET"))
                return 0;
        int r = sd_event_add_time_relative(m->event, &m->status_timer, CLOCK_MONOTONIC, STATUS_INTERVAL_USEC, 0,
                                           on_status_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->status_timer, SD_EVENT_ON);
        return r;
}

void manager_notify_stopping(Manager *m) {
        (void) sd_notify(false, "STOPPING=1");
}
