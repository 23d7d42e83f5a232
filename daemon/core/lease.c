/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A lease: one memfd lent to one owner, watched until the owner is gone, then punched.
 * A punched lease whose file still has blocks is leaked: someone else holds the memfd and
 * touched it again. It stays listed with the bytes it holds and is punched again later. */
#include <stdarg.h>
#include <stdio.h>

#include "core/build.h"
#include "core/clock.h"
#include "core/core.h"
#include "core/lease.h"
#include "core/pool-thp.h"
#include "core/quota.h"
#include "memfd/memfd-ops.h"
#include "util/log.h"
#include "util/macro.h"
#include "util/string-table.h"

#define RECHECK_FIRST_USEC (10ULL * 1000 * 1000)
#define RECHECK_MAX_USEC (600ULL * 1000 * 1000)

const char *lease_state_to_string(LeaseState s) {
        return schema_enum_to_string(schema_lease_states, s);
}

int lease_state_from_string(const char *s) {
        return schema_enum_from_string(schema_lease_states, s);
}

/* "Lease ID (POOL, SIZE bytes, owner KIND PID COMM): what", with journal fields for each. */
static _printf_(3, 4) void lease_log(const Lease *l, int level, const char *fmt, ...) {
        char what[512], pool[96], lease[64], pid[48], size[48], uid[48], owner[128];
        va_list ap;

        if (level > log_get_max_level())
                return;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        if (l->owner.kind == OWNER_DOMAIN)
                snprintf(owner, sizeof(owner), "%s %s", l->owner.domain_uuid, strempty(l->owner.domain_name));
        else
                snprintf(owner, sizeof(owner), "%d %s", (int) l->owner.pid, l->owner.comm);
        snprintf(pool, sizeof(pool), "PRIVMEM_POOL=%s", l->pool->config->name);
        snprintf(lease, sizeof(lease), "PRIVMEM_LEASE=%s", l->id);
        snprintf(pid, sizeof(pid), "PRIVMEM_OWNER_PID=%d", (int) l->owner.pid);
        snprintf(size, sizeof(size), "PRIVMEM_SIZE=%" PRIu64, l->size);
        snprintf(uid, sizeof(uid), "PRIVMEM_UID=%u", (unsigned) l->uid);
        const char *const fields[] = { pool, lease, pid, size, uid, NULL };
        log_fields(level, fields, "Lease %s (%s, %" PRIu64 " bytes, owner %s %s): %s.", l->id, l->pool->config->name,
                   l->size, owner_kind_to_string(l->owner.kind), owner, what);
}

static void lease_punch_run(Job *j);
static void lease_punch_done(Job *j);
static void lease_punch_submit(Lease *l);

/* News for the layers above (the store, Watch): queued, never sent from here. */
static void lease_changed(Lease *l, ChangeKind kind, const char *reason) {
        change_queue_lease(&l->core->changes, kind, l, reason);
}

/* A lease object for an fd and an owner (taken; the fd only on success). Counts it lent. */
static int lease_attach(Lease **ret, Pool *pool, const char *id, int fd, uint64_t size, Owner *owner, uid_t uid,
                        const char *tag, uint64_t acquired_usec) {
        Core *core = pool->core;
        Lease *l = calloc(1, sizeof(*l));
        int r = -ENOMEM;

        if (!l || (tag && !(l->tag = strdup(tag))))
                goto fail;
        *l = (Lease) {
                .core = core, .pool = pool, .size = size, .fd = -1, .state = LEASE_ACTIVE, .owner = *owner,
                .uid = uid, .tag = l->tag, .acquired_usec = acquired_usec, .huge = -1,
                .punch = { .run = lease_punch_run, .done = lease_punch_done, .urgent = true },
        };
        *owner = OWNER_INIT;
        snprintf(l->id, sizeof(l->id), "%s", id);
        l->cls = pool_get_class(pool, size, true);
        if (!l->cls)
                goto fail;
        r = core_add_lease(core, l);
        if (r < 0)
                goto fail;
        if (l->owner.kind == OWNER_PROCESS &&
            (l->owner.pidfd >= 0 || core_find_process(core, l->owner.pid, l->owner.start_time))) {
                r = process_add_lease(core, l);
                if (r < 0) {
                        core_remove_lease(core, l);
                        goto fail;
                }
        }
        l->fd = fd;
        l->cls->n_lent++;
        pool_account_lend(pool, size);
        *ret = l;
        return 0;

fail:
        owner_done(owner);
        if (l) {
                owner_done(&l->owner);
                free(l->tag);
                free(l);
        }
        return r;
}

