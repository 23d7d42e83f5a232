/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.privmemd.Acquire: lend a ready memfd at once, or wait for one being built (and, for a libvirt
 * domain as the owner, for libvirt's thread to find the domain first).
 *
 * The steps return 0, a positive ApiErrorCode (the caller's mistake or a refusal, with its numbers
 * in the call's ApiError) or a negative errno (our failure), and send nothing. However and whenever
 * an Acquire ends, it ends in acquire_end(): the reply or the error, the metric, the log line. */
#include <fcntl.h>
#include <stddef.h>

#include "api/access.h"
#include "api/describe.h"
#include "api/errors.h"
#include "api/events.h"
#include "api/methods.h"
#include "core/clock.h"
#include "core/lease.h"
#include "core/quota.h"
#include "manager/manager.h"
#include "schema/io-privmemd.h"
#include "util/log.h"
#include "util/macro.h"
#include "varlink/json-oom.h"
#include "varlink/varlink-dispatch.h"
#include "virt/libvirt.h"

#define TAG_MAX 255

typedef struct AcquireParams {
        const char *pool;
        int64_t size;
        int owner_fd;
        bool bind_to_connection;
        const char *owner_domain;
        bool wait;
        const char *tag;
} AcquireParams;

/* One Acquire, from its parameters to its end. */
typedef struct AcquireCall {
        Manager *manager;
        VarlinkCall *call;
        uint64_t start_usec;
        AcquireParams params;           /* its strings are the call's, or the copies below once deferred */
        char *pool_copy, *domain_copy, *tag_copy;
        uid_t uid;
        Owner owner;
        Pool *pool;
        SizeClass *cls;                 /* NULL once a build served it: the class is its caller's then */
        bool quota;                     /* reserved, and not yet the lease's */
        bool deferred;                  /* waiting for a build or for libvirt: ends later */
        Waiter waiter;
        VirtResolve *resolve;
        Lease *lease;
        AcquireResult lent_from;        /* ACQUIRE_READY or ACQUIRE_BUILT */
        unsigned changes_lost;          /* the core's count of changes lost, before the memfd was taken */
        ApiError error;
} AcquireCall;

static AcquireCall *acquire_free(AcquireCall *a) {
        virt_resolve_cancel(a->resolve);
        owner_done(&a->owner);
        free(a->pool_copy);
        free(a->domain_copy);
        free(a->tag_copy);
        free(a);
        return NULL;
}

/* The parameters' strings outlive the method call from here on. */
static int acquire_keep_params(AcquireCall *a) {
        AcquireParams *p = &a->params;

        if (!a->pool_copy && !(p->pool = a->pool_copy = strdup(p->pool)))
                return -ENOMEM;
        if (p->owner_domain && !a->domain_copy && !(p->owner_domain = a->domain_copy = strdup(p->owner_domain)))
                return -ENOMEM;
        if (p->tag && !a->tag_copy && !(p->tag = a->tag_copy = strdup(p->tag)))
                return -ENOMEM;
        return 0;
}

static AcquireResult result_of(int r, ApiErrorCode code) {
        if (r < 0)
                return ACQUIRE_FAILED;
        switch (code) {
        case API_E_PERMISSION_DENIED:
                return ACQUIRE_DENIED;
        case API_E_QUOTA_EXCEEDED:
                return ACQUIRE_QUOTA;
        case API_E_POOL_EXHAUSTED:
        case API_E_TOO_MANY_LEASES:
                return ACQUIRE_EXHAUSTED;
        case API_E_NO_ROOM_FOR_LEASE_FILE:
                return ACQUIRE_FAILED;
        default:
                return ACQUIRE_INVALID;
        }
}

/* The reply's parameters: the lease, and its memfd as fd 0. NULL out of memory (json-oom.h). */
static json_object *acquire_reply_new(const AcquireCall *a) {
        uint64_t now = clock_now(a->manager->event);

        json_oom_reset();
        json_object *reply = json_object_new_object();
        if (!reply || json_add(reply, SCHEMA_ACQUIRE_LEASE, describe_lease(a->lease, now)) < 0 ||
            json_add(reply, SCHEMA_ACQUIRE_FD, json_object_new_int(0)) < 0 || json_oom_happened()) {
                json_object_put(reply);
                return NULL;
        }
        return reply;
}

/* Why the store could not keep the lease. ENOSPC is the lease file's (the fd store says ENFILE when
 * full): the runtime directory filled up while its room was looked at less often, having had plenty
 * (manager_check_lease_file_room()); told as such, naming it. */
static int acquire_store_error(AcquireCall *a) {
        if (a->lease->store_error == -ENOSPC)
                return api_error_no_room_for_lease_file(&a->error, a->manager->leases_dir);
        return a->lease->store_error;
}

/* The lease and its memfd, as the reply. The lease exists: when the reply cannot be built or
 * queued (out of memory), it ends, which gives the quota back: never a reply without its lease, nor
 * a lease whose caller was told it failed. *ret_answered: the server answered already (SystemError
 * ENOMEM in the reply's place, or the connection failed); the call is over then. */
static int acquire_reply(AcquireCall *a, bool *ret_answered) {
        /* The store learns of the lease before the caller gets its memfd, not after this callback:
         * a crash in between would leave the memfd in the fd store as ready, to be lent again to
         * someone else after the restart (invariant 1). */
        manager_flush_changes(a->manager);
        if (a->lease->store_error < 0) {
                /* A restart would find it without its owner (no lease file), or not at all. */
                lease_invalidate(a->lease, "the store could not keep it");
                return acquire_store_error(a);
        }
        int fd = fcntl(a->lease->fd, F_DUPFD_CLOEXEC, 3);
        int r = fd < 0 ? -errno : 0;
        json_object *reply = r == 0 ? acquire_reply_new(a) : NULL;

        *ret_answered = false;
        if (r == 0 && !reply)
                r = -ENOMEM;
        if (r == 0) {
                int fds[] = { TAKE_FD(fd) };  /* the reply takes it in every case */
                r = varlink_call_reply_fds(a->call, reply, fds, 1);
                *ret_answered = r < 0;
        }
        safe_close(fd);
        if (r < 0)
                lease_invalidate(a->lease, "its reply could not be sent");
        return r;
}

static void acquire_fail(AcquireCall *a, int r, bool answered) {
        Manager *m = a->manager;
        const ApiError *e = &a->error;

        if (r > 0) {
                if (e->code == API_E_POOL_EXHAUSTED)
                        events_pool(m, EVENT_POOL_EXHAUSTED, e->pool, (uint64_t) e->size, e->reason, POOL_FAILURE_NONE);
                log_debug("Acquire of %" PRIi64 " bytes from %s for uid %u: %s", a->params.size,
                          strempty(a->params.pool), (unsigned) a->uid, api_error_name(e->code));
                (void) api_reply_error(a->call, e);
        } else {
                log_warning_errno(r, "Acquire of %" PRIi64 " bytes from %s for uid %u failed: %m", a->params.size,
                                  strempty(a->params.pool), (unsigned) a->uid);
                if (!answered)
                        (void) varlink_call_error_errno(a->call, r);
        }
}

/* Where every Acquire ends, unless it is deferred: the reply or the error, the metric, the log
 * line, the quota given back when no lease took it. Frees a. */
static void acquire_end(AcquireCall *a, int r) {
        bool answered = false;

        if (r == 0 && a->deferred)
                return;  /* a build or libvirt ends it */
        if (r == 0)
                r = acquire_reply(a, &answered);
        if (r != 0 && a->quota)
                quota_release(a->pool, a->uid, (uint64_t) a->params.size);
        metrics_acquire(&a->manager->core.metrics, r == 0 ? a->lent_from : result_of(r, a->error.code), a->start_usec);
        if (r != 0)
                acquire_fail(a, r, answered);
        if (a->cls)
                size_class_forget_if_unused(a->cls);
        acquire_free(a);
}

/* Lends memfd (taken) to the call's owner: the quota is the lease's from here on. */
static int acquire_lend(AcquireCall *a, ReadyMemfd *memfd, AcquireResult from) {
        int r = lease_new(&a->lease, a->pool, memfd, &a->owner, a->uid, a->params.tag);
        if (r < 0)
                return r;
        a->quota = false;
        if (a->manager->core.changes.lost != a->changes_lost) {
                /* Out of memory, the store would not hear of this lease, or would still hold its
                 * memfd as ready: a restart could lend it again. Ended now (punched), never lent. */
                lease_invalidate(a->lease, "out of memory: the fd store could not be told of it");
                return -ENOMEM;
        }
        a->lent_from = from;
        pool_refill(a->pool);
        return 0;
}

/* A build served the waiting call: its memfd, or its error. The class is the build's caller's. */
static void acquire_served(Waiter *w, ReadyMemfd *memfd, int error) {
        AcquireCall *a = (AcquireCall *) ((char *) w - offsetof(AcquireCall, waiter));
        int r;

        a->deferred = false;
        a->cls = NULL;
        a->changes_lost = a->manager->core.changes.lost;
        if (memfd)
                r = acquire_lend(a, memfd, ACQUIRE_BUILT);
        else
                r = error == a->pool->last_error
                        ? api_error_pool_exhausted(&a->error, a->pool, w->cls->size, describe_pool_failure(a->pool->failure),
                                                   pool_last_error_text(a->pool))
                        : api_error_pool_exhausted(&a->error, a->pool, w->cls->size,
                                                   describe_pool_failure(pool_failure_from_errno(error)), strerror(-error));
        acquire_end(a, r);
}

/* The caller went away while waiting. */
static void acquire_cancel(VarlinkCall *c, void *userdata) {
        AcquireCall *a = userdata;
        SizeClass *cls = a->waiter.cls;

        if (a->deferred && cls)
                size_class_cancel_wait(cls, &a->waiter);
        if (a->quota)
                quota_release(a->pool, a->uid, (uint64_t) a->params.size);
        acquire_free(a);
        if (cls)
                size_class_forget_if_unused(cls);
}

/* No ready memfd: wait for a build, or PoolExhausted when none may start. */
static int acquire_wait(AcquireCall *a) {
        int r = acquire_keep_params(a);
        if (r < 0)
                return r;
        a->waiter.serve = acquire_served;
        r = size_class_wait(a->cls, &a->waiter);
        if (r < 0)
                return r == -ENOSPC
                        ? api_error_pool_exhausted(&a->error, a->pool, a->cls->size, SCHEMA_FAILURE_LIMIT, "the pool's byte limit")
                        : api_error_pool_exhausted(&a->error, a->pool, a->cls->size, SCHEMA_FAILURE_ERROR, strerror(-r));
        a->deferred = true;
        varlink_call_defer(a->call, acquire_cancel, a);
        return 0;
}

static unsigned waiting_acquires(Manager *m) {
        unsigned n = 0;
        for (size_t i = 0; i < m->n_pools; i++)
                for (SizeClass *cls = m->pools[i]->classes; cls; cls = cls->next)
                        n += cls->n_waiters;
        return n;
}

/* Room for the lease's fds in privmemd and in the fd store, and for its file: never a lease that
 * a restart would lose (or lose the owner of). */
static int acquire_check_room(AcquireCall *a) {
        Manager *m = a->manager;
        unsigned used;

        if (core_fd_budget_check(&m->core, &a->owner, waiting_acquires(m), &used) < 0)
                return api_error_too_many_leases(&a->error, m->core.fd_budget.resource, m->core.fd_budget.max, used);
        if (manager_check_lease_file_room(m) < 0)
                return api_error_no_room_for_lease_file(&a->error, m->leases_dir);
        return 0;
}

/* With the owner known: room for the lease, the quota, then a ready memfd, or a wait for one. */
static int acquire_with_owner(AcquireCall *a) {
        uint64_t size = (uint64_t) a->params.size;
        QuotaExceeded q;
        int r = acquire_check_room(a);
        if (r != 0)
                return r;
        a->changes_lost = a->manager->core.changes.lost;
        r = quota_reserve(a->pool, a->uid, size, &q);

        if (r == -EDQUOT)
                return api_error_quota_exceeded(&a->error, a->pool, &q);
        if (r < 0)
                return r;
        a->quota = true;
        a->cls = pool_get_class(a->pool, size, true);
        if (!a->cls)
                return -ENOMEM;
        ReadyMemfd *memfd = size_class_take(a->cls);
        if (memfd)
                return acquire_lend(a, memfd, ACQUIRE_READY);
        if (!a->params.wait)
                return api_error_pool_exhausted(&a->error, a->pool, size, SCHEMA_FAILURE_NO_READY,
                                                "no ready memfd of this size, and wait is false");
        return acquire_wait(a);
}

static bool tag_valid(const char *tag) {
        if (strlen(tag) > TAG_MAX)
                return false;
        for (const unsigned char *s = (const unsigned char *) tag; *s; s++)
                if (*s < ' ' || *s == 0x7f)
                        return false;
        return true;
}

/* The checks that need no memory: pool, access, size, tag. */
static int acquire_check(AcquireCall *a) {
        const AcquireParams *p = &a->params;
        Pool *pool = manager_find_pool(a->manager, p->pool);

        if (!pool)
                return api_error_no_such_pool(&a->error, p->pool);
        if (!access_may_acquire(pool->config, varlink_call_connection(a->call)))
                return api_error_permission_denied(&a->error);
        if (p->size <= 0 || (uint64_t) p->size % pool->config->page_size != 0)
                return api_error_invalid_size(&a->error, p->size, pool->config->page_size);
        if (p->tag && !tag_valid(p->tag))
                return api_error_invalid_parameter(&a->error, SCHEMA_ACQUIRE_TAG);
        a->pool = pool;
        return 0;
}

/* libvirt answered (or did not in time): go on as a synchronous Acquire would have. */
static void acquire_domain_resolved(int r, Owner *owner, const char *reason, void *userdata) {
        AcquireCall *a = userdata;

        a->resolve = NULL;
        a->deferred = false;
        if (r == -ENOENT)
                r = api_error_no_such_domain(&a->error, a->params.owner_domain);
        else if (r == -ENOTCONN || r == -ETIMEDOUT || r == -ECANCELED)
                r = api_error_libvirt_unavailable(&a->error, reason);
        else if (r >= 0) {
                a->owner = *owner;
                *owner = OWNER_INIT;
                r = acquire_check(a);  /* again: a Reload may have retired the pool */
                if (r == 0)
                        r = acquire_with_owner(a);
        }
        acquire_end(a, r);
}

/* The caller went away while libvirt looked the domain up. */
static void acquire_domain_cancel(VarlinkCall *c, void *userdata) {
        acquire_free(userdata);
}

/* A libvirt domain as the owner: root and the admin group only. Deferred until libvirt's thread
 * has found the domain. */
static int acquire_owner_domain(AcquireCall *a) {
        const AcquireParams *p = &a->params;
        const char *reason = NULL;

        if (p->owner_fd >= 0 || p->bind_to_connection)
                return api_error_invalid_parameter(&a->error, SCHEMA_ACQUIRE_OWNER_DOMAIN);
        if (!access_is_admin(a->manager, varlink_call_connection(a->call)))
                return api_error_permission_denied(&a->error);
        int r = acquire_keep_params(a);
        if (r < 0)
                return r;
        r = virt_watch_resolve(a->manager->virt, p->owner_domain, acquire_domain_resolved, a, &a->resolve, &reason);
        if (r == -EOPNOTSUPP || r == -ENOTCONN)
                return api_error_libvirt_unavailable(&a->error, reason);
        if (r < 0)
                return r;
        a->deferred = true;
        varlink_call_defer(a->call, acquire_domain_cancel, a);
        return 0;
}

/* The owner the caller asked for: a pidfd it sent, the connection, or itself. */
static int acquire_owner(AcquireCall *a) {
        AcquireParams *p = &a->params;
        VarlinkConnection *conn = varlink_call_connection(a->call);
        int r;

        if (p->owner_fd >= 0 && p->bind_to_connection)
                return api_error_invalid_parameter(&a->error, SCHEMA_ACQUIRE_BIND_TO_CONNECTION);
        if (p->bind_to_connection) {
                owner_from_connection(&a->owner, conn);
                return 0;
        }
        if (p->owner_fd < 0)
                return owner_from_peer(&a->owner, conn);
        r = owner_from_pidfd(&a->owner, TAKE_FD(p->owner_fd), a->uid);
        if (r == -EPERM)
                return api_error_permission_denied(&a->error);
        if (r == -EBADF || r == -ESRCH)
                return api_error_invalid_parameter(&a->error, SCHEMA_ACQUIRE_OWNER_FD);
        return r;
}

static int acquire_start(AcquireCall *a) {
        int r = acquire_check(a);
        if (r != 0)
                return r;
        if (a->params.owner_domain)
                return acquire_owner_domain(a);
        r = acquire_owner(a);
        return r != 0 ? r : acquire_with_owner(a);
}

int method_acquire(VarlinkCall *c, json_object *params, void *userdata) {
        static const VarlinkField table[] = {
                { SCHEMA_ACQUIRE_POOL, VARLINK_FIELD_STRING, offsetof(AcquireParams, pool), VARLINK_FIELD_MANDATORY },
                { SCHEMA_ACQUIRE_SIZE, VARLINK_FIELD_INT, offsetof(AcquireParams, size), VARLINK_FIELD_MANDATORY },
                { SCHEMA_ACQUIRE_OWNER_FD, VARLINK_FIELD_FD, offsetof(AcquireParams, owner_fd) },
                { SCHEMA_ACQUIRE_BIND_TO_CONNECTION, VARLINK_FIELD_BOOL, offsetof(AcquireParams, bind_to_connection) },
                { SCHEMA_ACQUIRE_OWNER_DOMAIN, VARLINK_FIELD_STRING, offsetof(AcquireParams, owner_domain) },
                { SCHEMA_ACQUIRE_WAIT, VARLINK_FIELD_BOOL, offsetof(AcquireParams, wait) },
                { SCHEMA_ACQUIRE_TAG, VARLINK_FIELD_STRING, offsetof(AcquireParams, tag) },
                {}
        };
        Manager *m = userdata;
        uint64_t start = now_usec();
        AcquireCall *a = calloc(1, sizeof(*a));
        int r;

        if (!a)
                return -ENOMEM;
        *a = (AcquireCall) {
                .manager = m, .call = c, .start_usec = start, .params = { .owner_fd = -1, .wait = true },
                .uid = varlink_connection_peer(varlink_call_connection(c))->uid, .owner = OWNER_INIT,
        };
        /* The wire layer's parameter check answers InvalidParameter itself, as sd_varlink_dispatch does. */
        r = varlink_dispatch(c, params, table, &a->params);
        if (r < 0) {
                metrics_acquire(&m->core.metrics, ACQUIRE_INVALID, start);
                acquire_free(a);
                return r;
        }
        r = acquire_start(a);
        a->params.owner_fd = safe_close(a->params.owner_fd);
        acquire_end(a, r);
        return 0;
}
