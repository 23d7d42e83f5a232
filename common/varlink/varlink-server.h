/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A varlink server on sd-event: listening sockets, connections, method dispatch, org.varlink.service. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

typedef struct VarlinkServer VarlinkServer;
typedef struct VarlinkConnection VarlinkConnection;
typedef struct VarlinkCall VarlinkCall;

/* A handler replies (varlink_call_reply*, varlink_call_error*) or defers the call and replies later.
 * A negative return is the server's own failure: it is answered with the server's system error. */
typedef int (*VarlinkMethodFunc)(VarlinkCall *call, json_object *parameters, void *userdata);
/* Called when a deferred call's connection goes away; the call must not be used afterwards. */
typedef void (*VarlinkCancelFunc)(VarlinkCall *call, void *userdata);
typedef void (*VarlinkDisconnectFunc)(VarlinkConnection *conn, void *userdata);

typedef enum VarlinkMethodFlags {
        VARLINK_METHOD_REQUIRES_MORE = 1 << 0,  /* a stream: without "more" it is ExpectedMore */
} VarlinkMethodFlags;

typedef struct VarlinkMethod {
        const char *name;                       /* without the interface: "Acquire" */
        VarlinkMethodFunc func;
        unsigned flags;
        /* The most fds one call may send (0: none). A call with more is InvalidParameter
         * "fileDescriptors". A connection receives no more than the largest of these per call: the
         * kernel drops the rest unopened, so fds nobody takes cost the server nothing. */
        unsigned fds_in_max;
} VarlinkMethod;

typedef struct VarlinkInterface {
        const char *name;                       /* "io.privmemd" */
        const char *description;                /* the interface text, as GetInterfaceDescription returns it */
        const VarlinkMethod *methods;           /* ends with { NULL } */
} VarlinkInterface;

typedef struct VarlinkLimits {
        unsigned connections_max;
        unsigned connections_per_uid_max;
        unsigned pending_calls_max;             /* calls buffered on one connection before we stop reading */
        unsigned fds_buffered_max;              /* fds buffered on one connection before we stop reading */
        size_t output_max;                      /* bytes queued to one connection before it is dropped */
} VarlinkLimits;

#define VARLINK_LIMITS_DEFAULT                                          \
        (VarlinkLimits) {                                               \
                .connections_max = 4096,                                \
                .connections_per_uid_max = 256,                         \
                .pending_calls_max = 64,                                \
                .fds_buffered_max = 2 * 253,                            \
                .output_max = 2 * 16 * 1024 * 1024,                     \
        }

typedef struct VarlinkServerInfo {
        const char *vendor, *product, *version, *url;
        const char *system_error;               /* error name for a handler's negative errno */
} VarlinkServerInfo;

int varlink_server_new(VarlinkServer **ret, sd_event *event, const VarlinkServerInfo *info);
VarlinkServer *varlink_server_free(VarlinkServer *s);
void varlink_server_set_limits(VarlinkServer *s, const VarlinkLimits *limits);
void varlink_server_set_disconnect_handler(VarlinkServer *s, VarlinkDisconnectFunc f, void *userdata);
int varlink_server_add_interface(VarlinkServer *s, const VarlinkInterface *iface, void *userdata);

/* Listens on a new socket at path (a stale socket there is replaced), mode 0666. */
int varlink_server_listen_path(VarlinkServer *s, const char *path);
/* Listens on an fd already bound and listening (socket activation); takes it. */
int varlink_server_listen_fd(VarlinkServer *s, int fd);
/* Serves one already connected socket (tests, socketpair); takes it. */
int varlink_server_add_connection(VarlinkServer *s, int fd, VarlinkConnection **ret);
unsigned varlink_server_n_connections(const VarlinkServer *s);

/* Replies; json parameters are consumed (NULL means {}), and so are fds. Final unless notify.
 * -ENOMEM: the message could not be built or queued, and the caller got SystemError ENOMEM in its
 * place; after a notify, the stream is over then (later messages are dropped, the connection closes
 * once that error is out). */
int varlink_call_reply(VarlinkCall *c, json_object *parameters);
int varlink_call_reply_fds(VarlinkCall *c, json_object *parameters, int *fds, size_t n_fds);
int varlink_call_notify(VarlinkCall *c, json_object *parameters);  /* "continues": true */
int varlink_call_error(VarlinkCall *c, const char *error, json_object *parameters);
int varlink_call_error_invalid_parameter(VarlinkCall *c, const char *parameter);
int varlink_call_error_errno(VarlinkCall *c, int error);
void varlink_call_defer(VarlinkCall *c, VarlinkCancelFunc cancel, void *userdata);

/* Takes fd number `index` of those sent with the call: the caller owns it afterwards. */
int varlink_call_take_fd(VarlinkCall *c, int64_t index);
const char *varlink_call_method(const VarlinkCall *c);
bool varlink_call_wants_more(const VarlinkCall *c);
bool varlink_call_is_oneway(const VarlinkCall *c);
VarlinkConnection *varlink_call_connection(const VarlinkCall *c);

const struct ucred *varlink_connection_peer(const VarlinkConnection *conn);
int varlink_connection_peer_pidfd(const VarlinkConnection *conn);  /* -1 where the kernel lacks it */
int varlink_connection_fd(const VarlinkConnection *conn);          /* for getsockopt(), no I/O */
void *varlink_connection_get_userdata(const VarlinkConnection *conn);
void varlink_connection_set_userdata(VarlinkConnection *conn, void *userdata);

static inline void varlink_server_freep(VarlinkServer **s) {
        varlink_server_free(*s);
}
