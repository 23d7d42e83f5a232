/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Start-up after a restart: the fds the service manager hands back, matched with the lease files. */
#pragma once

typedef struct Manager Manager;

/* Takes every fd passed by the service manager: listening sockets to serve, ready memfds back
 * into their pools, leases with their owners. Reconciles what does not match and says so. */
int manager_recover(Manager *m);
