/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The core alone: pools, builds, leases and quotas on a fake worker queue and a fake clock, no
 * daemon. Each test checks the byte counters and the changes the core queued for the layers above.
 * The memfds are real (shmem, 1 MiB); the workers run a job only when the test says so. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/build.h"
#include "core/core.h"
#include "core/metrics.h"
#include "core/lease.h"
#include "core/pool-admin.h"
#include "core/quota.h"
#include "fake-core.h"
#include "memfd/memfd-ops.h"
#include "store/lease-file.h"
#include "util/macro.h"

#define MiB (1024ULL * 1024)
#define SEC (1000ULL * 1000)

typedef struct Fixture {
        sd_event *event;
        Workers *workers;
        Core core;
        Pool *pool;
        SizeTarget sizes[2];
        PoolConfig config;
        unsigned changes[_CHANGE_KIND_MAX];     /* counted by take_changes() */
        Change *last[_CHANGE_KIND_MAX];         /* the last of each kind, kept */
} Fixture;

/* A shmem pool "test" of 1 MiB memfds, 2 kept ready, 8 MiB in all, 3 MiB and 2 leases per uid. */
static Fixture *fixture_new(void) {
        Fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        assert_int_equal(sd_event_new(&f->event), 0);
        assert_int_equal(workers_new(&f->workers, f->event, 1), 0);
        f->core = (Core) { .event = f->event, .workers = f->workers };
        f->sizes[0] = (SizeTarget) { .size = MiB, .target = 2 };
        f->config = (PoolConfig) {
                .name = (char *) "test", .origin = (char *) "test", .backing = BACKING_SHMEM, .page_size = 4096,
                .sizes = f->sizes, .n_sizes = 1, .limit = 8 * MiB, .quota_per_uid = 3 * MiB, .leases_per_uid = 2,
                .numa_node = -1,
        };
        assert_int_equal(pool_new(&f->pool, &f->core, &f->config), 0);
        return f;
}

static void fixture_free(Fixture *f) {
        core_done(&f->core);
        pool_free(f->pool);
        for (size_t i = 0; i < _CHANGE_KIND_MAX; i++)
                change_free(f->last[i]);
        workers_free(f->workers);
        sd_event_unref(f->event);
        free(f);
}

static int setup(void **state) {
        *state = fixture_new();
        return 0;
}

static int teardown(void **state) {
        fixture_free(*state);
        return 0;
}

/* Takes every queued change: counts them by kind, keeps the last of each. */
static void take_changes(Fixture *f) {
        Change *c;
        memset(f->changes, 0, sizeof(f->changes));
        while ((c = change_queue_pop(&f->core.changes))) {
                f->changes[c->kind]++;
                change_free(f->last[c->kind]);
                f->last[c->kind] = c;
        }
}

/* Refills and lets the builds finish, and the refill they ask for. */
static void fill(Fixture *f) {
        pool_refill(f->pool);
        fake_loop_settle(f->event);
        fake_workers_run_all(f->workers);
        fake_loop_settle(f->event);
}

/* What Acquire does with a ready memfd: the quota, the memfd, the lease. */
static Lease *lend(Fixture *f, uid_t uid, const char *tag) {
        QuotaExceeded e;
        Owner owner = { .kind = OWNER_UNKNOWN, .pidfd = -1 };
        SizeClass *c = pool_get_class(f->pool, MiB, false);
        Lease *l;

        assert_non_null(c);
        assert_int_equal(quota_reserve(f->pool, uid, MiB, &e), 0);
        ReadyMemfd *m = size_class_take(c);
        assert_non_null(m);
        assert_int_equal(lease_new(&l, f->pool, m, &owner, uid, tag), 0);
        return l;
}

/* The owner `pid` as Acquire makes it from a connection: a pidfd of its own each time. */
static Owner process_owner(pid_t pid) {
        Owner o = { .kind = OWNER_PROCESS, .pidfd = (int) syscall(SYS_pidfd_open, pid, 0), .pid = pid,
                    .start_time = process_start_time(pid) };
        assert_true(o.pidfd >= 0);
        return o;
}

static Lease *lend_to(Fixture *f, uid_t uid, Owner *owner) {
        QuotaExceeded e;
        SizeClass *c = pool_get_class(f->pool, MiB, false);
        Lease *l;

        assert_int_equal(quota_reserve(f->pool, uid, MiB, &e), 0);
        ReadyMemfd *m = size_class_take(c);
        assert_non_null(m);
        assert_int_equal(lease_new(&l, f->pool, m, owner, uid, NULL), 0);
        return l;
}

/* Two leases of one process share one Process (one pidfd, one store entry); the fd budget counts
 * leases and processes; the process's exit ends both leases and the Process with them. */
