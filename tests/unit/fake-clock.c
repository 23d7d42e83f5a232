/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A clock the test moves. A timer is a deferred sd-event source, switched off until the clock
 * passes its deadline: the core disposes of it as of any source. */
#include <errno.h>
#include <stdlib.h>

#include "core/clock.h"
#include "fake-core.h"

typedef struct FakeTimer {
        struct FakeTimer *next;
        sd_event_source *source;
        uint64_t deadline;
        sd_event_time_handler_t handler;
        void *userdata;
} FakeTimer;

static uint64_t now = 1000 * 1000 * 1000;  /* not 0: a lease's age is now - acquired */
static FakeTimer *timers;

uint64_t clock_now(sd_event *e) {
        return now;
}

uint64_t fake_clock_now(void) {
        return now;
}

static int timer_fire(sd_event_source *s, void *userdata) {
        FakeTimer *t = userdata;
        return t->handler(s, t->deadline, t->userdata);
}

static void timer_destroy(void *userdata) {
        FakeTimer *t = userdata;
        for (FakeTimer **p = &timers; *p; p = &(*p)->next)
                if (*p == t) {
                        *p = t->next;
                        break;
                }
        free(t);
}

int clock_timer(sd_event *e, sd_event_source **ret, uint64_t delay_usec, sd_event_time_handler_t f, void *userdata) {
        FakeTimer *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        *t = (FakeTimer) { .deadline = now + delay_usec, .handler = f, .userdata = userdata };
        int r = sd_event_add_defer(e, &t->source, timer_fire, t);
        if (r < 0) {
                free(t);
                return r;
        }
        (void) sd_event_source_set_enabled(t->source, SD_EVENT_OFF);
        (void) sd_event_source_set_destroy_callback(t->source, timer_destroy);
        t->next = timers;
        timers = t;
        *ret = t->source;
        return 0;
}

uint64_t fake_clock_remaining(sd_event_source *timer) {
        for (FakeTimer *t = timers; t; t = t->next)
                if (t->source == timer)
                        return t->deadline > now ? t->deadline - now : 0;
        return UINT64_MAX;
}

void fake_loop_settle(sd_event *e) {
        while (sd_event_run(e, 0) > 0)
                ;
}

/* The earliest timer due by then, or NULL. */
static FakeTimer *next_due(uint64_t by) {
        FakeTimer *first = NULL;
        for (FakeTimer *t = timers; t; t = t->next)
                if (t->deadline <= by && (!first || t->deadline < first->deadline))
                        first = t;
        return first;
}

void fake_clock_advance(sd_event *e, uint64_t usec) {
        uint64_t until = now + usec;
        FakeTimer *t;

        while ((t = next_due(until))) {
                now = t->deadline;
                t->deadline = UINT64_MAX;  /* fires once */
                (void) sd_event_source_set_enabled(t->source, SD_EVENT_ONESHOT);
                fake_loop_settle(e);
        }
        now = until;
        fake_loop_settle(e);
}
