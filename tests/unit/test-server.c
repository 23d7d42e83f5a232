/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An in-process varlink server serving the io.test interface, shared by the unit tests and the fuzzer. */
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>

#include "test-server.h"
#include "util/macro.h"
#include "varlink/varlink-dispatch.h"
#include "varlink/varlink-stream.h"

const char test_interface_description[] = "interface io.test\n\nmethod Echo() -> ()\n";

static int method_echo(VarlinkCall *c, json_object *params, void *userdata) {
        return varlink_call_reply(c, json_object_get(params));
}

typedef struct TypedParams {
        int64_t i;
        double f;
        const char *s;
        bool b;
        json_object *o, *a;
} TypedParams;

static int method_typed(VarlinkCall *c, json_object *params, void *userdata) {
        static const VarlinkField table[] = {
                { "i", VARLINK_FIELD_INT, offsetof(TypedParams, i), VARLINK_FIELD_MANDATORY },
                { "f", VARLINK_FIELD_FLOAT, offsetof(TypedParams, f), 0 },
                { "s", VARLINK_FIELD_STRING, offsetof(TypedParams, s), 0 },
                { "b", VARLINK_FIELD_BOOL, offsetof(TypedParams, b), 0 },
                { "o", VARLINK_FIELD_OBJECT, offsetof(TypedParams, o), 0 },
                { "a", VARLINK_FIELD_ARRAY, offsetof(TypedParams, a), 0 },
                {}
        };
        TypedParams p = {};
        int r = varlink_dispatch(c, params, table, &p);
        if (r < 0)
                return r;

        json_object *reply = json_object_new_object();
        if (!reply)
                return -ENOMEM;
        json_object_object_add(reply, "i", json_object_new_int64(p.i));
        json_object_object_add(reply, "f", json_object_new_double(p.f));
        return varlink_call_reply(c, reply);
}

static int method_fail(VarlinkCall *c, json_object *params, void *userdata) {
        return -ENOENT;
}

static int method_forget(VarlinkCall *c, json_object *params, void *userdata) {
        return 0;
}

static int method_take_fd(VarlinkCall *c, json_object *params, void *userdata) {
        static const VarlinkField table[] = {
                { "fd", VARLINK_FIELD_FD, 0, VARLINK_FIELD_MANDATORY },
                {}
        };
        int fd = -1;
        int r = varlink_dispatch(c, params, table, &fd);
        if (r < 0)
                return r;

        json_object *reply = json_object_new_object();
        if (!reply) {
                safe_close(fd);
                return -ENOMEM;
        }
        json_object_object_add(reply, "fd", json_object_new_int(0));
        return varlink_call_reply_fds(c, reply, &fd, 1);
}

static int method_ignore_fds(VarlinkCall *c, json_object *params, void *userdata) {
        return varlink_call_reply(c, NULL);
}

/* Parameters (count: int) of SendFds and Stream. */
static int dispatch_count(VarlinkCall *c, json_object *params, int64_t *ret) {
        static const VarlinkField table[] = {
                { "count", VARLINK_FIELD_INT, 0, VARLINK_FIELD_MANDATORY },
                {}
        };
        return varlink_dispatch(c, params, table, ret);
}

static int method_send_fds(VarlinkCall *c, json_object *params, void *userdata) {
        int64_t count = 0;
        int r = dispatch_count(c, params, &count);
        if (r < 0)
                return r;
        if (count < 0 || count > 1024)
                return varlink_call_error_invalid_parameter(c, "count");

        int fds[1024];
        for (int64_t i = 0; i < count; i++) {
                fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fds[i] < 0) {
                        r = -errno;
                        close_many(fds, (size_t) i);
                        return r;
                }
        }
        return varlink_call_reply_fds(c, NULL, fds, (size_t) count);
}

static json_object *object_with_int(const char *key, int64_t value) {
        json_object *o = json_object_new_object();
        if (o)
                json_object_object_add(o, key, json_object_new_int64(value));
        return o;
}

static int method_stream(VarlinkCall *c, json_object *params, void *userdata) {
        int64_t count = 0;
        int r = dispatch_count(c, params, &count);
        if (r < 0)
                return r;

        for (int64_t i = 0; i < count && r >= 0; i++)
                r = varlink_call_notify(c, object_with_int("i", i));
        if (r < 0)
                return r;
        return varlink_call_reply(c, object_with_int("i", count));
}

static void deferred_cancelled(VarlinkCall *c, void *userdata) {
        TestServer *ts = userdata;
        ts->deferred = NULL;
        ts->n_cancelled++;
}

