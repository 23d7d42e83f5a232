/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemd-bench: what privmemd saves and costs, each figure next to its alternative measured in the
 * same run on the same machine (absolute times on a shared machine mean little; ratios do).
 *   (a) Acquire round trip from a warm pool vs a bare SCM_RIGHTS request/reply between two processes;
 *       without a service manager, and under a notify socket the bench serves (fd store, lease files)
 *   (b) a ready 4 GiB lease vs a fresh memfd populated in-process
 *   (c) refill throughput vs the kernel's zeroing bandwidth and memset; status calls during a refill
 *   (d) owner exit to memory back in the kernel
 *   (e) first touch of a ready lease by another process (the VMM's page faults), and how much is
 *       PMD-mapped
 * Backings: shmem 4K, shmem 2M (THP; sets the host knob to advise for the run if needed),
 * hugetlb 2M and 1G.
 *   (f) Acquire with [libvirt] configured and connected vs without (mode "libvirt" alone)
 * Usage: privmemd-bench PRIVMEMD [GiB]   (as root; reserves and gives back hugepages; GiB 0: (a) only)
 *        privmemd-bench PRIVMEMD libvirt [URI]   ((f); URI defaults to test:///default) */
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

#include "bench-thp.h"
#include "bench-util.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define ROUNDS 3000
#define GiB (1ULL << 30)
#define MiB (1ULL << 20)
#define MAX(a, b) ((a) > (b) ? (a) : (b))

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

/* The lease files' directory: on a tmpfs, as /run is under systemd (here /run may be on a disk,
 * where creating and removing a file costs ~10 times more); /dev/shm if it can, else in tmpdir. */
static char runtime_dir[] = "/dev/shm/privmemd-bench.XXXXXX";
static bool runtime_dir_made;

static const char *runtime_dir_get(void) {
        static char fallback[sizeof(tmpdir) + 16];
        static bool tried;

        if (!tried) {
                tried = true;
                runtime_dir_made = mkdtemp(runtime_dir) != NULL;
                snprintf(fallback, sizeof(fallback), "%s/runtime", tmpdir);
        }
        return runtime_dir_made ? runtime_dir : fallback;
}

/* A service manager's notify socket, as far as privmemd can tell: a child reading its datagrams and
 * closing the fds they carry (systemd's fd store keeps them; privmemd's cost is the same). The
 * daemon started next gets $NOTIFY_SOCKET, so it keeps every lease in the fd store and writes lease
 * files, as under systemd. */
static pid_t notify_server_start(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", tmpdir);
        (void) unlink(sa.sun_path);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
                perror("notify socket");
                exit(1);
        }
        pid_t pid = fork();
        if (pid == 0) {
                for (;;) {
                        char buf[4096];
                        union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int) * 16)]; } c;
                        struct iovec iov = { buf, sizeof(buf) };
                        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &c, .msg_controllen = sizeof(c) };
                        if (recvmsg(fd, &mh, MSG_CMSG_CLOEXEC) < 0)
                                _exit(0);
                        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
                                for (size_t i = 0; cm->cmsg_type == SCM_RIGHTS && i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
                                        close(((int *) CMSG_DATA(cm))[i]);
                }
        }
        close(fd);
        setenv("NOTIFY_SOCKET", sa.sun_path, 1);
        setenv("RUNTIME_DIRECTORY", runtime_dir_get(), 1);
        return pid;
}

static void notify_server_stop(pid_t pid) {
        unsetenv("NOTIFY_SOCKET");
        unsetenv("RUNTIME_DIRECTORY");
        if (pid > 0) {
                kill(pid, SIGKILL);
                waitpid(pid, NULL, 0);
        }
}

/* ROUNDS Acquire/Release round trips; libvirt_uri: with [libvirt] uri= set, once connected; notify:
 * under a notify socket (the fd store and lease files on every Acquire and Release). */
static void acquire_latency_with(double *lat, unsigned gap_us, const char *libvirt_uri, bool notify) {
        char socket[4200], config[1024];
        snprintf(config, sizeof(config), "[pool lat]\nsizes = 4K:256\nlimit = 64M\nusers = *\n%s%s\n",
                 libvirt_uri ? "[libvirt]\nuri = " : "", libvirt_uri ?: "");
        pid_t n = notify ? notify_server_start() : -1;
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
        notify_server_stop(n);
}

