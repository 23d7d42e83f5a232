/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A blocking varlink client: calls, pipelined calls, "more" streams, oneway calls, fds both ways. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct VarlinkClient VarlinkClient;

typedef enum VarlinkCallFlags {
        VARLINK_CALL_MORE = 1 << 0,
        VARLINK_CALL_ONEWAY = 1 << 1,
} VarlinkCallFlags;

typedef struct VarlinkReply {
        json_object *parameters;        /* never NULL after a reply: {} at least */
        char *error;                    /* NULL, or the error name */
        bool continues;
        int *fds;
        size_t n_fds;
} VarlinkReply;

int varlink_client_connect(VarlinkClient **ret, const char *path);
int varlink_client_new_from_fd(VarlinkClient **ret, int fd);   /* takes fd */
VarlinkClient *varlink_client_free(VarlinkClient *c);
void varlink_client_set_timeout(VarlinkClient *c, int timeout_ms);  /* -1: wait forever (default) */
int varlink_client_fd(const VarlinkClient *c);

/* Sends one call; parameters (NULL: {}) and fds are consumed. A oneway call gets no reply. */
int varlink_client_send(VarlinkClient *c, const char *method, json_object *parameters,
                        int *fds, size_t n_fds, unsigned flags);
/* Waits for the next reply to a call sent earlier. -EBADMSG: the server broke the protocol;
 * -ECONNRESET: it hung up; -ETIMEDOUT. */
int varlink_client_receive(VarlinkClient *c, VarlinkReply *ret);
/* Both of the above, for a plain call. */
int varlink_client_call(VarlinkClient *c, const char *method, json_object *parameters, VarlinkReply *ret);

/* Takes fd number index out of a reply: the caller owns it. */
int varlink_reply_take_fd(VarlinkReply *r, int64_t index);
void varlink_reply_done(VarlinkReply *r);

static inline void varlink_client_freep(VarlinkClient **c) {
        varlink_client_free(*c);
}
static inline void varlink_reply_donep(VarlinkReply *r) {
        varlink_reply_done(r);
}
