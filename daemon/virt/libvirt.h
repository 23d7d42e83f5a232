/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt domains as lease owners: one connection to libvirtd, on a thread of its own. */
#pragma once

#include <stdint.h>
#include <sys/types.h>

#include "config/config.h"
#include "core/owner.h"
#include "schema/io-privmemd.h"

typedef struct Core Core;
typedef struct VirtWatch VirtWatch;
typedef struct VirtResolve VirtResolve;

/* How long Acquire with ownerDomain waits for libvirt, and privmemd's stop for libvirt's thread,
 * unless [libvirt] timeout= says otherwise. */
#define VIRT_TIMEOUT_SEC_DEFAULT 5

/* Starts watching libvirt when the configuration has [libvirt] uri= (*ret stays NULL otherwise).
 * Connecting happens on libvirt's thread and is retried with backoff; it is not an error. */
int virt_watch_new(VirtWatch **ret, Core *core, const Config *config);
/* Stops libvirt's thread, waiting for it at most the timeout. Pending resolutions are called
 * back with -ECANCELED first. */
VirtWatch *virt_watch_free(VirtWatch *w);

/* How a resolution ended: 0 with *owner (the callee takes it), -ENOENT (libvirt knows no such
 * domain), -ENOTCONN or -ETIMEDOUT (libvirt is not there, or did not answer in time),
 * -ECANCELED (privmemd stops); reason says why for the last three. Runs on privmemd's loop. */
typedef void (*VirtResolvedFunc)(int r, Owner *owner, const char *reason, void *userdata);

/* The owner for Acquire's ownerDomain, a name or a UUID, asked of libvirt on its thread: done
 * runs later, within the timeout, unless virt_resolve_cancel() comes first. When it can be
 * answered now it returns -EOPNOTSUPP (no libvirt here) or -ENOTCONN (not connected), with
 * *ret_reason, and done never runs. */
int virt_watch_resolve(VirtWatch *w, const char *domain, VirtResolvedFunc done, void *userdata, VirtResolve **ret,
                       const char **ret_reason);
/* done will not run. */
VirtResolve *virt_resolve_cancel(VirtResolve *r);

/* The link to libvirtd as GetStatus shows it. */
typedef struct VirtLinkInfo {
        SchemaLibvirtState state;
        const char *uri;                /* NULL when disabled */
        uint64_t since_usec;            /* CLOCK_MONOTONIC: in this state since; 0 when disabled */
        const char *last_error;         /* NULL when nothing went wrong yet */
} VirtLinkInfo;

/* w NULL (no [libvirt], or built without libvirt) is disabled. The strings are w's. */
void virt_watch_link(const VirtWatch *w, VirtLinkInfo *ret);

/* The processes whose command line has "-uuid UUID" (how libvirt's qemu driver starts QEMU), as
 * pidfds, at most max of them, skipping the pids in skip. Returns how many were found. */
int virt_qemu_find(const char *uuid, const pid_t *skip, size_t n_skip, int *ret_pidfds, pid_t *ret_pids, size_t max);
