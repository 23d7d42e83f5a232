/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backing=shmem page_size=2M: a pool lends memfds that another process maps with 2 MiB page
 * table entries; privmemd never maps them itself; ListPools says how much is huge; with huge
 * pages off, huge_fallback= lends 4K and says so, refuses, or retries until they are back. */
#include <stdio.h>
#include <sys/wait.h>

#include "helper.h"
#include "memfd.h"
#include "thp.h"

#define SIZE (32 * MiB)

static const char config[] =
        "[pool thp]\n"
        "backing = shmem\n"
        "page_size = 2M\n"
        "sizes = 32M:1\n"
        "limit = 96M\n";

static const char fallback_config[] =
        "[pool lend]\n"
        "backing = shmem\n"
        "page_size = 2M\n"
        "sizes = 8M:1\n"
        "limit = 16M\n"
        "[pool refuse]\n"
        "backing = shmem\n"
        "page_size = 2M\n"
        "huge_fallback = refuse\n"
        "limit = 16M\n"
        "[pool retry]\n"
        "backing = shmem\n"
        "page_size = 2M\n"
        "huge_fallback = retry\n"
        "huge_min = 100%\n"
        "limit = 16M\n";

static struct privmem_pool_huge pool_huge(privmem *p, const char *name, privmem_pool_list **list) {
        struct privmem_pool_huge h = { .size = sizeof(h) };
        privmem_pool_list_free(*list);
        *list = NULL;
        check_ok(p, privmem_list_pools(p, list), "ListPools");
        const privmem_pool *pool = privmem_pool_list_find(*list, name);
        check(pool && privmem_pool_huge(pool, &h) == 1, "pool %s has no huge pages report", name);
        return h;
}

static int touch_child(void *arg) {
        int fd = *(int *) arg;
        uint64_t pmd = thp_touch_pmd_mapped(fd, SIZE);
        check(pmd * 100 >= SIZE * 90, "another process's mapping: %llu of %llu bytes PMD-mapped",
              (unsigned long long) pmd, (unsigned long long) SIZE);
        return 0;
}

/* privmemd's own address space never holds a pool memfd (invariant 4: its populate helper does). */
static void check_daemon_maps(const TestDaemon *d) {
        char path[64], line[512];
        snprintf(path, sizeof(path), "/proc/%d/maps", (int) d->pid);
        FILE *f = fopen(path, "re");
        check(f, "open %s: %s", path, strerror(errno));
        while (fgets(line, sizeof(line), f))
                check(!strstr(line, "privmemd:"), "privmemd maps a memfd: %s", line);
        fclose(f);
}

static void test_lends_huge(void) {
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        privmem_pool_list *list = NULL;
        privmem_lease *l = NULL;
        int fd;

        privmem_set_timeout(p, 30000);
        test_pool_wait_settled(p, "thp", &list, 20000);
        struct privmem_pool_huge h = pool_huge(p, "thp", &list);
        check(h.host_gives_huge == 1, "hostGivesHuge %d: %s", h.host_gives_huge, h.host_advice ?: "");
        check(h.ready_huge_bytes * 100 >= SIZE * 90, "ready: %llu of %llu bytes huge",
              (unsigned long long) h.ready_huge_bytes, (unsigned long long) SIZE);
        check(h.short_memfds == 0 && h.min_percent == 90 && str_eq(h.fallback, "lend"), "short %llu min %u fallback %s",
              (unsigned long long) h.short_memfds, h.min_percent, h.fallback);
        check_ok(p, privmem_acquire(p, "thp", SIZE, NULL, &fd, &l), "Acquire 32M of 2M shmem");
        check(privmem_lease_huge_bytes(l) * 100 >= (int64_t) SIZE * 90, "the lease says %lld bytes huge",
              (long long) privmem_lease_huge_bytes(l));
        check_errno(p, privmem_acquire(p, "thp", SIZE + 4096, NULL, NULL, NULL), -EINVAL, "32M+4K of 2M pages");
        memfd_check_ready(fd, SIZE);
        check(test_wait(test_fork(touch_child, &fd)) == 0, "the toucher failed");
        check_daemon_maps(d);
        check_ok(p, privmem_release(p, privmem_lease_id(l)), "Release");
        memfd_wait_invalidated(fd, SIZE, 5000);
        close(fd);
        privmem_lease_free(l);
        privmem_pool_list_free(list);
        privmem_disconnect(p);
        test_daemon_stop(d);
}

