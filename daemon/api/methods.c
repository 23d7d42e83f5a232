/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.privmemd varlink interface: its method table, and the methods that only read or release. */
#include "api/access.h"
#include "api/describe.h"
#include "api/errors.h"
#include "api/events.h"
#include "api/methods.h"
#include "core/build.h"
#include "core/lease.h"
#include "manager/manager.h"
#include "schema/io-privmemd.h"
#include "util/macro.h"
#include "varlink/json-oom.h"
#include "varlink/varlink-dispatch.h"

extern const char io_privmemd_varlink[];

static uint64_t manager_now(Manager *m) {
        uint64_t now;
        sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        return now;
}

/* Replies {key: value}; value is consumed. The caller called json_oom_reset() before building
 * value, and did nothing but JSON work since: -ENOMEM when any of it failed (json-oom.h). */
static int reply_with(VarlinkCall *c, const char *key, json_object *value) {
        json_object *reply = json_object_new_object();
        if (!reply)
                json_object_put(value);
        if (!reply || json_add(reply, key, value) < 0 || json_oom_happened()) {
                json_object_put(reply);
                return -ENOMEM;
        }
        return varlink_call_reply(c, reply);
}

/* Status.workers, stuckWorkers and stuckSince: the stuck ones of every pool, retired or not. */
static void add_workers(Manager *m, json_object *status) {
        uint64_t oldest = UINT64_MAX, now = now_usec();  /* the workers' clock, not the loop's cached one */
        unsigned stuck = 0;

        for (size_t i = 0; i < m->n_pools; i++) {
                uint64_t o;
                stuck += pool_stuck_workers(m->pools[i], &o);
                oldest = MIN(oldest, o);
        }
        (void) json_add(status, SCHEMA_STATUS_WORKERS, json_object_new_int((int) workers_count(m->workers)));
        (void) json_add(status, SCHEMA_STATUS_STUCK_WORKERS, json_object_new_int((int) stuck));
        if (stuck > 0)
                (void) json_add(status, SCHEMA_STATUS_STUCK_SINCE,
                                json_object_new_double((double) (now > oldest ? now - oldest : 0) / 1e6));
}

static int method_get_status(VarlinkCall *c, json_object *params, void *userdata) {
        Manager *m = userdata;
        int r = varlink_dispatch(c, params, NULL, NULL);
        if (r < 0)
                return r;

        uint64_t now = manager_now(m);
        VirtLinkInfo link;
        virt_watch_link(m->virt, &link);
        json_oom_reset();
        json_object *status = json_object_new_object();
        if (!status)
                return -ENOMEM;
        (void) json_add(status, SCHEMA_STATUS_VERSION, json_object_new_string(PACKAGE_VERSION));
        (void) json_add(status, SCHEMA_STATUS_UPTIME, json_object_new_double((double) (now - m->start_usec) / 1e6));
        (void) json_add(status, SCHEMA_STATUS_CONNECTIONS, json_object_new_int((int) varlink_server_n_connections(m->server)));
        (void) json_add(status, SCHEMA_STATUS_POOLS, json_object_new_int((int) m->n_pools));
        (void) json_add(status, SCHEMA_STATUS_LEASES, json_object_new_int((int) m->core.n_leases));
        (void) json_add(status, SCHEMA_STATUS_LIBVIRT, describe_libvirt_link(&link, m->start_usec, now));
        add_workers(m, status);
        return reply_with(c, SCHEMA_GET_STATUS_STATUS, status);
}

/* The lease named by the call's "id", if the caller may see it (root, the admin group, the uid
 * that acquired it); NoSuchLease also when it may not, so that ids do not leak. */
static int lease_of_call(VarlinkCall *c, json_object *params, Manager *m, Lease **ret, ApiError *e) {
        static const VarlinkField table[] = {
                { SCHEMA_GET_LEASE_ID, VARLINK_FIELD_STRING, 0, VARLINK_FIELD_MANDATORY },
                {}
        };
        VarlinkConnection *conn = varlink_call_connection(c);
        const char *id = NULL;
        int r = varlink_dispatch(c, params, table, &id);  /* answers InvalidParameter itself */

        if (r < 0)
                return r;
        Lease *l = core_find_lease(&m->core, id);
        if (!l || (!access_is_admin(m, conn) && l->uid != varlink_connection_peer(conn)->uid))
                return api_error_no_such_lease(e, id);
        *ret = l;
        return 0;
}