static int method_defer(VarlinkCall *c, json_object *params, void *userdata) {
        TestServer *ts = userdata;
        if (ts->deferred)
                return -EBUSY;
        ts->deferred = c;
        varlink_call_defer(c, deferred_cancelled, ts);
        return 0;
}

static const VarlinkMethod test_methods[] = {
        { "Echo", method_echo, 0 },
        { "Typed", method_typed, 0 },
        { "Fail", method_fail, 0 },
        { "Forget", method_forget, 0 },
        { "TakeFd", method_take_fd, .fds_in_max = 1 },
        { "IgnoreFds", method_ignore_fds, .fds_in_max = VARLINK_FDS_MAX },
        { "SendFds", method_send_fds, 0 },
        { "Stream", method_stream, VARLINK_METHOD_REQUIRES_MORE },
        { "Subscribe", method_defer, VARLINK_METHOD_REQUIRES_MORE },
        { "Defer", method_defer, .fds_in_max = VARLINK_FDS_MAX },
        {}
};

static const VarlinkInterface test_interface = {
        .name = "io.test",
        .description = test_interface_description,
        .methods = test_methods,
};

static const VarlinkServerInfo test_info = {
        .vendor = "privmemd tests",
        .product = "test-server",
        .version = "1",
        .url = "https://example.invalid/",
        .system_error = "io.test.SystemError",
};

static void on_disconnect(VarlinkConnection *conn, void *userdata) {
        TestServer *ts = userdata;
        ts->n_disconnected++;
}

int test_server_new(TestServer **ret) {
        TestServer *ts = calloc(1, sizeof(*ts));
        int r;

        if (!ts)
                return -ENOMEM;
        r = sd_event_new(&ts->event);
        if (r >= 0)
                r = varlink_server_new(&ts->server, ts->event, &test_info);
        if (r >= 0)
                r = varlink_server_add_interface(ts->server, &test_interface, ts);
        if (r < 0) {
                test_server_free(ts);
                return r;
        }
        varlink_server_set_disconnect_handler(ts->server, on_disconnect, ts);
        *ret = ts;
        return 0;
}

TestServer *test_server_free(TestServer *ts) {
        if (!ts)
                return NULL;
        varlink_server_free(ts->server);
        sd_event_unref(ts->event);
        free(ts);
        return NULL;
}

void test_server_set_limits(TestServer *ts, unsigned pending_calls_max, size_t output_max) {
        VarlinkLimits limits = VARLINK_LIMITS_DEFAULT;
        limits.pending_calls_max = pending_calls_max;
        limits.output_max = output_max;
        varlink_server_set_limits(ts->server, &limits);
}

int test_server_connect(TestServer *ts) {
        int sv[2];

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
                return -errno;
        int r = varlink_server_add_connection(ts->server, sv[0], NULL);
        if (r < 0) {
                safe_close(sv[1]);
                return r;
        }
        return sv[1];
}

void test_server_run(TestServer *ts) {
        /* Nothing here blocks: each round dispatches what is ready; two idle rounds in a row end it. */
        for (unsigned idle = 0, i = 0; idle < 2 && i < 100000; i++)
                idle = sd_event_run(ts->event, 0) > 0 ? 0 : idle + 1;
}

int test_server_finish_deferred(TestServer *ts) {
        VarlinkCall *c = TAKE_PTR(ts->deferred);
        if (!c)
                return -ENOENT;
        json_object *reply = json_object_new_object();
        if (reply)
                json_object_object_add(reply, "done", json_object_new_boolean(true));
        return varlink_call_reply(c, reply);
}

static void *server_thread(void *userdata) {
        TestServer *ts = userdata;

        while (varlink_server_n_connections(ts->server) > 0)
                if (sd_event_run(ts->event, UINT64_MAX) < 0)
                        break;
        test_server_free(ts);
        return NULL;
}

int test_server_thread_start(int fd, void **ret_handle) {
        TestServer *ts = NULL;
        pthread_t *t = malloc(sizeof(*t));
        int r = t ? test_server_new(&ts) : -ENOMEM;

        if (r >= 0)
                r = varlink_server_add_connection(ts->server, fd, NULL);
        else
                safe_close(fd);
        if (r >= 0)
                r = -pthread_create(t, NULL, server_thread, ts);
        if (r < 0) {
                test_server_free(ts);
                free(t);
                return r;
        }
        *ret_handle = t;
        return 0;
}

void test_server_thread_join(void *handle) {
        pthread_t *t = handle;
        pthread_join(*t, NULL);
        free(t);
}
