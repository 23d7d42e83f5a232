/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A blocking varlink client: calls, pipelined calls, "more" streams, oneway calls, fds both ways. */
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "util/macro.h"
#include "varlink/varlink-client.h"
#include "varlink/varlink-stream.h"

struct VarlinkClient {
        VarlinkStream stream;
        int timeout_ms;
        bool *pending_more;     /* per call awaiting replies, oldest first: whether it asked for more */
        size_t n_pending;
};

int varlink_client_new_from_fd(VarlinkClient **ret, int fd) {
        VarlinkClient *c = calloc(1, sizeof(*c));
        if (!c) {
                safe_close(fd);
                return -ENOMEM;
        }
        varlink_stream_init(&c->stream, fd, SIZE_MAX);
        c->stream.fds_in_max = VARLINK_FDS_MAX;
        c->timeout_ms = -1;
        *ret = c;
        return 0;
}

int varlink_client_connect(VarlinkClient **ret, const char *path) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        if (strlen(path) >= sizeof(sa.sun_path))
                return -ENAMETOOLONG;
        strcpy(sa.sun_path, path);

        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return -errno;
        return varlink_client_new_from_fd(ret, TAKE_FD(fd));
}

VarlinkClient *varlink_client_free(VarlinkClient *c) {
        if (!c)
                return NULL;
        varlink_stream_done(&c->stream);
        free(c->pending_more);
        free(c);
        return NULL;
}

void varlink_client_set_timeout(VarlinkClient *c, int timeout_ms) {
        c->timeout_ms = timeout_ms;
}

int varlink_client_fd(const VarlinkClient *c) {
        return c->stream.fd;
}

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd has `events`, within the client's timeout measured from `start`. */
static int client_wait(VarlinkClient *c, short events, int64_t start) {
        int timeout = -1;

        if (c->timeout_ms >= 0) {
                int64_t left = start + c->timeout_ms - now_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                timeout = (int) left;
        }
        struct pollfd p = { .fd = c->stream.fd, .events = events };
        int r = poll(&p, 1, timeout);
        if (r < 0)
                return errno == EINTR ? 0 : -errno;
        return r == 0 ? -ETIMEDOUT : 0;
}

static int client_flush(VarlinkClient *c) {
        int64_t start = now_ms();
        for (;;) {
                int r = varlink_stream_flush(&c->stream);
                if (r != 0)
                        return r < 0 ? r : 0;
                r = client_wait(c, POLLOUT, start);
                if (r < 0)
                        return r;
        }
}

int varlink_client_send(VarlinkClient *c, const char *method, json_object *parameters,
                        int *fds, size_t n_fds, unsigned flags) {
        json_object *msg = json_object_new_object();
        int r;

        if (!parameters)
                parameters = json_object_new_object();
        if (!msg || !parameters) {
                json_object_put(msg);
                json_object_put(parameters);
                close_many(fds, n_fds);
                return -ENOMEM;
        }
        json_object_object_add(msg, "method", json_object_new_string(method));
        json_object_object_add(msg, "parameters", parameters);
        if (flags & VARLINK_CALL_MORE)
                json_object_object_add(msg, "more", json_object_new_boolean(true));
        if (flags & VARLINK_CALL_ONEWAY)
                json_object_object_add(msg, "oneway", json_object_new_boolean(true));

        if (!(flags & VARLINK_CALL_ONEWAY)) {
                bool *p = reallocarray(c->pending_more, c->n_pending + 1, sizeof(bool));
                if (!p) {
                        json_object_put(msg);
                        close_many(fds, n_fds);
                        return -ENOMEM;
                }
                c->pending_more = p;
        }
        r = varlink_stream_enqueue(&c->stream, msg, fds, n_fds);
        json_object_put(msg);
        if (r < 0)
                return r;
        if (!(flags & VARLINK_CALL_ONEWAY))
                c->pending_more[c->n_pending++] = flags & VARLINK_CALL_MORE;
        return client_flush(c);
}

