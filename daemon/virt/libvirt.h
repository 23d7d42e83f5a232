/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt domains as lease owners: one connection to libvirtd, its events on privmemd's loop. */
#pragma once

#include <sys/types.h>

#include "core/owner.h"

typedef struct Manager Manager;
typedef struct VirtWatch VirtWatch;

/* Starts watching libvirt when the configuration has [libvirt] uri= (*ret stays NULL otherwise).
 * A libvirtd that cannot be reached now is retried with backoff; it is not an error. */
int virt_watch_new(VirtWatch **ret, Manager *m);
VirtWatch *virt_watch_free(VirtWatch *w);

/* The owner for Acquire's ownerDomain, a name or a UUID. -ENOENT: libvirt knows no such domain;
 * -EOPNOTSUPP: no libvirt here; -ENOTCONN: not connected now. *ret_reason says why for the last two. */
int virt_watch_resolve(VirtWatch *w, const char *domain, Owner *ret, const char **ret_reason);

/* The processes whose command line has "-uuid UUID" (how libvirt's qemu driver starts QEMU), as
 * pidfds, at most max of them, skipping the pids in skip. Returns how many were found. */
int virt_qemu_find(const char *uuid, const pid_t *skip, size_t n_skip, int *ret_pidfds, pid_t *ret_pids, size_t max);
