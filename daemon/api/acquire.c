/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* io.privmemd.Acquire: lend a ready memfd at once, or wait for one being built. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>

#include "api/access.h"
#include "api/describe.h"
#include "api/errors.h"
#include "api/events.h"
#include "api/methods.h"
#include "core/lease.h"
#include "core/quota.h"
#include "manager/manager.h"
#include "schema/io-privmemd.h"
#include "util/macro.h"
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

/* An Acquire waiting for a memfd to be built. */
typedef struct PendingAcquire {
        Waiter waiter;          /* first: a Waiter * is a PendingAcquire * */
        Manager *manager;
        VarlinkCall *call;
        uint64_t start_usec;
        Pool *pool;
        Owner owner;
        uid_t uid;
        char *tag;
} PendingAcquire;

/* Counts size against the uid's quota in the pool, or answers QuotaExceeded (returns -EDQUOT). */
static int acquire_quota(VarlinkCall *c, Pool *p, uid_t uid, uint64_t size) {
        QuotaExceeded e;
        int r = quota_reserve(p, uid, size, &e);
        if (r == -EDQUOT)
                reply_quota_exceeded(c, p, e.resource, e.limit, e.used, e.requested);
        return r;
}

/* Makes the lease and answers with it and its memfd. Takes memfd and owner. < 0 only when no
 * lease was made: the caller still holds the quota then. */
static int lend_and_reply(VarlinkCall *c, Pool *p, ReadyMemfd *memfd, Owner *owner, uid_t uid, const char *tag) {
        uint64_t now;
        Lease *l;
        int r = lease_new(&l, p, memfd, owner, uid, tag);
        if (r < 0)
                return r;
        pool_refill(p);

        int fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 3);
        json_object *reply = json_object_new_object();
        if (fd < 0 || !reply) {
                /* The lease exists: ending it gives the quota back, so this is answered, not failed. */
                r = fd < 0 ? -errno : -ENOMEM;
                safe_close(fd);
                json_object_put(reply);
                lease_invalidate(l, "the reply could not be built");
                varlink_call_error_errno(c, r);
                return 0;
        }
        sd_event_now(p->core->event, CLOCK_MONOTONIC, &now);
        json_object_object_add(reply, SCHEMA_ACQUIRE_LEASE, describe_lease(l, now));
        json_object_object_add(reply, SCHEMA_ACQUIRE_FD, json_object_new_int(0));
        return varlink_call_reply_fds(c, reply, &fd, 1);
}

static void acquire_exhausted(Manager *m, VarlinkCall *c, Pool *p, uint64_t size, const char *reason,
                              uint64_t start_usec) {
        reply_pool_exhausted(c, p, size, reason);
        events_pool(m, EVENT_POOL_EXHAUSTED, p, size, reason);
        metrics_acquire(&p->core->metrics, ACQUIRE_EXHAUSTED, start_usec);
}

static void pending_free(PendingAcquire *pa) {
        owner_done(&pa->owner);
        free(pa->tag);
        free(pa);
}

/* The class may be unused afterwards: the caller, not this, forgets it. */
static void pending_serve(Waiter *w, ReadyMemfd *memfd, int error) {
        PendingAcquire *pa = (PendingAcquire *) w;
        uint64_t size = w->cls->size;
        int r = error;

        if (memfd)
                r = lend_and_reply(pa->call, pa->pool, memfd, &pa->owner, pa->uid, pa->tag);
        if (r >= 0)
                metrics_acquire(&pa->pool->core->metrics, ACQUIRE_BUILT, pa->start_usec);
        else {
                quota_release(pa->pool, pa->uid, size);
                if (error < 0)
                        acquire_exhausted(pa->manager, pa->call, pa->pool, size, strerror(-error), pa->start_usec);
                else {
                        varlink_call_error_errno(pa->call, r);
                        metrics_acquire(&pa->pool->core->metrics, ACQUIRE_FAILED, pa->start_usec);
                }
        }
        pending_free(pa);
}

