/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's counters and histograms as GetMetrics describes them. */
#include "json-get.h"
#include "privmem-internal.h"
#include "schema/io-privmemd.h"

typedef struct Bucket {
        double le;
        uint64_t count;
} Bucket;

struct privmem_histogram {
        Bucket *buckets;
        size_t n_buckets;
        uint64_t count;
        double sum;
};

typedef struct AcquireCount {
        char *result;
        uint64_t count;
} AcquireCount;

typedef struct PoolMetrics {
        char *pool;
        uint64_t populate_timeouts, stuck_workers;
} PoolMetrics;

struct privmem_metrics {
        AcquireCount *acquires;
        size_t n_acquires;
        PoolMetrics *pools;
        size_t n_pools;
        uint64_t invalidations, leaks;
        privmem_histogram acquire_seconds, refill_seconds;
};

_public_ privmem_metrics *privmem_metrics_free(privmem_metrics *m) {
        if (!m)
                return NULL;
        for (size_t i = 0; i < m->n_acquires; i++)
                free(m->acquires[i].result);
        free(m->acquires);
        for (size_t i = 0; i < m->n_pools; i++)
                free(m->pools[i].pool);
        free(m->pools);
        free(m->acquire_seconds.buckets);
        free(m->refill_seconds.buckets);
        free(m);
        return NULL;
}

static int bucket_from_json(json_object *o, Bucket *b) {
        int r = json_get_double(o, SCHEMA_BUCKET_LE, &b->le);
        return r < 0 ? r : json_get_u64(o, SCHEMA_BUCKET_COUNT, &b->count);
}

static int histogram_from_json(json_object *o, const char *key, privmem_histogram *h) {
        json_object *ho, *array;
        int r;

        if ((r = json_get_object(o, key, &ho)) < 0 || (r = json_get_array(ho, SCHEMA_HISTOGRAM_BUCKETS, &array)) < 0 ||
            (r = json_get_u64(ho, SCHEMA_HISTOGRAM_COUNT, &h->count)) < 0 || (r = json_get_double(ho, SCHEMA_HISTOGRAM_SUM, &h->sum)) < 0)
                return r;
        size_t n = json_object_array_length(array);
        if (!(h->buckets = calloc(n ?: 1, sizeof(Bucket))))
                return -ENOMEM;
        for (; h->n_buckets < n; h->n_buckets++)
                if ((r = bucket_from_json(json_object_array_get_idx(array, h->n_buckets), &h->buckets[h->n_buckets])) < 0)
                        return r;
        return 0;
}

static int acquires_from_json(json_object *o, privmem_metrics *m) {
        json_object *array;
        int r = json_get_array(o, SCHEMA_METRICS_ACQUIRES, &array);
        if (r < 0)
                return r;
        size_t n = json_object_array_length(array);
        if (!(m->acquires = calloc(n ?: 1, sizeof(AcquireCount))))
                return -ENOMEM;
        for (; m->n_acquires < n; m->n_acquires++) {
                json_object *a = json_object_array_get_idx(array, m->n_acquires);
                AcquireCount *c = &m->acquires[m->n_acquires];
                if ((r = json_get_string(a, SCHEMA_ACQUIRE_COUNT_RESULT, &c->result)) < 0 || (r = json_get_u64(a, SCHEMA_ACQUIRE_COUNT_COUNT, &c->count)) < 0) {
                        m->n_acquires++;        /* frees a result already copied */
                        return r;
                }
        }
        return 0;
}

static int pool_metrics_from_json(json_object *o, PoolMetrics *p) {
        int r;
        if ((r = json_get_string(o, SCHEMA_POOL_METRICS_POOL, &p->pool)) < 0 ||
            (r = json_get_u64(o, SCHEMA_POOL_METRICS_POPULATE_TIMEOUTS, &p->populate_timeouts)) < 0 ||
            (r = json_get_u64(o, SCHEMA_POOL_METRICS_STUCK_WORKERS, &p->stuck_workers)) < 0)
                return r;
        return 0;
}

