/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Leases, pools and the libvirt link as the JSON objects of io.privmemd (types Lease, Pool,
 * LibvirtLink). */
#include <string.h>

#include "api/describe.h"
#include "memfd/memfd-ops.h"
#include "core/pool-thp.h"
#include "schema/io-privmemd.h"
#include "varlink/json-oom.h"

/* The wire's Pool.backing: Backing indexes schema_backings. */
_Static_assert((int) BACKING_SHMEM == (int) SCHEMA_BACKING_SHMEM && (int) BACKING_HUGETLB == (int) SCHEMA_BACKING_HUGETLB &&
               _SCHEMA_BACKING_MAX == 2, "Backing and io.privmemd's Pool.backing differ");

/* Out of memory, a value is left out (and not leaked): the caller's json_oom_happened() tells. */
static void add_string(json_object *o, const char *key, const char *value) {
        (void) json_add(o, key, json_object_new_string(value));
}

static void add_int(json_object *o, const char *key, int64_t value) {
        (void) json_add(o, key, json_object_new_int64(value));
}

static json_object *describe_owner(const Owner *owner) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_string(o, SCHEMA_OWNER_KIND, owner_kind_to_string(owner->kind));
        if (owner->pid > 0)
                add_int(o, SCHEMA_OWNER_PID, owner->pid);
        if (owner->comm[0])
                add_string(o, SCHEMA_OWNER_COMMAND, owner->comm);
        if (owner->kind == OWNER_DOMAIN) {
                add_string(o, SCHEMA_OWNER_DOMAIN, owner->domain_uuid);
                if (owner->domain_name && owner->domain_name[0])
                        add_string(o, SCHEMA_OWNER_DOMAIN_NAME, owner->domain_name);
        }
        return o;
}

json_object *describe_lease(const Lease *l, uint64_t now_usec) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_string(o, SCHEMA_LEASE_ID, l->id);
        add_string(o, SCHEMA_LEASE_POOL, l->pool->config->name);
        add_int(o, SCHEMA_LEASE_SIZE, (int64_t) l->size);
        add_string(o, SCHEMA_LEASE_STATE, lease_state_to_string(l->state));
        (void) json_add(o, SCHEMA_LEASE_OWNER, describe_owner(&l->owner));
        add_int(o, SCHEMA_LEASE_UID, l->uid);
        if (l->state == LEASE_LEAKED)
                add_int(o, SCHEMA_LEASE_LEAKED_BYTES, (int64_t) l->held);
        (void) json_add(o, SCHEMA_LEASE_AGE, json_object_new_double((double) (now_usec - l->acquired_usec) / 1e6));
        if (l->tag)
                add_string(o, SCHEMA_LEASE_TAG, l->tag);
        if (l->huge >= 0)
                add_int(o, SCHEMA_LEASE_HUGE_BYTES, l->huge);
        return o;
}

static json_object *describe_class(const SizeClass *c) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_int(o, SCHEMA_SIZE_CLASS_SIZE, (int64_t) c->size);
        add_int(o, SCHEMA_SIZE_CLASS_TARGET, c->target);
        add_int(o, SCHEMA_SIZE_CLASS_READY, c->n_ready);
        add_int(o, SCHEMA_SIZE_CLASS_BUILDING, c->n_building);
        add_int(o, SCHEMA_SIZE_CLASS_LENT, c->n_lent);
        return o;
}

int describe_pool_failure(PoolFailure f) {
        switch (f) {
        case POOL_FAILURE_NONE:
                return -1;
        case POOL_FAILURE_NO_MEMORY:
                return SCHEMA_FAILURE_NO_MEMORY;
        case POOL_FAILURE_POPULATE_TIMEOUT:
                return SCHEMA_FAILURE_POPULATE_TIMEOUT;
        case POOL_FAILURE_STUCK_WORKER:
                return SCHEMA_FAILURE_STUCK_WORKER;
        default:
                return SCHEMA_FAILURE_ERROR;
        }
}

json_object *describe_pool_metrics(const Pool *p) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_string(o, SCHEMA_POOL_METRICS_POOL, p->config->name);
        add_int(o, SCHEMA_POOL_METRICS_POPULATE_TIMEOUTS, (int64_t) p->counters.populate_timeouts);
        add_int(o, SCHEMA_POOL_METRICS_STUCK_WORKERS, (int64_t) p->counters.stuck_workers);
        return o;
}

