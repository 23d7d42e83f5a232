/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Watch: a "more" call on a connection of its own, read one event at a time. */
#include "json-get.h"
#include "privmem-internal.h"
#include "schema/io-privmemd.h"


struct privmem_watch {
        privmem *p;                     /* where errors are recorded */
        VarlinkClient *client;
        privmem_event *first;           /* the watching event, until the first next */
        bool ended;                     /* the stream is over: every next fails */
};

_public_ privmem_watch *privmem_watch_free(privmem_watch *w) {
        if (!w)
                return NULL;
        varlink_client_free(w->client);
        privmem_event_free(w->first);
        free(w);
        return NULL;
}
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_watch *, privmem_watch_free);

static int watch_transport_error(privmem_watch *w, int r) {
        w->ended = true;
        return privmem_error_transport(w->p, "watch", r);
}

/* Receives one reply of the stream and parses its event. */
static int watch_receive(privmem_watch *w, privmem_event **ret) {
        _cleanup_(varlink_reply_donep) VarlinkReply reply = {};

        privmem_error_clear(w->p);
        if (w->ended)
                return privmem_error_local(w->p, -ECONNRESET, "watch: privmemd ended the watch");
        varlink_client_set_timeout(w->client, w->p->timeout_ms);
        int r = varlink_client_receive(w->client, &reply);
        if (r == -ETIMEDOUT)
                return privmem_error_local(w->p, r, "watch: no event within %d ms", w->p->timeout_ms);
        if (r < 0)
                return watch_transport_error(w, r);
        if (reply.error) {
                w->ended = true;
                return privmem_error_from_reply(w->p, reply.error, reply.parameters, false);
        }
        w->ended = !reply.continues;
        if (event_from_json(reply.parameters, ret) < 0) {
                w->ended = true;
                return privmem_error_local(w->p, -EPROTO, "watch: privmemd's event does not match the interface");
        }
        return 0;
}

_public_ int privmem_watch_open(privmem *p, privmem_watch **ret) {
        _cleanup_(privmem_watch_freep) privmem_watch *w = NULL;

        if (!p || !ret)
                return -EINVAL;
        privmem_error_clear(p);
        if (!(w = calloc(1, sizeof(*w))))
                return -ENOMEM;
        w->p = p;
        int r = varlink_client_connect(&w->client, p->socket_path);
        if (r < 0)
                return privmem_error_local(p, r, "watch: cannot connect to %s: %s", p->socket_path,
                                           strerrordesc_np(-r) ?: "unknown error");
        r = varlink_client_send(w->client, SCHEMA_METHOD_WATCH, json_object_new_object(), NULL, 0, VARLINK_CALL_MORE);
        if (r < 0)
                return watch_transport_error(w, r);
        r = watch_receive(w, &w->first);
        if (r < 0)
                return r;
        if (privmem_event_kind(w->first) != PRIVMEM_EVENT_WATCHING || w->ended)
                return privmem_error_local(p, -EPROTO, "watch: privmemd's first event is '%s', not 'watching'",
                                           privmem_event_kind_name(w->first));
        *ret = TAKE_PTR(w);
        return 0;
}

_public_ int privmem_watch_next(privmem_watch *w, privmem_event **ret) {
        if (!w || !ret)
                return -EINVAL;
        if (w->first) {
                privmem_error_clear(w->p);
                *ret = TAKE_PTR(w->first);
                return 0;
        }
        return watch_receive(w, ret);
}

_public_ int privmem_watch_fd(const privmem_watch *w) {
        return w ? varlink_client_fd(w->client) : -EINVAL;
}