static void pending_cancel(VarlinkCall *c, void *userdata) {
        PendingAcquire *pa = userdata;
        SizeClass *cls = pa->waiter.cls;

        size_class_cancel_wait(cls, &pa->waiter);
        quota_release(pa->pool, pa->uid, cls->size);
        pending_free(pa);
        size_class_forget_if_unused(cls);
}

/* No ready memfd: wait for a build (0: answered later), or answer PoolExhausted now (1). */
static int acquire_wait(Manager *m, VarlinkCall *c, Pool *p, SizeClass *cls, Owner *owner, uid_t uid, const char *tag,
                        uint64_t start_usec) {
        PendingAcquire *pa = calloc(1, sizeof(*pa));
        int r;

        if (!pa || (tag && !(pa->tag = strdup(tag)))) {
                free(pa);
                return -ENOMEM;
        }
        *pa = (PendingAcquire) {
                .waiter.serve = pending_serve, .manager = m, .call = c, .start_usec = start_usec, .pool = p, .owner = *owner,
                .uid = uid, .tag = pa->tag,
        };
        *owner = OWNER_INIT;
        r = size_class_wait(cls, &pa->waiter);
        if (r < 0) {
                pending_free(pa);
                acquire_exhausted(m, c, p, cls->size, r == -ENOSPC ? "the pool's byte limit" : strerror(-r), start_usec);
                return 1;
        }
        varlink_call_defer(c, pending_cancel, pa);
        return 0;
}

static AcquireResult result_of(int r) {
        return r == -EBADMSG ? ACQUIRE_INVALID : r == -EACCES ? ACQUIRE_DENIED : r == -EDQUOT ? ACQUIRE_QUOTA : ACQUIRE_FAILED;
}

/* An Acquire for a libvirt domain, waiting for libvirt's thread to find the domain. */
typedef struct DomainAcquire {
        VarlinkCall *call;
        Manager *manager;
        AcquireParams params;           /* its strings are the copies below */
        char *pool, *domain, *tag;
        uid_t uid;
        uint64_t start_usec;
        VirtResolve *resolve;
} DomainAcquire;

static int acquire_check(VarlinkCall *c, Manager *m, const AcquireParams *p, Pool **ret);
static int acquire_with_owner(VarlinkCall *c, Manager *m, const AcquireParams *p, Pool *pool, Owner *owner, uid_t uid,
                              uint64_t start);

static void domain_acquire_free(DomainAcquire *da) {
        virt_resolve_cancel(da->resolve);
        free(da->pool);
        free(da->domain);
        free(da->tag);
        free(da);
}

static void domain_acquire_cancel(VarlinkCall *c, void *userdata) {
        domain_acquire_free(userdata);
}

/* libvirt answered (or did not in time): go on as a synchronous Acquire would have. */
static void domain_acquire_resolved(int r, Owner *owner, const char *reason, void *userdata) {
        DomainAcquire *da = userdata;
        Manager *m = da->manager;
        VarlinkCall *c = da->call;
        Pool *pool = NULL;

        da->resolve = NULL;
        if (r == -ENOENT) {
                reply_no_such_domain(c, da->domain);
                r = -EBADMSG;
        } else if (r == -ENOTCONN || r == -ETIMEDOUT || r == -ECANCELED) {
                reply_libvirt_unavailable(c, reason);
                r = -EBADMSG;
        } else if (r >= 0)
                r = acquire_check(c, m, &da->params, &pool);  /* again: a Reload may have retired the pool */
        if (r < 0) {
                if (r != -EBADMSG && r != -EACCES)
                        varlink_call_error_errno(c, r);
                metrics_acquire(&m->core.metrics, result_of(r), da->start_usec);
        } else if ((r = acquire_with_owner(c, m, &da->params, pool, owner, da->uid, da->start_usec)) < 0 && r != -EDQUOT)
                varlink_call_error_errno(c, r);
        domain_acquire_free(da);
}

/* A libvirt domain as the owner: root and the admin group only. Answers failures itself; 0: the
 * call is deferred until libvirt's thread has found the domain. */
