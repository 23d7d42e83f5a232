/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One method call on a server connection: parsed, checked, dispatched, answered. */
#include "util/macro.h"
#include "varlink/json-oom.h"
#include "varlink/varlink-dispatch.h"
#include "varlink/varlink-internal.h"

static void call_free(VarlinkCall *c) {
        close_many(c->fds, c->n_fds);
        free(c->fds);
        free(c->method);
        free(c);
}

/* Reads the call's envelope. -EBADMSG for anything that is not a call: the connection closes. */
static int call_parse(VarlinkCall *c, json_object *msg, json_object **ret_parameters, bool *ret_upgrade) {
        json_object *params = NULL;
        bool upgrade = false;

        json_object_object_foreach(msg, key, value) {
                if (streq(key, "method")) {
                        if (!json_object_is_type(value, json_type_string))
                                return -EBADMSG;
                        c->method = strdup(json_object_get_string(value));
                        if (!c->method)
                                return -ENOMEM;
                } else if (streq(key, "parameters")) {
                        if (value && !json_object_is_type(value, json_type_object))
                                return -EBADMSG;
                        params = value;
                } else if (streq(key, "oneway") || streq(key, "more") || streq(key, "upgrade")) {
                        if (value && !json_object_is_type(value, json_type_boolean))
                                return -EBADMSG;
                        bool b = json_object_get_boolean(value);
                        if (streq(key, "oneway"))
                                c->oneway = b;
                        else if (streq(key, "more"))
                                c->more = b;
                        else
                                upgrade = b;
                } else
                        return -EBADMSG;
        }
        if (!c->method || (c->oneway && c->more))
                return -EBADMSG;
        *ret_parameters = params;
        *ret_upgrade = upgrade;
        return 0;
}

static const VarlinkMethod *method_find(const VarlinkInterface *iface, const char *name) {
        for (const VarlinkMethod *m = iface->methods; m->name; m++)
                if (streq(m->name, name))
                        return m;
        return NULL;
}

/* { key: value }; NULL out of memory. */
static json_object *object_with_string(const char *key, const char *value) {
        json_oom_reset();
        json_object *o = json_object_new_object();

        if (!o || json_add(o, key, json_object_new_string(value)) < 0 || json_oom_happened()) {
                json_object_put(o);
                return NULL;
        }
        return o;
}

static int call_error_with_string(VarlinkCall *c, const char *error, const char *key, const char *value);

/* Finds the handler; answers the standard errors itself and then returns NULL. */
static const VarlinkMethod *call_resolve(VarlinkCall *c, bool upgrade, void **ret_userdata, int *ret) {
        const char *dot = strrchr(c->method, '.');
        _cleanup_free_ char *iface_name = dot ? strndup(c->method, (size_t) (dot - c->method)) : NULL;
        const VarlinkServerInterface *si = iface_name ? varlink_server_find_interface(c->conn->server, iface_name) : NULL;
        const VarlinkMethod *m = si ? method_find(si->iface, dot + 1) : NULL;

        if (dot && !iface_name)
                *ret = varlink_call_error_errno(c, -ENOMEM);
        else if (!si)
                *ret = call_error_with_string(c, "org.varlink.service.InterfaceNotFound", "interface",
                                              iface_name ?: c->method);
        else if (!m)
                *ret = call_error_with_string(c, "org.varlink.service.MethodNotFound", "method", c->method);
        else if (upgrade)
                *ret = call_error_with_string(c, "org.varlink.service.MethodNotImplemented", "method", c->method);
        else if ((m->flags & VARLINK_METHOD_REQUIRES_MORE) && !c->more)
                *ret = varlink_call_error(c, "org.varlink.service.ExpectedMore", NULL);
        else if (c->fds_truncated || c->n_fds > m->fds_in_max)
                *ret = varlink_call_error_invalid_parameter(c, "fileDescriptors");
        else {
                *ret_userdata = si->userdata;
                return m;
        }
        return NULL;
}

/* Runs the handler. Failures of the handler are answered here; what fails to be sent is the
 * connection's (conn->error). */
