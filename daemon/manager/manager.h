/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager: owns the event loop, the varlink server, the pools, the leases and the workers. */
#pragma once

#include <systemd/sd-event.h>

#include "config/config.h"
#include "core/metrics.h"
#include "core/workers.h"
#include "varlink/varlink-server.h"

typedef struct Pool Pool;
typedef struct Lease Lease;
typedef struct Watcher Watcher;
typedef struct VirtWatch VirtWatch;

typedef struct ManagerOptions {
        const char *socket_path;
        const char *config_path;        /* NULL: the default file, its drop-ins, or the built-in pool */
        const char *runtime_dir;        /* lease files live in its leases/ */
} ManagerOptions;

typedef struct Manager {
        sd_event *event;
        VarlinkServer *server;
        ManagerOptions options;
        uint64_t start_usec;
        Config config;
        Pool **pools;
        size_t n_pools;
        Workers *workers;
        Lease *leases;
        unsigned n_leases;
        Watcher *watchers;
        sd_event_source *collect;       /* frees retired pools once unused */
        Metrics metrics;
        bool socket_created;            /* we made the socket file, so we remove it */
        bool socket_activated;          /* the service manager passed the socket */
        char *leases_dir;
        sd_event_source *status_timer;
        char last_status[256];
        VirtWatch *virt;                /* libvirt domains as owners; NULL without [libvirt] */
} Manager;

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
Lease *manager_find_lease(Manager *m, const char *id);
void manager_add_lease(Manager *m, Lease *l);
void manager_remove_lease(Manager *m, Lease *l);

static inline void manager_freep(Manager **m) {
        manager_free(*m);
}