static void test_shared_owner(void **state) {
        Fixture *f = *state;
        int hold[2];
        unsigned used;

        int probe = (int) syscall(SYS_pidfd_open, getpid(), 0);
        if (probe < 0)
                skip();  /* valgrind 3.19 does not know pidfd_open */
        close(probe);
        assert_int_equal(pipe(hold), 0);
        pid_t pid = fork();
        if (pid == 0) {
                char c;
                close(hold[1]);
                (void) read(hold[0], &c, 1);
                _exit(0);
        }
        close(hold[0]);
        fill(f);
        take_changes(f);
        Owner o1 = process_owner(pid), o2 = process_owner(pid);
        Lease *a = lend_to(f, 1000, &o1), *b = lend_to(f, 1000, &o2);
        assert_ptr_equal(a->process, b->process);
        assert_int_equal(f->core.n_processes, 1);
        assert_int_equal(a->process->n_leases, 2);
        assert_ptr_equal(core_find_lease(&f->core, b->id), b);
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_OWNER_ADDED], 1);

        /* 2 leases + 1 process used: one more lease of it needs 1, of a new process 2. */
        Owner again = process_owner(pid), other = process_owner(getpid());
        f->core.fd_budget = (FdBudget) { .max = 4, .resource = "test" };
        assert_int_equal(core_fd_budget_check(&f->core, &again, 0, &used), 0);
        assert_int_equal(used, 3);
        assert_int_equal(core_fd_budget_check(&f->core, &other, 0, &used), -EMFILE);
        assert_int_equal(core_fd_budget_check(&f->core, &again, 1, &used), -EMFILE);  /* a waiting Acquire */
        owner_done(&again);
        owner_done(&other);

        /* The owner exits; before the loop sees it, a lease for the same pid (a zombie still) comes:
         * it does not join the dead Process, whose leases end at once. */
        fill(f);
        take_changes(f);
        close(hold[1]);
        struct pollfd exited = { .fd = a->process->pidfd, .events = POLLIN };
        assert_int_equal(poll(&exited, 1, 5000), 1);
        Owner late = process_owner(pid);
        Lease *c = lend_to(f, 1001, &late);
        assert_int_equal(a->state, LEASE_INVALIDATING);
        assert_int_equal(b->state, LEASE_INVALIDATING);
        assert_null(a->process);
        assert_non_null(c->process);
        assert_int_equal(f->core.n_processes, 1);
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_LEASE_INVALIDATING], 2);
        assert_int_equal(f->changes[CHANGE_OWNER_GONE], 1);
        assert_int_equal(f->changes[CHANGE_OWNER_ADDED], 1);
        assert_int_equal(f->last[CHANGE_OWNER_GONE]->owner_pid, pid);

        /* Its own watch ends that one too; the Process goes, its store entry with it. */
        assert_int_equal(waitpid(pid, NULL, 0), pid);
        for (int i = 0; i < 100 && f->core.n_processes > 0; i++)
                assert_true(sd_event_run(f->event, 10 * 1000) >= 0);
        assert_int_equal(f->core.n_processes, 0);
        assert_int_equal(c->state, LEASE_INVALIDATING);
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_OWNER_GONE], 1);
}

static void test_refill(void **state) {
        Fixture *f = *state;
        Pool *p = f->pool;

        pool_refill(p);
        fake_loop_settle(f->event);
        assert_int_equal(fake_workers_queued(f->workers), 2);  /* one chunk each */
        assert_int_equal(p->bytes_building, 2 * MiB);
        assert_int_equal(fake_workers_run_all(f->workers), 2);
        assert_int_equal(p->bytes_building, 0);
        assert_int_equal(p->bytes_ready, 2 * MiB);
        assert_true(p->at_target);
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_READY_ADDED], 2);
        assert_int_equal(f->changes[CHANGE_POOL_REFILLED], 1);

        /* Taking one leaves the pool below target until the refill's build is done. */
        Lease *l = lend(f, 1000, NULL);
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_READY_TAKEN], 1);
        assert_int_equal(f->changes[CHANGE_LEASE_ACQUIRED], 1);
        assert_string_equal(f->last[CHANGE_LEASE_ACQUIRED]->lease.id, l->id);
        assert_int_equal(f->last[CHANGE_LEASE_ACQUIRED]->lease.state, LEASE_ACTIVE);
        assert_int_equal(p->bytes_lent, MiB);
        assert_false(p->at_target);
        fill(f);
        assert_int_equal(p->bytes_ready, 2 * MiB);
        assert_int_equal(pool_bytes_used(p), 3 * MiB);
}

/* A build failure retries after 1 s, then 4, 16, 60 (each round's two builds fail), at most 60 s;
 * one success resets it. */
static void test_backoff(void **state) {
        Fixture *f = *state;
        Pool *p = f->pool;
        static const uint64_t delays[] = { 1 * SEC, 4 * SEC, 16 * SEC, 60 * SEC, 60 * SEC };

        pool_refill(p);
        fake_loop_settle(f->event);
        for (size_t i = 0; i < ELEMENTSOF(delays); i++) {
                assert_int_equal(fake_workers_fail_all(f->workers, -ENOMEM), 2);
                assert_int_equal(p->last_error, -ENOMEM);
                assert_int_equal(p->bytes_building, 0);
                take_changes(f);
                assert_int_equal(f->changes[CHANGE_POOL_FAILING], 2);
                assert_int_equal(fake_clock_remaining(p->retry), delays[i]);

                /* Nothing is built while the backoff runs, not even when asked. */
                pool_refill(p);
                fake_clock_advance(f->event, delays[i] - 1);
                assert_int_equal(fake_workers_queued(f->workers), 0);
                fake_clock_advance(f->event, 1);
                assert_null(p->retry);
                assert_int_equal(fake_workers_queued(f->workers), 2);
        }
        assert_int_equal(fake_workers_run_all(f->workers), 2);
        assert_int_equal(p->last_error, 0);
        assert_int_equal(p->failures, 0);
        assert_int_equal(p->bytes_ready, 2 * MiB);
}