static int acquire_owner_domain(VarlinkCall *c, Manager *m, const AcquireParams *p, uint64_t start) {
        const char *reason = NULL;
        DomainAcquire *da;

        if (p->owner_fd >= 0 || p->bind_to_connection)
                return varlink_call_error_invalid_parameter(c, SCHEMA_ACQUIRE_OWNER_DOMAIN), -EBADMSG;
        if (!access_is_admin(m, varlink_call_connection(c)))
                return reply_permission_denied(c), -EACCES;
        if (!(da = calloc(1, sizeof(*da))))
                return -ENOMEM;
        *da = (DomainAcquire) { .call = c, .manager = m, .params = *p, .start_usec = start,
                                .uid = varlink_connection_peer(varlink_call_connection(c))->uid };
        da->params.pool = da->pool = strdup(p->pool);
        da->params.owner_domain = da->domain = strdup(p->owner_domain);
        da->params.tag = da->tag = p->tag ? strdup(p->tag) : NULL;
        if (!da->pool || !da->domain || (p->tag && !da->tag)) {
                domain_acquire_free(da);
                return -ENOMEM;
        }
        int r = virt_watch_resolve(m->virt, p->owner_domain, domain_acquire_resolved, da, &da->resolve, &reason);
        if (r < 0)
                domain_acquire_free(da);
        if (r == -EOPNOTSUPP || r == -ENOTCONN)
                return reply_libvirt_unavailable(c, reason), -EBADMSG;
        if (r >= 0)
                varlink_call_defer(c, domain_acquire_cancel, da);
        return r;
}

/* The owner the caller asked for; answers the caller's mistakes itself (then returns -EBADMSG, or
 * -EACCES for another uid's process). */
static int acquire_owner(VarlinkCall *c, Manager *m, AcquireParams *p, Owner *ret) {
        VarlinkConnection *conn = varlink_call_connection(c);
        int r;

        if (p->owner_fd >= 0 && p->bind_to_connection) {
                varlink_call_error_invalid_parameter(c, SCHEMA_ACQUIRE_BIND_TO_CONNECTION);
                return -EBADMSG;
        }
        if (p->bind_to_connection) {
                owner_from_connection(ret, conn);
                return 0;
        }
        if (p->owner_fd < 0)
                return owner_from_peer(ret, conn);
        r = owner_from_pidfd(ret, TAKE_FD(p->owner_fd), varlink_connection_peer(conn)->uid);
        if (r == -EPERM)
                return reply_permission_denied(c), -EACCES;
        if (r == -EBADF || r == -ESRCH)
                return varlink_call_error_invalid_parameter(c, SCHEMA_ACQUIRE_OWNER_FD), -EBADMSG;
        return r;
}

static bool tag_valid(const char *tag) {
        if (strlen(tag) > TAG_MAX)
                return false;
        for (const unsigned char *s = (const unsigned char *) tag; *s; s++)
                if (*s < ' ' || *s == 0x7f)
                        return false;
        return true;
}

/* The checks that need no memory: pool, access, size, tag. Answers failures itself: -EBADMSG for
 * the caller's mistakes, -EACCES when it may not. */
static int acquire_check(VarlinkCall *c, Manager *m, const AcquireParams *p, Pool **ret) {
        Pool *pool = manager_find_pool(m, p->pool);

        if (!pool)
                return reply_no_such_pool(c, p->pool), -EBADMSG;
        if (!access_may_acquire(pool->config, varlink_call_connection(c)))
                return reply_permission_denied(c), -EACCES;
        if (p->size <= 0 || (uint64_t) p->size % pool->config->page_size != 0)
                return reply_invalid_size(c, p->size, pool->config->page_size), -EBADMSG;
        if (p->tag && !tag_valid(p->tag))
                return varlink_call_error_invalid_parameter(c, SCHEMA_ACQUIRE_TAG), -EBADMSG;
        *ret = pool;
        return 0;
}

