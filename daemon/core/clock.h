/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The core's time: the loop's now, and timers. The daemon's are sd-event's (clock.c); the unit
 * tests link a fake clock they move by hand (tests/unit/fake-clock.c). */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

/* CLOCK_MONOTONIC in µs, as the event loop saw it this iteration. */
uint64_t clock_now(sd_event *e);
/* A one-shot timer delay_usec from now; *ret is the source to disable_unref. */
int clock_timer(sd_event *e, sd_event_source **ret, uint64_t delay_usec, sd_event_time_handler_t f, void *userdata);
