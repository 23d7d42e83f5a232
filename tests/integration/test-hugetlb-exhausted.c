/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Without reserved hugepages a hugetlb pool reports exhaustion and a failing state, and recovers
 * once pages are reserved. */
#include <unistd.h>

#include "helper.h"
#include "hugepages.h"
#include "memfd.h"

#define PAGE (2 * MiB)

static const char config[] =
        "[pool h]\n"
        "backing = hugetlb\n"
        "page_size = 2M\n"
        "sizes = 4M:1\n"
        "limit = 16M\n";

static void test_exhausted(privmem *p) {
        privmem_pool_list *list = NULL;
        const privmem_pool *pool;
        int fd;

        check_errno(p, privmem_acquire(p, "h", 4 * MiB, NULL, &fd, NULL), -ENOSPC, "Acquire without hugepages");
        check(str_eq(privmem_last_error_name(p), PRIVMEM_ERROR_POOL_EXHAUSTED), "error %s", privmem_last_error_name(p));
        check_ok(p, privmem_list_pools(p, &list), "ListPools");
        pool = privmem_pool_list_find(list, "h");
        check(pool && privmem_pool_state(pool) == PRIVMEM_POOL_FAILING && privmem_pool_last_error(pool),
              "pool state %d last error '%s', expected failing with an error", privmem_pool_state(pool),
              privmem_pool_last_error(pool) ?: "(none)");
        check(privmem_pool_bytes_ready(pool) == 0, "%llu bytes ready without hugepages",
              (unsigned long long) privmem_pool_bytes_ready(pool));
        privmem_pool_list_free(list);
}

static void test_recovers(privmem *p) {
        privmem_pool_list *list = NULL;
        int fd;

        int r = hugepages_reserve(PAGE, 8);
        if (r < 0)
                test_skip("exhaustion shown; could not reserve 8 hugepages of 2M to show recovery: %s", strerror(-r));
        test_pool_wait_settled(p, "h", &list, 30000);
        privmem_pool_list_free(list);
        check_ok(p, privmem_acquire(p, "h", 4 * MiB, NULL, &fd, NULL), "Acquire once hugepages are reserved");
        memfd_check_ready(fd, 4 * MiB);
        close(fd);
}

int main(void) {
        test_init("hugetlb-exhausted", 60);
        test_require_root();
        if (hugepages_free(PAGE) > 0)
                test_skip("%u hugepages of 2M are free here: exhaustion cannot be shown", hugepages_free(PAGE));
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        privmem_set_timeout(p, 20000);
        test_exhausted(p);
        test_recovers(p);
        privmem_disconnect(p);
        test_daemon_stop(d);
        return 0;
}
