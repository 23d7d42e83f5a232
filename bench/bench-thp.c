/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Benchmarks of 2M shmem (THP): the host knob, touching and populating memory as a VMM would. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-thp.h"
#include "bench-util.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define HUGE (2ULL << 20)
#define KNOB "/sys/kernel/mm/transparent_hugepage/hugepages-2048kB/shmem_enabled"
#define GLOBAL_KNOB "/sys/kernel/mm/transparent_hugepage/shmem_enabled"

static char previous[32];

static void knob_read(const char *path, char *buf, size_t size) {
        char line[256] = "";
        FILE *f = fopen(path, "re");
        buf[0] = 0;
        if (f && fgets(line, sizeof(line), f)) {
                char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
                if (close && (size_t) (close - open) <= size) {
                        memcpy(buf, open + 1, (size_t) (close - open - 1));
                        buf[close - open - 1] = 0;
                }
        }
        if (f)
                fclose(f);
}

static int knob_write(const char *v) {
        FILE *f = fopen(KNOB, "we");
        if (!f)
                return -errno;
        fprintf(f, "%s\n", v);
        return fclose(f) == 0 ? 0 : -errno;
}

static void put_back(void) {
        if (previous[0])
                (void) knob_write(previous);
}

static bool gives_huge(const char *v) {
        return !strcmp(v, "advise") || !strcmp(v, "within_size") || !strcmp(v, "always") || !strcmp(v, "force");
}

bool bench_thp_enable(void) {
        char per_size[32], global[32];
        int lock = open("/run/lock/privmemd-test-thp.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);

        if (lock < 0 || flock(lock, LOCK_EX) < 0)  /* held until exit */
                return false;
        knob_read(KNOB, per_size, sizeof(per_size));
        knob_read(GLOBAL_KNOB, global, sizeof(global));
        if (!per_size[0] || !strcmp(global, "deny"))
                return false;
        if (gives_huge(!strcmp(per_size, "inherit") ? global : per_size))
                return true;
        memcpy(previous, per_size, sizeof(previous));
        atexit(put_back);
        return knob_write("advise") == 0;
}

/* fd mapped shared at a 2 MiB-aligned address plus skew bytes; skew < 0: wherever mmap() puts it. */
static void *map_at(int fd, uint64_t size, long skew) {
        if (skew < 0)
                return mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        uint8_t *r = mmap(NULL, size + 2 * HUGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (r == MAP_FAILED)
                return r;
        uint8_t *a = (uint8_t *) (((uintptr_t) r + HUGE - 1) & ~(uintptr_t) (HUGE - 1)) + skew;
        return mmap(a, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
}

static void *map_aligned(int fd, uint64_t size, bool aligned) {
        return map_at(fd, size, aligned ? 0 : -1);
}

static uint64_t smaps_kb(const void *addr, const char *field) {
        FILE *f = fopen("/proc/self/smaps", "re");
        char line[512];
        bool in = false;
        unsigned long long kb = 0;
        size_t n = strlen(field);

        while (f && fgets(line, sizeof(line), f)) {
                unsigned long start, end;
                char *dash = strchr(line, '-'), *space = strchr(line, ' ');
                if (dash && space && dash < space && sscanf(line, "%lx-%lx", &start, &end) == 2)
                        in = start == (unsigned long) addr;
                else if (in && !strncmp(line, field, n) && sscanf(line + n, ": %llu kB", &kb) == 1)
                        break;
        }
        if (f)
                fclose(f);
        return kb;
}

double bench_touch(int fd, uint64_t size, long skew, double *ret_pmd_share) {
        int pipe_fds[2];
        double r[2] = { -1, 0 };

        if (pipe(pipe_fds) < 0)
                return -1;
        pid_t pid = fork();
        if (pid == 0) {
                volatile uint8_t *m = map_at(fd, size, skew);
                if (m != MAP_FAILED) {
                        double t = bench_now();
                        for (uint64_t o = 0; o < size; o += 4096)
                                m[o] = 1;
                        r[0] = bench_now() - t;
                        r[1] = (double) (smaps_kb((void *) m, "ShmemPmdMapped") + smaps_kb((void *) m, "FilePmdMapped")) *
                               1024 / (double) size;
                }
                if (write(pipe_fds[1], r, sizeof(r)) != sizeof(r))
                        _exit(1);
                _exit(0);
        }
        close(pipe_fds[1]);
        if (read(pipe_fds[0], r, sizeof(r)) != sizeof(r))
                r[0] = -1;
        close(pipe_fds[0]);
        waitpid(pid, NULL, 0);
        *ret_pmd_share = r[1];
        return r[0];
}

double bench_populate_in_process(uint64_t size, bool hugetlb, uint64_t page_size) {
        unsigned flags = MFD_CLOEXEC | (hugetlb ? MFD_HUGETLB | ((unsigned) __builtin_ctzll(page_size) << 26) : 0);
        bool thp = !hugetlb && page_size == HUGE;
        double t = bench_now();
        int fd = memfd_create("vmm", flags);
        if (fd < 0 || ftruncate(fd, (off_t) size) < 0)
                return -1;
        void *m = map_aligned(fd, size, thp);
        if (m == MAP_FAILED || (thp && madvise(m, size, MADV_HUGEPAGE) < 0) || madvise(m, size, MADV_POPULATE_WRITE) < 0)
                return -1;
        munmap(m, size);
        t = bench_now() - t;
        close(fd);
        return t;
}

typedef struct ZeroJob {
        uint64_t size;
        pthread_barrier_t *start;
        int error;
} ZeroJob;

static void *zero_thread(void *arg) {
        ZeroJob *j = arg;
        uint8_t *r = mmap(NULL, j->size + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        uint8_t *a = (uint8_t *) (((uintptr_t) r + HUGE - 1) & ~(uintptr_t) (HUGE - 1));
        if (r == MAP_FAILED || madvise(a, j->size, MADV_HUGEPAGE) < 0)
                j->error = errno;
        pthread_barrier_wait(j->start);
        if (!j->error && madvise(a, j->size, MADV_POPULATE_WRITE) < 0)
                j->error = errno;
        pthread_barrier_wait(j->start);
        if (r != MAP_FAILED)
                munmap(r, j->size + HUGE);
        return NULL;
}

double bench_zeroing_bandwidth(uint64_t size, unsigned n) {
        pthread_t threads[64];
        ZeroJob jobs[64];
        pthread_barrier_t start;
        double t = 0;

        n = n < 1 ? 1 : n > 64 ? 64 : n;
        pthread_barrier_init(&start, NULL, n + 1);
        for (unsigned i = 0; i < n; i++) {
                jobs[i] = (ZeroJob) { .size = size, .start = &start };
                pthread_create(&threads[i], NULL, zero_thread, &jobs[i]);
        }
        pthread_barrier_wait(&start);
        t = bench_now();
        pthread_barrier_wait(&start);
        t = bench_now() - t;
        for (unsigned i = 0; i < n; i++) {
                pthread_join(threads[i], NULL);
                if (jobs[i].error)
                        t = -1;
        }
        pthread_barrier_destroy(&start);
        return t > 0 ? (double) size * n / t / 1e9 : -1;
}
