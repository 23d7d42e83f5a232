/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small helpers the benchmarks share: clocks, percentiles, a privmemd of their own. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <privmem/privmem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-util.h"

double bench_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

double bench_percentile(double *v, size_t n, double p) {
        qsort(v, n, sizeof(double), cmp_double);
        size_t i = (size_t) (p / 100.0 * (double) (n - 1) + 0.5);
        return v[i < n ? i : n - 1];
}

pid_t bench_start_daemon(const char *privmemd, const char *dir, const char *config, char *socket, size_t size) {
        char conf[4096], sock_arg[4200], conf_arg[4200];
        snprintf(conf, sizeof(conf), "%s/privmemd.conf", dir);
        snprintf(socket, size, "%s/io.privmemd", dir);
        FILE *f = fopen(conf, "we");
        if (!f)
                return -errno;
        fputs(config, f);
        fclose(f);
        snprintf(sock_arg, sizeof(sock_arg), "--socket=%s", socket);
        snprintf(conf_arg, sizeof(conf_arg), "--config=%s", conf);
        pid_t pid = fork();
        if (pid == 0) {
                execl(privmemd, privmemd, sock_arg, conf_arg, "--log-level=warning", (char *) NULL);
                _exit(127);
        }
        for (int i = 0; i < 200 && access(socket, F_OK) < 0; i++)
                usleep(10000);
        return pid;
}

void bench_stop_daemon(pid_t pid) {
        if (pid > 0) {
                kill(pid, SIGTERM);
                waitpid(pid, NULL, 0);
        }
}

static uint64_t class_ready(const char *socket, const char *pool, uint64_t size) {
        privmem *p = NULL;
        privmem_pool_list *list = NULL;
        uint64_t ready = 0;

        if (privmem_connect(&p, socket) < 0)
                return 0;
        if (privmem_list_pools(p, &list) >= 0) {
                const privmem_pool *pl = privmem_pool_list_find(list, pool);
                for (size_t i = 0; pl && i < privmem_pool_n_classes(pl); i++)
                        if (privmem_pool_class_size(pl, i) == size)
                                ready = privmem_pool_class_ready(pl, i);
        }
        privmem_pool_list_free(list);
        privmem_disconnect(p);
        return ready;
}

double bench_wait_ready(const char *socket, const char *pool, uint64_t size, uint64_t ready, double timeout) {
        double start = bench_now();
        while (class_ready(socket, pool, size) < ready) {
                if (bench_now() - start > timeout)
                        return -1;
                usleep(2000);
        }
        return bench_now() - start;
}

static char *hugepages_path(unsigned long kb) {
        static char path[128];
        snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages", kb);
        return path;
}

static long hugepages_get(unsigned long kb) {
        long n = -1;
        FILE *f = fopen(hugepages_path(kb), "re");
        if (f) {
                if (fscanf(f, "%ld", &n) != 1)
                        n = -1;
                fclose(f);
        }
        return n;
}

static void hugepages_set(unsigned long kb, long n) {
        FILE *f = fopen(hugepages_path(kb), "we");
        if (f) {
                fprintf(f, "%ld\n", n);
                fclose(f);
        }
}

/* The lock the tests take around nr_hugepages too (tests/integration/hugepages.c). */
static int hugepages_lock(void) {
        int fd = open("/run/lock/privmemd-test-hugepages.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
                (void) flock(fd, LOCK_EX);
        return fd;
}

long bench_hugepages_take(unsigned long kb, long n) {
        int lock = hugepages_lock();
        long before = hugepages_get(kb), got = 0;
        if (before >= 0) {
                hugepages_set(kb, before + n);
                got = hugepages_get(kb) - before;
        }
        if (lock >= 0)
                close(lock);
        return got < 0 ? 0 : got;
}

void bench_hugepages_give_back(unsigned long kb, long n) {
        int lock = hugepages_lock();
        long now = hugepages_get(kb);
        if (now >= n)
                hugepages_set(kb, now - n);
        if (lock >= 0)
                close(lock);
}
