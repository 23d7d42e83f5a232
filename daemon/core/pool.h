/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A pool: ready memfds by size class, the builds that fill it, and its byte accounting. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "config/config.h"
#include "core/workers.h"
#include "util/macro.h"

#define MEMFD_ID_LEN 16

typedef struct Core Core;
typedef struct Pool Pool;
typedef struct SizeClass SizeClass;
typedef struct Build Build;
typedef struct Waiter Waiter;

/* A memfd populated and sealed, never lent. */
typedef struct ReadyMemfd {
        struct ReadyMemfd *next;
        int fd;
        uint64_t size;
        uint64_t huge;          /* bytes in huge pages (2M shmem pools: measured after populating) */
        char id[MEMFD_ID_LEN + 1];
        unsigned store_slot;    /* the store's name for it; 0: not stored. The store's field */
} ReadyMemfd;

/* Someone waiting for a memfd of a class: served in order as memfds become ready. */
struct Waiter {
        Waiter *next;
        SizeClass *cls;
        /* Given the memfd (ownership passes), or NULL and a negative errno when none will come. */
        void (*serve)(Waiter *w, ReadyMemfd *memfd, int error);
};

struct SizeClass {
        SizeClass *next;
        Pool *pool;
        uint64_t size;
        unsigned target;
        ReadyMemfd *ready;
        unsigned n_ready, n_building, n_lent;
        unsigned n_stuck;       /* of the builds, those with a chunk stuck in the kernel: no waiter waits for them */
        Build *builds;
        Waiter *waiters;
        unsigned n_waiters;
};

/* What a 2M shmem (THP) pool knows of its huge pages (pool-thp.c). */
typedef struct PoolThp {
        uint64_t ready_huge;            /* bytes of the ready memfds in 2 MiB folios */
        uint64_t populated, populated_huge;     /* bytes, all builds since the start */
        uint64_t short_memfds;          /* memfds under huge_min: lent anyway, or dropped */
        unsigned last_percent;          /* huge percentage of the last built memfd */
        bool short_said;                /* a shortfall was logged; quiet until one is huge enough */
        int host;                       /* 1: the host's THP settings give huge pages; 0: no; < 0: unknown */
        char *host_advice;              /* what to change, or a note */
} PoolThp;

/* Why the last build failed: Pool.failure, PoolExhausted.cause. */
typedef enum PoolFailure {
        POOL_FAILURE_NONE,
        POOL_FAILURE_NO_MEMORY,         /* the kernel refused memory (ENOMEM, ENOSPC), or too few huge pages */
        POOL_FAILURE_POPULATE_TIMEOUT,  /* a chunk ran past populate_timeout= and was stopped */
        POOL_FAILURE_STUCK_WORKER,      /* a chunk stuck in one system call past the timeout and the grace */
        POOL_FAILURE_OTHER,             /* another errno: lastError says it */
} PoolFailure;

/* Counters since the pool was first configured, for GetMetrics. */
typedef struct PoolCounters {
        uint64_t populate_timeouts;     /* chunks stopped at populate_timeout= (a helper killed, a populate given up) */
        uint64_t stuck_workers;         /* chunks found stuck in one system call: their worker replaced */
} PoolCounters;

typedef struct UidUsage {
        uid_t uid;
        uint64_t bytes;         /* lent or promised to a waiting Acquire */
        unsigned leases;
} UidUsage;

struct Pool {
        Core *core;
        PoolConfig *config;     /* its own copy */
        bool drained;           /* no ready memfds kept until targets are set again */
        bool retired;           /* gone from the configuration: lives until its last lease ends */
        bool at_target;
        SizeClass *classes;
        uint64_t bytes_ready, bytes_building, bytes_lent, bytes_returning;
        UidUsage *usage;
        size_t n_usage;
        PoolThp thp;            /* 2M shmem pools: how much is huge */
        int last_error;         /* of the last failed build; 0 once one succeeds */
        char *last_error_reason;        /* what failed, in words (a populate that hung); NULL: the errno says it */
        PoolFailure failure;            /* why, as a cause the clients can act on; NONE once a build succeeds */
        PoolCounters counters;
        unsigned failures;      /* in a row, for the backoff */
        sd_event_source *retry;
        sd_event_source *refill;        /* a deferred pool_refill() */
};

int pool_new(Pool **ret, Core *core, const PoolConfig *config);
Pool *pool_free(Pool *p);
DEFINE_TRIVIAL_CLEANUP_FUNC(Pool *, pool_free);
void pool_refill(Pool *p);

uint64_t pool_bytes_used(const Pool *p);
bool pool_has_room(const Pool *p, uint64_t size);

SizeClass *pool_get_class(Pool *p, uint64_t size, bool create);
/* Takes a ready memfd of the class, or NULL. The caller counts it lent (pool_account_lend). */
ReadyMemfd *size_class_take(SizeClass *c);
/* Queues a waiter and makes sure a build will serve it. -ENOSPC when the limit forbids a build. */
int size_class_wait(SizeClass *c, Waiter *w);
void size_class_cancel_wait(SizeClass *c, Waiter *w);
void size_class_forget_if_unused(SizeClass *c);
void size_class_add_ready(SizeClass *c, ReadyMemfd *m);

bool pool_has_waiters(const Pool *p);
unsigned size_class_target(const SizeClass *c);   /* 0 while the pool is drained */
void pool_check_target(Pool *p);
void pool_trim(Pool *p);

/* For build.c: a memfd is built, or building one failed. */
void size_class_ready(SizeClass *c, ReadyMemfd *m);
void pool_build_failed(Pool *p, SizeClass *c, int error, PoolFailure failure, const char *reason);
/* As pool_build_failed(), but the waiters keep waiting for the retry. reason: NULL, or what failed. */
void pool_build_retry(Pool *p, SizeClass *c, int error, PoolFailure failure, const char *reason);
/* The failure an errno of a build means (ETIMEDOUT: a populate stopped at its timeout). */
PoolFailure pool_failure_from_errno(int error);
void pool_build_succeeded(Pool *p);
/* What the last failed build says: its reason, or its errno's text. */
const char *pool_last_error_text(const Pool *p);

void pool_account_lend(Pool *p, uint64_t size);
void pool_account_return_start(Pool *p, uint64_t size);
void pool_account_returned(Pool *p, uint64_t size);
void pool_check_unused(Pool *p);
/* The ready memfd of that size and id, or NULL once it is lent or dropped. */
ReadyMemfd *pool_find_ready(Pool *p, const char *id);

void ready_memfd_free(ReadyMemfd *m);
DEFINE_TRIVIAL_CLEANUP_FUNC(ReadyMemfd *, ready_memfd_free);
