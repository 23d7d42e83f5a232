/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemd-bench: what privmemd saves and costs, each figure next to its alternative measured in the
 * same run on the same machine (absolute times on a shared machine mean little; ratios do).
 *   (a) Acquire round trip from a warm pool vs a bare SCM_RIGHTS request/reply between two processes
 *   (b) a ready 4 GiB lease vs a fresh memfd populated in-process (shmem 4K; hugetlb 2M)
 *   (c) refill throughput vs memset bandwidth
 *   (d) owner exit to memory back in the kernel
 *   (e) Acquire with [libvirt] configured and connected vs without (mode "libvirt" alone)
 * Usage: privmemd-bench PRIVMEMD [GiB]   (as root; reserves and gives back hugepages; GiB 0: (a) only)
 *        privmemd-bench PRIVMEMD libvirt [URI]   ((e); URI defaults to test:///default) */
#include <errno.h>
#include <fcntl.h>
#include <privmem/privmem.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-util.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define ROUNDS 3000
#define GiB (1ULL << 30)

static const char *privmemd_path;
static char tmpdir[] = "/tmp/privmemd-bench.XXXXXX";

/* A child answering each request with a 300-byte reply and an fd, as privmemd does. */
static void floor_server(int sock, int memfd) {
        char req[512], reply[300];
        memset(reply, 'x', sizeof(reply));
        for (;;) {
                if (recv(sock, req, sizeof(req), 0) <= 0)
                        _exit(0);
                union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } c = {};
                struct iovec iov = { reply, sizeof(reply) };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &c, .msg_controllen = sizeof(c) };
                struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
                *cm = (struct cmsghdr) { .cmsg_len = CMSG_LEN(sizeof(int)), .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS };
                memcpy(CMSG_DATA(cm), &memfd, sizeof(int));
                if (sendmsg(sock, &mh, 0) < 0)
                        _exit(1);
        }
}

static void floor_latency(double *lat, unsigned gap_us) {
        int sv[2], memfd = memfd_create("floor", MFD_CLOEXEC);
        char req[120], reply[512];
        socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
        memset(req, 'y', sizeof(req));
        pid_t pid = fork();
        if (pid == 0) {
                close(sv[0]);
                floor_server(sv[1], memfd);
        }
        close(sv[1]);
        for (int i = 0; i < ROUNDS; i++) {
                union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } c;
                struct iovec iov = { reply, sizeof(reply) };
                struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &c, .msg_controllen = sizeof(c) };
                double t = bench_now();
                send(sv[0], req, sizeof(req), 0);
                recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC);
                lat[i] = bench_now() - t;
                close(*(int *) CMSG_DATA(CMSG_FIRSTHDR(&mh)));
                if (gap_us)
                        usleep(gap_us);
        }
        close(sv[0]);
        waitpid(pid, NULL, 0);
        close(memfd);
}

/* Whether privmemd is connected to libvirt: an ownerDomain nobody has is NoSuchDomain then, and
 * LibvirtUnavailable while it is not (libprivmem has no ownerDomain: raw varlink). */
static bool libvirt_connected(const char *path) {
        static const char req[] = "{\"method\":\"io.privmemd.Acquire\",\"parameters\":{\"pool\":\"lat\",\"size\":4096,"
                                  "\"ownerDomain\":\"privmemd-bench-no-such-domain\"}}";
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        char reply[4096] = "";
        size_t n = 0;
        ssize_t k = 1;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

        if (strlen(path) >= sizeof(sa.sun_path))
                k = -1;
        else
                memcpy(sa.sun_path, path, strlen(path) + 1);
        if (k < 0 || fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 || send(fd, req, sizeof(req), 0) < 0)
                k = -1;
        while (k > 0 && n < sizeof(reply) - 1 && !memchr(reply, 0, n) && (k = recv(fd, reply + n, sizeof(reply) - 1 - n, 0)) > 0)
                n += (size_t) k;
        reply[n] = 0;
        if (fd >= 0)
                close(fd);
        return strstr(reply, "NoSuchDomain") != NULL;
}

