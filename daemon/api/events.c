/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.privmemd.Watch: a stream of lease and pool events to every watcher allowed to see them.
 * A watcher that does not read is dropped once its output passes the server's limit. */
#include <time.h>

#include "api/access.h"
#include "api/describe.h"
#include "api/events.h"
#include "core/lease.h"
#include "schema/io-privmemd.h"
#include "util/macro.h"
#include "varlink/varlink-dispatch.h"

struct Watcher {
        Watcher *next;
        Manager *manager;
        VarlinkCall *call;
        uid_t uid;
        bool privileged;        /* sees every lease, not just its uid's */
};

/* The wire's Event.kind: EventKind indexes schema_event_kinds. */
_Static_assert((int) EVENT_WATCHING == (int) SCHEMA_EVENT_KIND_WATCHING &&
               (int) EVENT_LEASE_ACQUIRED == (int) SCHEMA_EVENT_KIND_LEASE_ACQUIRED &&
               (int) EVENT_LEASE_INVALIDATING == (int) SCHEMA_EVENT_KIND_LEASE_INVALIDATING &&
               (int) EVENT_LEASE_RELEASED == (int) SCHEMA_EVENT_KIND_LEASE_RELEASED &&
               (int) EVENT_LEASE_LEAKED == (int) SCHEMA_EVENT_KIND_LEASE_LEAKED &&
               (int) EVENT_POOL_EXHAUSTED == (int) SCHEMA_EVENT_KIND_POOL_EXHAUSTED &&
               (int) EVENT_POOL_REFILLED == (int) SCHEMA_EVENT_KIND_POOL_REFILLED &&
               (int) EVENT_POOL_FAILING == (int) SCHEMA_EVENT_KIND_POOL_FAILING &&
               (int) EVENT_CONFIG_RELOADED == (int) SCHEMA_EVENT_KIND_CONFIG_RELOADED &&
               _SCHEMA_EVENT_KIND_MAX == 9, "EventKind and io.privmemd's Event.kind differ");

static json_object *event_new(EventKind kind, const char *reason) {
        struct timespec ts;
        json_object *e = json_object_new_object();

        if (!e)
                return NULL;
        clock_gettime(CLOCK_REALTIME, &ts);
        json_object_object_add(e, SCHEMA_EVENT_KIND, json_object_new_string(schema_event_kinds[kind]));
        json_object_object_add(e, SCHEMA_EVENT_TIMESTAMP, json_object_new_int64((int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000));
        if (reason)
                json_object_object_add(e, SCHEMA_EVENT_REASON, json_object_new_string(reason));
        return e;
}

static int watcher_send(Watcher *w, json_object *event) {
        json_object *reply = json_object_new_object();
        if (!reply)
                return -ENOMEM;
        json_object_object_add(reply, SCHEMA_WATCH_EVENT, json_object_get(event));
        return varlink_call_notify(w->call, reply);
}

/* Sends to every watcher that may see a lease of uid (uid -1: an event for everyone). */
static void events_send(Manager *m, json_object *event, uid_t uid) {
        if (!event)
                return;
        for (Watcher *w = m->watchers; w; w = w->next)
                if (uid == (uid_t) -1 || w->privileged || w->uid == uid)
                        (void) watcher_send(w, event);  /* a watcher over its limit gets disconnected */
        json_object_put(event);
}

static void events_lease(Manager *m, EventKind kind, const Lease *l, const char *reason) {
        uint64_t now;
        if (!m->watchers)
                return;
        json_object *e = event_new(kind, reason);
        if (!e)
                return;
        sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        json_object_object_add(e, SCHEMA_EVENT_LEASE, describe_lease(l, now));
        json_object_object_add(e, SCHEMA_EVENT_POOL, json_object_new_string(l->pool->config->name));
        json_object_object_add(e, SCHEMA_EVENT_SIZE, json_object_new_int64((int64_t) l->size));
        events_send(m, e, l->uid);
}

void events_pool(Manager *m, EventKind kind, const Pool *p, uint64_t size, const char *reason) {
        if (!m->watchers)
                return;
        json_object *e = event_new(kind, reason);
        if (!e)
                return;
        json_object_object_add(e, SCHEMA_EVENT_POOL, json_object_new_string(p->config->name));
        if (size > 0)
                json_object_object_add(e, SCHEMA_EVENT_SIZE, json_object_new_int64((int64_t) size));
        events_send(m, e, (uid_t) -1);
}

static void events_config(Manager *m, const char *reason) {
        if (m->watchers)
                events_send(m, event_new(EVENT_CONFIG_RELOADED, reason), (uid_t) -1);
}

/* What Watch reads, while someone watches. */
static void events_update_wants(Manager *m) {
        const uint32_t kinds = CHANGE_BIT(CHANGE_LEASE_ACQUIRED) | CHANGE_BIT(CHANGE_LEASE_INVALIDATING) |
                CHANGE_BIT(CHANGE_LEASE_LEAKED) | CHANGE_BIT(CHANGE_LEASE_RELEASED) |
                CHANGE_BIT(CHANGE_POOL_REFILLED) | CHANGE_BIT(CHANGE_POOL_FAILING) |
                CHANGE_BIT(CHANGE_CONFIG_RELOADED);
        manager_set_listener_wants(m, m->watchers ? kinds : 0);
}

void events_on_change(Manager *m, const Change *c, void *userdata) {
        switch (c->kind) {
        case CHANGE_LEASE_ACQUIRED:
                return events_lease(m, EVENT_LEASE_ACQUIRED, &c->lease, c->reason);
        case CHANGE_LEASE_INVALIDATING:
                return events_lease(m, EVENT_LEASE_INVALIDATING, &c->lease, c->reason);
        case CHANGE_LEASE_LEAKED:
                return events_lease(m, EVENT_LEASE_LEAKED, &c->lease, c->reason);
        case CHANGE_LEASE_RELEASED:
                return events_lease(m, EVENT_LEASE_RELEASED, &c->lease, c->reason);
        case CHANGE_POOL_REFILLED:
                return events_pool(m, EVENT_POOL_REFILLED, c->pool, c->size, c->reason);
        case CHANGE_POOL_FAILING:
                return events_pool(m, EVENT_POOL_FAILING, c->pool, c->size, c->reason);
        case CHANGE_CONFIG_RELOADED:
                return events_config(m, c->reason);
        default:
                return;  /* the store's business only */
        }
}

static void watcher_cancel(VarlinkCall *c, void *userdata) {
        Watcher *w = userdata;
        Manager *m = w->manager;
        for (Watcher **p = &m->watchers; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        break;
                }
        free(w);
        events_update_wants(m);
}

int method_watch(VarlinkCall *c, json_object *params, void *userdata) {
        Manager *m = userdata;
        VarlinkConnection *conn = varlink_call_connection(c);
        int r = varlink_dispatch(c, params, NULL, NULL);
        if (r < 0)
                return r;

        Watcher *w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;
        *w = (Watcher) {
                .next = m->watchers, .manager = m, .call = c,
                .uid = varlink_connection_peer(conn)->uid,
                .privileged = access_is_admin(m, conn),
        };
        m->watchers = w;
        events_update_wants(m);
        varlink_call_defer(c, watcher_cancel, w);
        json_object *e = event_new(EVENT_WATCHING, NULL);
        if (e)
                (void) watcher_send(w, e);  /* failing, the connection closes and cancels the watch */
        json_object_put(e);
        return 0;
}
