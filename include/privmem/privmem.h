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
 * Getters accept NULL and then return 0, -1 or NULL.
 *
 * Structs that cross the API and may grow begin with a size_t size, set by the caller to
 * sizeof(the struct) as its header has it; later versions only append fields (as the kernel's
 * clone3(), openat2() and sched_getattr() do):
 * - a struct the caller fills (struct privmem_acquire_options) is read up to size, never beyond;
 *   bytes beyond what this library knows must be 0, and size at most 4096 (else -E2BIG);
 * - a struct the library fills (struct privmem_pool_huge) is filled up to size, zeroed beyond
 *   what this library knows, and its size is set to the bytes filled: when the program's header
 *   is newer than the library, a field that ends beyond the size it got back was not filled;
 *   a size above 4096 is taken for one never set (-EINVAL).
 * A size smaller than the struct's first version is -EINVAL. */

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

/* Since LIBPRIVMEM_0.3: the names privmem_last_error_name() gives for privmemd's errors (the
 * interface io.privmemd defines them; unit/test-schema checks them against privmemd's schema).
 * libprivmem(3), ERRORS, says which errno each one gives and what it means. */
#define PRIVMEM_ERROR_NO_SUCH_POOL              "io.privmemd.NoSuchPool"
#define PRIVMEM_ERROR_NO_SUCH_LEASE             "io.privmemd.NoSuchLease"
#define PRIVMEM_ERROR_INVALID_SIZE              "io.privmemd.InvalidSize"
#define PRIVMEM_ERROR_POOL_EXHAUSTED            "io.privmemd.PoolExhausted"
#define PRIVMEM_ERROR_QUOTA_EXCEEDED            "io.privmemd.QuotaExceeded"
#define PRIVMEM_ERROR_TOO_MANY_LEASES           "io.privmemd.TooManyLeases"
#define PRIVMEM_ERROR_NO_SUCH_DOMAIN            "io.privmemd.NoSuchDomain"
#define PRIVMEM_ERROR_LIBVIRT_UNAVAILABLE       "io.privmemd.LibvirtUnavailable"
#define PRIVMEM_ERROR_BAD_CONFIGURATION         "io.privmemd.BadConfiguration"
#define PRIVMEM_ERROR_SYSTEM_ERROR              "io.privmemd.SystemError"
/* varlink's own, which privmemd answers for the admin calls and the pools' users= and groups=. */
#define PRIVMEM_ERROR_PERMISSION_DENIED         "org.varlink.service.PermissionDenied"

enum {
        PRIVMEM_ACQUIRE_OWNER_PIDFD = 1 << 0,           /* owner_pidfd names the owner */
        PRIVMEM_ACQUIRE_BIND_TO_CONNECTION = 1 << 1,    /* the lease ends with this connection */
        PRIVMEM_ACQUIRE_NO_WAIT = 1 << 2,               /* -EAGAIN instead of building one */
        PRIVMEM_ACQUIRE_OWNER_DOMAIN = 1 << 3,          /* since LIBPRIVMEM_0.3: owner_domain names the owner */
};

/* Set size to sizeof(struct privmem_acquire_options); later versions append fields. */
struct privmem_acquire_options {
        size_t size;
        uint64_t flags;                 /* PRIVMEM_ACQUIRE_* */
        int owner_pidfd;                /* with PRIVMEM_ACQUIRE_OWNER_PIDFD; not taken */
        const char *tag;                /* NULL, or a label shown with the lease */
        /* Since LIBPRIVMEM_0.3, with PRIVMEM_ACQUIRE_OWNER_DOMAIN: the name or UUID of a libvirt
         * domain that owns the lease (root and privmemd's admin group only). */
        const char *owner_domain;
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
        PRIVMEM_OWNER_UNKNOWN = 0,      /* recovered after a restart without its owner, or a kind this
                                         * version does not know: privmem_lease_owner_kind_name() says */
        PRIVMEM_OWNER_PROCESS,
        PRIVMEM_OWNER_CONNECTION,
        PRIVMEM_OWNER_DOMAIN,           /* since LIBPRIVMEM_0.3: a libvirt domain */
};

