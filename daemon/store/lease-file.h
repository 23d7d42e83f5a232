/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a lease is, beyond its fds, written to the runtime directory so a restart finds it again. */
#pragma once

#include "core/lease.h"

/* One lease as read back from its file. */
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
        LeaseState state;
        bool matched;                   /* found its fd during recovery */
} LeaseRecord;

/* Writes dir/ID.json atomically (a temporary file renamed over it). */
int lease_file_write(const char *dir, const Lease *l);
int lease_file_remove(const char *dir, const char *id);
/* Every *.json in dir; a file that cannot be read is logged and removed. */
int lease_file_read_all(const char *dir, LeaseRecord **ret, size_t *ret_n);
void lease_records_free(LeaseRecord *r, size_t n);
