/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What changed in the core, queued for the layers above: the core never calls up. The manager
 * flushes the queue from the event loop (a deferred source) to the store and to Watch, as
 * systemd's manager flushes its D-Bus queue. */
#pragma once

#include <systemd/sd-event.h>

#include "core/lease.h"

typedef enum ChangeKind {
        CHANGE_LEASE_ACQUIRED,          /* lent: its memfd and owner pidfd to the store */
        CHANGE_LEASE_RESTORED,          /* found again after a restart, still active */
        CHANGE_LEASE_UPDATED,           /* its owner is known better now (a domain's run) */
        CHANGE_LEASE_INVALIDATING,      /* owner gone or released: the punch is queued */
        CHANGE_LEASE_LEAKED,            /* blocks came back after the punch */
        CHANGE_LEASE_RELEASED,          /* its memory is back in the kernel: the lease is gone */
        CHANGE_READY_ADDED,             /* a ready memfd kept: to the store */
        CHANGE_READY_TAKEN,             /* a ready memfd lent or dropped: out of the store */
        CHANGE_POOL_REFILLED,           /* every class back at target */
        CHANGE_POOL_FAILING,            /* a build failed: retrying with backoff */
        CHANGE_POOL_UNUSED,             /* a retired pool holds nothing any more: it can be freed */
        CHANGE_OWNER_ADDED,             /* a process owns its first lease: its pidfd to the store */
        CHANGE_OWNER_GONE,              /* a process's last lease ended: its pidfd out of the store */
        CHANGE_CONFIG_RELOADED,         /* recorded by the manager, in order with the rest */
        _CHANGE_KIND_MAX,
} ChangeKind;

typedef struct Change {
        struct Change *next;
        ChangeKind kind;
        Pool *pool;                     /* pools are freed only after a flush */
        Lease lease;                    /* lease changes: a copy as it was then, with no fds or event
                                         * sources, and its own tag and domain name */
        char memfd_id[MEMFD_ID_LEN + 1];        /* ready changes */
        unsigned store_slot;            /* ready and owner changes: the store's name of the fd then */
        pid_t owner_pid;                /* owner changes: the process */
        uint64_t owner_start_time;
        uint64_t size;                  /* pool changes: the size class concerned, or 0 */
        PoolFailure failure;            /* pool changes: the pool's failure then */
        char *reason;
} Change;

typedef struct ChangeQueue {
        Change *head, **tail;
        sd_event_source *flush;         /* enabled (one shot) whenever something is queued; may be NULL */
        uint32_t ignored;               /* 1 << kind: nobody reads these now, they are not queued */
        unsigned lost;                  /* changes not queued for lack of memory since the last flush */
} ChangeQueue;

#define CHANGE_BIT(kind) (UINT32_C(1) << (kind))
_Static_assert(_CHANGE_KIND_MAX <= 32, "ChangeQueue.ignored has a bit per kind");

const char *change_kind_to_string(ChangeKind k);

void change_queue_lease(ChangeQueue *q, ChangeKind kind, const Lease *l, const char *reason);
void change_queue_ready(ChangeQueue *q, ChangeKind kind, Pool *p, const ReadyMemfd *m);
void change_queue_pool(ChangeQueue *q, ChangeKind kind, Pool *p, uint64_t size, const char *reason);
void change_queue_owner(ChangeQueue *q, ChangeKind kind, const Process *p);
/* The oldest change (the caller frees it), or NULL. */
Change *change_queue_pop(ChangeQueue *q);
void change_queue_done(ChangeQueue *q);
Change *change_free(Change *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Change *, change_free);
