/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one thread that talks to libvirt: asks go in, news comes out. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/owner.h"
#include "util/macro.h"

#define VIRT_QEMU_MAX 8

typedef struct VirtThread VirtThread;

typedef enum VirtNewsKind {
        VIRT_NEWS_CONNECTED,            /* connected, lifecycle events watched: time to reconcile */
        VIRT_NEWS_DISCONNECTED,         /* the connection closed, or a connect failed; error says why */
        VIRT_NEWS_LIFECYCLE,            /* a domain's lifecycle event */
        VIRT_NEWS_LOOKUP,               /* the answer to virt_thread_lookup() */
} VirtNewsKind;

/* What the thread tells the loop. A domain is described by uuid, name, id (-1: not running),
 * state (a virDomainState, -1 unknown) and the QEMU processes found for it then (as pidfds the
 * receiver takes; virt_news_free() closes those left). */
typedef struct VirtNews {
        struct VirtNews *next;
        VirtNewsKind kind;
        uint64_t token;                 /* LOOKUP: the ask's */
        int error;                      /* LOOKUP: 0, -ENOENT no such domain, -ETIMEDOUT skipped, -EIO;
                                         * CONNECTED: virConnectSetKeepAlive()'s result */
        char *message;                  /* DISCONNECTED, LOOKUP with -EIO: libvirt's words */
        bool first;                     /* DISCONNECTED after a failed connect: the first of a series */
        int event, detail;              /* LIFECYCLE */
        char uuid[OWNER_DOMAIN_UUID_LEN + 1];
        char *name;
        int id;
        int state;
        size_t n_qemu;
        int qemu_pidfds[VIRT_QEMU_MAX];
        pid_t qemu_pids[VIRT_QEMU_MAX];
        uint64_t qemu_start_times[VIRT_QEMU_MAX];
} VirtNews;

/* Starts the thread, which connects to uri with keepalive and reconnects with backoff; an open
 * that takes longer than open_timeout_usec counts as failed. *ret_fd turns readable when news is
 * waiting (the thread owns it). Loads nothing: libvirt_dlopen() first. */
int virt_thread_start(VirtThread **ret, const char *uri, uint64_t open_timeout_usec, int *ret_fd);
/* Asks the thread to stop and waits for it up to timeout_usec. A thread stuck in libvirt longer
 * is left behind (it ends with the process) and so is what it uses. Returns -ETIMEDOUT then. */
int virt_thread_stop(VirtThread *t, uint64_t timeout_usec);

/* Asks libvirt about a domain by name or UUID; answered by a LOOKUP news with this token.
 * An ask still queued at deadline_usec (CLOCK_MONOTONIC, 0: none) is answered -ETIMEDOUT. */
int virt_thread_lookup(VirtThread *t, const char *domain, uint64_t token, uint64_t deadline_usec);
/* The oldest news, or NULL. */
VirtNews *virt_thread_take(VirtThread *t);
VirtNews *virt_news_free(VirtNews *n);
DEFINE_TRIVIAL_CLEANUP_FUNC(VirtNews *, virt_news_free);