static void call_run(VarlinkCall *c, json_object *params, bool upgrade) {
        json_object *empty = NULL;
        void *userdata = NULL;
        int r = 0;

        const VarlinkMethod *method = call_resolve(c, upgrade, &userdata, &r);
        if (!method)
                return;
        if (!params && !(params = empty = json_object_new_object())) {
                (void) varlink_call_error_errno(c, -ENOMEM);
                return;
        }
        r = method->func(c, params, userdata);
        json_object_put(empty);
        if (c->done)
                return;  /* answered; -EBADMSG from varlink_dispatch() lands here too */
        if (r < 0)
                (void) varlink_call_error_errno(c, r);
        else if (!c->deferred && !c->oneway)
                (void) varlink_call_error_errno(c, -EPROTO);  /* a handler that forgot to answer */
}

/* Out of memory before the call could be made: its caller gets the system error ENOMEM all the
 * same, from the connection's spare message (a oneway call gets nothing). */
static int dispatch_nomem(VarlinkConnection *conn, json_object *msg) {
        json_object *oneway = NULL;

        if (conn->hup || (json_object_object_get_ex(msg, "oneway", &oneway) && json_object_get_boolean(oneway)))
                return 0;
        return varlink_stream_enqueue_spare(&conn->stream) < 0 ? -ENOMEM : 0;
}

/* Runs one message as a call. < 0 means the connection must close. */
int varlink_call_dispatch(VarlinkConnection *conn, VarlinkMessage *m) {
        json_object *params = NULL;
        bool upgrade = false;
        VarlinkCall *c = calloc(1, sizeof(*c));
        int r = c ? 0 : -ENOMEM;

        if (c) {
                c->conn = conn;
                c->fds = TAKE_PTR(m->fds);
                c->n_fds = m->n_fds;
                c->fds_truncated = m->fds_truncated;
                m->n_fds = 0;
                r = call_parse(c, m->json, &params, &upgrade);
        }
        if (r < 0) {
                if (r == -ENOMEM)
                        r = dispatch_nomem(conn, m->json);
                if (c)
                        call_free(c);
                varlink_message_done(m);
                return r;
        }

        conn->current = c;
        c->dispatching = true;
        call_run(c, params, upgrade);
        c->dispatching = false;
        varlink_message_done(m);

        if (c->done || (c->oneway && !c->deferred)) {
                conn->current = NULL;
                call_free(c);
        } else {
                close_many(c->fds, c->n_fds);  /* deferred: fds it did not take are closed now */
        }
        return 0;
}

void varlink_call_cancel(VarlinkCall *c) {
        VarlinkCancelFunc cancel = c->cancel;

        c->conn->current = NULL;
        if (cancel)
                cancel(c, c->cancel_userdata);
        call_free(c);
}

void varlink_call_defer(VarlinkCall *c, VarlinkCancelFunc cancel, void *userdata) {
        c->deferred = true;
        c->cancel = cancel;
        c->cancel_userdata = userdata;
}

/* The envelope around parameters (consumed); NULL out of memory. */
static json_object *message_new(const char *error, json_object *parameters, bool continues) {
        json_oom_reset();
        json_object *msg = json_object_new_object();

        if (!msg) {
                json_object_put(parameters);
                return NULL;
        }
        if (json_add(msg, "parameters", parameters ?: json_object_new_object()) < 0 ||
            (error && json_add(msg, "error", json_object_new_string(error)) < 0) ||
            (continues && json_add(msg, "continues", json_object_new_boolean(true)) < 0) || json_oom_happened()) {
                json_object_put(msg);
                return NULL;
        }
        return msg;
}

/* Queues msg (consumed; NULL: it could not be built). Out of memory, the system error ENOMEM goes
 * instead, from the connection's spare message, which needs no allocation: the call is answered
 * anyway, and -ENOMEM tells the caller its message was not the one sent. A stream of replies that
 * lost one ends with that error: what it sends later is dropped, and the connection closes once
 * its output is out (the call stays, for the connection's end to cancel it). */
static int call_queue(VarlinkCall *c, json_object *msg, int *fds, size_t n_fds, bool final) {
        VarlinkConnection *conn = c->conn;
        int r = msg ? varlink_stream_enqueue(&conn->stream, msg, fds, n_fds) : -ENOMEM;

        if (!msg)
                close_many(fds, n_fds);
        json_object_put(msg);
        if (r == -ENOMEM && varlink_stream_enqueue_spare(&conn->stream) >= 0) {
                c->ended = !final;
                conn->closing = conn->closing || !final;
                return r;
        }
        if (r < 0 && conn->error == 0)
                conn->error = r;
        return r;
}

