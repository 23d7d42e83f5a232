/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pools as the daemon describes them: parsed from ListPools, read through getters. */
#include "json-get.h"
#include "privmem-internal.h"
#include "schema/io-privmemd.h"

typedef struct SizeClass {
        uint64_t size, target, ready, building, lent;
} SizeClass;

struct privmem_pool {
        char *name, *backing_name, *state_name, *last_error, *failure_name;
        int backing, state, failure;
        uint64_t page_size, numa_node, bytes_ready, bytes_lent, bytes_other, limit, quota_per_uid;
        bool has_numa_node, seal_guest;
        SizeClass *classes;
        size_t n_classes;
        bool has_huge;
        struct privmem_pool_huge huge;  /* its strings point into huge_fallback, huge_advice */
        char *huge_fallback, *huge_advice;
};

struct privmem_pool_list {
        privmem_pool *pools;
        size_t n;
};

/* The wire's enum values (by their index in schema/) as this library's. */
static const int backings[_SCHEMA_BACKING_MAX] = {
        [SCHEMA_BACKING_SHMEM] = PRIVMEM_BACKING_SHMEM,
        [SCHEMA_BACKING_HUGETLB] = PRIVMEM_BACKING_HUGETLB,
};
static const int pool_states[_SCHEMA_POOL_STATE_MAX] = {
        [SCHEMA_POOL_STATE_OK] = PRIVMEM_POOL_OK,
        [SCHEMA_POOL_STATE_FAILING] = PRIVMEM_POOL_FAILING,
        [SCHEMA_POOL_STATE_DRAINED] = PRIVMEM_POOL_DRAINED,
        [SCHEMA_POOL_STATE_RETIRED] = PRIVMEM_POOL_RETIRED,
};

const int privmem_failures[_SCHEMA_FAILURE_MAX] = {
        [SCHEMA_FAILURE_LIMIT] = PRIVMEM_FAILURE_LIMIT,
        [SCHEMA_FAILURE_NO_READY] = PRIVMEM_FAILURE_NO_READY,
        [SCHEMA_FAILURE_NO_MEMORY] = PRIVMEM_FAILURE_NO_MEMORY,
        [SCHEMA_FAILURE_POPULATE_TIMEOUT] = PRIVMEM_FAILURE_POPULATE_TIMEOUT,
        [SCHEMA_FAILURE_STUCK_WORKER] = PRIVMEM_FAILURE_STUCK_WORKER,
        [SCHEMA_FAILURE_ERROR] = PRIVMEM_FAILURE_ERROR,
};

static int class_from_json(json_object *o, SizeClass *c) {
        int r;
        if ((r = json_get_u64(o, SCHEMA_SIZE_CLASS_SIZE, &c->size)) < 0 ||
            (r = json_get_u64(o, SCHEMA_SIZE_CLASS_TARGET, &c->target)) < 0 ||
            (r = json_get_u64(o, SCHEMA_SIZE_CLASS_READY, &c->ready)) < 0 ||
            (r = json_get_u64(o, SCHEMA_SIZE_CLASS_BUILDING, &c->building)) < 0 ||
            (r = json_get_u64(o, SCHEMA_SIZE_CLASS_LENT, &c->lent)) < 0)
                return r;
        return 0;
}