/* Lines of the daemon's log that contain text. */
static unsigned log_count(const TestDaemon *d, const char *text) {
        char line[2048];
        unsigned n = 0;
        FILE *f = fopen(d->log, "re");
        while (f && fgets(line, sizeof(line), f))
                n += strstr(line, text) != NULL;
        if (f)
                fclose(f);
        return n;
}

static int advise_later(void *arg) {
        test_sleep_ms(300);
        thp_set("advise");
        return 0;
}

static void test_fallback(void) {
        thp_set("never");
        TestDaemon *d = test_daemon_start(fallback_config);
        privmem *p = test_connect(d);
        privmem_pool_list *list = NULL;
        privmem_lease *l = NULL;
        int fd;

        privmem_set_timeout(p, 30000);
        check(log_count(d, "Pool lend (backing=shmem page_size=2M) will get no huge pages") == 1 &&
              log_count(d, "Write 'advise' to " THP_KNOB) == 3, "no plain word at start about the host setting");
        check_ok(p, privmem_reload(p), "Reload");
        check(log_count(d, "Pool refuse (backing=shmem page_size=2M) will get no huge pages") == 2,
              "no plain word at reload about the host setting");
        /* lend: 4K pages, lent and counted */
        test_pool_wait_settled(p, "lend", &list, 20000);
        struct privmem_pool_huge h = pool_huge(p, "lend", &list);
        check(h.host_gives_huge == 0 && h.short_memfds >= 1 && h.ready_huge_bytes == 0,
              "lend: host %d short %llu ready huge %llu", h.host_gives_huge, (unsigned long long) h.short_memfds,
              (unsigned long long) h.ready_huge_bytes);
        check_ok(p, privmem_acquire(p, "lend", 8 * MiB, NULL, &fd, &l), "Acquire from lend");
        check(privmem_lease_huge_bytes(l) == 0, "a 4K lease from lend says %lld bytes huge", (long long) privmem_lease_huge_bytes(l));
        memfd_check_ready(fd, 8 * MiB);
        close(fd);
        /* refuse: the Acquire waiting for the build fails */
        check_errno(p, privmem_acquire(p, "refuse", 8 * MiB, NULL, &fd, NULL), -ENOSPC, "Acquire from refuse");
        check(str_eq(privmem_last_error_name(p), PRIVMEM_ERROR_POOL_EXHAUSTED), "refuse: %s", privmem_last_error_name(p));
        h = pool_huge(p, "refuse", &list);
        check(h.short_memfds >= 1, "refuse counted no short memfd");
        /* retry: the Acquire waits until huge pages are back (the first retry comes after 1 s) */
        pid_t setter = test_fork(advise_later, NULL);
        uint64_t t = test_now_ms();
        check_ok(p, privmem_acquire(p, "retry", 8 * MiB, NULL, &fd, NULL), "Acquire from retry");
        check(test_wait(setter) == 0, "setting the knob back failed");
        check(test_now_ms() - t >= 300, "retry lent before huge pages were back");
        h = pool_huge(p, "retry", &list);
        check(h.short_memfds >= 1 && h.populated_huge_bytes >= 8 * MiB, "retry: short %llu huge %llu",
              (unsigned long long) h.short_memfds, (unsigned long long) h.populated_huge_bytes);
        check(h.host_gives_huge == 1, "the knob is back at advise, the pool still says %d", h.host_gives_huge);
        close(fd);
        privmem_lease_free(l);
        privmem_pool_list_free(list);
        privmem_disconnect(p);
        test_daemon_stop(d);
}

int main(void) {
        test_init("thp", 90);
        test_require_root();
        thp_require();
        test_lends_huge();
        test_fallback();
        return 0;  /* the knob is written back at exit */
}