static void acquire_latency(double *lat, unsigned gap_us, bool notify) {
        acquire_latency_with(lat, gap_us, NULL, notify);
}

/* (f) The libvirt thread's cost to everything else: Acquire round trips with [libvirt] set and
 * connected vs without, alternated (off, on, off, on, ...) so a drift of the machine hits both. */
#define LIBVIRT_ALTERNATIONS 5
static void part_libvirt(const char *uri) {
        static double off[LIBVIRT_ALTERNATIONS * ROUNDS], on[LIBVIRT_ALTERNATIONS * ROUNDS];
        const size_t n = LIBVIRT_ALTERNATIONS * ROUNDS;
        for (int i = 0; i < LIBVIRT_ALTERNATIONS; i++) {
                acquire_latency_with(off + i * ROUNDS, 0, NULL, false);
                acquire_latency_with(on + i * ROUNDS, 0, uri, false);
        }
        double o50 = bench_percentile(off, n, 50), o99 = bench_percentile(off, n, 99);
        double n50 = bench_percentile(on, n, 50), n99 = bench_percentile(on, n, 99);
        printf("(f) Acquire from a warm pool, calls back to back, libvirt at %s\n", uri);
        printf("    without [libvirt]                p50 %7.1f us  p99 %7.1f us\n", o50 * 1e6, o99 * 1e6);
        printf("    [libvirt] set and connected      p50 %7.1f us  p99 %7.1f us\n", n50 * 1e6, n99 * 1e6);
        printf("    ratio (goal: within 1.1x)        p50 %7.2fx     p99 %7.2fx\n\n", n50 / o50, n99 / o99);
}

/* Both ways measured alike: back to back (the pool's refill and punch work competes with the next
 * call on the same CPUs), and with a gap after each call (that work done in between, as between
 * VM starts). Each without a service manager and under a notify socket (the fd store, as under
 * systemd). */
static void part_latency(unsigned gap_us) {
        static double a[ROUNDS], s[ROUNDS], f[ROUNDS];
        acquire_latency(a, gap_us, false);
        acquire_latency(s, gap_us, true);
        floor_latency(f, gap_us);
        double a50 = bench_percentile(a, ROUNDS, 50), a99 = bench_percentile(a, ROUNDS, 99);
        double s50 = bench_percentile(s, ROUNDS, 50), s99 = bench_percentile(s, ROUNDS, 99);
        double f50 = bench_percentile(f, ROUNDS, 50), f99 = bench_percentile(f, ROUNDS, 99);
        printf("(a) %s\n", gap_us ? "calls 2 ms apart" : "calls back to back");
        printf("    Acquire from a warm pool      p50 %7.1f us  p99 %7.1f us\n", a50 * 1e6, a99 * 1e6);
        printf("    the same, with an fd store     p50 %7.1f us  p99 %7.1f us\n", s50 * 1e6, s99 * 1e6);
        printf("    bare SCM_RIGHTS req/reply      p50 %7.1f us  p99 %7.1f us\n", f50 * 1e6, f99 * 1e6);
        printf("    ratio (goal: p50 within 3x)    p50 %7.2fx     p99 %7.2fx\n", a50 / f50, a99 / f99);
        printf("    ratio with an fd store         p50 %7.2fx     p99 %7.2fx\n\n", s50 / f50, s99 / f99);
}

/* What one backing is measured as: a label, privmemd.conf lines, the in-process alternative. */
typedef struct Backing {
        const char *label, *conf;
        bool hugetlb;
        uint64_t page_size;
} Backing;

static double zero_bw_1, zero_bw_n;     /* the kernel zeroing 2 MiB pages: one thread, every CPU */
static double touch_s[2];               /* first touch of a ready lease, per GiB: 4K shmem, 2M shmem */

/* ListPools calls 1 ms apart, until pool "big" has a ready memfd again (refilling: returns when,
 * in seconds since t0) or for `idle` seconds. out: p50, p99, max of the calls. */
