/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lease owners: a process held by its pidfd, or the connection that acquired the lease. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "schema/io-privmemd.h"
#include "varlink/varlink-server.h"

/* The wire's Owner.kind: a value indexes schema_owner_kinds. */
typedef enum OwnerKind {
        OWNER_PROCESS = SCHEMA_OWNER_KIND_PROCESS,
        OWNER_CONNECTION = SCHEMA_OWNER_KIND_CONNECTION,
        OWNER_UNKNOWN = SCHEMA_OWNER_KIND_UNKNOWN,      /* recovered without its owner: only a Release ends it */
        OWNER_DOMAIN = SCHEMA_OWNER_KIND_DOMAIN,        /* a libvirt domain by UUID: libvirt-watch.c ends it */
} OwnerKind;

#define OWNER_DOMAIN_UUID_LEN 36

typedef struct Owner {
        OwnerKind kind;
        int pidfd;                      /* OWNER_PROCESS */
        pid_t pid;
        uint64_t start_time;            /* clock ticks after boot (/proc/PID/stat): pid + this is unique */
        char comm[16];
        VarlinkConnection *conn;        /* OWNER_CONNECTION */
        char domain_uuid[OWNER_DOMAIN_UUID_LEN + 1];    /* OWNER_DOMAIN */
        char *domain_name;
        /* Which run of the domain the lease is for, to tell a domain restarted unseen (0: not known) */
        int domain_id;                  /* libvirt's id while it ran */
        pid_t domain_qemu_pid;          /* its QEMU process, when privmemd found one */
        uint64_t domain_qemu_start_time;
} Owner;

#define OWNER_INIT ((Owner) { .pidfd = -1 })

const char *owner_kind_to_string(OwnerKind k);
int owner_kind_from_string(const char *s);
/* The process behind a pidfd we held before a restart (taken); -ESRCH once it has exited. */
int owner_from_stored_pidfd(Owner *ret, int pidfd);
/* The process at the other end of the connection. */
int owner_from_peer(Owner *ret, VarlinkConnection *conn);
/* The process behind a pidfd a caller sent (taken). -EBADF: not a pidfd; -ESRCH: it has exited;
 * -EPERM: it runs as another uid than caller_uid and the caller is not root. */
int owner_from_pidfd(Owner *ret, int pidfd, uid_t caller_uid);
void owner_from_connection(Owner *ret, VarlinkConnection *conn);
/* A libvirt domain, by UUID (and its name, for people). */
int owner_from_domain(Owner *ret, const char *uuid, const char *name);
void owner_done(Owner *o);
/* The start time of the process with that pid now, or 0 if there is none. */
uint64_t process_start_time(pid_t pid);
/* Reads the command name again: a process that exec'd (privmemctl exec -> qemu) has a new one. */
void owner_refresh_command(Owner *o);
/* Frees what owner_from_peer() cached on the connection; at disconnect. */
void owner_forget_connection(VarlinkConnection *conn);
