/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the server's files share with each other, and nobody else sees. */
#pragma once

#include "varlink/varlink-server.h"
#include "varlink/varlink-stream.h"

typedef struct VarlinkServerInterface {
        const VarlinkInterface *iface;
        void *userdata;
} VarlinkServerInterface;

typedef struct VarlinkListener {
        int fd;
        sd_event_source *source;
} VarlinkListener;

typedef struct VarlinkUidCount {
        uid_t uid;
        unsigned count;
} VarlinkUidCount;

struct VarlinkServer {
        sd_event *event;
        VarlinkServerInfo info;
        VarlinkLimits limits;
        VarlinkServerInterface *interfaces;
        size_t n_interfaces;
        size_t fds_in_max;              /* the most fds any method takes with one call */
        VarlinkListener *listeners;
        size_t n_listeners;
        sd_event_source *listen_resume; /* listeners paused while accept() finds no fd, or no memory */
        int accept_pending;             /* accepted, but no memory to serve it: tried again on resume */
        VarlinkConnection *connections;
        unsigned n_connections;
        VarlinkUidCount *uid_counts;
        size_t n_uid_counts;
        char *nomem_text;               /* the system error ENOMEM: each connection's spare message */
        VarlinkDisconnectFunc on_disconnect;
        void *on_disconnect_userdata;
};

struct VarlinkConnection {
        VarlinkServer *server;
        VarlinkConnection *prev, *next;
        VarlinkStream stream;
        sd_event_source *io, *defer;
        sd_event_source *retry;         /* reading again once memory may be back */
        bool paused;                    /* out of memory: not reading until retry fires */
        struct ucred peer;
        int peer_pidfd;
        VarlinkCall *current;   /* the call being served; later ones wait in the input buffer */
        bool hup;               /* the peer hung up completely: nothing can be sent any more */
        int error;              /* a failure that closes the connection once the current step ends */
        bool closing;           /* a stream ended out of memory: closes once the output is out */
        void *userdata;
};

struct VarlinkCall {
        VarlinkConnection *conn;
        char *method;
        bool oneway, more;
        bool dispatching;       /* inside its handler: the dispatcher finishes it */
        bool done;              /* the final reply was queued */
        bool ended;             /* a stream that lost a reply: ended with SystemError ENOMEM */
        bool deferred;          /* its handler answers later */
        int *fds;
        size_t n_fds;
        bool fds_truncated;     /* sent with more fds than any method takes: those were dropped */
        VarlinkCancelFunc cancel;
        void *cancel_userdata;
};

extern const VarlinkInterface varlink_service_interface;

const VarlinkServerInterface *varlink_server_find_interface(const VarlinkServer *s, const char *name);
/* varlink_server_add_connection(), but fd stays the caller's on failure: out of memory (-ENOMEM),
 * it can be tried again. */
int varlink_server_serve_fd(VarlinkServer *s, int fd, VarlinkConnection **ret);
int varlink_call_dispatch(VarlinkConnection *conn, VarlinkMessage *m);
/* The message of the system error ENOMEM, as text: made once, while memory is there. */
int varlink_error_nomem_text(const char *system_error, char **ret);
void varlink_call_cancel(VarlinkCall *c);
void varlink_connection_schedule(VarlinkConnection *conn);
