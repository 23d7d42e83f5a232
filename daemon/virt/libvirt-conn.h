/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemd's connection to libvirtd, used by libvirt's caller thread; its callbacks run on the
 * event thread (libvirt-thread.c). */
#pragma once

#include "virt/libvirt-dlopen.h"
#include "virt/libvirt-open.h"
#include "virt/libvirt-thread.h"

typedef void (*VirtPostFunc)(void *userdata, VirtNews *n);

typedef struct VirtConn {
        char *uri;
        uint64_t open_timeout_usec;     /* [libvirt] timeout=: an open that takes longer has failed */
        VirtPostFunc post;              /* hands news to privmemd's loop */
        void *userdata;
        int wake_fd;                    /* wakes the caller thread */
        int loop_watch;                 /* in libvirt's event loop: wakes the event thread */
        /* the caller thread's */
        virConnectPtr conn;
        int lifecycle_id;
        VirtOpen *opening;              /* the open under way (libvirt-open.c): one at a time */
        uint64_t open_deadline_usec;    /* CLOCK_MONOTONIC: it has failed if not done by then */
        bool open_timed_out;            /* and that was told */
        char last_failure[512];         /* why the last connect failed: what lookups answer meanwhile */
        /* set on the event thread (or inside a call), read on the caller thread: atomics */
        bool closed;                    /* libvirt closed it: drop it and reconnect */
        int close_reason;
        unsigned attempts;              /* failed connects since the last success */
        uint64_t retry_usec;            /* CLOCK_MONOTONIC: connect no earlier */
} VirtConn;

/* Not connected yet; on any thread. */
int virt_conn_init(VirtConn *c, const char *uri, uint64_t open_timeout_usec, VirtPostFunc post, void *userdata);
/* On the caller thread, once, before the event thread starts: libvirt's event loop, which wakes
 * up when loop_wake_fd is written to. A closed connection writes to wake_fd. */
int virt_conn_setup(VirtConn *c, int wake_fd, int loop_wake_fd);
/* Drops a connection libvirt closed; starts an open when one is due, takes its result when it is
 * done, and counts it as failed once it took longer than the timeout. Waits for nothing. */
void virt_conn_tend(VirtConn *c, uint64_t now_usec);
/* When virt_conn_tend() has something to do next (CLOCK_MONOTONIC), or 0: only once woken up
 * (connected, or an open that timed out is still under way). */
uint64_t virt_conn_next_usec(const VirtConn *c);
/* An open is under way and has not timed out: asks wait for it. */
bool virt_conn_opening(const VirtConn *c);
/* On the event thread: one iteration of libvirt's event loop (events, keepalive, a wake-up). */
void virt_conn_run_events(VirtConn *c);
/* Looks a domain up by name or UUID and posts a LOOKUP news with token. */
void virt_conn_lookup(VirtConn *c, const char *domain, uint64_t token);
/* Posts the LOOKUP news of an ask that waited past its deadline. */
void virt_conn_answer_late(VirtConn *c, uint64_t token);
/* Closes the connection and lets go of an open under way; on the caller thread. */
void virt_conn_done(VirtConn *c);
/* Leaves libvirt's event loop; on the event thread, once it stops running it. */
void virt_conn_events_done(VirtConn *c);
