/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 64 clients acquiring and releasing for a while leave no fd and no byte behind in privmemd. */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"
#include "memfd.h"

#define CLIENTS 64
#define RUN_MS 3000
#define SIZE (4 * MiB)

static const char config[] =
        "[pool s]\n"
        "sizes = 4M:8\n"
        "limit = 1G\n";

static void one_lease(privmem *p, unsigned client, unsigned i) {
        struct privmem_acquire_options o = { .size = sizeof(o), .tag = "stress" };
        privmem_lease *l = NULL;
        struct stat st;
        int fd;

        check_ok(p, privmem_acquire(p, "s", SIZE, &o, &fd, &l), "Acquire");
        check(fstat(fd, &st) == 0 && (uint64_t) st.st_size == SIZE, "client %u lease %u: %lld bytes", client, i,
              (long long) st.st_size);
        check(pwrite(fd, &client, sizeof(client), (off_t) (i % 1024) * 4096) == sizeof(client), "pwrite: %m");
        check_ok(p, privmem_release(p, privmem_lease_id(l)), "Release");
        privmem_lease_free(l);
        close(fd);
}

/* Acquires and releases until the time is up; then leaves one lease to its death, or to its
 * connection, for privmemd to clean up. */
static int client_run(void *arg) {
        const TestDaemon *d = arg;
        unsigned client = (unsigned) getpid() % CLIENTS, n = 0;
        uint64_t end = test_now_ms() + RUN_MS;
        int fd;

        while (test_now_ms() < end) {
                privmem *p = test_connect(d);
                for (unsigned k = 0; k < 4; k++)
                        one_lease(p, client, n++);
                privmem_disconnect(p);
        }
        privmem *p = test_connect(d);
        struct privmem_acquire_options o = { .size = sizeof(o),
                                             .flags = client % 2 ? PRIVMEM_ACQUIRE_BIND_TO_CONNECTION : 0 };
        check_ok(p, privmem_acquire(p, "s", SIZE, &o, &fd, NULL), "last Acquire");
        privmem_disconnect(p);
        return 0;
}

static uint64_t leases_now(privmem *p) {
        privmem_status *s = NULL;
        check_ok(p, privmem_get_status(p, &s), "GetStatus");
        uint64_t n = privmem_status_leases(s);
        privmem_status_free(s);
        return n;
}

int main(void) {
        privmem_pool_list *list = NULL;
        pid_t pids[CLIENTS];

        test_init("stress", 180);
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        uint64_t ready = privmem_pool_bytes_ready(test_pool_wait_settled(p, "s", &list, 20000));
        unsigned fds = test_daemon_count_fds(d);

        for (unsigned i = 0; i < CLIENTS; i++)
                pids[i] = test_fork(client_run, d);
        for (unsigned i = 0; i < CLIENTS; i++) {
                int status = test_wait(pids[i]);
                check(status == 0, "client %u (pid %d) failed with status %d", i, (int) pids[i], status);
        }

        const privmem_pool *pool = test_pool_wait_settled(p, "s", &list, 60000);
        check(privmem_pool_bytes_ready(pool) == ready, "%llu bytes ready after, %llu before",
              (unsigned long long) privmem_pool_bytes_ready(pool), (unsigned long long) ready);
        check(leases_now(p) == 0, "%llu leases left", (unsigned long long) leases_now(p));
        unsigned fds_after = test_daemon_count_fds(d);
        check(fds_after == fds, "privmemd has %u fds open after, %u before", fds_after, fds);
        privmem_pool_list_free(list);
        privmem_disconnect(p);
        test_daemon_stop(d);
        return 0;
}
