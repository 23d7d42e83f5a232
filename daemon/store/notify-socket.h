/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A channel to a service manager's notification socket: one AF_UNIX datagram socket, opened at
 * the first message and kept, each message one sendmsg() (its fds as SCM_RIGHTS). */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

typedef struct NotifySocket {
        int fd;                         /* -1 until the first message */
        int error;                      /* < 0: the address cannot be used (set_address's answer) */
        socklen_t size;                 /* of address */
        struct sockaddr_un address;
        char name[sizeof(((struct sockaddr_un *) 0)->sun_path) + 1];  /* as given: "/path" or "@name" */
} NotifySocket;

#define NOTIFY_SOCKET_FDS_MAX 16     /* fds one message carries; more: -E2BIG */
#define NOTIFY_SOCKET_INIT { .fd = -1, .error = -ENOENT }

/* A path ("/run/systemd/notify") or an abstract name ("@name"), as $NOTIFY_SOCKET gives it.
 * -EAFNOSUPPORT: a vsock address ("vsock:CID:PORT", systemd 254 and later), which cannot carry fds;
 * -EINVAL: anything else, or too long for sun_path. Closes the socket of an earlier address. */
int notify_socket_set_address(NotifySocket *s, const char *address);
/* Sends msg (not empty) with fds attached. Blocks while the receiver's queue is full, like sd_notify().
 * When the receiver's socket is gone (ECONNREFUSED, ENOENT: replaced, or not there yet), opens
 * the socket again and sends once more. 1: sent; -errno otherwise. */
int notify_socket_send(NotifySocket *s, const char *msg, const int *fds, size_t n_fds);
void notify_socket_close(NotifySocket *s);

/* The service manager's socket, $NOTIFY_SOCKET (read at the first call: the environment does not
 * change under privmemd). Loop thread only. 0: no $NOTIFY_SOCKET; 1: sent; -errno. */
int notify_socket_send_manager(const char *msg, const int *fds, size_t n_fds);
/* $NOTIFY_SOCKET, or NULL: what an error message names. */
const char *notify_socket_manager_address(void);
