/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A worker that does not come back from populating (here: frozen with the cgroup v1 freezer while
 * it writes a 4K shmem memfd, as a thread stuck in the kernel would be) does not stall its pool:
 * 5 s after populate_timeout= the Acquire waiting for it is answered with what is stuck and for how
 * long, a new worker thread takes its place and builds the next Acquire's memfd, and when the
 * stuck one comes back its memfd is dropped and the pool refills. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "helper.h"

#define SIZE GiB        /* sixteen 64 MiB chunks, one after the other (workers = 1) */
#define FREEZER "/sys/fs/cgroup/freezer"
#define CGROUP FREEZER "/privmemd-test-populate-stuck"

static const char config[] =
        "[privmemd]\n"
        "workers = 1\n"
        "[pool small]\n"
        "sizes = 1G:1\n"
        "limit = 3G\n"
        "populate_timeout = 1\n";

static bool write_file(const char *path, const char *value) {
        FILE *f = fopen(path, "we");
        if (!f)
                return false;
        bool ok = fputs(value, f) >= 0;
        return fclose(f) == 0 && ok;
}

static char thread_state(pid_t pid, const char *tid) {
        char path[320], comm[64], state = 0;
        int t;
        snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int) pid, tid);
        FILE *f = fopen(path, "re");
        if (f && fscanf(f, "%d %63s %c", &t, comm, &state) != 3)
                state = 0;
        if (f)
                fclose(f);
        return state;
}

/* Thawed, its threads back in the root freezer cgroup, removed: also when the test fails. */
static void freezer_cleanup(void) {
        char tid[32];
        (void) write_file(CGROUP "/freezer.state", "THAWED");
        FILE *f = fopen(CGROUP "/tasks", "re");
        while (f && fgets(tid, sizeof(tid), f))
                (void) write_file(FREEZER "/tasks", tid);
        if (f)
                fclose(f);
        (void) rmdir(CGROUP);
}

static void freezer_require(void) {
        if (getenv("PRIVMEMD_WRAPPER"))  /* valgrind runs one thread at a time: a frozen one may hold them all */
                test_skip("privmemd runs under $PRIVMEMD_WRAPPER: freezing one of its threads may stop them all");
        if (access(FREEZER "/tasks", W_OK) < 0)
                test_skip("no cgroup v1 freezer at " FREEZER " to stop a worker thread with");
        if (mkdir(CGROUP, 0755) < 0 && errno != EEXIST)
                test_skip("cannot make a freezer cgroup %s: %s", CGROUP, strerror(errno));
        test_on_cleanup(freezer_cleanup);
}

/* Freezes privmemd's threads but its main one, once one of them runs (the worker populating). */
static void freeze_workers(const TestDaemon *d) {
        char path[64], main_tid[16];
        snprintf(path, sizeof(path), "/proc/%d/task", (int) d->pid);
        snprintf(main_tid, sizeof(main_tid), "%d", (int) d->pid);
        for (uint64_t end = test_now_ms() + 10000; test_now_ms() < end; test_sleep_ms(1)) {
                bool running = false;
                DIR *dir = opendir(path);
                struct dirent *e;
                while (dir && (e = readdir(dir)))
                        running |= e->d_name[0] != '.' && strcmp(e->d_name, main_tid) != 0 &&
                                   thread_state(d->pid, e->d_name) == 'R';
                if (dir)
                        rewinddir(dir);
                while (running && dir && (e = readdir(dir)))
                        if (e->d_name[0] != '.' && strcmp(e->d_name, main_tid) != 0)
                                check(write_file(CGROUP "/tasks", e->d_name), "freezer tasks %s: %m", e->d_name);
                if (dir)
                        closedir(dir);
                if (running) {
                        check(write_file(CGROUP "/freezer.state", "FROZEN"), "FROZEN: %m");
                        return;
                }
        }
        test_skip("privmemd's worker was never seen populating");
}

static const privmem_pool *list_pool(privmem *p, privmem_pool_list **list) {
        privmem_pool_list_free(*list);
        *list = NULL;
        check_ok(p, privmem_list_pools(p, list), "ListPools");
        const privmem_pool *pool = privmem_pool_list_find(*list, "small");
        check(pool, "no pool small");
        return pool;
}

/* GetStatus: the workers, and those stuck now (for at least populate_timeout= + 5 s). */
static void check_workers(privmem *p, uint64_t workers, uint64_t stuck) {
        privmem_status *s = NULL;
        check_ok(p, privmem_get_status(p, &s), "GetStatus");
        check(privmem_status_workers(s) == workers && privmem_status_stuck_workers(s) == stuck,
              "workers %llu (%llu stuck), expected %llu (%llu stuck)", (unsigned long long) privmem_status_workers(s),
              (unsigned long long) privmem_status_stuck_workers(s), (unsigned long long) workers, (unsigned long long) stuck);
        check(stuck ? privmem_status_stuck_since(s) >= 6 : privmem_status_stuck_since(s) < 0, "stuckSince %.1f",
              privmem_status_stuck_since(s));
        privmem_status_free(s);
}

