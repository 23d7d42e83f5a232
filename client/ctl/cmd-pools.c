/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl pools: the pools, then their size classes. */
#include <stdio.h>

#include "ctl.h"
#include "size.h"
#include "table.h"

/* 2M shmem pools: the share of their ready memory in 2 MiB pages, else of all they populated. */
static void huge_cell(Table *t, const privmem_pool *p) {
        struct privmem_pool_huge h = { .size = sizeof(h) };
        uint64_t ready = privmem_pool_bytes_ready(p);

        if (privmem_pool_huge(p, &h) <= 0)
                table_add(t, NULL);
        else if (ready > 0)
                table_addf(t, "%llu%%", (unsigned long long) (h.ready_huge_bytes * 100 / ready));
        else if (h.populated_bytes > 0)
                table_addf(t, "%llu%%", (unsigned long long) (h.populated_huge_bytes * 100 / h.populated_bytes));
        else
                table_add(t, NULL);
}

static int pools_table(const privmem_pool_list *list, bool styled) {
        static const char *const headers[] = {
                "POOL", "BACKING", ">PAGE", "STATE", ">READY", ">LENT", ">OTHER", ">LIMIT", ">QUOTA/UID", "NUMA", ">HUGE", NULL
        };
        _cleanup_(table_freep) Table *t = table_new(headers);
        char b[7][SIZE_FORMAT_MAX];

        for (size_t i = 0; t && i < privmem_pool_list_count(list); i++) {
                const privmem_pool *p = privmem_pool_list_get(list, i);
                table_add(t, privmem_pool_name(p));
                table_add(t, privmem_pool_backing_name(p));
                table_add(t, size_format(b[0], privmem_pool_page_size(p)));
                table_add(t, privmem_pool_state_name(p));
                table_add(t, size_format(b[1], privmem_pool_bytes_ready(p)));
                table_add(t, size_format(b[2], privmem_pool_bytes_lent(p)));
                table_add(t, size_format(b[3], privmem_pool_bytes_other(p)));
                table_add(t, size_format(b[4], privmem_pool_limit(p)));
                table_add(t, size_format(b[5], privmem_pool_quota_per_uid(p)));
                if (privmem_pool_numa_node(p) >= 0)
                        table_addf(t, "%d", privmem_pool_numa_node(p));
                else
                        table_add(t, NULL);
                huge_cell(t, p);
        }
        return t ? table_print(t, stdout, styled) : -ENOMEM;
}

static int classes_table(const privmem_pool_list *list, bool styled) {
        static const char *const headers[] = { "POOL", ">SIZE", ">TARGET", ">READY", ">BUILDING", ">LENT", NULL };
        _cleanup_(table_freep) Table *t = table_new(headers);
        char b[SIZE_FORMAT_MAX];

        for (size_t i = 0; t && i < privmem_pool_list_count(list); i++) {
                const privmem_pool *p = privmem_pool_list_get(list, i);
                for (size_t k = 0; k < privmem_pool_n_classes(p); k++) {
                        table_add(t, privmem_pool_name(p));
                        table_add(t, size_format(b, privmem_pool_class_size(p, k)));
                        table_addf(t, "%llu", (unsigned long long) privmem_pool_class_target(p, k));
                        table_addf(t, "%llu", (unsigned long long) privmem_pool_class_ready(p, k));
                        table_addf(t, "%llu", (unsigned long long) privmem_pool_class_building(p, k));
                        table_addf(t, "%llu", (unsigned long long) privmem_pool_class_lent(p, k));
                }
        }
        if (!t)
                return -ENOMEM;
        return table_rows(t) > 0 ? table_print(t, stdout, styled) : 0;
}

/* 2M shmem pools short of huge pages say so. */
static void huge_notes(const privmem_pool *p) {
        struct privmem_pool_huge h = { .size = sizeof(h) };

        if (privmem_pool_huge(p, &h) <= 0)
                return;
        if (h.host_gives_huge == 0 && h.host_advice)
                printf("pool '%s': %s\n", privmem_pool_name(p), h.host_advice);
        if (h.short_memfds > 0)
                printf("pool '%s': %llu memfd(s) had less than %u%% in 2 MiB pages (huge_fallback=%s)\n",
                       privmem_pool_name(p), (unsigned long long) h.short_memfds, h.min_percent, h.fallback);
}

/* Pools that are failing say why, under the tables. */
static void last_errors(const privmem_pool_list *list) {
        for (size_t i = 0; i < privmem_pool_list_count(list); i++) {
                const privmem_pool *p = privmem_pool_list_get(list, i);
                if (privmem_pool_last_error(p))
                        printf("pool '%s': %s\n", privmem_pool_name(p), privmem_pool_last_error(p));
                if (privmem_pool_last_error(p) && privmem_pool_failure_name(p))
                        printf("pool '%s': %s\n", privmem_pool_name(p), ctl_failure_hint(privmem_pool_failure_name(p)));
                huge_notes(p);
        }
}

static int pools_print(const Ctl *c, const privmem_pool_list *list) {
        int r = pools_table(list, c->styled);
        if (r >= 0 && privmem_pool_list_count(list) > 0) {
                putchar('\n');
                r = classes_table(list, c->styled);
        }
        if (r >= 0)
                last_errors(list);
        return r;
}

static int run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;
        _cleanup_(privmem_pool_list_freep) privmem_pool_list *list = NULL;

        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        r = privmem_list_pools(p, &list);
        if (r < 0)
                return ctl_fail(c, p, r);
        r = c->json ? ctl_print_reply(p) : pools_print(c, list);
        return r < 0 ? CTL_EXIT_DAEMON : CTL_EXIT_OK;
}

const Verb verb_pools = {
        .name = "pools",
        .synopsis = "",
        .summary = "List the pools: bytes ready, lent and in between, limits, and each size class",
        .run = run,
};
