/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The varlink server's listening sockets: created at a path, or handed over by socket activation. */
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "util/macro.h"
#include "varlink/varlink-internal.h"

#define LISTEN_PAUSE_USEC (100 * 1000)

static void listeners_enable(VarlinkServer *s, int enabled) {
        for (size_t i = 0; i < s->n_listeners; i++)
                (void) sd_event_source_set_enabled(s->listeners[i].source, enabled);
}

static int listener_serve(VarlinkServer *s, int fd);

static int listeners_resume(sd_event_source *t, uint64_t usec, void *userdata) {
        VarlinkServer *s = userdata;

        if (s->accept_pending >= 0 && listener_serve(s, TAKE_FD(s->accept_pending)) < 0)
                return 0;  /* still no memory: paused again */
        listeners_enable(s, SD_EVENT_ON);
        return 0;
}

/* Out of fds or memory: the listening socket stays readable and accept() fails at once, so a
 * level-triggered listener would spin. The listeners pause for a moment instead; the peers wait in
 * the backlog, and are served as fds come back. */
static void listeners_pause(VarlinkServer *s) {
        int r = sd_event_source_set_time_relative(s->listen_resume, LISTEN_PAUSE_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->listen_resume, SD_EVENT_ONESHOT);
        if (r >= 0)  /* without the timer, spinning is better than never accepting again */
                listeners_enable(s, SD_EVENT_OFF);
}

/* Serves an accepted connection. Out of memory, it is kept, and tried again once the listeners'
 * pause is over: its peer waits instead of being hung up on. Over a limit, it is closed at once
 * (the peer sees EOF). < 0: paused. */
static int listener_serve(VarlinkServer *s, int fd) {
        int r = varlink_server_serve_fd(s, fd, NULL);
        if (r == -ENOMEM) {
                s->accept_pending = fd;
                listeners_pause(s);
                return r;
        }
        if (r < 0)
                safe_close(fd);
        return 0;
}

static int listener_accept(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        VarlinkServer *s = userdata;

        for (;;) {
                if (s->accept_pending >= 0 && listener_serve(s, TAKE_FD(s->accept_pending)) < 0)
                        return 0;
                int cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
                if (cfd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM))
                        listeners_pause(s);
                if (cfd < 0)
                        return 0;  /* EAGAIN, or a transient failure: epoll tells us again */
                if (listener_serve(s, cfd) < 0)
                        return 0;
        }
}

/* The listeners' pause timer, made with the first listener: pausing then needs no memory. */
static int listeners_make_timer(VarlinkServer *s) {
        if (s->listen_resume)
                return 0;
        int r = sd_event_add_time_relative(s->event, &s->listen_resume, CLOCK_MONOTONIC, LISTEN_PAUSE_USEC, 0,
                                           listeners_resume, s);
        return r < 0 ? r : sd_event_source_set_enabled(s->listen_resume, SD_EVENT_OFF);
}

int varlink_server_listen_fd(VarlinkServer *s, int fd) {
        VarlinkListener *n = reallocarray(s->listeners, s->n_listeners + 1, sizeof(*n));
        if (!n) {
                safe_close(fd);
                return -ENOMEM;
        }
        s->listeners = n;

        VarlinkListener *l = &s->listeners[s->n_listeners];
        *l = (VarlinkListener) { .fd = fd };
        int r = listeners_make_timer(s);
        if (r >= 0)
                r = sd_event_add_io(s->event, &l->source, fd, EPOLLIN, listener_accept, s);
        if (r < 0) {
                safe_close(fd);
                return r;
        }
        s->n_listeners++;
        return 0;
}

int varlink_server_listen_path(VarlinkServer *s, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
                return -errno;
        (void) unlink(path);
        if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        if (chmod(path, 0666) < 0 || listen(fd, SOMAXCONN) < 0)
                return -errno;
        return varlink_server_listen_fd(s, TAKE_FD(fd));
}