privmem_lease *privmem_lease_free(privmem_lease *l);
const char *privmem_lease_id(const privmem_lease *l);
const char *privmem_lease_pool(const privmem_lease *l);
uint64_t privmem_lease_size(const privmem_lease *l);
enum privmem_lease_state privmem_lease_state(const privmem_lease *l);
const char *privmem_lease_state_name(const privmem_lease *l);   /* as the daemon said it */
enum privmem_owner_kind privmem_lease_owner_kind(const privmem_lease *l);
pid_t privmem_lease_owner_pid(const privmem_lease *l);          /* 0 when privmemd named none */
const char *privmem_lease_owner_command(const privmem_lease *l);
uid_t privmem_lease_uid(const privmem_lease *l);                /* (uid_t) -1 when NULL */
uint64_t privmem_lease_leaked_bytes(const privmem_lease *l);
/* 2M shmem pools: bytes of it in 2 MiB pages when lent; -1 when not known (LIBPRIVMEM_0.3). */
int64_t privmem_lease_huge_bytes(const privmem_lease *l);
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
/* Since LIBPRIVMEM_0.3: why a pool is failing (privmem_pool_failure()), or why an Acquire found it
 * exhausted (PoolExhausted's "cause": privmem_last_error_string(p, "cause")), for a program to act
 * on; privmem_pool_last_error() and the error's "reason" say it in words. */
enum privmem_failure {
        PRIVMEM_FAILURE_UNKNOWN = 0,            /* none said, or a cause this version does not know */
        PRIVMEM_FAILURE_LIMIT,                  /* the pool's byte limit (limit=) */
        PRIVMEM_FAILURE_NO_READY,               /* nothing ready of that size, and the Acquire would not wait */
        PRIVMEM_FAILURE_NO_MEMORY,              /* the kernel refused memory, or too little came in 2 MiB pages */
        PRIVMEM_FAILURE_POPULATE_TIMEOUT,       /* a populate ran past populate_timeout= and was stopped */
        PRIVMEM_FAILURE_STUCK_WORKER,           /* a populate stuck in the kernel; its worker was replaced */
        PRIVMEM_FAILURE_ERROR,                  /* another failure: the words say it */
};
enum privmem_failure privmem_pool_failure(const privmem_pool *pool);
const char *privmem_pool_failure_name(const privmem_pool *pool);        /* as privmemd said it; NULL when not failing */

/* What a backing=shmem page_size=2M (transparent huge page) pool got from the kernel. Set size
 * to sizeof(struct privmem_pool_huge) first; later versions append fields (see the top). */
struct privmem_pool_huge {
        size_t size;                    /* in: the caller's sizeof; out: the bytes filled */
        uint64_t ready_huge_bytes;      /* of the ready memfds, in 2 MiB pages */
        uint64_t populated_bytes;       /* populated since privmemd started */
        uint64_t populated_huge_bytes;  /* ... of them in 2 MiB pages */
        uint64_t short_memfds;          /* memfds under min_percent: lent anyway or dropped */
        unsigned min_percent;
        const char *fallback;           /* "lend", "retry" or "refuse" (borrowed from the pool) */
        int host_gives_huge;            /* 1, 0, or -1 when unknown */
        const char *host_advice;        /* what to change on the host, or a note; NULL when none */
};
/* 1 and *ret filled for a 2M shmem pool; 0 for other pools, *ret untouched; -EINVAL when
 * ret->size is smaller than LIBPRIVMEM_0.3's struct or above 4096. ret may be NULL (LIBPRIVMEM_0.3). */
int privmem_pool_huge(const privmem_pool *pool, struct privmem_pool_huge *ret);

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
/* Since LIBPRIVMEM_0.3: privmemd's link to libvirtd, for leases owned by libvirt domains. */
enum privmem_libvirt_state {
        PRIVMEM_LIBVIRT_UNKNOWN = 0,    /* privmemd did not say (older than 0.3), or a state this version does not know */
        PRIVMEM_LIBVIRT_DISABLED,       /* no [libvirt] section: ownerDomain is refused */
        PRIVMEM_LIBVIRT_CONNECTING,     /* the first connect is under way: ownerDomain waits for it */
        PRIVMEM_LIBVIRT_CONNECTED,
        PRIVMEM_LIBVIRT_UNAVAILABLE,    /* not connected, or libvirt does not answer: ownerDomain gets
                                         * LibvirtUnavailable at once; privmemd keeps trying */
};
enum privmem_libvirt_state privmem_status_libvirt_state(const privmem_status *s);
const char *privmem_status_libvirt_state_name(const privmem_status *s);  /* as the daemon said it; NULL if it did not */
const char *privmem_status_libvirt_uri(const privmem_status *s);         /* [libvirt] uri=; NULL when disabled */
double privmem_status_libvirt_since(const privmem_status *s);            /* seconds in this state */
const char *privmem_status_libvirt_last_error(const privmem_status *s);  /* the last thing that went wrong, or NULL */
/* Since LIBPRIVMEM_0.3: privmemd's worker threads (0 from an older privmemd), those stuck now in
 * one system call of a populate (each replaced by a new thread), and the seconds since the oldest
 * of them started it (-1 when none is stuck). */