static ReadyMemfd *served;
static int served_error;

static void serve(Waiter *w, ReadyMemfd *memfd, int error) {
        served = memfd;
        served_error = error;
}

/* A waiter gets the memfd built for it, not the ready list; a failed build fails it. */
static void test_wait(void **state) {
        Fixture *f = *state;
        SizeClass *c = pool_get_class(f->pool, 2 * MiB, true);
        Waiter w = { .serve = serve };

        assert_int_equal(size_class_wait(c, &w), 0);
        assert_int_equal(fake_workers_queued(f->workers), 1);
        fake_workers_run_all(f->workers);
        assert_non_null(served);
        assert_int_equal(served->size, 2 * MiB);
        assert_int_equal(f->pool->bytes_ready, 0);
        ready_memfd_free(TAKE_PTR(served));

        c = pool_get_class(f->pool, 2 * MiB, true);  /* a class with no target goes once unused */
        assert_int_equal(size_class_wait(c, &w), 0);
        fake_workers_fail_all(f->workers, -ENOSPC);
        assert_null(served);
        assert_int_equal(served_error, -ENOSPC);
}

/* The pool again, from f->config as the test changed it. */
static void fixture_reconfigure(Fixture *f) {
        pool_free(f->pool);
        assert_int_equal(pool_new(&f->pool, &f->core, &f->config), 0);
}

/* The next queued job done as if a worker had run it with that result (no memory populated). */
static void pretend_done(Fixture *f, int result) {
        Job *j = fake_workers_pop(f->workers);
        assert_non_null(j);
        j->result = result;
        j->done(j);
        fake_loop_settle(f->event);
}

/* A build keeps at most 4 chunks of its memfd in the queue and adds the next as one is done: with
 * more workers than that, the others fill the next memfd (one memfd stops scaling at ~4 threads). */
static void test_parallel_chunks(void **state) {
        Fixture *f = *state;
        f->sizes[0] = (SizeTarget) { .size = 512 * MiB, .target = 2 };  /* 8 chunks of 64 MiB each */
        f->config.limit = 1024 * MiB;
        fixture_reconfigure(f);

        pool_refill(f->pool);
        fake_loop_settle(f->event);
        assert_int_equal(fake_workers_queued(f->workers), 8);  /* 4 of each memfd, not 8 of the first */
        /* The queue runs A0-A3 B0-B3; each of those done puts its memfd's next chunk in (A4-A7,
         * B4-B7), so it stays at 8 until those last chunks run. */
        for (unsigned done = 1; done <= 16; done++) {
                pretend_done(f, 0);
                assert_int_equal(fake_workers_queued(f->workers), done <= 8 ? 8 : 16 - done);
        }
        assert_int_equal(f->pool->bytes_ready, 1024 * MiB);
        assert_int_equal(f->pool->bytes_building, 0);
}

/* A chunk that fails ends its memfd: the chunks not queued yet are never populated. */
static void test_chunk_failure(void **state) {
        Fixture *f = *state;
        f->sizes[0] = (SizeTarget) { .size = 512 * MiB, .target = 1 };
        f->config.limit = 1024 * MiB;
        fixture_reconfigure(f);

        pool_refill(f->pool);
        fake_loop_settle(f->event);
        assert_int_equal(fake_workers_queued(f->workers), 4);
        pretend_done(f, -ENOMEM);
        assert_int_equal(fake_workers_queued(f->workers), 3);  /* no fifth */
        pretend_done(f, 0);
        pretend_done(f, 0);
        assert_int_equal(f->pool->bytes_building, 512 * MiB);
        pretend_done(f, 0);
        assert_int_equal(fake_workers_queued(f->workers), 0);
        assert_int_equal(f->pool->bytes_building, 0);
        assert_int_equal(f->pool->bytes_ready, 0);
        assert_int_equal(f->pool->last_error, -ENOMEM);
}

/* A chunk cancelled because another one failed can come back first: the build's error is the
 * other's (no memory), not "Operation canceled". Seen in a full run as poolFailing cause 'error'. */
static void test_chunk_failure_after_a_cancelled_one(void **state) {
        Fixture *f = *state;
        f->sizes[0] = (SizeTarget) { .size = 512 * MiB, .target = 1 };
        f->config.limit = 1024 * MiB;
        fixture_reconfigure(f);

        pool_refill(f->pool);
        fake_loop_settle(f->event);
        pretend_done(f, -ECANCELED);
        pretend_done(f, -ENOSPC);
        pretend_done(f, 0);
        pretend_done(f, 0);
        assert_int_equal(f->pool->bytes_building, 0);
        assert_int_equal(f->pool->last_error, -ENOSPC);
        assert_int_equal(f->pool->failure, POOL_FAILURE_NO_MEMORY);
}

