/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Counters and histograms for io.privmemd.GetMetrics (privmemctl metrics turns them into Prometheus text). */
#pragma once

#include <json-c/json.h>
#include <stdint.h>

#define HISTOGRAM_BUCKETS 14

typedef enum AcquireResult {
        ACQUIRE_READY,          /* lent a memfd that was ready */
        ACQUIRE_BUILT,          /* lent a memfd built while the caller waited */
        ACQUIRE_EXHAUSTED,
        ACQUIRE_QUOTA,
        ACQUIRE_DENIED,
        ACQUIRE_INVALID,        /* no such pool, bad size or parameters */
        ACQUIRE_FAILED,         /* the daemon's own failure */
        _ACQUIRE_RESULT_MAX,
} AcquireResult;

typedef struct Histogram {
        uint64_t buckets[HISTOGRAM_BUCKETS];    /* observations <= bound[i], not cumulative */
        uint64_t count;
        double sum;
} Histogram;

typedef struct Metrics {
        uint64_t acquires[_ACQUIRE_RESULT_MAX];
        uint64_t invalidations, leaks;
        Histogram acquire_seconds, refill_seconds;
} Metrics;

uint64_t now_usec(void);        /* CLOCK_MONOTONIC, now (not the event loop's cached time) */
void histogram_observe(Histogram *h, double seconds);
void metrics_acquire(Metrics *m, AcquireResult result, uint64_t start_usec);
json_object *metrics_describe(const Metrics *m);
