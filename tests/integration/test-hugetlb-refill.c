/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hugepages run out in the middle of a refill: a 4 MiB memfd gets one of its two 2M pages. The
 * half-built memfd gives its page back, the pool says it is failing, an Acquire with nothing ready
 * gets PoolExhausted, the leases already lent are untouched, and once pages are reserved again
 * the pool refills by itself; releasing everything returns every page. Pages that are free when
 * it starts are held in a memfd of its own, so that privmemd finds exactly the five it means. */
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "helper.h"
#include "hugepages.h"
#include "memfd.h"

#define PAGE (2 * MiB)
#define SIZE (4 * MiB)

static const char config[] =
        "[pool h]\n"
        "backing = hugetlb\n"
        "page_size = 2M\n"
        "sizes = 4M:2\n"
        "limit = 64M\n";

static enum privmem_pool_state pool_state(privmem *p) {
        privmem_pool_list *list = NULL;
        enum privmem_pool_state s = PRIVMEM_POOL_UNKNOWN;
        if (privmem_list_pools(p, &list) >= 0)
                s = privmem_pool_state(privmem_pool_list_find(list, "h"));
        privmem_pool_list_free(list);
        return s;
}

static void wait_free_pages(unsigned want, const char *what) {
        uint64_t end = test_now_ms() + 20000;
        while (hugepages_free(PAGE) != want) {
                check(test_now_ms() < end, "%s: %u hugepages of 2M free, expected %u", what, hugepages_free(PAGE), want);
                test_sleep_ms(20);
        }
}

/* Holds n free pages in a memfd of the test's own, so that privmemd finds exactly the pages the
 * test means it to (pages others reserved and left free stay theirs: closed at the end). */
static int occupy(unsigned n) {
        int fd = memfd_create("hugetlb-refill-ballast", MFD_CLOEXEC | MFD_HUGETLB | (21 << MFD_HUGE_SHIFT));
        check(fd >= 0, "memfd_create(MFD_HUGETLB): %m");
        check(fallocate(fd, 0, 0, (off_t) n * PAGE) == 0, "holding %u free hugepages of 2M: %m", n);
        return fd;
}

static char *acquire(privmem *p, int *ret_fd, const char *what) {
        privmem_lease *l = NULL;
        check_ok(p, privmem_acquire(p, "h", SIZE, NULL, ret_fd, &l), what);
        memfd_check_ready(*ret_fd, SIZE);
        char *id = strdup(privmem_lease_id(l));
        privmem_lease_free(l);
        return id;
}

int main(void) {
        privmem_pool_list *list = NULL;
        int fd[3];
        char *id[3];

        test_init("hugetlb-refill", 90);
        test_require_root();
        /* Five free pages for privmemd: two ready memfds of two pages, and one page. */
        unsigned before = hugepages_free(PAGE);
        int ballast = before > 5 ? occupy(before - 5) : -1;
        int r = before < 5 ? hugepages_reserve(PAGE, 5 - before) : 0;
        if (r < 0)
                test_skip("could not reserve %u hugepages of 2M: %s", 5 - before, strerror(-r));
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        privmem_set_timeout(p, 30000);
        test_pool_wait_settled(p, "h", &list, 30000);
        privmem_pool_list_free(list);
        list = NULL;
        wait_free_pages(1, "at target");

        /* The refill after this one finds one page of the two it needs. */
        id[0] = acquire(p, &fd[0], "Acquire from the ready memfds");
        uint64_t end = test_now_ms() + 20000;
        while (pool_state(p) != PRIVMEM_POOL_FAILING)
                check(test_now_ms() < end, "the pool did not say it is failing after a refill ran short");
        wait_free_pages(1, "after the refill failed half-way (the page it got is given back)");
        id[1] = acquire(p, &fd[1], "Acquire of the last ready memfd");
        check_errno(p, privmem_acquire(p, "h", SIZE, NULL, &fd[2], NULL), -ENOSPC, "Acquire with nothing ready");
        check(str_eq(privmem_last_error_name(p), PRIVMEM_ERROR_POOL_EXHAUSTED), "error %s", privmem_last_error_name(p));
        memfd_check_ready(fd[0], SIZE);  /* the leases lent before are untouched */
        memfd_check_ready(fd[1], SIZE);

        /* The pages come back: the pool refills by itself, with the backoff of a failing pool. */
        r = hugepages_reserve(PAGE, 5);  /* three leases and two ready memfds: ten pages */
        if (r < 0)
                test_skip("the shortage was shown; could not reserve 5 more hugepages to show the recovery: %s",
                          strerror(-r));
        id[2] = acquire(p, &fd[2], "Acquire once pages are back");
        end = test_now_ms() + 30000;
        while (pool_state(p) != PRIVMEM_POOL_OK || hugepages_free(PAGE) != 0)
                check(test_now_ms() < end, "the pool did not refill once pages were back (state %d, %u pages free)",
                      pool_state(p), hugepages_free(PAGE));

        for (int i = 0; i < 3; i++) {
                close(fd[i]);
                check_ok(p, privmem_release(p, id[i]), "Release");
                free(id[i]);
        }
        wait_free_pages(10 - 4, "after every lease was released (two ready memfds kept)");
        privmem_disconnect(p);
        test_daemon_stop(d);
        if (ballast >= 0)
                close(ballast);
        return 0;
}
