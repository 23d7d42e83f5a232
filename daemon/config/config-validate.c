/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Checks a parsed configuration and fills in defaults; also the built-in default configuration. */
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>

#include "config/config.h"
#include "util/macro.h"

static _printf_(3, 4) int pool_fail(const PoolConfig *pc, char **ret_error, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (asprintf(ret_error, "%s: pool '%s': %s", pc->origin, pc->name, strempty(msg)) < 0)
                *ret_error = NULL;
        return -EINVAL;
}

static int pool_validate_page_size(PoolConfig *pc, char **ret_error) {
        uint64_t base = (uint64_t) sysconf(_SC_PAGESIZE);

        if (pc->page_size == 0)
                pc->page_size = pc->backing == BACKING_HUGETLB ? 2ULL << 20 : base;
        if (pc->backing == BACKING_SHMEM && pc->page_size != base && pc->page_size != MEMFD_THP_SIZE)
                return pool_fail(pc, ret_error, "page_size %" PRIu64 " needs backing=hugetlb (shmem pages are %" PRIu64 " or %llu bytes)",
                                 pc->page_size, base, MEMFD_THP_SIZE);
        if (pc->backing == BACKING_HUGETLB && pc->page_size == base)
                return pool_fail(pc, ret_error, "backing=hugetlb needs page_size 2M or 1G, not %" PRIu64, pc->page_size);
        return 0;
}

static int pool_validate_sizes(PoolConfig *pc, char **ret_error, uint64_t *ret_warm, uint64_t *ret_largest) {
        uint64_t warm = 0, largest = 0;

        for (size_t i = 0; i < pc->n_sizes; i++) {
                const SizeTarget *t = &pc->sizes[i];
                if (t->size == 0 || t->size % pc->page_size != 0)
                        return pool_fail(pc, ret_error, "size %" PRIu64 " is not a whole number of %" PRIu64 "-byte pages",
                                         t->size, pc->page_size);
                for (size_t j = 0; j < i; j++)
                        if (pc->sizes[j].size == t->size)
                                return pool_fail(pc, ret_error, "size %" PRIu64 " is listed twice", t->size);
                if (t->size > UINT64_MAX / 4096 / (t->target + 1))
                        return pool_fail(pc, ret_error, "size %" PRIu64 " is too large", t->size);
                warm += t->size * t->target;
                largest = MAX(largest, t->size);
        }
        *ret_warm = warm;
        *ret_largest = largest;
        return 0;
}

/* huge_fallback= and huge_min= are for 2M shmem pools, which cannot be guest-sealed: their
 * populate maps them, and F_SEAL_GUEST forbids every mapping. */
static int pool_validate_thp(PoolConfig *pc, char **ret_error) {
        MemfdSpec spec = pool_config_memfd_spec(pc);
        if (!memfd_spec_is_thp(&spec)) {
                if (pc->huge_min || pc->huge_fallback != HUGE_FALLBACK_LEND)
                        return pool_fail(pc, ret_error, "huge_fallback= and huge_min= are for backing=shmem page_size=2M");
                return 0;
        }
        if (pc->seal_guest)
                return pool_fail(pc, ret_error, "seal_guest=yes is not possible with backing=shmem page_size=2M "
                                 "(its memfds are mapped to populate them with huge pages)");
        if (pc->huge_min == 0)
                pc->huge_min = 90;
        return 0;
}

static int pool_validate(PoolConfig *pc, char **ret_error) {
        uint64_t warm = 0, largest = 0;
        int r = pool_validate_page_size(pc, ret_error);
        if (r < 0)
                return r;
        r = pool_validate_sizes(pc, ret_error, &warm, &largest);
        if (r < 0)
                return r;
        r = pool_validate_thp(pc, ret_error);
        if (r < 0)
                return r;
        if (pc->limit == 0)
                pc->limit = MAX(2 * warm, largest);
        if (pc->limit == 0)
                return pool_fail(pc, ret_error, "needs sizes= or limit=");
        if (pc->limit % pc->page_size != 0)
                return pool_fail(pc, ret_error, "limit %" PRIu64 " is not a whole number of %" PRIu64 "-byte pages",
                                 pc->limit, pc->page_size);
        if (warm > pc->limit)
                return pool_fail(pc, ret_error, "the ready memfds in sizes= need %" PRIu64 " bytes, over limit %" PRIu64,
                                 warm, pc->limit);
        if (pc->quota_per_uid == 0 || pc->quota_per_uid > pc->limit)
                pc->quota_per_uid = pc->limit;
        if (pc->seal_guest) {
                MemfdSpec spec = pool_config_memfd_spec(pc);
                r = memfd_ops_probe_seal_guest(&spec);
                if (r < 0)
                        return pool_fail(pc, ret_error, "seal_guest=yes needs a kernel with F_SEAL_GUEST (0x%x, "
                                         "kernel-patches/); this one refuses it: %s", PRIVMEM_F_SEAL_GUEST, strerror(-r));
        }
        return 0;
}

int config_validate(Config *c, char **ret_error) {
        if (c->n_pools == 0) {
                *ret_error = strdup("no pools configured: add a [pool NAME] section");
                return -EINVAL;
        }
        for (size_t i = 0; i < c->n_pools; i++) {
                int r = pool_validate(&c->pools[i], ret_error);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One small shmem pool, for root and the privmem group: enough to try privmemd out. */
int config_builtin(Config *ret) {
        Config c = {
                .admin_group = strdup("privmem-admin"),
                .pools = calloc(1, sizeof(PoolConfig)),
                .n_pools = 1,
        };
        PoolConfig *pc = c.pools;
        char *error = NULL;

        if (!c.admin_group || !pc)
                goto fail;
        *pc = (PoolConfig) {
                .name = strdup("default"),
                .origin = strdup("built-in"),
                .backing = BACKING_SHMEM,
                .sizes = calloc(2, sizeof(SizeTarget)),
                .n_sizes = 2,
                .limit = 4ULL << 30,
                .leases_per_uid = 1024,
                .numa_node = -1,
                .users = calloc(1, sizeof(uid_t)),
                .n_users = 1,
        };
        if (!pc->name || !pc->origin || !pc->sizes || !pc->users)
                goto fail;
        pc->sizes[0] = (SizeTarget) { .size = 64ULL << 20, .target = 2 };
        pc->sizes[1] = (SizeTarget) { .size = 256ULL << 20, .target = 1 };
        struct group *gr = getgrnam("privmem");
        if (gr) {
                pc->groups = calloc(1, sizeof(gid_t));
                if (!pc->groups)
                        goto fail;
                pc->groups[0] = gr->gr_gid;
                pc->n_groups = 1;
        }
        if (config_validate(&c, &error) < 0)
                goto fail;
        config_resolve_admin_group(&c);
        *ret = c;
        return 0;
fail:
        free(error);
        config_done(&c);
        return -ENOMEM;
}
