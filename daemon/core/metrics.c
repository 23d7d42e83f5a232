/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Counters and histograms for io.privmemd.GetMetrics (privmemctl metrics turns them into Prometheus text). */
#include <time.h>

#include "core/metrics.h"
#include "util/string-table.h"
#include "schema/io-privmemd.h"
#include "util/macro.h"

/* Seconds: from a bare fd hand-over (tens of µs) to populating many GiB (tens of s). */
static const double bounds[HISTOGRAM_BUCKETS] = {
        0.00002, 0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30,
};

static const char *const result_names[_ACQUIRE_RESULT_MAX + 1] = {
        [ACQUIRE_READY] = "ready", [ACQUIRE_BUILT] = "built", [ACQUIRE_EXHAUSTED] = "exhausted",
        [ACQUIRE_QUOTA] = "quota", [ACQUIRE_DENIED] = "denied", [ACQUIRE_INVALID] = "invalid",
        [ACQUIRE_FAILED] = "failed",
};

uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

void histogram_observe(Histogram *h, double seconds) {
        for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++)
                if (seconds <= bounds[i]) {
                        h->buckets[i]++;
                        break;
                }
        h->count++;
        h->sum += seconds;
}

void metrics_acquire(Metrics *m, AcquireResult result, uint64_t start_usec) {
        m->acquires[result]++;
        if (result == ACQUIRE_READY || result == ACQUIRE_BUILT)
                histogram_observe(&m->acquire_seconds, (double) (now_usec() - start_usec) / 1e6);
}

/* {buckets: [{le, count}...] cumulative, count, sum}: the shape Prometheus wants. */
static json_object *describe_histogram(const Histogram *h) {
        json_object *o = json_object_new_object(), *buckets = json_object_new_array();
        uint64_t cumulative = 0;

        if (!o || !buckets) {
                json_object_put(o);
                json_object_put(buckets);
                return NULL;
        }
        for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++) {
                json_object *b = json_object_new_object();
                cumulative += h->buckets[i];
                json_object_object_add(b, SCHEMA_BUCKET_LE, json_object_new_double(bounds[i]));
                json_object_object_add(b, SCHEMA_BUCKET_COUNT, json_object_new_int64((int64_t) cumulative));
                json_object_array_add(buckets, b);
        }
        json_object_object_add(o, SCHEMA_HISTOGRAM_BUCKETS, buckets);
        json_object_object_add(o, SCHEMA_HISTOGRAM_COUNT, json_object_new_int64((int64_t) h->count));
        json_object_object_add(o, SCHEMA_HISTOGRAM_SUM, json_object_new_double(h->sum));
        return o;
}

json_object *metrics_describe(const Metrics *m) {
        json_object *o = json_object_new_object(), *acquires = json_object_new_array();
        if (!o || !acquires) {
                json_object_put(o);
                json_object_put(acquires);
                return NULL;
        }
        for (size_t i = 0; i < _ACQUIRE_RESULT_MAX; i++) {
                json_object *a = json_object_new_object();
                json_object_object_add(a, SCHEMA_ACQUIRE_COUNT_RESULT, json_object_new_string(string_table_to_string(result_names, (int) i)));
                json_object_object_add(a, SCHEMA_ACQUIRE_COUNT_COUNT, json_object_new_int64((int64_t) m->acquires[i]));
                json_object_array_add(acquires, a);
        }
        json_object_object_add(o, SCHEMA_METRICS_ACQUIRES, acquires);
        json_object_object_add(o, SCHEMA_METRICS_INVALIDATIONS, json_object_new_int64((int64_t) m->invalidations));
        json_object_object_add(o, SCHEMA_METRICS_LEAKS, json_object_new_int64((int64_t) m->leaks));
        json_object_object_add(o, SCHEMA_METRICS_ACQUIRE_SECONDS, describe_histogram(&m->acquire_seconds));
        json_object_object_add(o, SCHEMA_METRICS_REFILL_SECONDS, describe_histogram(&m->refill_seconds));
        return o;
}