static double pools_latency(privmem *p, double t0, double idle, double out[3]) {
        static double lat[100000];
        size_t n = 0;
        double done = -1;
        while (n < 100000 && bench_now() - t0 < (idle > 0 ? idle : 600)) {
                privmem_pool_list *list = NULL;
                double t = bench_now();
                int r = privmem_list_pools(p, &list);
                lat[n++] = bench_now() - t;
                const privmem_pool *pool = r >= 0 ? privmem_pool_list_find(list, "big") : NULL;
                bool ready = pool && privmem_pool_class_ready(pool, 0) > 0;
                privmem_pool_list_free(list);
                if (idle <= 0 && ready) {
                        done = bench_now() - t0;
                        break;
                }
                usleep(1000);
        }
        out[0] = bench_percentile(lat, n, 50);
        out[1] = bench_percentile(lat, n, 99);
        out[2] = bench_percentile(lat, n, 100);
        return done;
}

/* Waits until pool "big" has nothing being punched (the memory of a released lease is back). */
static void wait_returned(privmem *p) {
        for (double end = bench_now() + 120; bench_now() < end; usleep(2000)) {
                privmem_pool_list *list = NULL;
                if (privmem_list_pools(p, &list) < 0)
                        return;
                uint64_t other = privmem_pool_bytes_other(privmem_pool_list_find(list, "big"));
                privmem_pool_list_free(list);
                if (other == 0)
                        return;
        }
}

/* Acquires a lease of the pool's one ready memfd, then times the refill that follows while
 * ListPools calls go on (busy); twice, the first releasing its lease to warm the memory up (fresh
 * memory in this VM is slow the first time), so the second is what is reported. */
static double lease_and_refill(privmem *p, uint64_t size, double *ret_lease, int *ret_fd, privmem_lease **ret_l,
                               double busy[3]) {
        double refill = -1;
        for (int round = 0; round < 2; round++) {
                if (round > 0) {
                        privmem_release(p, privmem_lease_id(*ret_l));
                        privmem_lease_free(*ret_l);
                        close(*ret_fd);
                        wait_returned(p);
                }
                double t = bench_now();
                if (privmem_acquire(p, "big", size, NULL, ret_fd, ret_l) < 0)
                        return -1;
                *ret_lease = bench_now() - t;
                refill = pools_latency(p, t, 0, busy);
        }
        return refill;
}

/* The best of two: the first run may meet fresh memory. */
static double populate2(const Backing *b, uint64_t size) {
        double a = bench_populate_in_process(size, b->hugetlb, b->page_size);
        double c = bench_populate_in_process(size, b->hugetlb, b->page_size);
        return a < 0 ? c : c < 0 ? a : a < c ? a : c;
}

/* The median of three first touches, each by a new process. */
static double touch3(int fd, uint64_t size, long skew, double *ret_pmd) {
        double t[3];
        for (int i = 0; i < 3; i++)
                t[i] = bench_touch(fd, size, skew, ret_pmd);
        return bench_percentile(t, 3, 50);
}

/* (e): another process maps the ready lease and touches every 4 KiB page, as a guest's first run:
 * shmem at a 2 MiB-aligned address, as QEMU maps guest RAM; hugetlb where mmap() puts it. */
static void part_touch(const Backing *b, int fd, uint64_t size) {
        double pmd = 0, pmd_plain = 0;
        double t = touch3(fd, size, b->hugetlb ? -1 : 0, &pmd);
        double per_gib = t / ((double) size / GiB);
        char share[32] = "-";
        if (!b->hugetlb)
                snprintf(share, sizeof(share), "%.1f%%", pmd * 100);
        printf("(e) %s first touch of the lease by another process: %8.4f s/GiB  PMD-mapped %s\n", b->label, per_gib, share);
        if (!b->hugetlb && b->page_size == 2 * MiB) {
                double tp = touch3(fd, size, 4096, &pmd_plain) / ((double) size / GiB);
                printf("(e) %s   mapped 2 MiB + 4 KiB-aligned (a VMM that does not align): %8.4f s/GiB  PMD-mapped %.1f%%\n",
                       b->label, tp, pmd_plain * 100);
        }
        if (!b->hugetlb)
                touch_s[b->page_size == 2 * MiB] = per_gib;
}

