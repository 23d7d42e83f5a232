/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The processes that own leases: one pidfd, one watch and one fd-store entry per process, shared
 * by all of its leases, found by pid and start time (which name one process for good). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/hash.h"

typedef struct Core Core;
typedef struct Lease Lease;
typedef struct sd_event_source sd_event_source;

typedef struct Process {
        HashNode hash;
        Core *core;
        pid_t pid;
        uint64_t start_time;            /* clock ticks after boot, as in the lease files */
        int pidfd;
        sd_event_source *watch;         /* the pidfd turns readable when the process exits */
        Lease *leases;                  /* its active leases, through Lease.process_next */
        unsigned n_leases;
        unsigned store_slot;            /* the store's name for the pidfd; 0: not stored. The store's field */
        char comm[16];                  /* its command name, as read at comm_usec */
        uint64_t comm_usec;
} Process;

Process *core_find_process(Core *c, pid_t pid, uint64_t start_time);
/* Reads the command name of the lease's owner again (a VMM that exec'd has a new one), at most
 * once per loop iteration (now) per process: listing 10,000 leases of one VMM reads /proc once. */
void lease_refresh_command(Lease *l, uint64_t now);
/* Links an active lease to the process of its owner (OWNER_PROCESS with a pidfd, which this takes:
 * a known process keeps the pidfd it has). */
int process_add_lease(Core *c, Lease *l);
/* Unlinks the lease. With its last lease the process is freed; unless quiet (the daemon exits and
 * the store must keep it), its store entry is queued for removal. */
void process_remove_lease(Lease *l, bool quiet);
/* A process whose pidfd came back from the store after a restart (pidfd taken, also on failure). */
int process_restore(Core *c, int pidfd, pid_t pid, uint64_t start_time, unsigned store_slot, Process **ret);
/* Processes restored without any lease: freed, their store entries queued for removal. */
void core_drop_idle_processes(Core *c);
void core_free_processes(Core *c);
