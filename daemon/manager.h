/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager: owns the event loop, the varlink server and everything privmemd keeps. */
#pragma once

#include <systemd/sd-event.h>

#include "varlink-server.h"

typedef struct ManagerOptions {
        const char *socket_path;
} ManagerOptions;

typedef struct Manager {
        sd_event *event;
        VarlinkServer *server;
        ManagerOptions options;
        uint64_t start_usec;
} Manager;

int manager_new(Manager **ret, const ManagerOptions *options);
Manager *manager_free(Manager *m);
int manager_start(Manager *m);
int manager_run(Manager *m);

static inline void manager_freep(Manager **m) {
        manager_free(*m);
}
