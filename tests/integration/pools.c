/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Waiting for a pool to settle: every class at target, nothing building, lent or being punched. */
#include <stdio.h>
#include <string.h>

#include "helper.h"

static bool pool_settled(const privmem_pool *pool) {
        if (privmem_pool_bytes_lent(pool) != 0 || privmem_pool_bytes_other(pool) != 0)
                return false;
        for (size_t i = 0; i < privmem_pool_n_classes(pool); i++)
                if (privmem_pool_class_ready(pool, i) != privmem_pool_class_target(pool, i) ||
                    privmem_pool_class_building(pool, i) != 0 || privmem_pool_class_lent(pool, i) != 0)
                        return false;
        return true;
}

static void pool_describe(const privmem_pool *pool) {
        fprintf(stderr, "pool '%s': ready %llu lent %llu other %llu limit %llu state %d (%s)\n",
                privmem_pool_name(pool), (unsigned long long) privmem_pool_bytes_ready(pool),
                (unsigned long long) privmem_pool_bytes_lent(pool), (unsigned long long) privmem_pool_bytes_other(pool),
                (unsigned long long) privmem_pool_limit(pool), privmem_pool_state(pool),
                privmem_pool_last_error(pool) ?: "no error");
        for (size_t i = 0; i < privmem_pool_n_classes(pool); i++)
                fprintf(stderr, "  class %llu: target %llu ready %llu building %llu lent %llu\n",
                        (unsigned long long) privmem_pool_class_size(pool, i),
                        (unsigned long long) privmem_pool_class_target(pool, i),
                        (unsigned long long) privmem_pool_class_ready(pool, i),
                        (unsigned long long) privmem_pool_class_building(pool, i),
                        (unsigned long long) privmem_pool_class_lent(pool, i));
}

const privmem_pool *test_pool_wait_settled(privmem *p, const char *name, privmem_pool_list **list, unsigned timeout_ms) {
        const privmem_pool *pool = NULL;
        for (uint64_t end = test_now_ms() + timeout_ms;; test_sleep_ms(20)) {
                *list = privmem_pool_list_free(*list);
                check_ok(p, privmem_list_pools(p, list), "ListPools");
                pool = privmem_pool_list_find(*list, name);
                check(pool, "ListPools: no pool '%s' among %zu", name, privmem_pool_list_count(*list));
                if (pool_settled(pool))
                        return pool;
                if (test_now_ms() > end)
                        break;
        }
        pool_describe(pool);
        test_fail(__FILE__, __LINE__, "pool '%s' did not settle within %u ms", name, timeout_ms);
}