/* populate_timeout='s default follows the chunk's size (4 MiB/s), never under 30 s. */
static void test_populate_timeout_default(void **state) {
        Fixture *f = *state;
        assert_int_equal(build_chunk_timeout_usec(&f->config, 64 * MiB), 30 * SEC);
        assert_int_equal(build_chunk_timeout_usec(&f->config, 256 * MiB), 64 * SEC);
        f->config.populate_timeout_sec = 5;
        assert_int_equal(build_chunk_timeout_usec(&f->config, 256 * MiB), 5 * SEC);
}

/* A chunk whose populate hung (memfd_ops_populate gave up at populate_timeout=: -ETIMEDOUT) ends
 * its memfd: the chunks queued behind it populate nothing, the Acquire waiting for it is answered,
 * the pool says what hung, backs off and then refills by itself. */
static void test_populate_hung(void **state) {
        Fixture *f = *state;
        Waiter w = { .serve = serve };
        served = NULL;
        served_error = 0;
        f->sizes[0] = (SizeTarget) { .size = 512 * MiB, .target = 1 };  /* 8 chunks of 64 MiB */
        f->config.limit = 1024 * MiB;
        f->config.populate_timeout_sec = 5;
        fixture_reconfigure(f);
        SizeClass *c = pool_get_class(f->pool, 512 * MiB, false);

        pool_refill(f->pool);
        fake_loop_settle(f->event);
        assert_int_equal(size_class_wait(c, &w), 0);    /* waits for the build under way */
        assert_int_equal(fake_workers_queued(f->workers), 4);
        pretend_done(f, -ETIMEDOUT);
        assert_int_equal(served_error, 0);              /* three chunks still out */
        for (Job *j; (j = fake_workers_pop(f->workers));) {
                j->run(j);                              /* the memfd is lost: skipped, not populated */
                assert_int_equal(j->result, -ECANCELED);
                j->done(j);
        }
        fake_loop_settle(f->event);
        assert_null(served);
        assert_int_equal(served_error, -ETIMEDOUT);
        assert_int_equal(f->pool->bytes_building + f->pool->bytes_ready, 0);
        assert_int_equal(f->pool->last_error, -ETIMEDOUT);
        assert_string_equal(pool_last_error_text(f->pool),
                            "populating bytes 0M-64M of a 512M memfd in a worker thread hung: given up after 0.0 s "
                            "(populate_timeout=5s)");
        assert_int_equal(f->pool->failure, POOL_FAILURE_POPULATE_TIMEOUT);
        assert_int_equal(f->pool->counters.populate_timeouts, 1);      /* the chunks skipped after it are not */
        assert_int_equal(f->pool->counters.stuck_workers, 0);
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_POOL_FAILING], 1);
        assert_string_equal(f->last[CHANGE_POOL_FAILING]->reason, pool_last_error_text(f->pool));
        assert_int_equal(f->last[CHANGE_POOL_FAILING]->failure, POOL_FAILURE_POPULATE_TIMEOUT);  /* Watch's cause */

        assert_int_equal(fake_clock_remaining(f->pool->retry), 1 * SEC);
        fake_clock_advance(f->event, 1 * SEC);
        assert_int_equal(fake_workers_queued(f->workers), 4);  /* refilling again */
        while (fake_workers_queued(f->workers) > 0)
                pretend_done(f, 0);
        assert_int_equal(f->pool->bytes_ready, 512 * MiB);
        assert_int_equal(f->pool->last_error, 0);
        assert_null(f->pool->last_error_reason);
        assert_int_equal(f->pool->failure, POOL_FAILURE_NONE);
        assert_int_equal(f->pool->counters.populate_timeouts, 1);      /* a counter: stays */
}

/* A chunk stuck in one system call (run() has not returned 5 s after populate_timeout=): the waiter
 * is answered, a new worker thread takes the stuck one's place, a new Acquire gets a new build, and
 * the stuck memfd is dropped when its call returns at last. */
/* w waits for a memfd of size (no target, populate_timeout=5) whose first chunk a worker took 11 s
 * ago and is still in: that chunk's job. */
static Job *start_stuck_chunk(Fixture *f, uint64_t size, Waiter *w, SizeClass **ret_class) {
        served = NULL;
        served_error = 0;
        f->sizes[0] = (SizeTarget) { .size = size, .target = 0 };
        f->config.limit = 1024 * MiB;
        f->config.populate_timeout_sec = 5;
        fixture_reconfigure(f);
        *ret_class = pool_get_class(f->pool, size, true);

        assert_int_equal(size_class_wait(*ret_class, w), 0);
        Job *stuck = fake_workers_pop(f->workers);
        __atomic_store_n(&stuck->started_usec, now_usec() - 11 * SEC, __ATOMIC_RELAXED);
        return stuck;
}

