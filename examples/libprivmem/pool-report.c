/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libprivmem by example: what each pool holds, how much of a 2M shmem pool is in 2 MiB pages,
 * and, given a pool and a size, a lease taken without waiting, the refusals told apart by name.
 * Built with the tree, against the installed header's API only.
 * usage: privmem-pool-report [POOL BYTES] */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <privmem/privmem.h>

static void report_pool(const privmem_pool *pool) {
        struct privmem_pool_huge huge = { .size = sizeof(huge) };  /* the size first: the struct may grow */

        printf("%s: %s, %" PRIu64 " bytes ready, %" PRIu64 " lent\n", privmem_pool_name(pool),
               privmem_pool_backing_name(pool), privmem_pool_bytes_ready(pool), privmem_pool_bytes_lent(pool));
        if (privmem_pool_huge(pool, &huge) > 0)
                printf("  %" PRIu64 " bytes of the ready memfds in 2 MiB pages (fallback %s)%s%s\n",
                       huge.ready_huge_bytes, huge.fallback, huge.host_advice ? "; host: " : "",
                       huge.host_advice ? huge.host_advice : "");
}

static int report_pools(privmem *p) {
        privmem_pool_list *list = NULL;
        int r = privmem_list_pools(p, &list);

        if (r < 0) {
                fprintf(stderr, "ListPools: %s\n", privmem_last_error_message(p));
                return r;
        }
        for (size_t i = 0; i < privmem_pool_list_count(list); i++)
                report_pool(privmem_pool_list_get(list, i));
        privmem_pool_list_free(list);
        return 0;
}

/* A refusal the caller can act on, by its name; anything else by libprivmem's message. */
static void explain_refusal(privmem *p) {
        const char *name = privmem_last_error_name(p);
        uint64_t limit = 0, used = 0;

        if (name && strcmp(name, PRIVMEM_ERROR_POOL_EXHAUSTED) == 0 &&
            privmem_last_error_u64(p, "limit", &limit) >= 0 && privmem_last_error_u64(p, "used", &used) >= 0)
                fprintf(stderr, "the pool is full: %" PRIu64 " of %" PRIu64 " bytes in use; try later\n", used, limit);
        else if (name && strcmp(name, PRIVMEM_ERROR_QUOTA_EXCEEDED) == 0)
                fprintf(stderr, "your uid holds all it may of this pool; release a lease first\n");
        else
                fprintf(stderr, "Acquire: %s\n", privmem_last_error_message(p));
}

static int take_lease(privmem *p, const char *pool, uint64_t size) {
        struct privmem_acquire_options o = { .size = sizeof(o), .flags = PRIVMEM_ACQUIRE_NO_WAIT };
        privmem_lease *lease = NULL;
        int memfd, r = privmem_acquire(p, pool, size, &o, &memfd, &lease);

        if (r < 0) {
                explain_refusal(p);
                return r;
        }
        printf("lease %s: memfd %d, %" PRIu64 " bytes", privmem_lease_id(lease), memfd, privmem_lease_size(lease));
        if (privmem_lease_huge_bytes(lease) >= 0)
                printf(", %" PRId64 " in 2 MiB pages", privmem_lease_huge_bytes(lease));
        printf("\n");
        privmem_lease_free(lease);
        close(memfd);  /* the lease ends when this process exits */
        return 0;
}

int main(int argc, char *argv[]) {
        privmem *p = NULL;
        int r;

        if (argc != 1 && argc != 3) {
                fprintf(stderr, "usage: %s [POOL BYTES]\n", argv[0]);
                return 2;
        }
        r = privmem_connect(&p, NULL);
        if (r < 0) {
                fprintf(stderr, "connect: %s\n", strerror(-r));
                return 1;
        }
        r = report_pools(p);
        if (r >= 0 && argc == 3)
                r = take_lease(p, argv[1], strtoull(argv[2], NULL, 0));
        privmem_disconnect(p);
        return r < 0 ? 1 : 0;
}
