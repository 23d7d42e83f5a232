/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A pool: ready memfds by size class, the builds that fill it, and its byte accounting.
 * Every byte is in one of four states: ready, building, lent, returning (punching or leaked);
 * their sum never passes the pool's limit. */
#include <assert.h>

#include "core/build.h"
#include "core/clock.h"
#include "core/core.h"
#include "core/pool-admin.h"
#include "util/log.h"
#include "util/macro.h"

#define RETRY_FIRST_USEC ((uint64_t) 1000 * 1000)
#define RETRY_MAX_USEC ((uint64_t) 60 * 1000 * 1000)

void ready_memfd_free(ReadyMemfd *m) {
        if (!m)
                return;
        safe_close(m->fd);
        free(m);
}

/* A new class, in the pool's list ordered by size. */
static SizeClass *size_class_new(Pool *p, uint64_t size, unsigned target) {
        SizeClass *c = calloc(1, sizeof(*c)), **pos = &p->classes;
        if (!c)
                return NULL;
        while (*pos && (*pos)->size < size)
                pos = &(*pos)->next;
        *c = (SizeClass) { .pool = p, .size = size, .target = target, .next = *pos };
        *pos = c;
        return c;
}

int pool_new(Pool **ret, Core *core, const PoolConfig *config) {
        _cleanup_(pool_freep) Pool *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->core = core;
        p->config = pool_config_dup(config);
        if (!p->config)
                return -ENOMEM;
        for (size_t i = 0; i < config->n_sizes; i++)
                if (!size_class_new(p, config->sizes[i].size, config->sizes[i].target))
                        return -ENOMEM;
        *ret = TAKE_PTR(p);
        return 0;
}

/* Frees what the pool holds; the workers must be stopped already, and waiters cancelled. */
Pool *pool_free(Pool *p) {
        if (!p)
                return NULL;
        while (p->classes) {
                SizeClass *c = p->classes;
                p->classes = c->next;
                while (c->ready) {
                        ReadyMemfd *m = c->ready;
                        c->ready = m->next;
                        ready_memfd_free(m);
                }
                size_class_free_builds(c);
                free(c);
        }
        sd_event_source_disable_unref(p->retry);
        sd_event_source_disable_unref(p->refill);
        free(p->last_error_reason);
        free(p->thp.host_advice);
        pool_config_free(p->config);
        free(p->usage);
        free(p);
        return NULL;
}

uint64_t pool_bytes_used(const Pool *p) {
        return p->bytes_ready + p->bytes_building + p->bytes_lent + p->bytes_returning;
}

bool pool_has_room(const Pool *p, uint64_t size) {
        return size <= p->config->limit && pool_bytes_used(p) <= p->config->limit - size;
}

/* Drops ready memfds (never lent, so closing them frees them) until size fits under the limit,
 * from the classes furthest over their target first. */
static bool pool_make_room(Pool *p, uint64_t size) {
        while (!pool_has_room(p, size)) {
                SizeClass *victim = NULL;
                for (SizeClass *c = p->classes; c; c = c->next)
                        if (c->n_ready > 0 && (!victim || (int) (c->n_ready - size_class_target(c)) >
                                                             (int) (victim->n_ready - size_class_target(victim))))
                                victim = c;
                if (!victim)
                        return false;
                ready_memfd_free(size_class_take(victim));
        }
        return true;
}

SizeClass *pool_get_class(Pool *p, uint64_t size, bool create) {
        for (SizeClass *c = p->classes; c; c = c->next)
                if (c->size == size)
                        return c;
        return create ? size_class_new(p, size, 0) : NULL;
}

/* A class made for one odd-sized request goes away once nothing refers to it. */
void size_class_forget_if_unused(SizeClass *c) {
        Pool *p = c->pool;
        if (c->target > 0 || c->n_ready || c->n_building || c->n_lent || c->n_waiters)
                return;
        for (SizeClass **pc = &p->classes; *pc; pc = &(*pc)->next)
                if (*pc == c) {
                        *pc = c->next;
                        free(c);
                        return;
                }
}