/* ROUNDS Acquire/Release round trips; libvirt_uri: with [libvirt] uri= set, once connected. */
static void acquire_latency_with(double *lat, unsigned gap_us, const char *libvirt_uri) {
        char socket[4200], config[1024];
        snprintf(config, sizeof(config), "[pool lat]\nsizes = 4K:256\nlimit = 64M\nusers = *\n%s%s\n",
                 libvirt_uri ? "[libvirt]\nuri = " : "", libvirt_uri ?: "");
        pid_t d = bench_start_daemon(privmemd_path, tmpdir, config, socket, sizeof(socket));
        privmem *p = NULL;
        bench_wait_ready(socket, "lat", 4096, 256, 30);
        for (int i = 0; libvirt_uri && !libvirt_connected(socket); i++) {
                if (i == 100) {
                        fprintf(stderr, "privmemd did not connect to libvirt at %s within 10 s\n", libvirt_uri);
                        exit(1);
                }
                usleep(100 * 1000);
        }
        privmem_connect(&p, socket);
        for (int i = 0; i < ROUNDS; i++) {
                privmem_lease *l = NULL;
                int fd = -1;
                double t = bench_now();
                int r = privmem_acquire(p, "lat", 4096, NULL, &fd, &l);
                lat[i] = bench_now() - t;
                if (r < 0) {
                        fprintf(stderr, "acquire failed: %s\n", strerror(-r));
                        exit(1);
                }
                privmem_release(p, privmem_lease_id(l));
                privmem_lease_free(l);
                close(fd);
                if (gap_us)
                        usleep(gap_us);  /* the refill and the punch run in the gap */
        }
        privmem_disconnect(p);
        bench_stop_daemon(d);
}

static void acquire_latency(double *lat, unsigned gap_us) {
        acquire_latency_with(lat, gap_us, NULL);
}

/* (e) The libvirt thread's cost to everything else: Acquire round trips with [libvirt] set and
 * connected vs without, alternated (off, on, off, on, ...) so a drift of the machine hits both. */
#define LIBVIRT_ALTERNATIONS 5
static void part_libvirt(const char *uri) {
        static double off[LIBVIRT_ALTERNATIONS * ROUNDS], on[LIBVIRT_ALTERNATIONS * ROUNDS];
        const size_t n = LIBVIRT_ALTERNATIONS * ROUNDS;
        for (int i = 0; i < LIBVIRT_ALTERNATIONS; i++) {
                acquire_latency_with(off + i * ROUNDS, 0, NULL);
                acquire_latency_with(on + i * ROUNDS, 0, uri);
        }
        double o50 = bench_percentile(off, n, 50), o99 = bench_percentile(off, n, 99);
        double n50 = bench_percentile(on, n, 50), n99 = bench_percentile(on, n, 99);
        printf("(e) Acquire from a warm pool, calls back to back, libvirt at %s\n", uri);
        printf("    without [libvirt]                p50 %7.1f us  p99 %7.1f us\n", o50 * 1e6, o99 * 1e6);
        printf("    [libvirt] set and connected      p50 %7.1f us  p99 %7.1f us\n", n50 * 1e6, n99 * 1e6);
        printf("    ratio (goal: within 1.1x)        p50 %7.2fx     p99 %7.2fx\n\n", n50 / o50, n99 / o99);
}

/* Both ways measured alike: back to back (the pool's refill and punch work competes with the next
 * call on the same CPUs), and with a gap after each call (that work done in between, as between
 * VM starts). */
static void part_latency(unsigned gap_us) {
        static double a[ROUNDS], f[ROUNDS];
        acquire_latency(a, gap_us);
        floor_latency(f, gap_us);
        double a50 = bench_percentile(a, ROUNDS, 50), a99 = bench_percentile(a, ROUNDS, 99);
        double f50 = bench_percentile(f, ROUNDS, 50), f99 = bench_percentile(f, ROUNDS, 99);
        printf("(a) %s\n", gap_us ? "calls 2 ms apart" : "calls back to back");
        printf("    Acquire from a warm pool      p50 %7.1f us  p99 %7.1f us\n", a50 * 1e6, a99 * 1e6);
        printf("    bare SCM_RIGHTS req/reply      p50 %7.1f us  p99 %7.1f us\n", f50 * 1e6, f99 * 1e6);
        printf("    ratio (goal: p50 within 3x)    p50 %7.2fx     p99 %7.2fx\n\n", a50 / f50, a99 / f99);
}

/* The VMM's own way: a fresh memfd, populated by one thread in its own process. */
static double populate_in_process(uint64_t size, bool huge) {
        unsigned flags = MFD_CLOEXEC | (huge ? MFD_HUGETLB | (21U << 26) : 0);
        double t = bench_now();
        int fd = memfd_create("vmm", flags);
        if (fd < 0 || ftruncate(fd, (off_t) size) < 0)
                return -1;
        void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED || madvise(m, size, MADV_POPULATE_WRITE) < 0)
                return -1;
        munmap(m, size);
        t = bench_now() - t;
        close(fd);
        return t;
}