static int classes_from_json(json_object *o, privmem_pool *pool) {
        json_object *array;
        int r = json_get_array(o, SCHEMA_POOL_CLASSES, &array);
        if (r < 0)
                return r;
        size_t n = json_object_array_length(array);
        pool->classes = calloc(n ?: 1, sizeof(SizeClass));
        if (!pool->classes)
                return -ENOMEM;
        for (; pool->n_classes < n; pool->n_classes++) {
                r = class_from_json(json_object_array_get_idx(array, pool->n_classes), &pool->classes[pool->n_classes]);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int numa_node_from_json(json_object *o, privmem_pool *pool) {
        int r = json_get_u64_opt(o, SCHEMA_POOL_NUMA_NODE, &pool->numa_node);
        if (r > 0 && pool->numa_node > INT32_MAX)
                return -EPROTO;
        pool->has_numa_node = r > 0;
        return r < 0 ? r : 0;
}

static int huge_from_json(json_object *o, privmem_pool *pool) {
        json_object *h = json_object_object_get(o, SCHEMA_POOL_HUGE);
        uint64_t min = 0;
        bool host = false;
        int r;

        if (!h || json_object_is_type(h, json_type_null))
                return 0;
        if ((r = json_get_u64(h, SCHEMA_HUGE_READY_HUGE_BYTES, &pool->huge.ready_huge_bytes)) < 0 ||
            (r = json_get_u64(h, SCHEMA_HUGE_POPULATED_BYTES, &pool->huge.populated_bytes)) < 0 ||
            (r = json_get_u64(h, SCHEMA_HUGE_POPULATED_HUGE_BYTES, &pool->huge.populated_huge_bytes)) < 0 ||
            (r = json_get_u64(h, SCHEMA_HUGE_SHORT_MEMFDS, &pool->huge.short_memfds)) < 0 ||
            (r = json_get_u64(h, SCHEMA_HUGE_MIN_PERCENT, &min)) < 0 ||
            (r = json_get_string(h, SCHEMA_HUGE_FALLBACK, &pool->huge_fallback)) < 0 ||
            (r = json_get_string_opt(h, SCHEMA_HUGE_HOST_ADVICE, &pool->huge_advice)) < 0 ||
            (r = json_get_bool_opt(h, SCHEMA_HUGE_HOST_GIVES_HUGE, &host)) < 0)
                return r;
        pool->huge.min_percent = (unsigned) MIN(min, 100U);
        pool->huge.host_gives_huge = r > 0 ? host : -1;
        pool->huge.fallback = pool->huge_fallback;
        pool->huge.host_advice = pool->huge_advice;
        pool->huge.size = sizeof(pool->huge);
        pool->has_huge = true;
        return 0;
}

static int pool_from_json(json_object *o, privmem_pool *pool) {
        int r;
        if ((r = json_get_string(o, SCHEMA_POOL_NAME, &pool->name)) < 0 ||
            (r = json_get_enum(o, SCHEMA_POOL_BACKING, schema_backings, backings, &pool->backing,
                               &pool->backing_name)) < 0 ||
            (r = json_get_u64(o, SCHEMA_POOL_PAGE_SIZE, &pool->page_size)) < 0 ||
            (r = numa_node_from_json(o, pool)) < 0 ||
            /* optional here: an older privmemd does not send it */
            (r = json_get_bool_opt(o, SCHEMA_POOL_SEAL_GUEST, &pool->seal_guest)) < 0 ||
            (r = classes_from_json(o, pool)) < 0 ||
            (r = json_get_u64(o, SCHEMA_POOL_BYTES_READY, &pool->bytes_ready)) < 0 ||
            (r = json_get_u64(o, SCHEMA_POOL_BYTES_LENT, &pool->bytes_lent)) < 0 ||
            (r = json_get_u64(o, SCHEMA_POOL_BYTES_OTHER, &pool->bytes_other)) < 0 ||
            (r = json_get_u64(o, SCHEMA_POOL_LIMIT, &pool->limit)) < 0 ||
            (r = json_get_u64(o, SCHEMA_POOL_QUOTA_PER_UID, &pool->quota_per_uid)) < 0 ||
            (r = json_get_enum(o, SCHEMA_POOL_STATE, schema_pool_states, pool_states, &pool->state,
                               &pool->state_name)) < 0 ||
            (r = json_get_string_opt(o, SCHEMA_POOL_LAST_ERROR, &pool->last_error)) < 0 ||
            (r = json_get_enum_opt(o, SCHEMA_POOL_FAILURE, schema_failures, privmem_failures, &pool->failure,
                                   &pool->failure_name)) < 0 ||
            (r = huge_from_json(o, pool)) < 0)
                return r;
        return 0;
}

_public_ privmem_pool_list *privmem_pool_list_free(privmem_pool_list *list) {
        if (!list)
                return NULL;
        for (size_t i = 0; i < list->n; i++) {
                free(list->pools[i].name);
                free(list->pools[i].backing_name);
                free(list->pools[i].state_name);
                free(list->pools[i].last_error);
                free(list->pools[i].failure_name);
                free(list->pools[i].huge_fallback);
                free(list->pools[i].huge_advice);
                free(list->pools[i].classes);
        }
        free(list->pools);
        free(list);
        return NULL;
}

int pool_list_from_json(json_object *array, privmem_pool_list **ret) {
        _cleanup_(privmem_pool_list_freep) privmem_pool_list *list = calloc(1, sizeof(*list));
        size_t n = json_object_array_length(array);

        if (!list || !(list->pools = calloc(n ?: 1, sizeof(privmem_pool))))
                return -ENOMEM;
        for (; list->n < n; list->n++) {
                /* counted before parsing, so that a half-parsed pool is freed too */
                int r = pool_from_json(json_object_array_get_idx(array, list->n), &list->pools[list->n]);
                if (r < 0) {
                        list->n++;
                        return r;
                }
        }
        *ret = TAKE_PTR(list);
        return 0;
}

_public_ size_t privmem_pool_list_count(const privmem_pool_list *list) {
        return list ? list->n : 0;
}

_public_ const privmem_pool *privmem_pool_list_get(const privmem_pool_list *list, size_t i) {
        return list && i < list->n ? &list->pools[i] : NULL;
}

_public_ const privmem_pool *privmem_pool_list_find(const privmem_pool_list *list, const char *name) {
        for (size_t i = 0; list && name && i < list->n; i++)
                if (streq(list->pools[i].name, name))
                        return &list->pools[i];
        return NULL;
}

_public_ const char *privmem_pool_name(const privmem_pool *p) { return p ? p->name : NULL; }
_public_ enum privmem_backing privmem_pool_backing(const privmem_pool *p) { return p ? p->backing : 0; }
_public_ uint64_t privmem_pool_page_size(const privmem_pool *p) { return p ? p->page_size : 0; }
_public_ int privmem_pool_numa_node(const privmem_pool *p) { return p && p->has_numa_node ? (int) p->numa_node : -1; }
_public_ uint64_t privmem_pool_bytes_ready(const privmem_pool *p) { return p ? p->bytes_ready : 0; }
_public_ uint64_t privmem_pool_bytes_lent(const privmem_pool *p) { return p ? p->bytes_lent : 0; }
_public_ uint64_t privmem_pool_bytes_other(const privmem_pool *p) { return p ? p->bytes_other : 0; }
_public_ uint64_t privmem_pool_limit(const privmem_pool *p) { return p ? p->limit : 0; }
_public_ uint64_t privmem_pool_quota_per_uid(const privmem_pool *p) { return p ? p->quota_per_uid : 0; }
_public_ enum privmem_pool_state privmem_pool_state(const privmem_pool *p) { return p ? p->state : 0; }
_public_ const char *privmem_pool_last_error(const privmem_pool *p) { return p ? p->last_error : NULL; }
_public_ enum privmem_failure privmem_pool_failure(const privmem_pool *p) { return p ? p->failure : 0; }
_public_ const char *privmem_pool_failure_name(const privmem_pool *p) { return p ? p->failure_name : NULL; }
/* The smallest struct privmem_pool_huge a caller may pass: LIBPRIVMEM_0.3's. The largest: a page,
 * as sched_getattr() takes; more is a size never set, not a struct from the future. */
#define POOL_HUGE_SIZE_0_3 (offsetof(struct privmem_pool_huge, host_advice) + sizeof(const char *))
#define POOL_HUGE_SIZE_MAX 4096U

/* As much of from as the caller's struct holds (its size), the rest of it zeroed; its size
 * becomes the bytes filled. */
static void pool_huge_copy(const struct privmem_pool_huge *from, struct privmem_pool_huge *to) {
        size_t n = MIN(to->size, sizeof(*from)), skip = sizeof(to->size);

        memcpy((uint8_t *) to + skip, (const uint8_t *) from + skip, n - skip);
        memset((uint8_t *) to + n, 0, to->size - n);
        to->size = n;
}

_public_ int privmem_pool_huge(const privmem_pool *p, struct privmem_pool_huge *ret) {
        if (ret && (ret->size < POOL_HUGE_SIZE_0_3 || ret->size > POOL_HUGE_SIZE_MAX))
                return -EINVAL;
        if (!p || !p->has_huge)
                return 0;
        if (ret)
                pool_huge_copy(&p->huge, ret);
        return 1;
}

_public_ size_t privmem_pool_n_classes(const privmem_pool *p) { return p ? p->n_classes : 0; }
_public_ int privmem_pool_seal_guest(const privmem_pool *p) { return p && p->seal_guest; }
_public_ const char *privmem_pool_backing_name(const privmem_pool *p) { return p ? p->backing_name : NULL; }
_public_ const char *privmem_pool_state_name(const privmem_pool *p) { return p ? p->state_name : NULL; }

static const SizeClass *class_get(const privmem_pool *p, size_t i) {
        static const SizeClass none = {};
        return p && i < p->n_classes ? &p->classes[i] : &none;
}

_public_ uint64_t privmem_pool_class_size(const privmem_pool *p, size_t i) { return class_get(p, i)->size; }
_public_ uint64_t privmem_pool_class_target(const privmem_pool *p, size_t i) { return class_get(p, i)->target; }
_public_ uint64_t privmem_pool_class_ready(const privmem_pool *p, size_t i) { return class_get(p, i)->ready; }
_public_ uint64_t privmem_pool_class_building(const privmem_pool *p, size_t i) { return class_get(p, i)->building; }
_public_ uint64_t privmem_pool_class_lent(const privmem_pool *p, size_t i) { return class_get(p, i)->lent; }