ReadyMemfd *size_class_take(SizeClass *c) {
        ReadyMemfd *m = c->ready;
        if (m) {
                c->ready = m->next;
                m->next = NULL;
                c->n_ready--;
                assert(c->pool->bytes_ready >= m->size);
                c->pool->bytes_ready -= m->size;
                c->pool->thp.ready_huge -= m->huge;
                c->pool->at_target = false;
                change_queue_ready(&c->pool->core->changes, CHANGE_READY_TAKEN, c->pool, m);
        }
        return m;
}

static Waiter *size_class_pop_waiter(SizeClass *c) {
        Waiter *w = c->waiters;
        if (w) {
                c->waiters = w->next;
                c->n_waiters--;
        }
        return w;
}

/* Into the ready list (the caller records the change, if there is one). */
void size_class_add_ready(SizeClass *c, ReadyMemfd *m) {
        m->next = c->ready;
        c->ready = m;
        c->n_ready++;
        c->pool->bytes_ready += m->size;
        c->pool->thp.ready_huge += m->huge;
}

/* A built memfd: to the first waiter, else into the ready list, else (over target) freed. */
void size_class_ready(SizeClass *c, ReadyMemfd *m) {
        Waiter *w = size_class_pop_waiter(c);

        if (w) {
                w->serve(w, m, 0);
                size_class_forget_if_unused(c);  /* if the lend failed */
        } else if (c->n_ready < size_class_target(c)) {
                size_class_add_ready(c, m);
                change_queue_ready(&c->pool->core->changes, CHANGE_READY_ADDED, c->pool, m);
        } else {
                ready_memfd_free(m);
                size_class_forget_if_unused(c);
        }
}

int size_class_wait(SizeClass *c, Waiter *w) {
        if (c->n_building - c->n_stuck > c->n_waiters)
                size_class_promote_build(c);  /* one on its way already: hurry it */
        else {
                if (!pool_make_room(c->pool, c->size))
                        return -ENOSPC;
                int r = build_start(c, true);
                if (r < 0)
                        return r;
        }
        w->cls = c;
        w->next = NULL;
        Waiter **tail = &c->waiters;
        while (*tail)
                tail = &(*tail)->next;
        *tail = w;
        c->n_waiters++;
        return 0;
}

void size_class_cancel_wait(SizeClass *c, Waiter *w) {
        for (Waiter **p = &c->waiters; *p; p = &(*p)->next)
                if (*p == w) {
                        *p = w->next;
                        c->n_waiters--;
                        return;
                }
}

static int pool_on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Pool *p = userdata;
        p->retry = sd_event_source_disable_unref(p->retry);
        pool_refill(p);
        return 0;
}

static void pool_set_error(Pool *p, int error, PoolFailure failure, const char *reason) {
        p->last_error = error;
        p->failure = failure;
        free(p->last_error_reason);
        p->last_error_reason = reason ? strdup(reason) : NULL;
}

const char *pool_last_error_text(const Pool *p) {
        return p->last_error_reason ?: strerror(-p->last_error);
}

void pool_build_succeeded(Pool *p) {
        pool_set_error(p, 0, POOL_FAILURE_NONE, NULL);
        p->failures = 0;
}

/* After a failed build: says so, and refills again after a backoff that doubles with each failure. */
static void pool_backoff(Pool *p, SizeClass *c) {
        uint64_t delay = RETRY_FIRST_USEC << MIN(p->failures, 6U);

        p->failures++;
        log_warning_errno(p->last_error, "Pool %s: populating a %" PRIu64 "-byte memfd failed, retrying in %" PRIu64 " s: %s",
                          p->config->name, c->size, MIN(delay, RETRY_MAX_USEC) / 1000000, pool_last_error_text(p));
        change_queue_pool(&p->core->changes, CHANGE_POOL_FAILING, p, c->size, pool_last_error_text(p));
        if (!p->retry)
                (void) clock_timer(p->core->event, &p->retry, MIN(delay, RETRY_MAX_USEC), pool_on_retry, p);
        size_class_forget_if_unused(c);
}