static uint64_t stuck_counter(privmem *p) {
        privmem_metrics *m = NULL;
        uint64_t v = UINT64_MAX;
        check_ok(p, privmem_get_metrics(p, &m), "GetMetrics");
        for (size_t i = 0; i < privmem_metrics_n_pools(m); i++)
                if (str_eq(privmem_metrics_pool_name(m, i), "small"))
                        v = privmem_metrics_pool_stuck_workers(m, i);
        privmem_metrics_free(m);
        return v;
}

static void acquire_release(privmem *p, const char *what) {
        privmem_lease *l = NULL;
        int fd;
        check_ok(p, privmem_acquire(p, "small", SIZE, NULL, &fd, &l), what);
        check_ok(p, privmem_release(p, privmem_lease_id(l)), "Release");
        privmem_lease_free(l);
        close(fd);
}

static void test_stuck_worker(void) {
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        privmem_pool_list *list = NULL;
        int fd = -1;

        freezer_require();  /* after the daemon: its cleanup thaws before privmemd is stopped */
        privmem_set_timeout(p, 60000);
        freeze_workers(d);
        uint64_t t0 = test_now_ms();
        check_errno(p, privmem_acquire(p, "small", SIZE, NULL, &fd, NULL), -ENOSPC, "Acquire waiting for a stuck build");
        uint64_t answered = test_now_ms() - t0;
        const char *r = privmem_last_error_string(p, "reason");
        char *reason = r ? strdup(r) : NULL;  /* valid only until the next call on p */
        check(reason && strstr(reason, "memfd in a worker thread has not returned for") &&
              strstr(reason, "stuck in the kernel, a new worker thread takes its place (populate_timeout=1s)"),
              "the waiting Acquire's reason: %s", reason ?: "none");
        check(str_eq(privmem_last_error_string(p, "cause"), "stuckWorker"), "the waiting Acquire's cause: %s",
              privmem_last_error_string(p, "cause") ?: "none");
        const privmem_pool *pool = list_pool(p, &list);
        check(privmem_pool_state(pool) == PRIVMEM_POOL_FAILING && str_eq(privmem_pool_last_error(pool), reason),
              "state %s, lastError %s", privmem_pool_state_name(pool), privmem_pool_last_error(pool) ?: "none");
        check(privmem_pool_failure(pool) == PRIVMEM_FAILURE_STUCK_WORKER, "failure %s",
              privmem_pool_failure_name(pool) ?: "none");
        check_workers(p, 2, 1);
        check(stuck_counter(p) == 1, "stuckWorkers counter after one stuck populate");
        printf("stuck to answer: %llu ms (populate_timeout=1s + 5 s): %s\n", (unsigned long long) answered, reason);
        free(reason);

        /* The new worker thread builds the next memfd while the stuck one stays frozen. */
        t0 = test_now_ms();
        acquire_release(p, "Acquire while a worker is stuck");
        printf("built beside the stuck worker in %llu ms\n", (unsigned long long) (test_now_ms() - t0));

        /* Back from the kernel: its memfd is dropped (logged, no new failure: it was told when it
         * was found stuck), and the pool refills. */
        check(write_file(CGROUP "/freezer.state", "THAWED"), "THAWED: %m");
        for (uint64_t end = test_now_ms() + 20000;; test_sleep_ms(50)) {
                privmem_status *s = NULL;
                check_ok(p, privmem_get_status(p, &s), "GetStatus");
                uint64_t still = privmem_status_stuck_workers(s);
                privmem_status_free(s);
                if (still == 0)
                        break;
                check(test_now_ms() < end, "the stuck populate was still counted 20 s after the thaw");
        }
        pool = test_pool_wait_settled(p, "small", &list, 40000);
        check(privmem_pool_state(pool) == PRIVMEM_POOL_OK, "refilled, yet state %s", privmem_pool_state_name(pool));
        check_workers(p, 2, 0);         /* the thread that came back stays: one more than workers= */
        check(stuck_counter(p) == 1, "stuckWorkers counter after the thaw");
        privmem_pool_list_free(list);
        privmem_disconnect(p);
        t0 = test_now_ms();
        test_daemon_stop(d);
        printf("stop: %llu ms\n", (unsigned long long) (test_now_ms() - t0));
}

int main(void) {
        test_init("populate-stuck", 120);
        test_require_root();
        test_stuck_worker();
        return 0;
}
