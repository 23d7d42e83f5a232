/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service manager's fd store: every memfd and owner pidfd privmemd holds is kept there too,
 * under a name, so that a restart or a crash of privmemd loses nothing. */
#pragma once

#include <stdbool.h>

#define FDSTORE_READY_PREFIX "ready."   /* ready.POOL.ID: a ready memfd */
#define FDSTORE_LEASE_PREFIX "lease."   /* lease.ID: a lent memfd */
#define FDSTORE_OWNER_PREFIX "owner."   /* owner.ID: the pidfd of a lease's owner */

/* Whether there is a service manager to store fds with ($NOTIFY_SOCKET). */
bool fdstore_enabled(void);
/* Stores a copy of fd under name (the caller keeps fd). */
int fdstore_push(int fd, const char *prefix, const char *a, const char *b);
int fdstore_remove(const char *prefix, const char *a, const char *b);
