/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemd.conf: the pools an admin describes, or the built-in default. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "memfd/memfd-ops.h"

typedef struct SizeTarget {
        uint64_t size;
        unsigned target;        /* ready memfds of this size to keep */
} SizeTarget;

/* What a 2M shmem pool does with a memfd of which less than huge_min percent is 2 MiB folios. */
typedef enum HugeFallback {
        HUGE_FALLBACK_LEND,     /* lend it anyway, and report it (the default) */
        HUGE_FALLBACK_RETRY,    /* drop it, retry with backoff; Acquires waiting keep waiting */
        HUGE_FALLBACK_REFUSE,   /* drop it, fail the Acquires waiting for it, retry with backoff */
        _HUGE_FALLBACK_MAX,
} HugeFallback;

const char *huge_fallback_to_string(HugeFallback f);
int huge_fallback_from_string(const char *s);

#define POPULATE_TIMEOUT_MAX_SEC 3600U

typedef struct PoolConfig {
        char *name;
        char *origin;           /* "FILE:LINE" of its section, for error messages */
        Backing backing;
        uint64_t page_size;     /* 0 until set: then the backing's default */
        SizeTarget *sizes;
        size_t n_sizes;
        uint64_t limit;         /* bytes in all states; 0 until set */
        uint64_t quota_per_uid; /* lent bytes per uid; 0 until set: the limit */
        unsigned leases_per_uid;
        int numa_node;          /* -1: none */
        bool seal_guest;        /* F_SEAL_GUEST on every memfd (a kernel of kernel-patches/) */
        HugeFallback huge_fallback;     /* backing=shmem page_size=2M only */
        unsigned huge_min;      /* percent; 0 until set */
        unsigned populate_timeout_sec;  /* a chunk's populate gives up after it; 0: the default, from
                                         * the chunk's size (core/build.c) */
        bool all_users;         /* users = * */
        uid_t *users;
        size_t n_users;
        gid_t *groups;
        size_t n_groups;
} PoolConfig;

typedef struct Config {
        unsigned workers;       /* 0: one per CPU */
        char *admin_group;
        gid_t admin_gid;        /* admin_group resolved; -1 when there is no such group */
        char *libvirt_uri;      /* [libvirt] uri=; NULL: no libvirt domains as owners */
        unsigned libvirt_timeout_sec;   /* [libvirt] timeout=; 0: the default */
        PoolConfig *pools;
        size_t n_pools;
} Config;

static inline MemfdSpec pool_config_memfd_spec(const PoolConfig *pc) {
        return (MemfdSpec) { .backing = pc->backing, .page_size = pc->page_size, .seal_guest = pc->seal_guest,
                             .numa_node = pc->numa_node };
}

/* Loads path, or with path NULL the default file and its drop-ins, or the built-in default if
 * there are none. On failure *ret_error says which file, line and key, and why. */
int config_load(Config *ret, const char *path, char **ret_error);
int config_builtin(Config *ret);
void config_resolve_admin_group(Config *c);
void config_done(Config *c);
int config_validate(Config *c, char **ret_error);
/* A deep copy, which a pool keeps for itself so that a reload can replace the Config. */
PoolConfig *pool_config_dup(const PoolConfig *pc);
PoolConfig *pool_config_free(PoolConfig *pc);
const PoolConfig *config_find_pool(const Config *c, const char *name);
