/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The core's time on sd-event. */
#include "core/clock.h"

uint64_t clock_now(sd_event *e) {
        uint64_t now = 0;
        (void) sd_event_now(e, CLOCK_MONOTONIC, &now);
        return now;
}

int clock_timer(sd_event *e, sd_event_source **ret, uint64_t delay_usec, sd_event_time_handler_t f, void *userdata) {
        return sd_event_add_time_relative(e, ret, CLOCK_MONOTONIC, delay_usec, 0, f, userdata);
}
