/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Leases and pools as the JSON objects of io.privmemd (types Lease, Pool). */
#include <string.h>

#include "api/describe.h"
#include "memfd/memfd-ops.h"
#include "core/pool-thp.h"

static void add_string(json_object *o, const char *key, const char *value) {
        json_object_object_add(o, key, json_object_new_string(value));
}

static void add_int(json_object *o, const char *key, int64_t value) {
        json_object_object_add(o, key, json_object_new_int64(value));
}

static json_object *describe_owner(const Owner *owner) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_string(o, "kind", owner_kind_to_string(owner->kind));
        if (owner->pid > 0)
                add_int(o, "pid", owner->pid);
        if (owner->comm[0])
                add_string(o, "command", owner->comm);
        if (owner->kind == OWNER_DOMAIN) {
                add_string(o, "domain", owner->domain_uuid);
                if (owner->domain_name && owner->domain_name[0])
                        add_string(o, "domainName", owner->domain_name);
        }
        return o;
}

json_object *describe_lease(const Lease *l, uint64_t now_usec) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_string(o, "id", l->id);
        add_string(o, "pool", l->pool->config->name);
        add_int(o, "size", (int64_t) l->size);
        add_string(o, "state", lease_state_to_string(l->state));
        json_object_object_add(o, "owner", describe_owner(&l->owner));
        add_int(o, "uid", l->uid);
        if (l->state == LEASE_LEAKED)
                add_int(o, "leakedBytes", (int64_t) l->held);
        json_object_object_add(o, "age", json_object_new_double((double) (now_usec - l->acquired_usec) / 1e6));
        if (l->tag)
                add_string(o, "tag", l->tag);
        return o;
}

static json_object *describe_class(const SizeClass *c) {
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_int(o, "size", (int64_t) c->size);
        add_int(o, "target", c->target);
        add_int(o, "ready", c->n_ready);
        add_int(o, "building", c->n_building);
        add_int(o, "lent", c->n_lent);
        return o;
}

/* 2M shmem pools: what is huge, and what the pool does when too little is. */
static json_object *describe_huge(const Pool *p) {
        const PoolThp *t = &p->thp;
        json_object *o = json_object_new_object();
        if (!o)
                return NULL;
        add_int(o, "readyHugeBytes", (int64_t) t->ready_huge);
        add_int(o, "populatedBytes", (int64_t) t->populated);
        add_int(o, "populatedHugeBytes", (int64_t) t->populated_huge);
        add_int(o, "shortMemfds", (int64_t) t->short_memfds);
        add_int(o, "minPercent", p->config->huge_min);
        add_string(o, "fallback", huge_fallback_to_string(p->config->huge_fallback));
        if (t->host >= 0)
                json_object_object_add(o, "hostGivesHuge", json_object_new_boolean(t->host > 0));
        if (t->host_advice)
                add_string(o, "hostAdvice", t->host_advice);
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
        add_string(o, "name", pc->name);
        add_string(o, "backing", backing_to_string(pc->backing));
        add_int(o, "pageSize", (int64_t) pc->page_size);
        if (pc->numa_node >= 0)
                add_int(o, "numaNode", pc->numa_node);
        json_object_object_add(o, "sealGuest", json_object_new_boolean(pc->seal_guest));
        for (const SizeClass *c = p->classes; c; c = c->next)
                json_object_array_add(classes, describe_class(c));
        json_object_object_add(o, "classes", classes);
        add_int(o, "bytesReady", (int64_t) p->bytes_ready);
        add_int(o, "bytesLent", (int64_t) p->bytes_lent);
        add_int(o, "bytesOther", (int64_t) (p->bytes_building + p->bytes_returning));
        add_int(o, "limit", (int64_t) pc->limit);
        add_int(o, "quotaPerUid", (int64_t) pc->quota_per_uid);
        add_string(o, "state", p->retired ? "retired" : p->drained ? "drained" : p->last_error < 0 ? "failing" : "ok");
        if (p->last_error < 0)
                add_string(o, "lastError", strerror(-p->last_error));
        if (pool_is_thp(p))
                json_object_object_add(o, "huge", describe_huge(p));
        return o;
}
