/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libprivmem's connection: connect, disconnect, and one call at a time. */
#include <stdio.h>

#include "privmem-internal.h"

static const char *socket_path_default(void) {
        const char *e = secure_getenv("PRIVMEMD_SOCKET");
        return e && *e ? e : PRIVMEMD_SOCKET_DEFAULT;
}

_public_ int privmem_connect(privmem **ret, const char *socket_path) {
        if (!ret)
                return -EINVAL;
        privmem *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->timeout_ms = -1;
        p->socket_path = strdup(socket_path ?: socket_path_default());
        int r = p->socket_path ? varlink_client_connect(&p->client, p->socket_path) : -ENOMEM;
        if (r < 0) {
                free(p->socket_path);
                free(p);
                return r;
        }
        *ret = p;
        return 0;
}

_public_ privmem *privmem_disconnect(privmem *p) {
        if (!p)
                return NULL;
        varlink_client_free(p->client);
        privmem_error_clear(p);
        free(p->socket_path);
        free(p);
        return NULL;
}

_public_ int privmem_set_timeout(privmem *p, int timeout_ms) {
        if (!p || timeout_ms < -1)
                return -EINVAL;
        varlink_client_set_timeout(p->client, timeout_ms);
        p->timeout_ms = timeout_ms;
        return 0;
}

/* A failure of the stream itself: after it, replies could be matched to the wrong calls. */
static int transport_error(privmem *p, const char *method, int r) {
        p->broken = true;       /* even after -ENOMEM: a call may be left waiting for its reply */
        return privmem_error_transport(p, method, r);
}

int privmem_call(privmem *p, const char *method, json_object *parameters, int *fds, size_t n_fds,
                 bool no_wait, VarlinkReply *ret) {
        VarlinkReply reply = {};
        int r;

        privmem_error_clear(p);
        if (p->broken) {
                json_object_put(parameters);
                close_many(fds, n_fds);
                return privmem_error_local(p, -ENOTCONN, "%s: the connection failed before", method);
        }
        r = varlink_client_send(p->client, method, parameters, fds, n_fds, 0);
        if (r >= 0)
                r = varlink_client_receive(p->client, &reply);
        if (r < 0)
                return transport_error(p, method, r);
        if (reply.continues) {
                varlink_reply_done(&reply);
                return transport_error(p, method, -EPROTO);
        }
        if (reply.error) {
                r = privmem_error_from_reply(p, reply.error, reply.parameters, no_wait);
                varlink_reply_done(&reply);
                return r;
        }
        p->reply = json_object_get(reply.parameters);
        *ret = reply;
        return 0;
}

const char *privmem_json_text(json_object *o, unsigned flags) {
        int f = JSON_C_TO_STRING_NOSLASHESCAPE;
        f |= flags & PRIVMEM_JSON_PRETTY ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
        return o ? json_object_to_json_string_ext(o, f) : NULL;
}

_public_ const char *privmem_last_reply_json(privmem *p, unsigned flags) {
        return p ? privmem_json_text(p->reply, flags) : NULL;
}