/* PRIVMEMD_BENCH_ONLY=LABEL (e.g. "shmem 2M"): only that backing's rows, and no (a). */
static bool skipped(const Backing *b) {
        const char *only = getenv("PRIVMEMD_BENCH_ONLY");
        return only && !strstr(b->label, only);
}

/* (b), (c), (e), (d) for one backing: a pool with one ready memfd of size bytes. */
static void part_big(const Backing *b, uint64_t size) {
        if (skipped(b))
                return;
        char socket[4200], config[512];
        snprintf(config, sizeof(config), "[privmemd]\nworkers = %ld\n[pool big]\n%ssizes = %llu:1\nlimit = %llu\nusers = *\n",
                 sysconf(_SC_NPROCESSORS_ONLN), b->conf, (unsigned long long) size, (unsigned long long) size * 2);
        pid_t d = bench_start_daemon(privmemd_path, tmpdir, config, socket, sizeof(socket));
        privmem *p = NULL;
        privmem_lease *l = NULL;
        int fd = -1;
        double busy[3], idle[3];

        if (bench_wait_ready(socket, "big", size, 1, 600) < 0) {
                printf("(b) %s: the pool never got ready (no memory?); skipped\n\n", b->label);
                bench_stop_daemon(d);
                return;
        }
        privmem_connect(&p, socket);
        double lease = 0, t;
        double refill = lease_and_refill(p, size, &lease, &fd, &l, busy);
        int r = refill < 0 ? -1 : 0;
        pools_latency(p, bench_now(), 0.5, idle);
        double own = populate2(b, size);
        printf("(b) %s %llu GiB  ready lease %9.3f ms   fresh memfd populated in-process %9.3f ms   %8.0fx faster\n",
               b->label, (unsigned long long) (size / GiB), lease * 1e3, own * 1e3, own / lease);
        printf("(c) %s refill %6.2f GB/s   (populating in-process, one thread: %6.2f GB/s; the kernel zeroing 2 MiB "
               "pages on %ld CPUs: %.2f GB/s, refill at %.0f%% of it)\n", b->label, (double) size / refill / 1e9,
               (double) size / own / 1e9, sysconf(_SC_NPROCESSORS_ONLN), zero_bw_n,
               100 * (double) size / refill / 1e9 / zero_bw_n);
        printf("(c) %s ListPools while it refills: p50 %6.1f us p99 %6.1f us max %6.1f us; idle: p50 %6.1f us p99 %6.1f us max %6.1f us\n",
               b->label, busy[0] * 1e6, busy[1] * 1e6, busy[2] * 1e6, idle[0] * 1e6, idle[1] * 1e6, idle[2] * 1e6);
        if (r >= 0)
                part_touch(b, fd, size);

        /* (d): a child owns the lease; we keep a copy of its memfd and watch its blocks go. */
        pid_t child = fork();
        if (child == 0) {
                pause();
                _exit(0);
        }
        int pidfd = pidfd_open(child, 0);
        struct privmem_acquire_options o = { .size = sizeof(o), .flags = PRIVMEM_ACQUIRE_OWNER_PIDFD, .owner_pidfd = pidfd };
        privmem_release(p, privmem_lease_id(l));
        privmem_lease_free(l);
        close(fd);
        r = privmem_acquire(p, "big", size, &o, &fd, &l);
        struct stat st;
        kill(child, SIGKILL);
        t = bench_now();
        waitpid(child, NULL, 0);
        while (r >= 0 && fstat(fd, &st) >= 0 && st.st_blocks > 0 && bench_now() - t < 60)
                usleep(100);
        printf("(d) %s owner exit -> memory back in the kernel: %.2f ms\n\n", b->label, (bench_now() - t) * 1e3);
        close(pidfd);
        close(fd);
        privmem_lease_free(l);
        privmem_disconnect(p);
        bench_stop_daemon(d);
}

