/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Telling the service manager how privmemd is: READY=1 once recovered, STOPPING=1, and a STATUS=
 * line, coalesced: a change arms a one-shot timer, and the line goes out when the timer fires, if it
 * is not the one sent last. Never from the acquire path itself, at most every STATUS_INTERVAL_USEC. */
#include <stdio.h>

#include "core/pool.h"
#include "manager/manager.h"
#include "manager/notify.h"
#include "store/notify-socket.h"
#include "util/log.h"
#include "util/macro.h"

#define STATUS_INTERVAL_USEC ((uint64_t) 100 * 1000)
#define STATUS_ACCURACY_USEC ((uint64_t) 20 * 1000)

static void format_status(Manager *m, char *buf, size_t size) {
        uint64_t ready = 0, lent = 0;
        for (size_t i = 0; i < m->n_pools; i++) {
                ready += m->pools[i]->bytes_ready;
                lent += m->pools[i]->bytes_lent;
        }
        snprintf(buf, size, "STATUS=%zu pool(s), %u lease(s), %" PRIu64 " MiB lent, %" PRIu64 " MiB ready",
                 m->n_pools, m->core.n_leases, lent >> 20, ready >> 20);
}

/* what ("READY=1", ...) and the status line in one message. */
static void notify_with_status(Manager *m, const char *what) {
        char status[256], msg[300];
        int r;

        format_status(m, status, sizeof(status));
        if (what)
                snprintf(msg, sizeof(msg), "%s\n%s", what, status);
        else if (streq(status, m->last_status))
                return;
        r = notify_socket_send_manager(what ? msg : status, NULL, 0);
        if (r < 0)
                log_warning_errno(r, "Cannot tell the service manager at %s %s: %m", notify_socket_manager_address(),
                                  what ?: "the status");
        snprintf(m->last_status, sizeof(m->last_status), "%s", status);
}

static int on_status_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        notify_with_status(userdata, NULL);
        return 0;
}

int manager_notify_ready(Manager *m) {
        notify_with_status(m, "READY=1");
        if (!notify_socket_manager_address())
                return 0;
        int r = sd_event_add_time(m->event, &m->status_timer, CLOCK_MONOTONIC, 0, STATUS_ACCURACY_USEC,
                                  on_status_timer, m);
        if (r >= 0)
                r = sd_event_source_set_enabled(m->status_timer, SD_EVENT_OFF);
        return r;
}

/* Arms the timer unless it is armed already: one change or thousands, one line. */
void manager_notify_status_changed(Manager *m) {
        int enabled;

        if (!m->status_timer || sd_event_source_get_enabled(m->status_timer, &enabled) < 0 || enabled != SD_EVENT_OFF)
                return;
        (void) sd_event_source_set_time_relative(m->status_timer, STATUS_INTERVAL_USEC);
        (void) sd_event_source_set_enabled(m->status_timer, SD_EVENT_ONESHOT);
}

void manager_notify_stopping(Manager *m) {
        notify_with_status(m, "STOPPING=1");
}