static void test_populate_stuck(void **state) {
        Fixture *f = *state;
        Waiter w = { .serve = serve }, w2 = { .serve = serve };
        SizeClass *c;
        Job *stuck = start_stuck_chunk(f, 512 * MiB, &w, &c);

        fake_clock_advance(f->event, 10 * SEC - 1);
        assert_int_equal(served_error, 0);
        fake_clock_advance(f->event, 1);
        assert_null(served);
        assert_int_equal(served_error, -ETIMEDOUT);
        assert_int_equal(c->n_stuck, 1);
        assert_int_equal(f->pool->failure, POOL_FAILURE_STUCK_WORKER);
        assert_int_equal(f->pool->counters.stuck_workers, 1);
        assert_int_equal(f->pool->counters.populate_timeouts, 0);
        uint64_t oldest = 0;
        assert_int_equal(pool_stuck_workers(f->pool, &oldest), 1);
        assert_int_equal(oldest, stuck->started_usec);
        assert_int_equal(workers_count(f->workers), 2);
        assert_int_equal(f->pool->bytes_building, 512 * MiB);  /* its memory is still there */
        assert_string_equal(pool_last_error_text(f->pool),
                            "populating bytes 0M-64M of a 512M memfd in a worker thread has not returned for 11 s: stuck in "
                            "the kernel, a new worker thread takes its place (populate_timeout=5s)");

        /* A new Acquire does not wait for the stuck build: it gets one of its own. */
        assert_int_equal(size_class_wait(c, &w2), 0);
        assert_int_equal(f->pool->bytes_building, 1024 * MiB);
        for (unsigned i = 0; i < 3; i++) {              /* the stuck build's chunks queued behind it */
                Job *j = fake_workers_pop(f->workers);
                j->run(j);
                assert_int_equal(j->result, -ECANCELED);
                j->done(j);
        }
        while (fake_workers_queued(f->workers) > 0)
                pretend_done(f, 0);
        assert_non_null(served);
        ready_memfd_free(TAKE_PTR(served));

        assert_int_equal(pool_stuck_workers(f->pool, NULL), 1);        /* the new build's worker is not */
        fake_clock_advance(f->event, 20 * SEC);                        /* the watchdog counts it once */
        assert_int_equal(f->pool->counters.stuck_workers, 1);
        stuck->result = -ETIMEDOUT;                     /* its call returned at last, past its deadline */
        stuck->done(stuck);
        fake_loop_settle(f->event);
        assert_int_equal(pool_stuck_workers(f->pool, &oldest), 0);
        assert_int_equal(oldest, UINT64_MAX);
        assert_int_equal(f->pool->counters.stuck_workers, 1);
        assert_int_equal(f->pool->counters.populate_timeouts, 0);      /* counted as stuck, not again as a timeout */
        /* Its return is no new failure: the build that served w2 made the pool well, and stays so. */
        assert_int_equal(f->pool->failure, POOL_FAILURE_NONE);
        assert_int_equal(f->pool->failures, 0);
        assert_null(pool_get_class(f->pool, 512 * MiB, false));  /* no target: gone with its last build */
        assert_int_equal(f->pool->bytes_building, 0);
}

/* A stuck chunk is one failure, however late its call returns: the backoff does not double again,
 * and the pool keeps saying it was stuck. */
static void test_populate_stuck_backs_off_once(void **state) {
        Fixture *f = *state;
        Waiter w = { .serve = serve };
        SizeClass *c;
        Job *stuck = start_stuck_chunk(f, 64 * MiB, &w, &c);

        fake_clock_advance(f->event, 10 * SEC);
        assert_int_equal(served_error, -ETIMEDOUT);
        assert_int_equal(f->pool->failures, 1);
        stuck->result = -ETIMEDOUT;
        stuck->done(stuck);
        fake_loop_settle(f->event);
        assert_int_equal(f->pool->failures, 1);
        assert_int_equal(f->pool->failure, POOL_FAILURE_STUCK_WORKER);
        assert_int_equal(f->pool->bytes_building, 0);
}

/* A 2M shmem pool whose memfd came out with no 2 MiB pages: huge_fallback=lend keeps it and
 * counts it; retry drops it and keeps the waiter waiting for the retry; refuse fails the waiter. */
static void thp_pool(Fixture *f, HugeFallback fallback) {
        f->sizes[0] = (SizeTarget) { .size = 4 * MiB, .target = fallback == HUGE_FALLBACK_LEND };
        f->config.page_size = 2 * MiB;
        f->config.limit = 16 * MiB;
        f->config.huge_min = 90;
        f->config.huge_fallback = fallback;
        fixture_reconfigure(f);
}

static void test_thp_lend(void **state) {
        Fixture *f = *state;
        thp_pool(f, HUGE_FALLBACK_LEND);
        pool_refill(f->pool);
        fake_loop_settle(f->event);
        pretend_done(f, 0);  /* populated, 0 bytes huge */
        assert_int_equal(f->pool->bytes_ready, 4 * MiB);
        assert_int_equal(f->pool->thp.ready_huge, 0);
        assert_int_equal(f->pool->thp.short_memfds, 1);
        assert_int_equal(f->pool->thp.populated, 4 * MiB);
        assert_int_equal(f->pool->thp.last_percent, 0);
        assert_int_equal(f->pool->last_error, 0);
}