/* (c'): one pool filling n memfds of size at once, from privmemd's start: every worker busy. */
static void part_refill_many(const Backing *b, uint64_t size, unsigned n) {
        if (skipped(b))
                return;
        char socket[4200], config[512];
        snprintf(config, sizeof(config), "[privmemd]\nworkers = %ld\n[pool many]\n%ssizes = %llu:%u\nlimit = %llu\nusers = *\n",
                 sysconf(_SC_NPROCESSORS_ONLN), b->conf, (unsigned long long) size, n, (unsigned long long) size * n);
        double t = bench_now();
        pid_t d = bench_start_daemon(privmemd_path, tmpdir, config, socket, sizeof(socket));
        if (bench_wait_ready(socket, "many", size, n, 600) >= 0)
                printf("(c) %s fill of %u memfds of %llu MiB at once: %6.2f GB/s (the kernel zeroing on %ld CPUs: %.2f GB/s)\n\n",
                       b->label, n, (unsigned long long) (size / MiB), (double) size * n / (bench_now() - t) / 1e9,
                       sysconf(_SC_NPROCESSORS_ONLN), zero_bw_n);
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
        if (!getenv("PRIVMEMD_BENCH_ONLY")) {
                part_latency(0);
                part_latency(2000);
        }
        if (size == 0)  /* GiB 0: the latency part alone */
                goto out;
        static const Backing shmem_4k = { "shmem 4K  ", "backing = shmem\n", false, 4096 };
        static const Backing shmem_2m = { "shmem 2M  ", "backing = shmem\npage_size = 2M\n", false, 2 * MiB };
        static const Backing hugetlb_2m = { "hugetlb 2M", "backing = hugetlb\npage_size = 2M\n", true, 2 * MiB };
        static const Backing hugetlb_1g = { "hugetlb 1G", "backing = hugetlb\npage_size = 1G\n", true, GiB };
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        /* Warm-up: fresh memory in this VM is slow the first time it is touched. */
        bench_zeroing_bandwidth(size + GiB, (unsigned) ncpu);
        zero_bw_1 = MAX(bench_zeroing_bandwidth(GiB, 1), bench_zeroing_bandwidth(GiB, 1));
        zero_bw_n = MAX(bench_zeroing_bandwidth(GiB, (unsigned) ncpu), bench_zeroing_bandwidth(GiB, (unsigned) ncpu));
        printf("(c) the kernel zeroing fresh 2 MiB pages: %.2f GB/s one thread, %.2f GB/s on %ld CPUs\n\n",
               zero_bw_1, zero_bw_n, ncpu);
        part_big(&shmem_4k, size);
        if (bench_thp_enable()) {
                part_big(&shmem_2m, size);
                part_refill_many(&shmem_2m, GiB, (unsigned) (size / GiB > 2 ? size / GiB : 2));
        } else
                printf("(b) shmem 2M: this kernel gives shmem no 2 MiB pages; skipped\n\n");
        long pages = (long) (3 * size / (2 << 20)) + 8;  /* ready + refill + the in-process one */
        long got = bench_hugepages_take(2048, pages);
        if (got == pages)
                part_big(&hugetlb_2m, size);
        else
                printf("(b) hugetlb 2M: could reserve only %ld of %ld 2M pages; skipped\n\n", got, pages);
        bench_hugepages_give_back(2048, got);
        pages = (long) (3 * size / GiB);  /* 1G pages are hard to find: no spare one */
        got = bench_hugepages_take(1048576, pages);
        if (got == pages)
                part_big(&hugetlb_1g, size);
        else
                printf("(b) hugetlb 1G: could reserve only %ld of %ld 1G pages; skipped\n\n", got, pages);
        bench_hugepages_give_back(1048576, got);
        if (touch_s[0] > 0 && touch_s[1] > 0)
                printf("(e) first touch per GiB: shmem 4K %.4f s, shmem 2M %.4f s: %.0fx faster (goal: 20x)\n\n",
                       touch_s[0], touch_s[1], touch_s[0] / touch_s[1]);
        part_memset();
out:;
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf %s %s", tmpdir, runtime_dir_made ? runtime_dir : "");
        return system(cmd) == 0 ? 0 : 1;
}