/* 0: lent, or waiting for a build; 1: answered with an error; < 0: failed. */
static int acquire_lend(Manager *m, VarlinkCall *c, Pool *pool, SizeClass *cls, Owner *owner, uid_t uid, const AcquireParams *p,
                        uint64_t start_usec) {
        ReadyMemfd *memfd = size_class_take(cls);

        if (memfd) {
                int r = lend_and_reply(c, pool, memfd, owner, uid, p->tag);
                if (r >= 0)
                        metrics_acquire(&pool->core->metrics, ACQUIRE_READY, start_usec);
                return r;
        }
        if (!p->wait) {
                acquire_exhausted(m, c, pool, cls->size, "no ready memfd of this size, and wait is false", start_usec);
                return 1;
        }
        return acquire_wait(m, c, pool, cls, owner, uid, p->tag, start_usec);
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
        AcquireParams p = { .owner_fd = -1, .wait = true };
        Manager *m = userdata;
        uint64_t start = now_usec();
        _cleanup_(owner_done) Owner owner = OWNER_INIT;
        uid_t uid = varlink_connection_peer(varlink_call_connection(c))->uid;
        Pool *pool;
        int r;

        r = varlink_dispatch(c, params, table, &p);
        if (r >= 0)
                r = acquire_check(c, m, &p, &pool);
        if (r >= 0 && p.owner_domain)
                r = acquire_owner_domain(c, m, &p, start);
        else if (r >= 0)
                r = acquire_owner(c, m, &p, &owner);
        safe_close(p.owner_fd);
        if (r < 0)
                metrics_acquire(&m->core.metrics, result_of(r), start);
        if (r < 0 || p.owner_domain)
                return r;
        r = acquire_with_owner(c, m, &p, pool, &owner, uid, start);
        return r == -EBADMSG || r == -EACCES || r == -EDQUOT ? 0 : r;
}

static unsigned waiting_acquires(Manager *m) {
        unsigned n = 0;
        for (size_t i = 0; i < m->n_pools; i++)
                for (SizeClass *cls = m->pools[i]->classes; cls; cls = cls->next)
                        n += cls->n_waiters;
        return n;
}

/* Room for the lease's fds in privmemd and in the fd store, or TooManyLeases (returns -EDQUOT):
 * never a lease that a restart would lose. */
static int acquire_fd_budget(VarlinkCall *c, Manager *m, const Owner *owner) {
        char msg[PATH_MAX + 64];
        unsigned used;

        if (core_fd_budget_check(&m->core, owner, waiting_acquires(m), &used) < 0) {
                reply_too_many_leases(c, m->core.fd_budget.resource, m->core.fd_budget.max, used);
                return -EDQUOT;
        }
        if (manager_check_lease_file_room(m) < 0) {  /* a lease without its file would lose its owner */
                snprintf(msg, sizeof(msg), "no room for a lease file in %s", m->leases_dir);
                reply_system_error(c, -ENOSPC, msg);
                return -EDQUOT;
        }
        return 0;
}

/* With the owner known: the fd budget, the quota, then a ready memfd, or a wait for one. Answers
 * the caller's mistakes itself (then returns -EDQUOT); < 0 otherwise: failed, not answered. */
static int acquire_with_owner(VarlinkCall *c, Manager *m, const AcquireParams *p, Pool *pool, Owner *owner, uid_t uid,
                              uint64_t start) {
        int r = acquire_fd_budget(c, m, owner);
        if (r >= 0)
                r = acquire_quota(c, pool, uid, (uint64_t) p->size);
        if (r < 0) {
                metrics_acquire(&m->core.metrics, result_of(r), start);
                return r;
        }

        SizeClass *cls = pool_get_class(pool, (uint64_t) p->size, true);
        r = cls ? acquire_lend(m, c, pool, cls, owner, uid, p, start) : -ENOMEM;
        if (r < 0)
                metrics_acquire(&m->core.metrics, ACQUIRE_FAILED, start);
        if (r != 0) {
                quota_release(pool, uid, (uint64_t) p->size);
                if (cls)
                        size_class_forget_if_unused(cls);
        }
        return r < 0 ? r : 0;
}
