/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virConnectOpen() on a thread of its own, so that the caller thread can give up waiting for it.
 *
 * Why a thread: libvirt's remote driver opens a connection synchronously. virConnectOpen()
 * connects to libvirtd's socket, then makes calls (the auth list, the open itself, feature checks),
 * each waiting in poll() with no time limit (EINTR is polled again, so a signal does not end it).
 * Keepalive, libvirt's only bound on a silent libvirtd, is switched on with
 * virConnectSetKeepAlive() on an open connection: not before. No API cancels an open.
 *
 * Why not probe the socket first (a bounded connect and one RPC of our own): which socket is
 * libvirt's choice for most URIs (qemu:///system is virtqemud-sock or libvirt-sock, depending on
 * which of the two exists; ssh, tcp and tls have no local one), so privmemd would redo libvirt's URI
 * logic; and a libvirtd that answered the probe can hang a moment later, inside the real open. A
 * probe narrows the window and bounds nothing.
 *
 * So the open runs here, and the caller thread waits for it at most [libvirt] timeout=; then the
 * attempt counts as failed and the caller thread goes on (answers asks, stops when told). The
 * opener cannot be cancelled safely (pthread_cancel() inside libvirt would leave its locks and
 * objects half-done), so it is left to return by itself: when libvirtd answers (the connection is
 * then used, at once) or closes the socket (then the next attempt comes with the backoff). Only
 * one open runs at a time: while one waits, no other starts, so at most one thread is ever stuck
 * inside virConnectOpen(), and a stop leaves at most that one behind, with this small struct.
 * The cost: a socket that holds a connection forever, neither answering nor closing it, keeps
 * privmemd from trying again, even if a new connection would be answered. */
#include <pthread.h>
#include <signal.h>

#include "util/macro.h"
#include "virt/libvirt-open.h"

struct VirtOpen {
        pthread_mutex_t lock;
        /* under lock */
        unsigned n_ref;                 /* the opener's and the caller thread's */
        bool done;
        bool abandoned;                 /* the caller thread let go (virt_open_free) */
        virConnectPtr conn;
        char *error;
        /* set at start */
        int wake_fd;                    /* the caller thread's, written to only until abandoned */
        char uri[];
};

static void open_unref(VirtOpen *o) {
        pthread_mutex_lock(&o->lock);
        bool last = --o->n_ref == 0;
        pthread_mutex_unlock(&o->lock);
        if (!last)
                return;
        if (o->conn)
                sym_virConnectClose(o->conn);  /* abandoned, and then libvirtd answered */
        free(o->error);
        pthread_mutex_destroy(&o->lock);
        free(o);
}

static void *opener_main(void *userdata) {
        VirtOpen *o = userdata;
        sigset_t all;
        uint64_t one = 1;

        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);  /* privmemd's loop takes the signals */
        virConnectPtr conn = sym_virConnectOpen(o->uri);
        const char *msg = conn ? NULL : sym_virGetLastErrorMessage();  /* this thread's error */
        char *error = conn ? NULL : strdup(msg ?: "unknown error");

        pthread_mutex_lock(&o->lock);
        o->conn = conn;
        o->error = error;
        o->done = true;
        if (!o->abandoned)
                (void) !write(o->wake_fd, &one, sizeof(one));
        pthread_mutex_unlock(&o->lock);
        open_unref(o);
        return NULL;
}

int virt_open_start(VirtOpen **ret, const char *uri, int wake_fd) {
        size_t len = strlen(uri) + 1;
        VirtOpen *o = calloc(1, sizeof(*o) + len);
        pthread_attr_t attr;
        pthread_t thread;

        if (!o)
                return -ENOMEM;
        pthread_mutex_init(&o->lock, NULL);
        o->n_ref = 2;
        o->wake_fd = wake_fd;
        memcpy(o->uri, uri, len);
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int r = -pthread_create(&thread, &attr, opener_main, o);
        pthread_attr_destroy(&attr);
        if (r < 0) {
                pthread_mutex_destroy(&o->lock);
                free(o);
                return r;
        }
        *ret = o;
        return 0;
}

bool virt_open_result(VirtOpen *o, virConnectPtr *ret_conn, char **ret_error) {
        pthread_mutex_lock(&o->lock);
        bool done = o->done;
        if (done) {
                *ret_conn = TAKE_PTR(o->conn);
                *ret_error = TAKE_PTR(o->error);
        }
        pthread_mutex_unlock(&o->lock);
        return done;
}

VirtOpen *virt_open_free(VirtOpen *o) {
        if (!o)
                return NULL;
        pthread_mutex_lock(&o->lock);
        o->abandoned = true;
        pthread_mutex_unlock(&o->lock);
        open_unref(o);
        return NULL;
}
