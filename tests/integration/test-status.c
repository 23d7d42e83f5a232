/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* GetStatus and ListPools describe the daemon and the pools as configured. */
#include <string.h>

#include "helper.h"

static const char config[] =
        "[pool small]\n"
        "backing = shmem\n"
        "page_size = 4K\n"
        "sizes = 4M:2 8M:1\n"
        "limit = 64M\n"
        "quota_per_uid = 32M\n"
        "users = *\n"
        "\n"
        "[pool other]\n"
        "backing = shmem\n"
        "sizes = 2M:1\n"
        "limit = 16M\n";

static void test_status(privmem *p) {
        privmem_status *s = NULL;
        check_ok(p, privmem_get_status(p, &s), "GetStatus");
        check(str_eq(privmem_status_version(s), "0.1"), "version '%s', expected '0.1'", privmem_status_version(s));
        check(privmem_status_pools(s) == 2, "%llu pools, 2 configured", (unsigned long long) privmem_status_pools(s));
        check(privmem_status_leases(s) == 0, "%llu leases at start", (unsigned long long) privmem_status_leases(s));
        check(privmem_status_connections(s) >= 1, "%llu connections while connected",
              (unsigned long long) privmem_status_connections(s));
        check(privmem_status_uptime(s) >= 0, "uptime %f", privmem_status_uptime(s));
        privmem_status_free(s);
}

static void check_class(const privmem_pool *pool, size_t i, uint64_t size, uint64_t target) {
        check(privmem_pool_class_size(pool, i) == size && privmem_pool_class_target(pool, i) == target,
              "pool '%s' class %zu: size %llu target %llu, configured %llu:%llu", privmem_pool_name(pool), i,
              (unsigned long long) privmem_pool_class_size(pool, i),
              (unsigned long long) privmem_pool_class_target(pool, i),
              (unsigned long long) size, (unsigned long long) target);
}

static void test_pools(privmem *p) {
        privmem_pool_list *list = NULL;
        const privmem_pool *small = test_pool_wait_settled(p, "small", &list, 10000);

        check(privmem_pool_list_count(list) == 2, "%zu pools listed, 2 configured", privmem_pool_list_count(list));
        check(privmem_pool_backing(small) == PRIVMEM_BACKING_SHMEM, "backing %d", privmem_pool_backing(small));
        check(privmem_pool_page_size(small) == 4096, "page size %llu", (unsigned long long) privmem_pool_page_size(small));
        check(privmem_pool_numa_node(small) == -1, "numa node %d, none configured", privmem_pool_numa_node(small));
        check(privmem_pool_limit(small) == 64 * MiB, "limit %llu", (unsigned long long) privmem_pool_limit(small));
        check(privmem_pool_quota_per_uid(small) == 32 * MiB, "quota %llu",
              (unsigned long long) privmem_pool_quota_per_uid(small));
        check(privmem_pool_n_classes(small) == 2, "%zu classes, 2 configured", privmem_pool_n_classes(small));
        check_class(small, 0, 4 * MiB, 2);
        check_class(small, 1, 8 * MiB, 1);
        check(privmem_pool_bytes_ready(small) == 16 * MiB, "%llu bytes ready, 2*4M+8M expected",
              (unsigned long long) privmem_pool_bytes_ready(small));
        check(privmem_pool_state(small) == PRIVMEM_POOL_OK && !privmem_pool_last_error(small),
              "state %d, last error '%s'", privmem_pool_state(small), privmem_pool_last_error(small) ?: "");
        privmem_pool_list_free(list);
}

int main(void) {
        test_init("status", 30);
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        test_status(p);
        test_pools(p);
        privmem_disconnect(p);
        test_daemon_stop(d);
        return 0;
}