PoolFailure pool_failure_from_errno(int error) {
        switch (error) {
        case -ENOMEM:
        case -ENOSPC:
                return POOL_FAILURE_NO_MEMORY;
        case -ETIMEDOUT:
                return POOL_FAILURE_POPULATE_TIMEOUT;
        default:
                return POOL_FAILURE_OTHER;
        }
}

void pool_build_retry(Pool *p, SizeClass *c, int error, PoolFailure failure, const char *reason) {
        pool_set_error(p, error, failure, reason);
        pool_backoff(p, c);
}

void pool_build_failed(Pool *p, SizeClass *c, int error, PoolFailure failure, const char *reason) {
        pool_set_error(p, error, failure, reason);  /* first: the waiters' answer says it */
        /* Waiters beyond the builds still coming get the failure now. */
        while (c->n_waiters > c->n_building - c->n_stuck) {
                Waiter *w = size_class_pop_waiter(c);
                w->serve(w, NULL, error);
        }
        pool_backoff(p, c);
}

static void pool_refill_now(Pool *p);

static int pool_on_refill(sd_event_source *s, void *userdata) {
        pool_refill_now(userdata);
        return 0;
}

/* Refills from the event loop's next turn, so the reply that took a memfd goes out first and
 * memfd_create() is not on the acquire path. */
void pool_refill(Pool *p) {
        if (!p->refill && sd_event_add_defer(p->core->event, &p->refill, pool_on_refill, p) < 0) {
                pool_refill_now(p);
                return;
        }
        (void) sd_event_source_set_enabled(p->refill, SD_EVENT_ONESHOT);
}

/* Starts background builds until every class has its target ready or coming, within the limit.
 * While a failure's backoff runs, nothing is started. */
static void pool_refill_now(Pool *p) {
        if (p->retry)
                return;
        for (SizeClass *c = p->classes; c; c = c->next)
                while (c->n_ready + c->n_building < size_class_target(c) + c->n_waiters && pool_has_room(p, c->size))
                        if (build_start(c, false) < 0)
                                break;
}

bool pool_has_waiters(const Pool *p) {
        for (SizeClass *c = p->classes; c; c = c->next)
                if (c->n_waiters > 0)
                        return true;
        return false;
}

unsigned size_class_target(const SizeClass *c) {
        return c->pool->drained ? 0 : c->target;
}

/* Says so once when every class has its target ready again. */
void pool_check_target(Pool *p) {
        for (SizeClass *c = p->classes; c; c = c->next)
                if (c->n_ready < size_class_target(c))
                        return;
        if (!p->at_target) {
                p->at_target = true;
                change_queue_pool(&p->core->changes, CHANGE_POOL_REFILLED, p, 0, NULL);
        }
}

/* Frees ready memfds above their class's target (after drain or a lower target). */
void pool_trim(Pool *p) {
        for (SizeClass *c = p->classes, *next; c; c = next) {
                next = c->next;
                while (c->n_ready > size_class_target(c))
                        ready_memfd_free(size_class_take(c));
                size_class_forget_if_unused(c);
        }
}

/* A byte moves from one state to the next, never below zero (the counters are the limit's truth). */
void pool_account_lend(Pool *p, uint64_t size) {
        p->bytes_lent += size;
}

void pool_account_return_start(Pool *p, uint64_t size) {
        assert(p->bytes_lent >= size);
        p->bytes_lent -= size;
        p->bytes_returning += size;
}

void pool_account_returned(Pool *p, uint64_t size) {
        assert(p->bytes_returning >= size);
        p->bytes_returning -= size;
        pool_refill(p);
        pool_check_unused(p);
}

/* A retired pool that holds nothing any more can go: says so to the manager. */
void pool_check_unused(Pool *p) {
        if (p->retired && pool_is_unused(p) && !pool_has_waiters(p))
                change_queue_pool(&p->core->changes, CHANGE_POOL_UNUSED, p, 0, NULL);
}

ReadyMemfd *pool_find_ready(Pool *p, const char *id) {
        for (SizeClass *c = p->classes; c; c = c->next)
                for (ReadyMemfd *m = c->ready; m; m = m->next)
                        if (streq(m->id, id))
                                return m;
        return NULL;
}
