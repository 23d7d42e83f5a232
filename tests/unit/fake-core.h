/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fakes of the core's two links to the outside, for its unit tests: a worker queue that runs a job
 * only when the test says so (fake-workers.c, in place of workers.c), and a clock that moves only
 * when the test moves it (fake-clock.c, in place of clock.c). */
#pragma once

#include <stdint.h>
#include <systemd/sd-event.h>

#include "core/workers.h"

/* The next queued job, taken out of the queue (the test runs it), or NULL. */
Job *fake_workers_pop(Workers *w);
unsigned fake_workers_queued(const Workers *w);
/* Runs every queued job, and those their done() queues, as a worker and the loop would. */
unsigned fake_workers_run_all(Workers *w);
/* Runs every queued job, but makes each fail with error as populate or punch would. */
unsigned fake_workers_fail_all(Workers *w, int error);

uint64_t fake_clock_now(void);
/* Moves the clock on, firing the timers that come due (and whatever they defer), in order. */
void fake_clock_advance(sd_event *e, uint64_t usec);
/* How far in the future the timer fires; UINT64_MAX when it is not one of ours. */
uint64_t fake_clock_remaining(sd_event_source *timer);
/* Runs the loop's pending sources (deferred refills) until there are none. */
void fake_loop_settle(sd_event *e);
