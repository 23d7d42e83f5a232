/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libprivmem's objects back as JSON, with privmemd's field names. */
#include "json-out.h"
#include "util/macro.h"

const char *owner_kind_name(enum privmem_owner_kind k) {
        return k == PRIVMEM_OWNER_PROCESS ? "process" : k == PRIVMEM_OWNER_CONNECTION ? "connection" : "unknown";
}

const char *pool_state_name(enum privmem_pool_state s) {
        static const char *const names[] = {
                [PRIVMEM_POOL_OK] = "ok", [PRIVMEM_POOL_FAILING] = "failing",
                [PRIVMEM_POOL_DRAINED] = "drained", [PRIVMEM_POOL_RETIRED] = "retired",
        };
        return s > 0 && (size_t) s < ELEMENTSOF(names) ? names[s] : "unknown";
}

const char *backing_name(enum privmem_backing b) {
        return b == PRIVMEM_BACKING_SHMEM ? "shmem" : b == PRIVMEM_BACKING_HUGETLB ? "hugetlb" : "unknown";
}

static void add_u64(json_object *o, const char *key, uint64_t v) {
        json_object_object_add(o, key, json_object_new_int64(v > INT64_MAX ? INT64_MAX : (int64_t) v));
}

static void add_str(json_object *o, const char *key, const char *v) {
        if (v)
                json_object_object_add(o, key, json_object_new_string(v));
}

json_object *json_wrap(const char *key, json_object *value) {
        json_object *o = value ? json_object_new_object() : NULL;
        if (!o) {
                json_object_put(value);
                return NULL;
        }
        json_object_object_add(o, key, value);
        return o;
}

static json_object *json_owner(const privmem_lease *l) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_str(o, "kind", owner_kind_name(privmem_lease_owner_kind(l)));
        if (privmem_lease_owner_kind(l) == PRIVMEM_OWNER_PROCESS)
                add_u64(o, "pid", (uint64_t) privmem_lease_owner_pid(l));
        add_str(o, "command", privmem_lease_owner_command(l));
        return o;
}

json_object *json_lease(const privmem_lease *l) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_str(o, "id", privmem_lease_id(l));
        add_str(o, "pool", privmem_lease_pool(l));
        add_u64(o, "size", privmem_lease_size(l));
        add_str(o, "state", privmem_lease_state_name(l));
        json_object_object_add(o, "owner", json_owner(l));
        add_u64(o, "uid", privmem_lease_uid(l));
        if (privmem_lease_state(l) == PRIVMEM_LEASE_LEAKED)
                add_u64(o, "leakedBytes", privmem_lease_leaked_bytes(l));
        json_object_object_add(o, "age", json_object_new_double(privmem_lease_age(l)));
        add_str(o, "tag", privmem_lease_tag(l));
        return o;
}

json_object *json_lease_list(const privmem_lease_list *list) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < privmem_lease_list_count(list); i++)
                json_object_array_add(a, json_lease(privmem_lease_list_get(list, i)));
        return a;
}

static json_object *json_class(const privmem_pool *pool, size_t i) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_u64(o, "size", privmem_pool_class_size(pool, i));
        add_u64(o, "target", privmem_pool_class_target(pool, i));
        add_u64(o, "ready", privmem_pool_class_ready(pool, i));
        add_u64(o, "building", privmem_pool_class_building(pool, i));
        add_u64(o, "lent", privmem_pool_class_lent(pool, i));
        return o;
}