static void test_thp_retry(void **state) {
        Fixture *f = *state;
        Waiter w = { .serve = serve };
        served = NULL;
        served_error = 0;
        thp_pool(f, HUGE_FALLBACK_RETRY);
        SizeClass *c = pool_get_class(f->pool, 4 * MiB, true);

        assert_int_equal(size_class_wait(c, &w), 0);
        pretend_done(f, 0);
        assert_null(served);
        assert_int_equal(served_error, 0);  /* not served: still waiting */
        assert_int_equal(c->n_waiters, 1);
        assert_int_equal(f->pool->bytes_ready + f->pool->bytes_building, 0);  /* dropped */
        assert_int_equal(f->pool->last_error, -ENOMEM);
        assert_int_equal(fake_clock_remaining(f->pool->retry), 1 * SEC);
        fake_clock_advance(f->event, 1 * SEC);
        assert_int_equal(fake_workers_queued(f->workers), 1);  /* the retry's build, for the waiter */
        size_class_cancel_wait(c, &w);
}

static void test_thp_refuse(void **state) {
        Fixture *f = *state;
        Waiter w = { .serve = serve };
        served = NULL;
        served_error = 0;
        thp_pool(f, HUGE_FALLBACK_REFUSE);
        SizeClass *c = pool_get_class(f->pool, 4 * MiB, true);

        assert_int_equal(size_class_wait(c, &w), 0);
        pretend_done(f, 0);
        assert_null(served);
        assert_int_equal(served_error, -ENOMEM);
        assert_int_equal(f->pool->thp.short_memfds, 1);
        assert_non_null(f->pool->retry);
}

static void test_quota(void **state) {
        Fixture *f = *state;
        QuotaExceeded e;

        fill(f);
        Lease *a = lend(f, 1000, NULL);
        (void) lend(f, 1000, NULL);
        assert_int_equal(quota_reserve(f->pool, 1000, MiB, &e), -EDQUOT);
        assert_string_equal(e.resource, "leases");
        assert_int_equal(e.limit, 2);
        assert_int_equal(e.used, 2);
        assert_int_equal(quota_reserve(f->pool, 1001, 4 * MiB, &e), -EDQUOT);
        assert_string_equal(e.resource, "bytes");
        assert_int_equal(e.limit, 3 * MiB);
        assert_int_equal(e.requested, 4 * MiB);
        assert_int_equal(quota_reserve(f->pool, 1001, 3 * MiB, &e), 0);  /* another uid's own */
        quota_release(f->pool, 1001, 3 * MiB);

        /* Ending a lease gives its quota back at once, before its memory is back. */
        lease_invalidate(a, "released");
        assert_int_equal(quota_reserve(f->pool, 1000, 2 * MiB, &e), 0);
        assert_int_equal(quota_reserve(f->pool, 1000, 1, &e), -EDQUOT);
        assert_string_equal(e.resource, "bytes");
}

/* Blocks that come back after the punch (another holder of the memfd wrote): the lease is leaked,
 * punched again 10 s later, and released once the file is empty. */
static void test_leaked_repunch(void **state) {
        Fixture *f = *state;
        Pool *p = f->pool;

        fill(f);
        Lease *l = lend(f, 1000, "vm");
        char id[MEMFD_ID_LEN + 1];
        memcpy(id, l->id, sizeof(id));
        lease_invalidate(l, "released");
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_LEASE_INVALIDATING], 1);
        assert_string_equal(f->last[CHANGE_LEASE_INVALIDATING]->reason, "released");
        assert_int_equal(f->core.metrics.invalidations, 1);
        assert_int_equal(p->bytes_lent, 0);
        assert_int_equal(p->bytes_returning, MiB);

        Job *punch = fake_workers_pop(f->workers);
        assert_non_null(punch);
        punch->run(punch);
        assert_int_equal(pwrite(l->fd, "x", 1, 0), 1);          /* as a racing writer would */
        assert_int_equal(memfd_ops_allocated(l->fd, &l->held), 0);
        punch->done(punch);
        assert_int_equal(l->state, LEASE_LEAKED);
        assert_int_equal(f->core.metrics.leaks, 1);
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_LEASE_LEAKED], 1);
        assert_true(f->last[CHANGE_LEASE_LEAKED]->lease.held > 0);
        assert_int_equal(fake_clock_remaining(l->recheck), 10 * SEC);
        assert_int_equal(p->bytes_returning, MiB);

        fake_clock_advance(f->event, 10 * SEC);
        assert_int_equal(fake_workers_run_all(f->workers), 1);
        assert_null(f->core.leases);
        assert_int_equal(p->bytes_returning, 0);
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_LEASE_RELEASED], 1);
        assert_string_equal(f->last[CHANGE_LEASE_RELEASED]->lease.id, id);  /* the lease is gone, its copy not */
        assert_string_equal(f->last[CHANGE_LEASE_RELEASED]->lease.tag, "vm");
}

