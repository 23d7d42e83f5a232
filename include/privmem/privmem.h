/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libprivmem: borrow ready, populated, sealed memfds from privmemd (see libprivmem(3)). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every function that can fail returns >= 0 on success and a negative errno on failure; outputs
 * (ret_*) are written only on success. A privmem connection is used by one thread at a time.
 * Getters accept NULL and then return 0, -1 or NULL. */

typedef struct privmem privmem;                         /* one connection to privmemd */
typedef struct privmem_lease privmem_lease;             /* one lease, a snapshot */
typedef struct privmem_lease_list privmem_lease_list;
typedef struct privmem_pool privmem_pool;               /* one pool, borrowed from its list */
typedef struct privmem_pool_list privmem_pool_list;
typedef struct privmem_status privmem_status;

/* socket_path NULL: $PRIVMEMD_SOCKET, else /run/privmemd/io.privmemd. */
int privmem_connect(privmem **ret, const char *socket_path);
/* Closes the connection and frees it; leases stay unless acquired bound to the connection. */
privmem *privmem_disconnect(privmem *p);
/* Milliseconds a call may take; -1 (the default) waits forever. */
int privmem_set_timeout(privmem *p, int timeout_ms);

/* The last failed call on p: the varlink error name (NULL when the failure was local) and a
 * message naming the values involved. Both stay valid until the next call on p; NULL after a
 * success. */
const char *privmem_last_error_name(const privmem *p);
const char *privmem_last_error_message(const privmem *p);

enum {
        PRIVMEM_ACQUIRE_OWNER_PIDFD = 1 << 0,           /* owner_pidfd names the owner */
        PRIVMEM_ACQUIRE_BIND_TO_CONNECTION = 1 << 1,    /* the lease ends with this connection */
        PRIVMEM_ACQUIRE_NO_WAIT = 1 << 2,               /* -EAGAIN instead of building one */
};

/* Set size to sizeof(struct privmem_acquire_options); later versions append fields. */
struct privmem_acquire_options {
        size_t size;
        uint64_t flags;                 /* PRIVMEM_ACQUIRE_* */
        int owner_pidfd;                /* with PRIVMEM_ACQUIRE_OWNER_PIDFD; not taken */
        const char *tag;                /* NULL, or a label shown with the lease */
};

/* Borrows a memfd of exactly size bytes from pool. *ret_memfd is O_CLOEXEC and the caller's;
 * ret_lease may be NULL. opts may be NULL. */
int privmem_acquire(privmem *p, const char *pool, uint64_t size,
                    const struct privmem_acquire_options *opts,
                    int *ret_memfd, privmem_lease **ret_lease);
/* Ends a lease now; its memory is invalidated, in every process holding the memfd. */
int privmem_release(privmem *p, const char *lease_id);
int privmem_get_lease(privmem *p, const char *lease_id, privmem_lease **ret);
/* pool NULL: all pools. */
int privmem_list_leases(privmem *p, const char *pool, privmem_lease_list **ret);
int privmem_list_pools(privmem *p, privmem_pool_list **ret);
int privmem_get_status(privmem *p, privmem_status **ret);

enum privmem_lease_state {
        PRIVMEM_LEASE_UNKNOWN = 0,      /* a state this version does not know */
        PRIVMEM_LEASE_ACTIVE,
        PRIVMEM_LEASE_INVALIDATING,
        PRIVMEM_LEASE_LEAKED,
};

enum privmem_owner_kind {
        PRIVMEM_OWNER_UNKNOWN = 0,
        PRIVMEM_OWNER_PROCESS,
        PRIVMEM_OWNER_CONNECTION,
};

privmem_lease *privmem_lease_free(privmem_lease *l);
const char *privmem_lease_id(const privmem_lease *l);
const char *privmem_lease_pool(const privmem_lease *l);
uint64_t privmem_lease_size(const privmem_lease *l);
enum privmem_lease_state privmem_lease_state(const privmem_lease *l);
const char *privmem_lease_state_name(const privmem_lease *l);   /* as the daemon said it */
enum privmem_owner_kind privmem_lease_owner_kind(const privmem_lease *l);
pid_t privmem_lease_owner_pid(const privmem_lease *l);          /* 0 when not a process */
const char *privmem_lease_owner_command(const privmem_lease *l);
uid_t privmem_lease_uid(const privmem_lease *l);                /* (uid_t) -1 when NULL */
uint64_t privmem_lease_leaked_bytes(const privmem_lease *l);
double privmem_lease_age(const privmem_lease *l);               /* seconds */
const char *privmem_lease_tag(const privmem_lease *l);          /* NULL when none */

privmem_lease_list *privmem_lease_list_free(privmem_lease_list *list);
size_t privmem_lease_list_count(const privmem_lease_list *list);
const privmem_lease *privmem_lease_list_get(const privmem_lease_list *list, size_t i);

enum privmem_backing {
        PRIVMEM_BACKING_UNKNOWN = 0,
        PRIVMEM_BACKING_SHMEM,
        PRIVMEM_BACKING_HUGETLB,
};

enum privmem_pool_state {
        PRIVMEM_POOL_UNKNOWN = 0,
        PRIVMEM_POOL_OK,
        PRIVMEM_POOL_FAILING,           /* the kernel refused memory; retrying */
        PRIVMEM_POOL_DRAINED,           /* keeps nothing ready until told otherwise */
        PRIVMEM_POOL_RETIRED,           /* gone from the configuration; ends with its last lease */
};

privmem_pool_list *privmem_pool_list_free(privmem_pool_list *list);
size_t privmem_pool_list_count(const privmem_pool_list *list);
const privmem_pool *privmem_pool_list_get(const privmem_pool_list *list, size_t i);
const privmem_pool *privmem_pool_list_find(const privmem_pool_list *list, const char *name);

const char *privmem_pool_name(const privmem_pool *pool);
enum privmem_backing privmem_pool_backing(const privmem_pool *pool);
uint64_t privmem_pool_page_size(const privmem_pool *pool);
int privmem_pool_numa_node(const privmem_pool *pool);           /* -1 when not bound */
uint64_t privmem_pool_bytes_ready(const privmem_pool *pool);
uint64_t privmem_pool_bytes_lent(const privmem_pool *pool);
uint64_t privmem_pool_bytes_other(const privmem_pool *pool);
uint64_t privmem_pool_limit(const privmem_pool *pool);
uint64_t privmem_pool_quota_per_uid(const privmem_pool *pool);
enum privmem_pool_state privmem_pool_state(const privmem_pool *pool);
const char *privmem_pool_last_error(const privmem_pool *pool);  /* NULL when none */

/* Size classes, 0 <= i < privmem_pool_n_classes(); out of range gives 0. */
size_t privmem_pool_n_classes(const privmem_pool *pool);
uint64_t privmem_pool_class_size(const privmem_pool *pool, size_t i);
uint64_t privmem_pool_class_target(const privmem_pool *pool, size_t i);
uint64_t privmem_pool_class_ready(const privmem_pool *pool, size_t i);
uint64_t privmem_pool_class_building(const privmem_pool *pool, size_t i);
uint64_t privmem_pool_class_lent(const privmem_pool *pool, size_t i);

privmem_status *privmem_status_free(privmem_status *s);
const char *privmem_status_version(const privmem_status *s);
double privmem_status_uptime(const privmem_status *s);          /* seconds */
uint64_t privmem_status_connections(const privmem_status *s);
uint64_t privmem_status_pools(const privmem_status *s);
uint64_t privmem_status_leases(const privmem_status *s);

#ifdef __cplusplus
}
#endif
