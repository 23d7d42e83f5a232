/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A lease: one memfd lent to one owner, watched until the owner is gone, then punched. */
#pragma once

#include "core/hash.h"
#include "core/owner.h"
#include "core/pool.h"
#include "core/process.h"

/* The wire's Lease.state: a value indexes schema_lease_states. */
typedef enum LeaseState {
        LEASE_ACTIVE = SCHEMA_LEASE_STATE_ACTIVE,
        LEASE_INVALIDATING = SCHEMA_LEASE_STATE_INVALIDATING,   /* owner gone or released: the punch is queued or running */
        LEASE_LEAKED = SCHEMA_LEASE_STATE_LEAKED,       /* blocks came back after the punch: someone else holds the memfd */
} LeaseState;

typedef struct Lease {
        struct Lease *prev, *next;
        HashNode hash;                  /* in Core.lease_ids */
        Core *core;
        Pool *pool;
        SizeClass *cls;
        char id[MEMFD_ID_LEN + 1];
        uint64_t size;
        int fd;
        LeaseState state;
        Owner owner;                    /* its pidfd is the process's, not the lease's */
        Process *process;               /* an active lease owned by a process: watched through it */
        struct Lease *process_prev, *process_next;
        unsigned store_slot;            /* the store's name for the memfd; 0: not stored. The store's field */
        int store_error;                /* -errno: the store could not keep its acquisition (no file, or no
                                         * memfd in the fd store): a restart would not know its owner */
        uid_t uid;
        char *tag;
        uint64_t acquired_usec;         /* CLOCK_MONOTONIC */
        uint64_t held;                  /* bytes still allocated after the last punch */
        int64_t huge;                   /* 2M shmem pools: bytes in 2 MiB pages when lent; -1: unknown */
        Job punch;
        unsigned punches;
        sd_event_source *punch_watchdog;        /* while the punch is queued or running */
        bool punch_stuck;               /* the punch is in a system call past lease_punch_limit_usec() */
        sd_event_source *recheck;
} Lease;

/* What a lease is, beyond its fds: what the store keeps across a restart and reads back. */
typedef struct LeaseRecord {
        char id[MEMFD_ID_LEN + 1];
        char *pool;
        uint64_t size;
        uid_t uid;
        OwnerKind owner_kind;
        pid_t owner_pid;
        uint64_t owner_start_time;      /* 0 when not known */
        char owner_comm[16];
        char owner_domain[OWNER_DOMAIN_UUID_LEN + 1];   /* OWNER_DOMAIN */
        char *owner_domain_name;
        int owner_domain_id;            /* 0 when not known */
        pid_t owner_domain_qemu_pid;
        uint64_t owner_domain_qemu_start_time;
        char *tag;
        uint64_t acquired_usec;         /* CLOCK_MONOTONIC: the same across restarts of one boot */
        int64_t huge;                   /* Lease.huge: -1 when not known (files of older privmemds) */
        LeaseState state;
        bool matched;                   /* found its fd during recovery */
        bool foreign;                   /* a newer privmemd's file, not read: only id is set */
} LeaseRecord;

const char *lease_state_to_string(LeaseState s);
int lease_state_from_string(const char *s);     /* -EINVAL when no state has that name */
/* Lends memfd to owner (both taken, also on failure) and starts watching the owner. */
int lease_new(Lease **ret, Pool *pool, ReadyMemfd *memfd, Owner *owner, uid_t uid, const char *tag);
/* A lease found again after a restart: its fd (taken on success) and owner (taken). */
int lease_restore(Lease **ret, Pool *pool, const LeaseRecord *rec, int fd, Owner *owner);
/* Ends the lease: stops watching, gives back the uid's quota, queues the punch. Idempotent. */
void lease_invalidate(Lease *l, const char *why);
/* How long a punch may run before its worker is reported stuck and replaced: populate_timeout=
 * (30 s without it) and STUCK_GRACE_USEC. */
uint64_t lease_punch_limit_usec(const Pool *p);
/* The pool's leases whose punch is stuck now; lowers *oldest_started_usec to the oldest's start. */
unsigned pool_stuck_punches(const Pool *p, uint64_t *oldest_started_usec);
/* Frees without punching: only when the daemon exits. */
void lease_free(Lease *l);
DEFINE_TRIVIAL_CLEANUP_FUNC(Lease *, lease_free);