uint64_t privmem_status_workers(const privmem_status *s);
uint64_t privmem_status_stuck_workers(const privmem_status *s);
double privmem_status_stuck_since(const privmem_status *s);

/* Since LIBPRIVMEM_0.2: the last error's parameters, as privmemd sent them (for example limit,
 * used and size of io.privmemd.PoolExhausted), so that a caller can word its own message.
 * -ENODATA when the last failure has no such parameter (or was local), -EINVAL for NULLs. */
int privmem_last_error_u64(const privmem *p, const char *parameter, uint64_t *ret);
const char *privmem_last_error_string(const privmem *p, const char *parameter); /* NULL when none */

/* Admin calls: root and privmemd's admin group only (-EACCES otherwise). */
struct privmem_target {
        uint64_t size;                  /* bytes of the size class */
        uint64_t target;                /* ready memfds of that size to keep */
};
/* Sets the targets of the listed sizes (other sizes keep theirs) and ends a drain, until the next
 * reload. -ENOSPC when the targets need more than the pool's limit. */
int privmem_set_targets(privmem *p, const char *pool, const struct privmem_target *targets, size_t n_targets);
/* Stops refilling pool and frees its ready memfds; leases are untouched. */
int privmem_drain(privmem *p, const char *pool);
/* Reads the configuration again; a bad one is refused whole (-EINVAL, io.privmemd.BadConfiguration). */
int privmem_reload(privmem *p);

/* Counters since privmemd started. */
typedef struct privmem_metrics privmem_metrics;
typedef struct privmem_histogram privmem_histogram;     /* borrowed from its metrics */

int privmem_get_metrics(privmem *p, privmem_metrics **ret);
privmem_metrics *privmem_metrics_free(privmem_metrics *m);
/* Acquires by how they ended ("ready", "built", "exhausted", ...), 0 <= i < n_acquire_results. */
size_t privmem_metrics_n_acquire_results(const privmem_metrics *m);
const char *privmem_metrics_acquire_result(const privmem_metrics *m, size_t i);      /* NULL out of range */
uint64_t privmem_metrics_acquire_count(const privmem_metrics *m, size_t i);
uint64_t privmem_metrics_invalidations(const privmem_metrics *m);
uint64_t privmem_metrics_leaks(const privmem_metrics *m);
/* Seconds from an Acquire call to its reply with the memfd; seconds to populate one memfd. */
const privmem_histogram *privmem_metrics_acquire_seconds(const privmem_metrics *m);
const privmem_histogram *privmem_metrics_refill_seconds(const privmem_metrics *m);
/* Since LIBPRIVMEM_0.3: the failures of each configured pool's builds (none from an older
 * privmemd): populates stopped at populate_timeout=, and populates found stuck in the kernel. */
size_t privmem_metrics_n_pools(const privmem_metrics *m);
const char *privmem_metrics_pool_name(const privmem_metrics *m, size_t i);     /* NULL out of range */
uint64_t privmem_metrics_pool_populate_timeouts(const privmem_metrics *m, size_t i);
uint64_t privmem_metrics_pool_stuck_workers(const privmem_metrics *m, size_t i);
/* Buckets as Prometheus counts them: observations <= le, cumulative; +Inf is count. */
size_t privmem_histogram_n_buckets(const privmem_histogram *h);
double privmem_histogram_bucket_le(const privmem_histogram *h, size_t i);           /* 0 out of range */
uint64_t privmem_histogram_bucket_count(const privmem_histogram *h, size_t i);
uint64_t privmem_histogram_count(const privmem_histogram *h);
double privmem_histogram_sum(const privmem_histogram *h);

