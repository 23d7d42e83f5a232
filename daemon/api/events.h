/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.privmemd.Watch: a stream of lease and pool events to every watcher allowed to see them. */
#pragma once

#include "manager/manager.h"
#include "varlink/varlink-server.h"

typedef enum EventKind {
        EVENT_WATCHING,                 /* the first reply: the watch is in place */
        EVENT_LEASE_ACQUIRED,
        EVENT_LEASE_INVALIDATING,
        EVENT_LEASE_RELEASED,           /* its memory is back in the kernel */
        EVENT_LEASE_LEAKED,
        EVENT_POOL_EXHAUSTED,
        EVENT_POOL_REFILLED,            /* every class back at target */
        EVENT_POOL_FAILING,
        EVENT_CONFIG_RELOADED,
} EventKind;

/* failure: the cause the event carries; POOL_FAILURE_NONE: none. */
void events_pool(Manager *m, EventKind kind, const Pool *p, uint64_t size, const char *reason, PoolFailure failure);
/* The manager's change listener: the core's news, as Watch events. */
void events_on_change(Manager *m, const Change *c, void *userdata);
int method_watch(VarlinkCall *c, json_object *params, void *userdata);
