/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A varlink server on sd-event: listening sockets, connections, method dispatch. */
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "util/macro.h"
#include "varlink/varlink-internal.h"

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif

#define CONNECTION_RETRY_USEC (100 * 1000)  /* out of memory: how long a connection stops reading */

static void connection_free(VarlinkConnection *conn);
static void connection_update_events(VarlinkConnection *conn);

int varlink_server_new(VarlinkServer **ret, sd_event *event, const VarlinkServerInfo *info) {
        VarlinkServer *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = sd_event_ref(event);
        s->info = *info;
        s->limits = VARLINK_LIMITS_DEFAULT;
        s->accept_pending = -1;
        int r = varlink_error_nomem_text(info->system_error, &s->nomem_text);
        if (r >= 0)
                r = varlink_server_add_interface(s, &varlink_service_interface, s);
        if (r < 0) {
                varlink_server_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

VarlinkServer *varlink_server_free(VarlinkServer *s) {
        if (!s)
                return NULL;
        while (s->connections)
                connection_free(s->connections);
        sd_event_source_disable_unref(s->listen_resume);
        safe_close(s->accept_pending);
        for (size_t i = 0; i < s->n_listeners; i++) {
                sd_event_source_disable_unref(s->listeners[i].source);
                safe_close(s->listeners[i].fd);
        }
        free(s->listeners);
        free(s->interfaces);
        free(s->uid_counts);
        free(s->nomem_text);
        sd_event_unref(s->event);
        free(s);
        return NULL;
}

void varlink_server_set_limits(VarlinkServer *s, const VarlinkLimits *limits) {
        s->limits = *limits;
}

void varlink_server_set_disconnect_handler(VarlinkServer *s, VarlinkDisconnectFunc f, void *userdata) {
        s->on_disconnect = f;
        s->on_disconnect_userdata = userdata;
}

int varlink_server_add_interface(VarlinkServer *s, const VarlinkInterface *iface, void *userdata) {
        if (varlink_server_find_interface(s, iface->name))
                return -EEXIST;
        VarlinkServerInterface *n = reallocarray(s->interfaces, s->n_interfaces + 1, sizeof(*n));
        if (!n)
                return -ENOMEM;
        s->interfaces = n;
        s->interfaces[s->n_interfaces++] = (VarlinkServerInterface) { .iface = iface, .userdata = userdata };
        for (const VarlinkMethod *m = iface->methods; m->name; m++)
                s->fds_in_max = MAX(s->fds_in_max, m->fds_in_max);
        return 0;
}

const VarlinkServerInterface *varlink_server_find_interface(const VarlinkServer *s, const char *name) {
        for (size_t i = 0; i < s->n_interfaces; i++)
                if (streq(s->interfaces[i].iface->name, name))
                        return &s->interfaces[i];
        return NULL;
}

unsigned varlink_server_n_connections(const VarlinkServer *s) {
        return s->n_connections;
}

/* Connections per uid: a short array, searched linearly (few distinct uids talk to us). */
static unsigned *uid_count(VarlinkServer *s, uid_t uid, bool create) {
        for (size_t i = 0; i < s->n_uid_counts; i++)
                if (s->uid_counts[i].uid == uid)
                        return &s->uid_counts[i].count;
        if (!create)
                return NULL;
        VarlinkUidCount *n = reallocarray(s->uid_counts, s->n_uid_counts + 1, sizeof(*n));
        if (!n)
                return NULL;
        s->uid_counts = n;
        s->uid_counts[s->n_uid_counts] = (VarlinkUidCount) { .uid = uid };
        return &s->uid_counts[s->n_uid_counts++].count;
}

static void connection_read_peer(VarlinkConnection *conn) {
        socklen_t len = sizeof(conn->peer);
        if (getsockopt(conn->stream.fd, SOL_SOCKET, SO_PEERCRED, &conn->peer, &len) < 0)
                conn->peer = (struct ucred) { .pid = 0, .uid = (uid_t) -1, .gid = (gid_t) -1 };
        len = sizeof(conn->peer_pidfd);
        if (getsockopt(conn->stream.fd, SOL_SOCKET, SO_PEERPIDFD, &conn->peer_pidfd, &len) < 0)
                conn->peer_pidfd = -1;
}

static int connection_io(sd_event_source *src, int fd, uint32_t revents, void *userdata);
static int connection_process_deferred(sd_event_source *src, void *userdata);
static int connection_retry(sd_event_source *src, uint64_t usec, void *userdata);

/* Frees what connection_new() made; returns the connection's fd, which it leaves open. */
static int connection_unmake(VarlinkConnection *conn) {
        int fd = conn->stream.fd;

        sd_event_source_disable_unref(conn->io);  /* while fd is open: it leaves the epoll set */
        sd_event_source_disable_unref(conn->defer);
        sd_event_source_disable_unref(conn->retry);
        conn->stream.fd = -1;
        varlink_stream_done(&conn->stream);
        free(conn);
        return fd;
}

/* Everything a connection on fd allocates, all or nothing: on failure, fd is still the caller's. */
static int connection_new(VarlinkServer *s, int fd, VarlinkConnection **ret) {
        VarlinkConnection *conn = calloc(1, sizeof(*conn));
        if (!conn)
                return -ENOMEM;
        conn->server = s;
        conn->peer_pidfd = -1;
        varlink_stream_init(&conn->stream, fd, s->limits.output_max);
        conn->stream.fds_in_max = s->fds_in_max;

        int r = varlink_stream_set_spare(&conn->stream, s->nomem_text);
        if (r >= 0)
                r = sd_event_add_io(s->event, &conn->io, fd, EPOLLIN, connection_io, conn);
        if (r >= 0)
                r = sd_event_add_defer(s->event, &conn->defer, connection_process_deferred, conn);
        if (r >= 0)
                r = sd_event_add_time_relative(s->event, &conn->retry, CLOCK_MONOTONIC, CONNECTION_RETRY_USEC, 0,
                                               connection_retry, conn);
        if (r < 0) {
                (void) connection_unmake(conn);
                return r;
        }
        sd_event_source_set_enabled(conn->defer, SD_EVENT_OFF);
        sd_event_source_set_enabled(conn->retry, SD_EVENT_OFF);
        *ret = conn;
        return 0;
}

int varlink_server_serve_fd(VarlinkServer *s, int fd, VarlinkConnection **ret) {
        VarlinkConnection *conn;
        int r = connection_new(s, fd, &conn);
        if (r < 0)
                return r;
        connection_read_peer(conn);

        unsigned *count = uid_count(s, conn->peer.uid, true);
        if (!count || s->n_connections >= s->limits.connections_max ||
            *count >= s->limits.connections_per_uid_max) {
                safe_close(conn->peer_pidfd);
                (void) connection_unmake(conn);
                return count ? -EUSERS : -ENOMEM;
        }
        (*count)++;
        s->n_connections++;
        conn->next = s->connections;
        if (s->connections)
                s->connections->prev = conn;
        s->connections = conn;
        if (ret)
                *ret = conn;
        return 0;
}

int varlink_server_add_connection(VarlinkServer *s, int fd, VarlinkConnection **ret) {
        int r = varlink_server_serve_fd(s, fd, ret);
        if (r < 0)
                safe_close(fd);
        return r;
}

static void connection_free(VarlinkConnection *conn) {
        VarlinkServer *s = conn->server;

        if (conn->current)
                varlink_call_cancel(conn->current);
        if (s->on_disconnect)
                s->on_disconnect(conn, s->on_disconnect_userdata);

        unsigned *count = uid_count(s, conn->peer.uid, false);
        if (count)
                (*count)--;
        s->n_connections--;
        if (conn->prev)
                conn->prev->next = conn->next;
        else
                s->connections = conn->next;
        if (conn->next)
                conn->next->prev = conn->prev;

        safe_close(conn->peer_pidfd);
        safe_close(connection_unmake(conn));
}

/* Enough buffered: calls waiting their turn, or the fds that came with them. */
static bool connection_input_full(VarlinkConnection *conn) {
        const VarlinkLimits *l = &conn->server->limits;
        return conn->stream.in_fds >= l->fds_buffered_max ||
               varlink_stream_count_complete(&conn->stream, l->pending_calls_max) >= l->pending_calls_max;
}

/* Reads as long as the peer sends and we are below the limit of buffered calls. */
/* Reads until a call is complete (epoll says again when there is more: one recvmsg per call, not
 * two), or with all, until the socket is empty. Never past the limits of buffered input. */
static int connection_fill(VarlinkConnection *conn, bool all) {
        for (;;) {
                if (conn->stream.eof || connection_input_full(conn) ||
                    (!all && varlink_stream_count_complete(&conn->stream, 1) > 0))
                        return 0;
                int r = varlink_stream_read(&conn->stream);
                if (r <= 0)
                        return r;
        }
}

/* Dispatches buffered calls in order, one at a time: a deferred call holds up the ones behind it.
 * A call is run only with the spare message ready: out of memory, its error can be sent. */
static int connection_dispatch_all(VarlinkConnection *conn) {
        while (!conn->current && varlink_stream_spare_ready(&conn->stream)) {
                VarlinkMessage m;
                int r = varlink_stream_next(&conn->stream, &m);
                if (r <= 0)
                        return r;
                r = varlink_call_dispatch(conn, &m);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Out of memory while reading or taking a call: not a bad call, and not to be hung up on. The
 * connection stops reading for a moment (the call stays in the socket or in the input) and takes
 * it again then, when memory may be back. */
static int connection_pause(VarlinkConnection *conn) {
        int r = sd_event_source_set_time_relative(conn->retry, CONNECTION_RETRY_USEC);
        if (r >= 0)
                r = sd_event_source_set_enabled(conn->retry, SD_EVENT_ONESHOT);
        if (r < 0)
                return r;
        conn->paused = true;
        return 0;
}

/* Calls wait that no step would take: they waited for the spare message, which is back. */
static bool connection_calls_stalled(VarlinkConnection *conn) {
        return !conn->current && !conn->paused && !conn->closing && varlink_stream_spare_ready(&conn->stream) &&
               varlink_stream_count_complete(&conn->stream, 1) > 0;
}

/* One step of a connection's life. Returns < 0 when the connection must be closed. */
static int connection_process(VarlinkConnection *conn) {
        bool reading = !conn->paused && !conn->closing;
        int r = reading ? connection_fill(conn, false) : 0;
        if (r >= 0 && reading)
                r = connection_dispatch_all(conn);
        if (r == -ENOMEM)  /* for a peer that hung up, nobody would read the answer */
                r = conn->hup ? -ECONNRESET : connection_pause(conn);
        if (r >= 0 && conn->error < 0)
                r = conn->error;
        if (r < 0) {
                /* Closing for a protocol error: the replies to the calls before it still go out. */
                if (r != -ENOBUFS)
                        (void) varlink_stream_flush(&conn->stream);
                return r;
        }
        r = varlink_stream_flush(&conn->stream);
        if (r < 0)
                return conn->hup ? -ECONNRESET : r;
        if (conn->closing && !varlink_stream_has_output(&conn->stream))
                return -ECONNRESET;  /* the error that ended a stream is out */
        if (connection_calls_stalled(conn))
                varlink_connection_schedule(conn);
        if (conn->stream.eof && !conn->current && !varlink_stream_has_output(&conn->stream) &&
            varlink_stream_count_complete(&conn->stream, 1) == 0)
                return -ECONNRESET;  /* the peer is done and so are we */
        if (conn->hup && conn->current)
                return -ECONNRESET;  /* a deferred call nobody can receive */
        connection_update_events(conn);
        return 0;
}

/* EPOLLIN only while we would read: not with a call already waiting its turn behind a deferred
 * one (level-triggered, it would fire in a loop), nor past the limits. EPOLLHUP comes anyway. */
static void connection_update_events(VarlinkConnection *conn) {
        uint32_t events = 0;

        if (conn->hup) {  /* nothing more comes, and EPOLLHUP would fire in a loop (while paused) */
                sd_event_source_set_enabled(conn->io, SD_EVENT_OFF);
                return;
        }
        if (!conn->stream.eof && !conn->hup && !conn->paused && !conn->closing && !connection_input_full(conn) &&
            varlink_stream_count_complete(&conn->stream, 1) == 0)
                events |= EPOLLIN;
        if (varlink_stream_has_output(&conn->stream))
                events |= EPOLLOUT;
        sd_event_source_set_io_events(conn->io, events);
}

static int connection_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        VarlinkConnection *conn = userdata;

        if (revents & (EPOLLHUP | EPOLLERR)) {
                /* Gone for good: read what is left, run its calls, drop their replies. */
                conn->hup = true;
                (void) connection_fill(conn, true);
                conn->stream.eof = true;
        }
        if (connection_process(conn) < 0)
                connection_free(conn);
        return 0;
}

static int connection_process_deferred(sd_event_source *src, void *userdata) {
        VarlinkConnection *conn = userdata;

        sd_event_source_set_enabled(src, SD_EVENT_OFF);
        if (connection_process(conn) < 0)
                connection_free(conn);
        return 0;
}

static int connection_retry(sd_event_source *src, uint64_t usec, void *userdata) {
        VarlinkConnection *conn = userdata;

        conn->paused = false;
        if (connection_process(conn) < 0)
                connection_free(conn);
        return 0;
}

/* Called when a deferred call ends or output was queued from outside the io handler. */
void varlink_connection_schedule(VarlinkConnection *conn) {
        sd_event_source_set_enabled(conn->defer, SD_EVENT_ONESHOT);
}

const struct ucred *varlink_connection_peer(const VarlinkConnection *conn) {
        return &conn->peer;
}

int varlink_connection_peer_pidfd(const VarlinkConnection *conn) {
        return conn->peer_pidfd;
}

int varlink_connection_fd(const VarlinkConnection *conn) {
        return conn->stream.fd;
}

void *varlink_connection_get_userdata(const VarlinkConnection *conn) {
        return conn->userdata;
}

void varlink_connection_set_userdata(VarlinkConnection *conn, void *userdata) {
        conn->userdata = userdata;
}
