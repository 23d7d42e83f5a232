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
#include "varlink/json-oom.h"
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

static void events_update_wants(Manager *m);

/* A new event. Until it is sent (events_send()), only JSON work may be done on it: out of memory,
 * json-c may leave values out, which json_oom_happened() then tells (json-oom.h). */
static json_object *event_new(EventKind kind, const char *reason) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        json_oom_reset();
        json_object *e = json_object_new_object();
        if (!e)
                return NULL;
        (void) json_add(e, SCHEMA_EVENT_KIND, json_object_new_string(schema_event_kinds[kind]));
        (void) json_add(e, SCHEMA_EVENT_TIMESTAMP, json_object_new_int64((int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000));
        if (reason)
                (void) json_add(e, SCHEMA_EVENT_REASON, json_object_new_string(reason));
        return e;
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

/* Out of memory, w would miss an event without knowing: its watch ends with SystemError ENOMEM
 * instead (from the connection's spare message if need be), and it may watch again. Frees w. */
static void watcher_end_nomem(Watcher *w) {
        VarlinkCall *c = w->call;
        watcher_cancel(c, w);
        (void) varlink_call_error_errno(c, -ENOMEM);
}

static void watcher_send(Watcher *w, json_object *event) {
        json_oom_reset();
        json_object *reply = json_object_new_object();
        if (!reply || json_add(reply, SCHEMA_WATCH_EVENT, json_object_get(event)) < 0 || json_oom_happened()) {
                json_object_put(reply);
                return watcher_end_nomem(w);
        }
        /* Failing, the connection closes (over its output limit, or after the error ENOMEM) and
         * cancels the watch. */
        (void) varlink_call_notify(w->call, reply);
}

/* Sends to every watcher that may see a lease of uid (uid -1: an event for everyone); an event
 * that could not be built ends their watches. */
static void events_send(Manager *m, json_object *event, uid_t uid) {
        bool lost = !event || json_oom_happened();  /* since event_new() */

        for (Watcher *w = m->watchers, *next; w; w = next) {
                next = w->next;
                if (uid != (uid_t) -1 && !w->privileged && w->uid != uid)
                        continue;
                if (lost)
                        watcher_end_nomem(w);
                else
                        watcher_send(w, event);
        }
        json_object_put(event);
}

static void events_lease(Manager *m, EventKind kind, const Lease *l, const char *reason) {
        uint64_t now;
        if (!m->watchers)
                return;
        sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        json_object *e = event_new(kind, reason);
        if (e) {
                (void) json_add(e, SCHEMA_EVENT_LEASE, describe_lease(l, now));
                (void) json_add(e, SCHEMA_EVENT_POOL, json_object_new_string(l->pool->config->name));
                (void) json_add(e, SCHEMA_EVENT_SIZE, json_object_new_int64((int64_t) l->size));
        }
        events_send(m, e, l->uid);
}

void events_pool(Manager *m, EventKind kind, const Pool *p, uint64_t size, const char *reason, PoolFailure failure) {
        int cause = describe_pool_failure(failure);
        if (!m->watchers)
                return;
        json_object *e = event_new(kind, reason);
        if (e)
                (void) json_add(e, SCHEMA_EVENT_POOL, json_object_new_string(p->config->name));
        if (e && size > 0)
                (void) json_add(e, SCHEMA_EVENT_SIZE, json_object_new_int64((int64_t) size));
        if (e && cause >= 0)
                (void) json_add(e, SCHEMA_EVENT_CAUSE, json_object_new_string(schema_failures[cause]));
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
                return events_pool(m, EVENT_POOL_REFILLED, c->pool, c->size, c->reason, POOL_FAILURE_NONE);
        case CHANGE_POOL_FAILING:
                return events_pool(m, EVENT_POOL_FAILING, c->pool, c->size, c->reason, c->failure);
        case CHANGE_CONFIG_RELOADED:
                return events_config(m, c->reason);
        default:
                return;  /* the store's business only */
        }
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
        if (!e || json_oom_happened())
                watcher_end_nomem(w);
        else
                watcher_send(w, e);
        json_object_put(e);
        return 0;
}
