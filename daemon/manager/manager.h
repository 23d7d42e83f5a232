/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager: owns the event loop, the varlink server, the pools, the leases and the workers. */
#pragma once

#include <systemd/sd-event.h>

#include "config/config.h"
#include "core/core.h"
#include "varlink/varlink-server.h"

typedef struct Manager Manager;
typedef struct Watcher Watcher;
typedef struct VirtWatch VirtWatch;

typedef struct ManagerOptions {
        const char *socket_path;
        const char *config_path;        /* NULL: the default file, its drop-ins, or the built-in pool */
        const char *runtime_dir;        /* lease files live in its leases/ */
} ManagerOptions;

/* Told of every change the manager flushes, after the store has it: Watch. */
typedef void (*ChangeListener)(Manager *m, const Change *c, void *userdata);

struct Manager {
        /* What it was started with */
        ManagerOptions options;
        Config config;
        uint64_t start_usec;

        /* The loop and what runs on it */
        sd_event *event;
        Workers *workers;
        VarlinkServer *server;
        bool socket_created;            /* we made the socket file, so we remove it */
        bool socket_activated;          /* the service manager passed the socket */

        /* The pools and leases */
        Core core;                      /* the pools' and leases' shared state, on event and workers */
        Pool **pools;
        size_t n_pools;
        sd_event_source *collect;       /* frees retired pools once unused */
        VirtWatch *virt;                /* libvirt domains as owners; NULL without [libvirt] */

        /* Where the core's changes go: the store, and the listener (Watch) */
        char *leases_dir;
        uint64_t lease_file_room_until; /* no need to look at leases_dir's room before (fd-budget.c) */
        ChangeListener on_change;
        void *on_change_userdata;
        uint32_t listener_wants;        /* CHANGE_BIT()s the listener reads now */
        Watcher *watchers;              /* Watch's (api/events.c) */

        /* The service manager's STATUS= line (notify.c) */
        sd_event_source *status_timer;
        char last_status[256];
};

int manager_new(Manager **ret, const ManagerOptions *options);
Manager *manager_free(Manager *m);
int manager_start(Manager *m);
int manager_run(Manager *m);

/* The pool of that name that takes acquires (not a retired one). */
Pool *manager_find_pool(Manager *m, const char *name);
int manager_reload(Manager *m, char **ret_error);
/* A retired pool standing in for one a recovered lease names but the configuration lost. */
Pool *manager_add_stand_in_pool(Manager *m, const char *name, uint64_t page_size);
void manager_collect_pools(Manager *m);
/* Works out how many leases fit the limits (fd-budget.c); at start and after a reload. */
void manager_update_fd_budget(Manager *m);
/* Whether a lease file fits in the runtime directory now (a block and an inode free): 0, or
 * -ENOSPC. Always 0 without a service manager (no lease files then). With plenty of room seen,
 * 0 without a look for a second, or until a lease file cannot be written. */
int manager_check_lease_file_room(Manager *m);
void manager_set_change_listener(Manager *m, ChangeListener f, void *userdata);
/* The changes the listener reads from now on (none while nobody watches): the core queues only
 * what someone reads. */
void manager_set_listener_wants(Manager *m, uint32_t kinds);
/* Hands every queued change to the store, then to the listener. From the event loop, and before
 * anything the changes point to (a pool) is freed. */
void manager_flush_changes(Manager *m);

static inline void manager_freep(Manager **m) {
        manager_free(*m);
}
