/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The queue of what changed in the core. */
#include <stdio.h>

#include "core/change.h"
#include "util/macro.h"
#include "util/string-table.h"

static const char *const change_kinds[_CHANGE_KIND_MAX + 1] = {
        [CHANGE_LEASE_ACQUIRED] = "lease-acquired",
        [CHANGE_LEASE_RESTORED] = "lease-restored",
        [CHANGE_LEASE_UPDATED] = "lease-updated",
        [CHANGE_LEASE_INVALIDATING] = "lease-invalidating",
        [CHANGE_LEASE_LEAKED] = "lease-leaked",
        [CHANGE_LEASE_RELEASED] = "lease-released",
        [CHANGE_READY_ADDED] = "ready-added",
        [CHANGE_READY_TAKEN] = "ready-taken",
        [CHANGE_POOL_REFILLED] = "pool-refilled",
        [CHANGE_POOL_FAILING] = "pool-failing",
        [CHANGE_POOL_UNUSED] = "pool-unused",
        [CHANGE_CONFIG_RELOADED] = "config-reloaded",
        [CHANGE_OWNER_ADDED] = "owner-added",
        [CHANGE_OWNER_GONE] = "owner-gone",
};

const char *change_kind_to_string(ChangeKind k) {
        return string_table_to_string(change_kinds, k);
}

Change *change_free(Change *c) {
        if (!c)
                return NULL;
        free(c->lease.tag);
        free(c->lease.owner.domain_name);
        free(c->reason);
        free(c);
        return NULL;
}

static Change *change_new(ChangeQueue *q, ChangeKind kind, Pool *p, const char *reason) {
        if (q->ignored & CHANGE_BIT(kind))
                return NULL;  /* as systemd's D-Bus queue, when nobody subscribed */
        Change *c = calloc(1, sizeof(*c));
        if (!c || (reason && !(c->reason = strdup(reason)))) {
                free(c);
                q->lost++;
                return NULL;
        }
        c->kind = kind;
        c->pool = p;
        c->lease.fd = c->lease.owner.pidfd = -1;
        return c;
}

static void change_queue_push(ChangeQueue *q, Change *c) {
        if (!q->tail)
                q->tail = &q->head;
        *q->tail = c;
        q->tail = &c->next;
        if (q->flush)
                (void) sd_event_source_set_enabled(q->flush, SD_EVENT_ONESHOT);
}

/* A copy of what describes the lease: no fds, sources or list links, its own strings. */
static int lease_copy(Lease *dst, const Lease *l) {
        *dst = (Lease) {
                .pool = l->pool, .size = l->size, .fd = -1, .state = l->state, .owner = l->owner,
                .uid = l->uid, .acquired_usec = l->acquired_usec, .held = l->held, .punches = l->punches,
                .store_slot = l->store_slot, .huge = l->huge,
        };
        memcpy(dst->id, l->id, sizeof(dst->id));
        dst->owner.pidfd = -1;
        dst->owner.conn = NULL;
        dst->owner.domain_name = NULL;
        if (l->tag && !(dst->tag = strdup(l->tag)))
                return -ENOMEM;
        if (l->owner.domain_name && !(dst->owner.domain_name = strdup(l->owner.domain_name)))
                return -ENOMEM;
        return 0;
}

void change_queue_lease(ChangeQueue *q, ChangeKind kind, const Lease *l, const char *reason) {
        Change *c = change_new(q, kind, l->pool, reason);
        if (!c)
                return;
        if (lease_copy(&c->lease, l) < 0) {
                change_free(c);
                q->lost++;
                return;
        }
        c->size = l->size;
        change_queue_push(q, c);
}

void change_queue_ready(ChangeQueue *q, ChangeKind kind, Pool *p, const ReadyMemfd *m) {
        Change *c = change_new(q, kind, p, NULL);
        if (!c)
                return;
        memcpy(c->memfd_id, m->id, sizeof(c->memfd_id));
        c->size = m->size;
        c->store_slot = m->store_slot;
        change_queue_push(q, c);
}

void change_queue_pool(ChangeQueue *q, ChangeKind kind, Pool *p, uint64_t size, const char *reason) {
        Change *c = change_new(q, kind, p, reason);
        if (!c)
                return;
        c->size = size;
        c->failure = p->failure;
        change_queue_push(q, c);
}

void change_queue_owner(ChangeQueue *q, ChangeKind kind, const Process *p) {
        Change *c = change_new(q, kind, NULL, NULL);
        if (!c)
                return;
        c->owner_pid = p->pid;
        c->owner_start_time = p->start_time;
        c->store_slot = p->store_slot;
        change_queue_push(q, c);
}

Change *change_queue_pop(ChangeQueue *q) {
        Change *c = q->head;
        if (!c)
                return NULL;
        q->head = c->next;
        if (!q->head)
                q->tail = &q->head;
        c->next = NULL;
        return c;
}

void change_queue_done(ChangeQueue *q) {
        while (q->head)
                change_free(change_queue_pop(q));
        q->flush = sd_event_source_disable_unref(q->flush);
}