/* A punch stuck in one system call (run() has not returned populate_timeout= + 5 s after a worker
 * took it): said once, counted with the pool's stuck workers, and a new worker thread takes its
 * place; waiting in the queue is not being stuck. The counts come back when it returns. */
static void test_punch_stuck(void **state) {
        Fixture *f = *state;

        assert_int_equal(lease_punch_limit_usec(f->pool), 35 * SEC);    /* without populate_timeout= */
        f->config.populate_timeout_sec = 5;
        fixture_reconfigure(f);
        Pool *p = f->pool;
        assert_int_equal(lease_punch_limit_usec(p), 10 * SEC);
        fill(f);
        Lease *l = lend(f, 1000, "vm");
        lease_invalidate(l, "released");
        assert_int_equal(fake_clock_remaining(l->punch_watchdog), 10 * SEC);

        fake_clock_advance(f->event, 10 * SEC);                 /* queued behind busy workers: not stuck */
        assert_false(l->punch_stuck);
        assert_int_equal(pool_stuck_workers(p, NULL), 0);
        assert_int_equal(fake_clock_remaining(l->punch_watchdog), 10 * SEC);

        Job *punch = fake_workers_pop(f->workers);              /* a worker took it 9 s ago */
        assert_ptr_equal(punch, &l->punch);
        uint64_t started = now_usec() - 9 * SEC;
        __atomic_store_n(&punch->started_usec, started, __ATOMIC_RELAXED);
        fake_clock_advance(f->event, 10 * SEC);                 /* looks again when it could be stuck */
        assert_false(l->punch_stuck);
        assert_true(fake_clock_remaining(l->punch_watchdog) <= 1 * SEC);
        __atomic_store_n(&punch->started_usec, started - 2 * SEC, __ATOMIC_RELAXED);
        fake_clock_advance(f->event, 1 * SEC);
        assert_true(l->punch_stuck);
        assert_null(l->punch_watchdog);
        assert_int_equal(l->state, LEASE_INVALIDATING);
        assert_int_equal(p->counters.stuck_workers, 1);
        assert_int_equal(workers_count(f->workers), 2);
        uint64_t oldest = 0;
        assert_int_equal(pool_stuck_workers(p, &oldest), 1);
        assert_int_equal(oldest, started - 2 * SEC);
        assert_int_equal(p->bytes_returning, MiB);

        fake_clock_advance(f->event, 60 * SEC);                 /* counted once */
        assert_int_equal(p->counters.stuck_workers, 1);
        assert_int_equal(workers_count(f->workers), 2);

        punch->run(punch);                                      /* its call returned at last */
        punch->done(punch);
        assert_null(f->core.leases);
        assert_int_equal(p->bytes_returning, 0);
        assert_int_equal(pool_stuck_workers(p, &oldest), 0);
        assert_int_equal(oldest, UINT64_MAX);
        assert_int_equal(p->counters.stuck_workers, 1);
        fake_workers_run_all(f->workers);
        fake_loop_settle(f->event);
}

/* A restart: the lease files written for one core are read back into another, with the fds; the
 * active lease is lent again and counted against its uid, the one being punched is punched again;
 * hugeBytes comes back as it was (known or not). */
static void test_recover(void **state) {
        Fixture *a = *state, *b = fixture_new();
        char dir[] = "/tmp/test-core.XXXXXX";
        LeaseRecord *records;
        size_t n;
        QuotaExceeded e;

        assert_non_null(mkdtemp(dir));
        fill(a);
        Lease *active = lend(a, 1000, "vm-a"), *ending = lend(a, 1001, NULL);
        lease_invalidate(ending, "owner exited");
        active->huge = (int64_t) MiB / 2;       /* as if from a 2M shmem pool: kept; ending's -1 too */
        assert_int_equal(lease_file_write(dir, active), 0);
        assert_int_equal(lease_file_write(dir, ending), 0);
        assert_int_equal(lease_file_read_all(dir, &records, &n), 0);
        assert_int_equal(n, 2);

        for (size_t i = 0; i < n; i++) {
                Lease *old = streq(records[i].id, active->id) ? active : ending, *l;
                Owner owner = { .kind = OWNER_UNKNOWN, .pidfd = -1 };
                int fd = dup(old->fd);
                assert_int_equal(lease_restore(&l, b->pool, &records[i], fd, &owner), 0);
                assert_int_equal(l->acquired_usec, old->acquired_usec);
                assert_int_equal(l->huge, old->huge);
        }
        lease_records_free(records, n);
        assert_int_equal(b->core.n_leases, 2);
        take_changes(b);
        assert_int_equal(b->changes[CHANGE_LEASE_RESTORED], 1);
        assert_string_equal(b->last[CHANGE_LEASE_RESTORED]->lease.tag, "vm-a");
        assert_int_equal(b->changes[CHANGE_LEASE_INVALIDATING], 1);
        assert_int_equal(b->pool->bytes_lent, MiB);
        assert_int_equal(b->pool->bytes_returning, MiB);
        assert_int_equal(quota_reserve(b->pool, 1000, 3 * MiB, &e), -EDQUOT);
        assert_int_equal(e.used, MiB);

        assert_int_equal(fake_workers_run_all(b->workers), 1);
        assert_int_equal(b->core.n_leases, 1);
        assert_string_equal(b->core.leases->id, active->id);
        assert_int_equal(b->pool->bytes_returning, 0);

        assert_int_equal(lease_file_remove(dir, active->id), 0);
        assert_int_equal(lease_file_remove(dir, ending->id), 0);
        assert_int_equal(rmdir(dir), 0);
        fixture_free(b);
}