/* (b), (c), (d) for one backing: a pool with one ready memfd of size bytes. */
static void part_big(const char *label, uint64_t size, bool huge) {
        char socket[4200], config[512];
        snprintf(config, sizeof(config), "[privmemd]\nworkers = %ld\n[pool big]\nbacking = %s\nsizes = %llu:1\nlimit = %llu\nusers = *\n",
                 sysconf(_SC_NPROCESSORS_ONLN), huge ? "hugetlb" : "shmem", (unsigned long long) size,
                 (unsigned long long) size * 2);
        pid_t d = bench_start_daemon(privmemd_path, tmpdir, config, socket, sizeof(socket));
        privmem *p = NULL;
        privmem_lease *l = NULL;
        int fd = -1;

        if (bench_wait_ready(socket, "big", size, 1, 600) < 0) {
                printf("(b) %s: the pool never got ready (no memory?); skipped\n\n", label);
                bench_stop_daemon(d);
                return;
        }
        privmem_connect(&p, socket);
        double t = bench_now();
        int r = privmem_acquire(p, "big", size, NULL, &fd, &l);
        double lease = bench_now() - t;
        double refill = bench_wait_ready(socket, "big", size, 1, 600);
        double own = populate_in_process(size, huge);
        printf("(b) %s %llu GiB  ready lease %9.3f ms   fresh memfd populated in-process %9.3f ms   %8.0fx faster\n",
               label, (unsigned long long) (size / GiB), lease * 1e3, own * 1e3, own / lease);
        printf("(c) %s refill %6.2f GB/s   (populating in-process: %6.2f GB/s)\n", label,
               (double) size / refill / 1e9, (double) size / own / 1e9);

        /* (d): a child owns the lease; we keep a copy of its memfd and watch its blocks go. */
        pid_t child = fork();
        if (child == 0) {
                pause();
                _exit(0);
        }
        int pidfd = pidfd_open(child, 0);
        struct privmem_acquire_options o = { .size = sizeof(o), .flags = PRIVMEM_ACQUIRE_OWNER_PIDFD, .owner_pidfd = pidfd };
        privmem_lease_free(l);
        close(fd);
        r = privmem_acquire(p, "big", size, &o, &fd, &l);
        struct stat st;
        kill(child, SIGKILL);
        t = bench_now();
        waitpid(child, NULL, 0);
        while (r >= 0 && fstat(fd, &st) >= 0 && st.st_blocks > 0 && bench_now() - t < 60)
                usleep(100);
        printf("(d) %s owner exit -> memory back in the kernel: %.2f ms\n\n", label, (bench_now() - t) * 1e3);
        close(pidfd);
        close(fd);
        privmem_lease_free(l);
        privmem_disconnect(p);
        bench_stop_daemon(d);
}

static void part_memset(void) {
        size_t n = GiB;
        char *b = malloc(n);
        memset(b, 1, n);
        double t = bench_now();
        for (int i = 0; i < 3; i++) {
                memset(b, i, n);
                __asm__ volatile("" : : "r"(b) : "memory");  /* the stores must happen */
        }
        t = bench_now() - t;
        printf("(c) memset bandwidth (one thread, pages already mapped): %.2f GB/s\n\n", 3.0 * (double) n / t / 1e9);
        free(b);
}

int main(int argc, char *argv[]) {
        if (argc < 2) {
                fprintf(stderr, "usage: %s PRIVMEMD [GiB]\n       %s PRIVMEMD libvirt [URI]\n", argv[0], argv[0]);
                return 2;
        }
        privmemd_path = argv[1];
        bool libvirt = argc > 2 && strcmp(argv[2], "libvirt") == 0;
        uint64_t size = (argc > 2 ? strtoull(argv[2], NULL, 10) : 4) * GiB;
        if (!mkdtemp(tmpdir))
                return 1;
        printf("privmemd-bench on %ld CPUs; every ratio compares figures of this run\n\n", sysconf(_SC_NPROCESSORS_ONLN));
        if (libvirt) {
                part_libvirt(argc > 3 ? argv[3] : "test:///default");
                goto out;
        }
        part_latency(0);
        part_latency(2000);
        if (size == 0)  /* GiB 0: the latency part alone */
                goto out;
        part_big("shmem 4K  ", size, false);
        long pages = (long) (3 * size / (2 << 20)) + 8;  /* ready + refill + the in-process one */
        long got = bench_hugepages_take(2048, pages);
        if (got == pages)
                part_big("hugetlb 2M", size, true);
        else
                printf("(b) hugetlb 2M: could reserve only %ld of %ld 2M pages; skipped\n\n", got, pages);
        bench_hugepages_give_back(2048, got);
        part_memset();
out:;
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
        return system(cmd) == 0 ? 0 : 1;
}