/* Checks a reply's envelope against the call it answers and moves it into *ret. */
/* Reads the envelope's fields into r; -EBADMSG for anything a reply cannot have. */
static int reply_read_fields(json_object *msg, VarlinkReply *r) {
        json_object_object_foreach(msg, key, value) {
                if (streq(key, "parameters")) {
                        if (r->parameters || (value && !json_object_is_type(value, json_type_object)))
                                return -EBADMSG;
                        r->parameters = json_object_get(value);
                } else if (streq(key, "error")) {
                        if (r->error || !json_object_is_type(value, json_type_string))
                                return -EBADMSG;
                        r->error = strdup(json_object_get_string(value));
                        if (!r->error)
                                return -ENOMEM;
                } else if (streq(key, "continues")) {
                        if (!json_object_is_type(value, json_type_boolean))
                                return -EBADMSG;
                        r->continues = json_object_get_boolean(value);
                } else
                        return -EBADMSG;
        }
        if (!r->parameters && !(r->parameters = json_object_new_object()))
                return -ENOMEM;
        return 0;
}

static int reply_parse(VarlinkClient *c, VarlinkMessage *m, VarlinkReply *ret) {
        VarlinkReply r = {};
        int e = reply_read_fields(m->json, &r);

        /* "continues" only answers a call that asked for more, and an error is always final. */
        if (e >= 0 && r.continues && (r.error || !c->pending_more[0]))
                e = -EBADMSG;
        if (e < 0) {
                varlink_reply_done(&r);
                return e;
        }
        r.fds = TAKE_PTR(m->fds);
        r.n_fds = m->n_fds;
        m->n_fds = 0;
        *ret = r;
        return 0;
}

static void pending_pop(VarlinkClient *c) {
        memmove(c->pending_more, c->pending_more + 1, (c->n_pending - 1) * sizeof(bool));
        c->n_pending--;
}

static int client_next_message(VarlinkClient *c, VarlinkMessage *ret) {
        int64_t start = now_ms();
        for (;;) {
                int r = varlink_stream_next(&c->stream, ret);
                if (r != 0)
                        return r < 0 ? r : 0;
                if (c->stream.eof)
                        return -ECONNRESET;
                /* Without a timeout, wait in recvmsg() itself: one system call per reply. */
                r = c->timeout_ms < 0 ? varlink_stream_read_wait(&c->stream) : varlink_stream_read(&c->stream);
                if (r < 0)
                        return r;
                if (r == 0) {
                        r = client_wait(c, POLLIN, start);
                        if (r < 0)
                                return r;
                }
        }
}

int varlink_client_receive(VarlinkClient *c, VarlinkReply *ret) {
        VarlinkMessage m = {};

        if (c->n_pending == 0)
                return -ENOMSG;
        int r = client_next_message(c, &m);
        if (r < 0)
                return r;
        r = reply_parse(c, &m, ret);
        varlink_message_done(&m);
        if (r < 0)
                return r;
        if (!ret->continues)
                pending_pop(c);
        return 0;
}

int varlink_client_call(VarlinkClient *c, const char *method, json_object *parameters, VarlinkReply *ret) {
        int r = varlink_client_send(c, method, parameters, NULL, 0, 0);
        if (r < 0)
                return r;
        return varlink_client_receive(c, ret);
}

int varlink_reply_take_fd(VarlinkReply *r, int64_t index) {
        if (index < 0 || (uint64_t) index >= r->n_fds)
                return -ENXIO;
        if (r->fds[index] < 0)
                return -EBADF;
        return TAKE_FD(r->fds[index]);
}

void varlink_reply_done(VarlinkReply *r) {
        json_object_put(r->parameters);
        free(r->error);
        close_many(r->fds, r->n_fds);
        free(r->fds);
        *r = (VarlinkReply) {};
}
