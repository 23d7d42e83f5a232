/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemd's connection to libvirtd, used only on libvirt's thread (libvirt-thread.c). */
#pragma once

#include "virt/libvirt-dlopen.h"
#include "virt/libvirt-thread.h"

typedef void (*VirtPostFunc)(void *userdata, VirtNews *n);

typedef struct VirtConn {
        char *uri;
        VirtPostFunc post;              /* hands news to privmemd's loop */
        void *userdata;
        virConnectPtr conn;
        int lifecycle_id;
        int wake_watch, retry_timer;    /* in libvirt's event loop */
        bool closed;                    /* libvirt closed it: drop it and reconnect */
        int close_reason;
        unsigned attempts;              /* failed connects since the last success */
        uint64_t retry_usec;            /* CLOCK_MONOTONIC: connect no earlier */
} VirtConn;

/* Not connected yet; on any thread. */
int virt_conn_init(VirtConn *c, const char *uri, VirtPostFunc post, void *userdata);
/* On libvirt's thread, once: libvirt's event loop, waking up when wake_fd is written to. */
int virt_conn_setup(VirtConn *c, int wake_fd);
/* Drops a connection libvirt closed, and connects when due (this may take as long as libvirtd). */
void virt_conn_tend(VirtConn *c, uint64_t now_usec);
/* One iteration of libvirt's event loop: events, keepalives, the retry timer, a wake-up. */
void virt_conn_run_once(VirtConn *c);
/* Looks a domain up by name or UUID and posts a LOOKUP news with token. */
void virt_conn_lookup(VirtConn *c, const char *domain, uint64_t token);
/* Posts the LOOKUP news of an ask that waited past its deadline. */
void virt_conn_answer_late(VirtConn *c, uint64_t token);
/* Closes the connection and leaves libvirt's event loop. */
void virt_conn_done(VirtConn *c);