/* Optional here: an older privmemd does not send them. */
static int pools_from_json(json_object *o, privmem_metrics *m) {
        json_object *array = json_object_object_get(o, SCHEMA_METRICS_POOLS);
        if (!array || json_object_is_type(array, json_type_null))
                return 0;
        int r = json_get_array(o, SCHEMA_METRICS_POOLS, &array);
        if (r < 0)
                return r;
        size_t n = json_object_array_length(array);
        if (!(m->pools = calloc(n ?: 1, sizeof(PoolMetrics))))
                return -ENOMEM;
        for (; m->n_pools < n; m->n_pools++)
                if ((r = pool_metrics_from_json(json_object_array_get_idx(array, m->n_pools), &m->pools[m->n_pools])) < 0) {
                        m->n_pools++;   /* frees a name already copied */
                        return r;
                }
        return 0;
}

int metrics_from_json(json_object *o, privmem_metrics **ret) {
        _cleanup_(privmem_metrics_freep) privmem_metrics *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        if ((r = acquires_from_json(o, m)) < 0 ||
            (r = json_get_u64(o, SCHEMA_METRICS_INVALIDATIONS, &m->invalidations)) < 0 ||
            (r = json_get_u64(o, SCHEMA_METRICS_LEAKS, &m->leaks)) < 0 ||
            (r = histogram_from_json(o, SCHEMA_METRICS_ACQUIRE_SECONDS, &m->acquire_seconds)) < 0 ||
            (r = histogram_from_json(o, SCHEMA_METRICS_REFILL_SECONDS, &m->refill_seconds)) < 0 ||
            (r = pools_from_json(o, m)) < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

_public_ int privmem_get_metrics(privmem *p, privmem_metrics **ret) {
        _cleanup_(varlink_reply_donep) VarlinkReply reply = {};
        json_object *v;

        if (!p || !ret)
                return -EINVAL;
        int r = privmem_call_get(p, SCHEMA_METHOD_GET_METRICS, json_object_new_object(), SCHEMA_GET_METRICS_METRICS,
                                 json_type_object, &reply, &v);
        return r < 0 ? r : privmem_parsed(p, SCHEMA_METHOD_GET_METRICS, metrics_from_json(v, ret));
}

_public_ size_t privmem_metrics_n_acquire_results(const privmem_metrics *m) { return m ? m->n_acquires : 0; }
_public_ const char *privmem_metrics_acquire_result(const privmem_metrics *m, size_t i) {
        return m && i < m->n_acquires ? m->acquires[i].result : NULL;
}
_public_ uint64_t privmem_metrics_acquire_count(const privmem_metrics *m, size_t i) {
        return m && i < m->n_acquires ? m->acquires[i].count : 0;
}
_public_ uint64_t privmem_metrics_invalidations(const privmem_metrics *m) { return m ? m->invalidations : 0; }
_public_ uint64_t privmem_metrics_leaks(const privmem_metrics *m) { return m ? m->leaks : 0; }
_public_ const privmem_histogram *privmem_metrics_acquire_seconds(const privmem_metrics *m) {
        return m ? &m->acquire_seconds : NULL;
}
_public_ const privmem_histogram *privmem_metrics_refill_seconds(const privmem_metrics *m) {
        return m ? &m->refill_seconds : NULL;
}

_public_ size_t privmem_metrics_n_pools(const privmem_metrics *m) { return m ? m->n_pools : 0; }
_public_ const char *privmem_metrics_pool_name(const privmem_metrics *m, size_t i) {
        return m && i < m->n_pools ? m->pools[i].pool : NULL;
}
_public_ uint64_t privmem_metrics_pool_populate_timeouts(const privmem_metrics *m, size_t i) {
        return m && i < m->n_pools ? m->pools[i].populate_timeouts : 0;
}
_public_ uint64_t privmem_metrics_pool_stuck_workers(const privmem_metrics *m, size_t i) {
        return m && i < m->n_pools ? m->pools[i].stuck_workers : 0;
}

_public_ size_t privmem_histogram_n_buckets(const privmem_histogram *h) { return h ? h->n_buckets : 0; }
_public_ double privmem_histogram_bucket_le(const privmem_histogram *h, size_t i) {
        return h && i < h->n_buckets ? h->buckets[i].le : 0;
}
_public_ uint64_t privmem_histogram_bucket_count(const privmem_histogram *h, size_t i) {
        return h && i < h->n_buckets ? h->buckets[i].count : 0;
}
_public_ uint64_t privmem_histogram_count(const privmem_histogram *h) { return h ? h->count : 0; }
_public_ double privmem_histogram_sum(const privmem_histogram *h) { return h ? h->sum : 0; }
