/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A channel to a service manager's notification socket, kept open: sd_notify() opens a socket,
 * sizes its buffer, looks up four ids and closes it again for every message (11 system calls);
 * here a message is one sendmsg(). */
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>

#include "store/notify-socket.h"
#include "util/macro.h"

#define NOTIFY_SOCKET_SNDBUF (8 * 1024 * 1024)  /* what sd_notify() asks for: room for many fds in flight */

int notify_socket_set_address(NotifySocket *s, const char *address) {
        size_t n = strlen(address);

        notify_socket_close(s);
        s->error = -EINVAL;
        s->address = (struct sockaddr_un) { .sun_family = AF_UNIX };
        if (strncmp(address, "vsock:", 6) == 0 || strncmp(address, "vsock-", 6) == 0)
                return (s->error = -EAFNOSUPPORT);  /* a virtual machine's host: no fds pass there */
        if (n < 2 || (address[0] != '/' && address[0] != '@'))
                return s->error;
        if (n >= sizeof(s->address.sun_path) + (address[0] == '@'))
                return s->error;  /* a path needs its NUL in sun_path, an abstract name does not */
        memcpy(s->address.sun_path, address, n);
        if (address[0] == '@') {
                s->address.sun_path[0] = 0;
                s->size = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n);
        } else
                s->size = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n + 1);
        memcpy(s->name, address, n + 1);
        return (s->error = 0);
}

void notify_socket_close(NotifySocket *s) {
        s->fd = safe_close(s->fd);
}

static void raise_sndbuf(int fd) {
        int v = NOTIFY_SOCKET_SNDBUF;
        /* Beyond net.core.wmem_max only with CAP_NET_ADMIN; else as much as that allows. */
        if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
                (void) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/* Connected: a message then names no address, and a receiver that went away shows as ECONNREFUSED
 * on the next send instead of the message going to whoever bound the name since. */
static int notify_socket_open(NotifySocket *s) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &s->address, s->size) < 0)
                return -errno;
        raise_sndbuf(fd);
        s->fd = TAKE_FD(fd);
        return 0;
}

static int notify_socket_sendmsg(NotifySocket *s, const char *msg, const int *fds, size_t n_fds) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * NOTIFY_SOCKET_FDS_MAX)];
        } control = {};
        struct iovec iov = { .iov_base = (char *) msg, .iov_len = strlen(msg) };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        ssize_t k;

        if (n_fds > 0) {
                mh.msg_control = &control;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                *c = (struct cmsghdr) { .cmsg_len = CMSG_LEN(sizeof(int) * n_fds), .cmsg_level = SOL_SOCKET,
                                        .cmsg_type = SCM_RIGHTS };
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        /* Blocking, as sd_notify()'s socket is: when the receiver's queue is full, or this socket's
         * buffer is (messages the receiver has not read yet), sendmsg() waits. The fd store relies
         * on that: once it returns, the fds are in the service manager's queue, ahead of anything
         * sent later, so a lease pushed before its Acquire is answered outlives a crash after it. */
        do
                k = sendmsg(s->fd, &mh, MSG_NOSIGNAL);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return -errno;
        return (size_t) k == iov.iov_len ? 1 : -EIO;
}

int notify_socket_send(NotifySocket *s, const char *msg, const int *fds, size_t n_fds) {
        int r;

        if (s->error < 0)
                return s->error;
        if (!msg || !*msg || (n_fds > 0 && !fds))
                return -EINVAL;
        if (n_fds > NOTIFY_SOCKET_FDS_MAX)
                return -E2BIG;
        for (int attempt = 0;; attempt++) {
                if (s->fd < 0) {
                        r = notify_socket_open(s);
                        if (r < 0)
                                return r;
                }
                r = notify_socket_sendmsg(s, msg, fds, n_fds);
                if (attempt > 0 || (r != -ECONNREFUSED && r != -ENOTCONN && r != -ENOENT))
                        return r;
                /* The receiver's socket went away (replaced, or its service manager re-executed
                 * without keeping it): the name may be bound by a new one. */
                notify_socket_close(s);
        }
}

static NotifySocket manager_socket = NOTIFY_SOCKET_INIT;
static bool manager_socket_read;

static NotifySocket *manager_notify_socket(void) {
        static const char *address;

        if (!manager_socket_read) {
                address = getenv("NOTIFY_SOCKET");
                if (address)
                        (void) notify_socket_set_address(&manager_socket, address);  /* its error is kept */
                manager_socket_read = true;
        }
        return address ? &manager_socket : NULL;
}

int notify_socket_send_manager(const char *msg, const int *fds, size_t n_fds) {
        NotifySocket *s = manager_notify_socket();
        return s ? notify_socket_send(s, msg, fds, n_fds) : 0;
}

const char *notify_socket_manager_address(void) {
        return getenv("NOTIFY_SOCKET");
}