/* Sends one message of the call. The message and the fds are consumed. */
static int call_send(VarlinkCall *c, json_object *msg, int *fds, size_t n_fds, bool final) {
        VarlinkConnection *conn = c->conn;
        int r = 0;

        if (c->oneway || conn->hup || c->ended) {
                json_object_put(msg);
                close_many(fds, n_fds);  /* nobody to answer, or the stream ended */
        } else
                r = call_queue(c, msg, fds, n_fds, final);
        if (final)
                c->done = true;
        if (!c->dispatching) {
                if (final) {
                        conn->current = NULL;
                        call_free(c);
                }
                varlink_connection_schedule(conn);
        }
        return r;
}

int varlink_call_reply_fds(VarlinkCall *c, json_object *parameters, int *fds, size_t n_fds) {
        return call_send(c, message_new(NULL, parameters, false), fds, n_fds, true);
}

int varlink_call_reply(VarlinkCall *c, json_object *parameters) {
        return varlink_call_reply_fds(c, parameters, NULL, 0);
}

int varlink_call_notify(VarlinkCall *c, json_object *parameters) {
        if (!c->more) {
                json_object_put(parameters);
                return -EINVAL;
        }
        return call_send(c, message_new(NULL, parameters, true), NULL, 0, false);
}

int varlink_call_error(VarlinkCall *c, const char *error, json_object *parameters) {
        return call_send(c, message_new(error, parameters, false), NULL, 0, true);
}

/* The error's own parameters could not be built: the spare message, SystemError ENOMEM, answers. */
static int call_error_nomem(VarlinkCall *c) {
        return call_send(c, NULL, NULL, 0, true);
}

/* An error with one string parameter. */
static int call_error_with_string(VarlinkCall *c, const char *error, const char *key, const char *value) {
        json_object *p = object_with_string(key, value);
        return p ? varlink_call_error(c, error, p) : call_error_nomem(c);
}

int varlink_call_error_invalid_parameter(VarlinkCall *c, const char *parameter) {
        return call_error_with_string(c, "org.varlink.service.InvalidParameter", "parameter", parameter);
}

/* The parameters of the system error e; NULL out of memory. */
static json_object *errno_parameters(int e) {
        json_oom_reset();
        json_object *p = json_object_new_object();

        if (!p || json_add(p, "errno", json_object_new_int(e)) < 0 ||
            json_add(p, "errnoName", json_object_new_string(strerrorname_np(e) ?: "unknown")) < 0 ||
            json_add(p, "message", json_object_new_string(strerror(e))) < 0 || json_oom_happened()) {
                json_object_put(p);
                return NULL;
        }
        return p;
}

int varlink_call_error_errno(VarlinkCall *c, int error) {
        json_object *p = errno_parameters(error < 0 ? -error : error);
        return p ? varlink_call_error(c, c->conn->server->info.system_error, p) : call_error_nomem(c);
}

int varlink_error_nomem_text(const char *system_error, char **ret) {
        json_object *p = errno_parameters(ENOMEM);
        json_object *msg = p ? message_new(system_error, p, false) : NULL;
        char *text = NULL;

        if (msg) {
                json_oom_reset();
                const char *t = json_object_to_json_string_ext(msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                if (t && !json_oom_happened())
                        text = strdup(t);
        }
        json_object_put(msg);
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
}

int varlink_call_take_fd(VarlinkCall *c, int64_t index) {
        if (index < 0 || (uint64_t) index >= c->n_fds)
                return -ENXIO;
        if (c->fds[index] < 0)
                return -EBADF;  /* taken already */
        return TAKE_FD(c->fds[index]);
}

const char *varlink_call_method(const VarlinkCall *c) {
        return c->method;
}

bool varlink_call_wants_more(const VarlinkCall *c) {
        return c->more;
}

bool varlink_call_is_oneway(const VarlinkCall *c) {
        return c->oneway;
}

VarlinkConnection *varlink_call_connection(const VarlinkCall *c) {
        return c->conn;
}