static SchemaPoolState pool_state(const Pool *p) {
        if (p->retired)
                return SCHEMA_POOL_STATE_RETIRED;
        if (p->drained)
                return SCHEMA_POOL_STATE_DRAINED;
        return p->last_error < 0 ? SCHEMA_POOL_STATE_FAILING : SCHEMA_POOL_STATE_OK;
}

/* 2M shmem pools: what is huge, and what the pool does when too little is. */
static json_object *describe_huge(const Pool *p) {
        const PoolThp *t = &p->thp;
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_int(o, SCHEMA_HUGE_READY_HUGE_BYTES, (int64_t) t->ready_huge);
        add_int(o, SCHEMA_HUGE_POPULATED_BYTES, (int64_t) t->populated);
        add_int(o, SCHEMA_HUGE_POPULATED_HUGE_BYTES, (int64_t) t->populated_huge);
        add_int(o, SCHEMA_HUGE_SHORT_MEMFDS, (int64_t) t->short_memfds);
        add_int(o, SCHEMA_HUGE_MIN_PERCENT, p->config->huge_min);
        add_string(o, SCHEMA_HUGE_FALLBACK, huge_fallback_to_string(p->config->huge_fallback));
        if (t->host >= 0)
                json_object_object_add(o, SCHEMA_HUGE_HOST_GIVES_HUGE, json_object_new_boolean(t->host > 0));
        if (t->host_advice)
                add_string(o, SCHEMA_HUGE_HOST_ADVICE, t->host_advice);
        return o;
}

json_object *describe_pool(const Pool *p) {
        const PoolConfig *pc = p->config;
        json_object *o = json_object_new_object(), *classes = json_object_new_array();
        if (!o || !classes) {
                json_object_put(o);
                json_object_put(classes);
                return NULL;
        }
        add_string(o, SCHEMA_POOL_NAME, pc->name);
        add_string(o, SCHEMA_POOL_BACKING, schema_backings[pc->backing]);
        add_int(o, SCHEMA_POOL_PAGE_SIZE, (int64_t) pc->page_size);
        if (pc->numa_node >= 0)
                add_int(o, SCHEMA_POOL_NUMA_NODE, pc->numa_node);
        json_object_object_add(o, SCHEMA_POOL_SEAL_GUEST, json_object_new_boolean(pc->seal_guest));
        for (const SizeClass *c = p->classes; c; c = c->next)
                json_object_array_add(classes, describe_class(c));
        json_object_object_add(o, SCHEMA_POOL_CLASSES, classes);
        add_int(o, SCHEMA_POOL_BYTES_READY, (int64_t) p->bytes_ready);
        add_int(o, SCHEMA_POOL_BYTES_LENT, (int64_t) p->bytes_lent);
        add_int(o, SCHEMA_POOL_BYTES_OTHER, (int64_t) (p->bytes_building + p->bytes_returning));
        add_int(o, SCHEMA_POOL_LIMIT, (int64_t) pc->limit);
        add_int(o, SCHEMA_POOL_QUOTA_PER_UID, (int64_t) pc->quota_per_uid);
        add_string(o, SCHEMA_POOL_STATE, schema_pool_states[pool_state(p)]);
        if (p->last_error < 0) {
                add_string(o, SCHEMA_POOL_LAST_ERROR, pool_last_error_text(p));
                int failure = describe_pool_failure(p->failure);
                add_string(o, SCHEMA_POOL_FAILURE, schema_failures[failure < 0 ? SCHEMA_FAILURE_ERROR : failure]);
        }
        if (pool_is_thp(p))
                json_object_object_add(o, SCHEMA_POOL_HUGE, describe_huge(p));
        return o;
}

json_object *describe_libvirt_link(const VirtLinkInfo *link, uint64_t start_usec, uint64_t now_usec) {
        uint64_t since = link->since_usec ?: start_usec;
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_string(o, SCHEMA_LIBVIRT_LINK_STATE, schema_enum_to_string(schema_libvirt_states, link->state));
        if (link->uri)
                add_string(o, SCHEMA_LIBVIRT_LINK_URI, link->uri);
        json_object_object_add(o, SCHEMA_LIBVIRT_LINK_SINCE,
                               json_object_new_double((double) (now_usec > since ? now_usec - since : 0) / 1e6));
        if (link->last_error)
                add_string(o, SCHEMA_LIBVIRT_LINK_LAST_ERROR, link->last_error);
        return o;
}