/* Events: a watch has a connection of its own to p's socket; errors are recorded in p, which must
 * outlive the watch. The first event is always PRIVMEM_EVENT_WATCHING: once privmem_watch_open()
 * returned, every later event is seen. Others than root and the admin group see only their own
 * leases' events. */
typedef struct privmem_watch privmem_watch;
typedef struct privmem_event privmem_event;

enum privmem_event_kind {
        PRIVMEM_EVENT_UNKNOWN = 0,      /* a kind this version does not know */
        PRIVMEM_EVENT_WATCHING,
        PRIVMEM_EVENT_LEASE_ACQUIRED,
        PRIVMEM_EVENT_LEASE_INVALIDATING,
        PRIVMEM_EVENT_LEASE_RELEASED,
        PRIVMEM_EVENT_LEASE_LEAKED,
        PRIVMEM_EVENT_POOL_EXHAUSTED,
        PRIVMEM_EVENT_POOL_REFILLED,
        PRIVMEM_EVENT_POOL_FAILING,
        PRIVMEM_EVENT_CONFIG_RELOADED,
};

int privmem_watch_open(privmem *p, privmem_watch **ret);
/* Waits for the next event, up to p's timeout (-ETIMEDOUT leaves the watch usable).
 * -ECONNRESET when privmemd closed the watch. */
int privmem_watch_next(privmem_watch *w, privmem_event **ret);
/* The watch's socket, readable when privmem_watch_next() may not block (for poll()); events may
 * also be buffered already: call privmem_watch_next() with a timeout of 0 to drain them. */
int privmem_watch_fd(const privmem_watch *w);
privmem_watch *privmem_watch_free(privmem_watch *w);

privmem_event *privmem_event_free(privmem_event *e);
enum privmem_event_kind privmem_event_kind(const privmem_event *e);
const char *privmem_event_kind_name(const privmem_event *e);    /* as the daemon said it */
uint64_t privmem_event_timestamp(const privmem_event *e);       /* microseconds since the epoch */
const privmem_lease *privmem_event_lease(const privmem_event *e);       /* lease events; borrowed */
const char *privmem_event_pool(const privmem_event *e);         /* NULL when none */
uint64_t privmem_event_size(const privmem_event *e);            /* 0 when none */
const char *privmem_event_reason(const privmem_event *e);       /* NULL when none */
/* Since LIBPRIVMEM_0.3: PRIVMEM_EVENT_POOL_FAILING's cause, the pool's failure then
 * (PRIVMEM_FAILURE_UNKNOWN when none was said, as from an older privmemd), and its name as privmemd
 * said it (NULL when none). */
enum privmem_failure privmem_event_cause(const privmem_event *e);
const char *privmem_event_cause_name(const privmem_event *e);

/* Since LIBPRIVMEM_0.3: every field of io.privmemd's replies. */
const char *privmem_lease_owner_kind_name(const privmem_lease *l);     /* as the daemon said it */
/* For PRIVMEM_OWNER_DOMAIN: the domain's UUID, and its name when the lease was acquired; else NULL. */
const char *privmem_lease_owner_domain(const privmem_lease *l);
const char *privmem_lease_owner_domain_name(const privmem_lease *l);
/* 1 when the pool's memfds carry F_SEAL_GUEST (no host process can map them), else 0. */
int privmem_pool_seal_guest(const privmem_pool *pool);
const char *privmem_pool_backing_name(const privmem_pool *pool);       /* as the daemon said it */
const char *privmem_pool_state_name(const privmem_pool *pool);         /* as the daemon said it */

/* The JSON privmemd sent, as it came (key order and numbers kept), for tools that print it. */
enum {
        PRIVMEM_JSON_PRETTY = 1 << 0,   /* indented over several lines; else one line */
};
/* The parameters of the last successful reply on p ({"pools": [...]} after privmem_list_pools()),
 * valid until the next call on p; NULL after a failure. */
const char *privmem_last_reply_json(privmem *p, unsigned flags);
/* The Watch reply that carried the event ({"event": {...}}), valid until the next call of this on e
 * or its free. */
const char *privmem_event_json(const privmem_event *e, unsigned flags);

#ifdef __cplusplus
}
#endif
