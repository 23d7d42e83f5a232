/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libprivmem's insides: the connection, the call wrapper, the error state. */
#pragma once

#include <json-c/json.h>
#include <stdbool.h>

#include "privmem/privmem.h"
#include "schema/io-privmemd.h"
#include "util/macro.h"
#include "varlink/varlink-client.h"

#define _public_ __attribute__((visibility("default")))

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

struct privmem {
        VarlinkClient *client;
        bool broken;            /* the stream is out of step: every call fails with -ENOTCONN */
        char *error_name;
        char *error_message;
        json_object *error_parameters;  /* of the last varlink error, or NULL */
        json_object *reply;             /* the parameters of the last successful reply, or NULL */
        char *socket_path;              /* for the connections of watches */
        int timeout_ms;
};

/* Forgets the last error and the last reply. */
void privmem_error_clear(privmem *p);
/* Records a local failure (no varlink error) and returns error (negative). */
int privmem_error_local(privmem *p, int error, const char *format, ...) _printf_(3, 4);
/* A failure of the stream itself while doing what (a method, "watch"): -EPROTO when privmemd broke
 * the protocol, -ECONNRESET when it closed the connection, else r. */
int privmem_error_transport(privmem *p, const char *what, int r);
/* Records a varlink error reply and returns its errno. no_wait: the call asked not to wait. */
int privmem_error_from_reply(privmem *p, const char *name, json_object *parameters, bool no_wait);

/* Sends method with parameters (consumed) and fds (consumed), waits for the reply.
 * 0: *ret is a success reply. < 0: a varlink error or a transport failure, recorded in p. */
int privmem_call(privmem *p, const char *method, json_object *parameters, int *fds, size_t n_fds,
                 bool no_wait, VarlinkReply *ret);

/* Reply parsers, shared by the calls: -EPROTO when the reply does not match the interface. */
int lease_from_json(json_object *o, privmem_lease **ret);
int lease_list_from_json(json_object *array, privmem_lease_list **ret);
int pool_list_from_json(json_object *array, privmem_pool_list **ret);
int status_from_json(json_object *o, privmem_status **ret);
int metrics_from_json(json_object *o, privmem_metrics **ret);
/* The wire's failure causes (by their index in schema_failures) as enum privmem_failure. */
extern const int privmem_failures[_SCHEMA_FAILURE_MAX];
int event_from_json(json_object *reply, privmem_event **ret);  /* a Watch reply's parameters */

/* o as JSON text, PRIVMEM_JSON_* flags; owned by o. */
const char *privmem_json_text(json_object *o, unsigned flags);

/* Calls method with request (consumed) and finds the reply's field `key` of type `type`, borrowed
 * from *reply; -EPROTO recorded when the reply lacks it. */
int privmem_call_get(privmem *p, const char *method, json_object *request, const char *key, json_type type,
                     VarlinkReply *reply, json_object **ret);
/* Records -EPROTO for a reply that does not match the interface; passes other results through. */
int privmem_parsed(privmem *p, const char *method, int r);

DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_lease *, privmem_lease_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_lease_list *, privmem_lease_list_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_pool_list *, privmem_pool_list_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_status *, privmem_status_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_metrics *, privmem_metrics_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_event *, privmem_event_free);