static int method_release(VarlinkCall *c, json_object *params, void *userdata) {
        ApiError e;
        Lease *l;
        int r = lease_of_call(c, params, userdata, &l, &e);

        if (r == 0) {
                lease_invalidate(l, "released");
                r = varlink_call_reply(c, NULL);
        }
        return api_end(c, r, &e);
}

static int method_get_lease(VarlinkCall *c, json_object *params, void *userdata) {
        ApiError e;
        Lease *l;
        int r = lease_of_call(c, params, userdata, &l, &e);

        if (r == 0) {
                uint64_t now = manager_now(userdata);
                lease_refresh_command(l, now);  /* a live owner may have exec'd */
                json_oom_reset();
                r = reply_with(c, SCHEMA_GET_LEASE_LEASE, describe_lease(l, now));
        }
        return api_end(c, r, &e);
}

static int method_list_leases(VarlinkCall *c, json_object *params, void *userdata) {
        static const VarlinkField table[] = {
                { SCHEMA_LIST_LEASES_POOL, VARLINK_FIELD_STRING, 0 },
                {}
        };
        Manager *m = userdata;
        VarlinkConnection *conn = varlink_call_connection(c);
        const char *pool = NULL;
        ApiError e;
        int r = varlink_dispatch(c, params, table, &pool);
        if (r < 0)
                return r;
        if (pool && !manager_find_pool(m, pool))
                return api_end(c, api_error_no_such_pool(&e, pool), &e);

        bool all = access_is_admin(m, conn);
        uid_t uid = varlink_connection_peer(conn)->uid;
        uint64_t now = manager_now(m);
        for (Lease *l = m->core.leases; l; l = l->next)
                if ((all || l->uid == uid) && (!pool || streq(l->pool->config->name, pool)))
                        lease_refresh_command(l, now);  /* first: it reads /proc, which may set errno */
        json_oom_reset();
        json_object *leases = json_object_new_array();
        for (Lease *l = m->core.leases; l && leases; l = l->next)
                if ((all || l->uid == uid) && (!pool || streq(l->pool->config->name, pool)))
                        json_object_array_add(leases, describe_lease(l, now));
        return reply_with(c, SCHEMA_LIST_LEASES_LEASES, leases);
}

static int method_list_pools(VarlinkCall *c, json_object *params, void *userdata) {
        Manager *m = userdata;
        int r = varlink_dispatch(c, params, NULL, NULL);
        if (r < 0)
                return r;

        json_oom_reset();
        json_object *pools = json_object_new_array();
        for (size_t i = 0; i < m->n_pools && pools; i++)
                json_object_array_add(pools, describe_pool(m->pools[i]));
        return reply_with(c, SCHEMA_LIST_POOLS_POOLS, pools);
}

static int method_get_metrics(VarlinkCall *c, json_object *params, void *userdata) {
        Manager *m = userdata;
        int r = varlink_dispatch(c, params, NULL, NULL);
        if (r < 0)
                return r;
        json_oom_reset();
        json_object *metrics = metrics_describe(&m->core.metrics), *pools = json_object_new_array();
        for (size_t i = 0; i < m->n_pools && pools; i++)
                if (!m->pools[i]->retired)  /* a new pool of its name may be there: one series per name */
                        json_object_array_add(pools, describe_pool_metrics(m->pools[i]));
        if (metrics)
                (void) json_add(metrics, SCHEMA_METRICS_POOLS, pools);
        else
                json_object_put(pools);
        return reply_with(c, SCHEMA_GET_METRICS_METRICS, metrics);
}

static const VarlinkMethod methods[] = {
        { "GetStatus", method_get_status, 0 },
        { "Acquire", method_acquire, .fds_in_max = 1 },
        { "Release", method_release, 0 },
        { "GetLease", method_get_lease, 0 },
        { "ListLeases", method_list_leases, 0 },
        { "ListPools", method_list_pools, 0 },
        { "GetMetrics", method_get_metrics, 0 },
        { "Watch", method_watch, VARLINK_METHOD_REQUIRES_MORE },
        { "SetTargets", method_set_targets, 0 },
        { "Drain", method_drain, 0 },
        { "Reload", method_reload, 0 },
        {}
};

static const VarlinkInterface io_privmemd_interface = {
        .name = SCHEMA_INTERFACE,
        .description = io_privmemd_varlink,
        .methods = methods,
};

int api_attach(Manager *m) {
        manager_set_change_listener(m, events_on_change, NULL);
        return varlink_server_add_interface(m->server, &io_privmemd_interface, m);
}