json_object *json_pool(const privmem_pool *pool) {
        json_object *o = json_object_new_object(), *classes = json_object_new_array();
        if (!o || !classes) {
                json_object_put(o);
                json_object_put(classes);
                return NULL;
        }
        add_str(o, "name", privmem_pool_name(pool));
        add_str(o, "backing", backing_name(privmem_pool_backing(pool)));
        add_u64(o, "pageSize", privmem_pool_page_size(pool));
        if (privmem_pool_numa_node(pool) >= 0)
                add_u64(o, "numaNode", (uint64_t) privmem_pool_numa_node(pool));
        for (size_t i = 0; i < privmem_pool_n_classes(pool); i++)
                json_object_array_add(classes, json_class(pool, i));
        json_object_object_add(o, "classes", classes);
        add_u64(o, "bytesReady", privmem_pool_bytes_ready(pool));
        add_u64(o, "bytesLent", privmem_pool_bytes_lent(pool));
        add_u64(o, "bytesOther", privmem_pool_bytes_other(pool));
        add_u64(o, "limit", privmem_pool_limit(pool));
        add_u64(o, "quotaPerUid", privmem_pool_quota_per_uid(pool));
        add_str(o, "state", pool_state_name(privmem_pool_state(pool)));
        add_str(o, "lastError", privmem_pool_last_error(pool));
        return o;
}

json_object *json_pool_list(const privmem_pool_list *list) {
        json_object *a = json_object_new_array();
        for (size_t i = 0; a && i < privmem_pool_list_count(list); i++)
                json_object_array_add(a, json_pool(privmem_pool_list_get(list, i)));
        return a;
}

json_object *json_status(const privmem_status *s) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_str(o, "version", privmem_status_version(s));
        json_object_object_add(o, "uptime", json_object_new_double(privmem_status_uptime(s)));
        add_u64(o, "connections", privmem_status_connections(s));
        add_u64(o, "pools", privmem_status_pools(s));
        add_u64(o, "leases", privmem_status_leases(s));
        return o;
}

json_object *json_event(const privmem_event *e) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_str(o, "kind", privmem_event_kind_name(e));
        add_u64(o, "timestamp", privmem_event_timestamp(e));
        if (privmem_event_lease(e))
                json_object_object_add(o, "lease", json_lease(privmem_event_lease(e)));
        add_str(o, "pool", privmem_event_pool(e));
        if (privmem_event_size(e) > 0)
                add_u64(o, "size", privmem_event_size(e));
        add_str(o, "reason", privmem_event_reason(e));
        return o;
}

static json_object *json_histogram(const privmem_histogram *h) {
        json_object *o = json_object_new_object(), *buckets = json_object_new_array();
        if (!o || !buckets) {
                json_object_put(o);
                json_object_put(buckets);
                return NULL;
        }
        for (size_t i = 0; i < privmem_histogram_n_buckets(h); i++) {
                json_object *b = json_object_new_object();
                if (!b)
                        continue;
                json_object_object_add(b, "le", json_object_new_double(privmem_histogram_bucket_le(h, i)));
                add_u64(b, "count", privmem_histogram_bucket_count(h, i));
                json_object_array_add(buckets, b);
        }
        json_object_object_add(o, "buckets", buckets);
        add_u64(o, "count", privmem_histogram_count(h));
        json_object_object_add(o, "sum", json_object_new_double(privmem_histogram_sum(h)));
        return o;
}

json_object *json_metrics(const privmem_metrics *m) {
        json_object *o = json_object_new_object(), *acquires = json_object_new_array();
        if (!o || !acquires) {
                json_object_put(o);
                json_object_put(acquires);
                return NULL;
        }
        for (size_t i = 0; i < privmem_metrics_n_acquire_results(m); i++) {
                json_object *a = json_object_new_object();
                if (!a)
                        continue;
                add_str(a, "result", privmem_metrics_acquire_result(m, i));
                add_u64(a, "count", privmem_metrics_acquire_count(m, i));
                json_object_array_add(acquires, a);
        }
        json_object_object_add(o, "acquires", acquires);
        add_u64(o, "invalidations", privmem_metrics_invalidations(m));
        add_u64(o, "leaks", privmem_metrics_leaks(m));
        json_object_object_add(o, "acquireSeconds", json_histogram(privmem_metrics_acquire_seconds(m)));
        json_object_object_add(o, "refillSeconds", json_histogram(privmem_metrics_refill_seconds(m)));
        return o;
}
