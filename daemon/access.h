/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may do what, decided from the peer's credentials (SO_PEERCRED, SO_PEERGROUPS). */
#pragma once

#include <stdbool.h>

#include "config.h"
#include "varlink-server.h"

bool access_may_acquire(const PoolConfig *pc, VarlinkConnection *conn);
/* Root: sees and releases every lease. */
bool access_is_privileged(VarlinkConnection *conn);
