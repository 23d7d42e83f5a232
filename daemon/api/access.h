/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may do what, decided from the peer's credentials (SO_PEERCRED, SO_PEERGROUPS). */
#pragma once

#include <stdbool.h>

#include "config/config.h"
#include "varlink/varlink-server.h"

bool access_may_acquire(const PoolConfig *pc, VarlinkConnection *conn);
typedef struct Manager Manager;

/* Root and the admin group: see and release every lease, steer pools. */
bool access_is_admin(Manager *m, VarlinkConnection *conn);