/* Takes memfd and owner in every case. On failure the memfd was never lent and is just closed. */
int lease_new(Lease **ret, Pool *pool, ReadyMemfd *memfd, Owner *owner, uid_t uid, const char *tag) {
        Lease *l;
        int r = lease_attach(&l, pool, memfd->id, memfd->fd, memfd->size, owner, uid, tag, clock_now(pool->core->event));
        if (r < 0) {
                ready_memfd_free(memfd);
                return r;
        }
        l->huge = pool_is_thp(pool) ? (int64_t) memfd->huge : -1;
        free(memfd);
        lease_log(l, LOG_INFO, "acquired");
        lease_changed(l, CHANGE_LEASE_ACQUIRED, NULL);
        *ret = l;
        return 0;
}

int lease_restore(Lease **ret, Pool *pool, const LeaseRecord *rec, int fd, Owner *owner) {
        Lease *l;
        int r = quota_charge(pool, rec->uid, rec->size);

        if (r < 0) {
                owner_done(owner);
                return r;
        }
        r = lease_attach(&l, pool, rec->id, fd, rec->size, owner, rec->uid, rec->tag, rec->acquired_usec);
        if (r < 0) {
                quota_release(pool, rec->uid, rec->size);
                return r;
        }
        l->huge = rec->huge;
        if (l->owner.kind == OWNER_UNKNOWN) {
                l->owner.pid = rec->owner_pid;
                snprintf(l->owner.comm, sizeof(l->owner.comm), "%s", rec->owner_comm);
        }
        lease_log(l, LOG_INFO, "recovered after a restart (%s)", lease_state_to_string(rec->state));
        if (rec->state != LEASE_ACTIVE)
                lease_invalidate(l, "its punch was cut short by the restart");
        else if (l->owner.kind == OWNER_CONNECTION)
                lease_invalidate(l, "its connection ended with the restart");
        else
                lease_changed(l, CHANGE_LEASE_RESTORED, NULL);  /* its fds are in the store already */
        *ret = l;
        return 0;
}

void lease_invalidate(Lease *l, const char *why) {
        if (l->state != LEASE_ACTIVE)
                return;
        l->state = LEASE_INVALIDATING;
        l->core->metrics.invalidations++;
        lease_log(l, LOG_INFO, "invalidating: %s", why);
        lease_changed(l, CHANGE_LEASE_INVALIDATING, why);
        process_remove_lease(l, false);
        owner_done(&l->owner);
        quota_release(l->pool, l->uid, l->size);
        l->cls->n_lent--;
        size_class_forget_if_unused(l->cls);
        l->cls = NULL;  /* only an active lease is counted in its class */
        pool_account_return_start(l->pool, l->size);
        lease_punch_submit(l);
}

uint64_t lease_punch_limit_usec(const Pool *p) {
        return build_chunk_timeout_usec(p->config, 0) + STUCK_GRACE_USEC;
}

/* The punch has been in one system call past its limit: said once, counted with the pool's stuck
 * workers, and a new thread takes the worker's place so other pools' refills and punches go on. */
static void lease_punch_stuck(Lease *l, uint64_t running_usec) {
        int added = workers_add_thread(l->core->workers);

        l->punch_stuck = true;
        l->pool->counters.stuck_workers++;
        lease_log(l, LOG_WARNING, "punching its memory has not returned for %.0f s: stuck in the kernel, %s "
                  "(limit %.0f s: populate_timeout= and 5 s)", (double) running_usec / 1e6,
                  added >= 0 ? "a new worker thread takes its place" : "its worker is lost until it returns",
                  (double) lease_punch_limit_usec(l->pool) / 1e6);
}

/* Looks at the punch when it could first be stuck: still queued (the workers are busy) is not
 * stuck; looks again when it could be. */