/* A reload keeps a pool's leases through new targets and limits; a retired pool lives until its
 * last lease's memory is back, then says it is unused. */
static void test_reload_with_leases(void **state) {
        Fixture *f = *state;
        Pool *p = f->pool;
        SizeTarget sizes[] = { { MiB, 0 }, { 2 * MiB, 1 } };
        PoolConfig c = f->config;

        fill(f);
        Lease *l = lend(f, 1000, NULL);
        c.sizes = sizes;
        c.n_sizes = ELEMENTSOF(sizes);
        c.limit = 16 * MiB;
        assert_true(pool_config_compatible(p, &c));
        take_changes(f);
        assert_int_equal(pool_reconfigure(p, &c), 0);
        assert_int_equal(p->config->limit, 16 * MiB);
        assert_int_equal(p->bytes_ready, 0);                    /* 1 MiB's target is 0 now */
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_READY_TAKEN], 1);    /* the other one is lent */
        fill(f);
        assert_int_equal(p->bytes_ready, 2 * MiB);
        assert_int_equal(l->state, LEASE_ACTIVE);
        assert_int_equal(p->bytes_lent, MiB);

        c.backing = BACKING_HUGETLB;
        assert_false(pool_config_compatible(p, &c));

        pool_retire(p);
        assert_int_equal(p->bytes_ready, 0);
        assert_false(pool_is_unused(p));
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_POOL_UNUSED], 0);
        lease_invalidate(l, "released");
        fake_workers_run_all(f->workers);
        assert_true(pool_is_unused(p));
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_POOL_UNUSED], 1);
        assert_ptr_equal(f->last[CHANGE_POOL_UNUSED]->pool, p);
}

/* The core queues only what someone reads (the manager says which): nothing is lost for the rest. */
static void test_ignored_changes(void **state) {
        Fixture *f = *state;

        fill(f);
        take_changes(f);
        f->core.changes.ignored = CHANGE_BIT(CHANGE_LEASE_ACQUIRED) | CHANGE_BIT(CHANGE_READY_TAKEN);
        Lease *l = lend(f, 1000, NULL);
        lease_invalidate(l, "released");
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_LEASE_ACQUIRED], 0);
        assert_int_equal(f->changes[CHANGE_READY_TAKEN], 0);
        assert_int_equal(f->changes[CHANGE_LEASE_INVALIDATING], 1);
        assert_int_equal(f->core.changes.lost, 0);

        change_queue_pool(&f->core.changes, CHANGE_CONFIG_RELOADED, NULL, 0, "reloaded");  /* no pool */
        take_changes(f);
        assert_int_equal(f->changes[CHANGE_CONFIG_RELOADED], 1);
        assert_int_equal(f->last[CHANGE_CONFIG_RELOADED]->failure, POOL_FAILURE_NONE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test_setup_teardown(test_refill, setup, teardown),
                cmocka_unit_test_setup_teardown(test_backoff, setup, teardown),
                cmocka_unit_test_setup_teardown(test_wait, setup, teardown),
                cmocka_unit_test_setup_teardown(test_quota, setup, teardown),
                cmocka_unit_test_setup_teardown(test_shared_owner, setup, teardown),
                cmocka_unit_test_setup_teardown(test_parallel_chunks, setup, teardown),
                cmocka_unit_test_setup_teardown(test_chunk_failure, setup, teardown),
                cmocka_unit_test_setup_teardown(test_chunk_failure_after_a_cancelled_one, setup, teardown),
                cmocka_unit_test_setup_teardown(test_populate_timeout_default, setup, teardown),
                cmocka_unit_test_setup_teardown(test_populate_hung, setup, teardown),
                cmocka_unit_test_setup_teardown(test_populate_stuck, setup, teardown),
                cmocka_unit_test_setup_teardown(test_populate_stuck_backs_off_once, setup, teardown),
                cmocka_unit_test_setup_teardown(test_thp_lend, setup, teardown),
                cmocka_unit_test_setup_teardown(test_thp_retry, setup, teardown),
                cmocka_unit_test_setup_teardown(test_thp_refuse, setup, teardown),
                cmocka_unit_test_setup_teardown(test_leaked_repunch, setup, teardown),
                cmocka_unit_test_setup_teardown(test_punch_stuck, setup, teardown),
                cmocka_unit_test_setup_teardown(test_recover, setup, teardown),
                cmocka_unit_test_setup_teardown(test_reload_with_leases, setup, teardown),
                cmocka_unit_test_setup_teardown(test_ignored_changes, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