static int lease_on_punch_watchdog(sd_event_source *s, uint64_t usec, void *userdata) {
        Lease *l = userdata;
        uint64_t limit = lease_punch_limit_usec(l->pool), next = limit, now = now_usec();
        uint64_t started = __atomic_load_n(&l->punch.started_usec, __ATOMIC_RELAXED);

        l->punch_watchdog = sd_event_source_disable_unref(l->punch_watchdog);
        if (started != 0 && now >= started + limit) {
                lease_punch_stuck(l, now - started);
                return 0;  /* stuck once; lease_punch_done() says when it returns */
        }
        if (started != 0)
                next = started + limit - now;
        (void) clock_timer(l->core->event, &l->punch_watchdog, next, lease_on_punch_watchdog, l);
        return 0;
}

static void lease_punch_submit(Lease *l) {
        __atomic_store_n(&l->punch.started_usec, 0, __ATOMIC_RELAXED);  /* not running: nobody else has it */
        workers_submit(l->core->workers, &l->punch);
        (void) clock_timer(l->core->event, &l->punch_watchdog, lease_punch_limit_usec(l->pool),
                           lease_on_punch_watchdog, l);
}

unsigned pool_stuck_punches(const Pool *p, uint64_t *oldest_started_usec) {
        unsigned n = 0;
        for (const Lease *l = p->core->leases; l; l = l->next)
                if (l->pool == p && l->punch_stuck) {
                        n++;
                        *oldest_started_usec = MIN(*oldest_started_usec,
                                                   __atomic_load_n(&l->punch.started_usec, __ATOMIC_RELAXED));
                }
        return n;
}

static void lease_punch_run(Job *j) {
        Lease *l = (Lease *) ((char *) j - offsetof(Lease, punch));
        j->result = memfd_ops_punch(l->fd, l->size, &l->held);
}

static int lease_on_recheck(sd_event_source *s, uint64_t usec, void *userdata) {
        Lease *l = userdata;
        l->recheck = sd_event_source_disable_unref(l->recheck);
        lease_punch_submit(l);
        return 0;
}

static void lease_punch_done(Job *j) {
        Lease *l = (Lease *) ((char *) j - offsetof(Lease, punch));
        Pool *p = l->pool;
        uint64_t size = l->size;

        l->punch_watchdog = sd_event_source_disable_unref(l->punch_watchdog);
        if (l->punch_stuck) {
                l->punch_stuck = false;
                lease_log(l, LOG_NOTICE, "the stuck punch returned after %.0f s",
                          (double) (now_usec() - __atomic_load_n(&j->started_usec, __ATOMIC_RELAXED)) / 1e6);
        }
        l->punches++;
        if (j->result < 0)
                l->held = l->size;
        if (j->result >= 0 && l->held == 0) {
                lease_log(l, LOG_INFO, "memory returned");
                lease_changed(l, CHANGE_LEASE_RELEASED, NULL);
                lease_free(l);
                pool_account_returned(p, size);
                return;
        }
        if (l->state != LEASE_LEAKED) {
                l->state = LEASE_LEAKED;
                l->core->metrics.leaks++;
                lease_log(l, LOG_WARNING, "%" PRIu64 " bytes still allocated after the punch%s%s: another process "
                          "holds the memfd; kept as leaked and punched again later", l->held,
                          j->result < 0 ? ", which failed: " : "", j->result < 0 ? strerror(-j->result) : "");
                lease_changed(l, CHANGE_LEASE_LEAKED, "blocks came back after the punch");
        }
        uint64_t delay = MIN(RECHECK_FIRST_USEC << MIN(l->punches - 1, 6U), RECHECK_MAX_USEC);
        (void) clock_timer(l->core->event, &l->recheck, delay, lease_on_recheck, l);
}

void lease_free(Lease *l) {
        if (!l)
                return;
        if (l->cls && l->state == LEASE_ACTIVE) {
                l->cls->n_lent--;
                quota_release(l->pool, l->uid, l->size);
        }
        core_remove_lease(l->core, l);
        process_remove_lease(l, true);  /* the daemon exits: the store keeps the owner */
        sd_event_source_disable_unref(l->recheck);
        sd_event_source_disable_unref(l->punch_watchdog);
        owner_done(&l->owner);
        safe_close(l->fd);
        free(l->tag);
        free(l);
}
