/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cert-client: our varlink client through org.varlink.certification, checking every reply itself.
 *
 * The reference server's End answers all_ok true whatever happened, so it proves nothing: each reply
 * is compared here with what the reference defines. --break-test11 sends Test11 a wrong list and then
 * expects all_ok false: a strict server (ours) must notice an error it could not even report. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>

#include "cert-json.h"
#include "cert-steps.h"
#include "util/macro.h"
#include "varlink/varlink-client.h"

#define CERT_IFACE "org.varlink.certification."
#define CONNECT_TIMEOUT_MS 10000
#define REPLY_TIMEOUT_MS 10000

static _printf_(2, 3) int fail(const char *step, const char *fmt, ...) {
        va_list ap;

        fprintf(stderr, "%s: ", step);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        return -EBADMSG;
}

static int send_step(VarlinkClient *cl, CertStep step, const char *id, json_object *params, unsigned flags) {
        char method[128];

        snprintf(method, sizeof(method), CERT_IFACE "%s", cert_step_name(step));
        json_object_object_add(params, "client_id", json_object_new_string(id));
        int r = varlink_client_send(cl, method, params, NULL, 0, flags);
        if (r < 0)
                fprintf(stderr, "%s: sending failed: %s\n", cert_step_name(step), strerror(-r));
        return r;
}

/* Receives one reply and checks it is `want` (consumed), with "continues" as given. */
static int expect_reply(VarlinkClient *cl, CertStep step, json_object *want, bool continues, VarlinkReply *ret) {
        const char *name = cert_step_name(step);
        int r = varlink_client_receive(cl, ret);

        if (r < 0) {
                json_object_put(want);
                return fail(name, "no reply: %s", strerror(-r));
        }
        printf("%s: %s%s\n", name, cert_json_text(ret->parameters), ret->continues ? " (continues)" : "");
        if (ret->error)
                r = fail(name, "error %s %s", ret->error, cert_json_text(ret->parameters));
        else if (ret->continues != continues)
                r = fail(name, "\"continues\" is %s, wanted %s", ret->continues ? "true" : "false",
                         continues ? "true" : "false");
        else if (!cert_json_equal(want, ret->parameters))
                r = fail(name, "reply %s, wanted %s", cert_json_text(ret->parameters), cert_json_text(want));
        json_object_put(want);
        return r;
}

/* Test01 with an id the server never gave out must be ClientIdError. */
static int expect_client_id_error(VarlinkClient *cl) {
        _cleanup_(varlink_reply_done) VarlinkReply reply = {};

        int r = send_step(cl, CERT_TEST01, "not-a-client-id", json_object_new_object(), 0);
        if (r < 0)
                return r;
        r = varlink_client_receive(cl, &reply);
        if (r < 0)
                return fail("unknown client_id", "no reply: %s", strerror(-r));
        if (!streq_ptr(reply.error, CERT_IFACE "ClientIdError"))
                return fail("unknown client_id", "answered %s %s, wanted ClientIdError",
                            strempty(reply.error), cert_json_text(reply.parameters));
        printf("unknown client_id: %s\n", reply.error);
        return 0;
}

static int run_start(VarlinkClient *cl, char **ret_id) {
        _cleanup_(varlink_reply_done) VarlinkReply reply = {};

        int r = varlink_client_call(cl, CERT_IFACE "Start", NULL, &reply);
        if (r < 0)
                return fail("Start", "no reply: %s", strerror(-r));
        printf("Start: %s\n", cert_json_text(reply.parameters));
        json_object *id = json_object_object_get(reply.parameters, "client_id");
        if (reply.error || json_object_object_length(reply.parameters) != 1 ||
            !json_object_is_type(id, json_type_string) || json_object_get_string_len(id) == 0)
                return fail("Start", "answered %s %s, wanted a client_id", strempty(reply.error),
                            cert_json_text(reply.parameters));
        *ret_id = strdup(json_object_get_string(id));
        return *ret_id ? 0 : -ENOMEM;
}

/* One call, one reply. *io: the parameters to send (consumed); then the reply's, to send next. */
static int run_simple(VarlinkClient *cl, const char *id, CertStep step, json_object **io) {
        _cleanup_(varlink_reply_done) VarlinkReply reply = {};

        int r = send_step(cl, step, id, TAKE_PTR(*io), 0);
        if (r >= 0)
                r = expect_reply(cl, step, cert_step_output(step), false, &reply);
        if (r < 0)
                return r;
        *io = json_object_get(reply.parameters);
        return 0;
}

/* Test10 with "more": ten replies, all but the last with "continues". Collects their strings. */
static int run_test10(VarlinkClient *cl, const char *id, json_object *mytype, json_object *ret_strings) {
        int r = send_step(cl, CERT_TEST10, id, mytype, VARLINK_CALL_MORE);

        for (unsigned n = 1; r >= 0 && n <= CERT_TEST10_REPLIES; n++) {
                _cleanup_(varlink_reply_done) VarlinkReply reply = {};
                r = expect_reply(cl, CERT_TEST10, cert_test10_reply(n), n < CERT_TEST10_REPLIES, &reply);
                if (r >= 0)
                        json_object_array_add(ret_strings,
                                              json_object_get(json_object_object_get(reply.parameters, "string")));
        }
        return r;
}

/* Test11 is oneway: no reply may come, so the only check is End's reply arriving next, unchanged.
 *
 * The reference server's Test11 (varlink/go cmd/varlink-go-certification/main.go) compares
 * last_more_replies[i] with "Reply number i" for i = 1..10: off by one. With the right list it fails
 * at i = 1 and answers CertificationError, which a oneway call drops (Call.sendMessage returns early),
 * so the client never learns and the server carries on; its index 10 is never reached. Only a list
 * whose items 1..9 read "Reply number 1".."Reply number 9" gets there, and that panics the handler's
 * goroutine, which nothing recovers: the whole reference server exits. The test script therefore also
 * checks that the reference server is still running after we are done. */
static int run_test11(VarlinkClient *cl, const char *id, json_object *strings, bool broken) {
        json_object *params = json_object_new_object();

        if (!params)
                return -ENOMEM;
        if (broken)
                json_object_array_del_idx(strings, CERT_TEST10_REPLIES - 1, 1);
        json_object_object_add(params, "last_more_replies", json_object_get(strings));
        int r = send_step(cl, CERT_TEST11, id, params, VARLINK_CALL_ONEWAY);
        if (r >= 0)
                printf("Test11: sent oneway %s\n", cert_json_text(strings));
        return r;
}

static int run_end(VarlinkClient *cl, const char *id, bool all_ok) {
        _cleanup_(varlink_reply_done) VarlinkReply reply = {};
        json_object *want = json_object_new_object();

        json_object_object_add(want, "all_ok", json_object_new_boolean(all_ok));
        int r = send_step(cl, CERT_END, id, json_object_new_object(), 0);
        if (r < 0) {
                json_object_put(want);
                return r;
        }
        return expect_reply(cl, CERT_END, want, false, &reply);
}

static int run(VarlinkClient *cl, bool break_test11) {
        _cleanup_free_ char *id = NULL;
        json_object *io = json_object_new_object(), *strings = json_object_new_array();

        int r = expect_client_id_error(cl);
        if (r >= 0)
                r = run_start(cl, &id);
        for (CertStep step = CERT_TEST01; r >= 0 && step <= CERT_TEST09; step++)
                r = run_simple(cl, id, step, &io);
        if (r >= 0)
                r = run_test10(cl, id, TAKE_PTR(io), strings);
        if (r >= 0)
                r = run_test11(cl, id, strings, break_test11);
        if (r >= 0)
                r = run_end(cl, id, !break_test11);
        json_object_put(io);
        json_object_put(strings);
        return r;
}

/* The server may still be between bind() and listen(): retry for a while. */
static int connect_retry(VarlinkClient **ret, const char *path) {
        int r;

        for (int waited = 0;; waited += 50) {
                r = varlink_client_connect(ret, path);
                if ((r != -ECONNREFUSED && r != -ENOENT) || waited >= CONNECT_TIMEOUT_MS)
                        return r;
                usleep(50 * 1000);
        }
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                { "break-test11", no_argument, NULL, 'b' },
                {}
        };
        _cleanup_(varlink_client_freep) VarlinkClient *cl = NULL;
        const char *path = NULL;
        bool break_test11 = false;
        int c;

        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                if (c == 's')
                        path = optarg;
                else if (c == 'b')
                        break_test11 = true;
                else
                        return 2;
        if (!path || optind < argc) {
                fprintf(stderr, "Usage: cert-client --socket=PATH [--break-test11]\n");
                return 2;
        }
        int r = connect_retry(&cl, path);
        if (r < 0) {
                fprintf(stderr, "Failed to connect to %s: %s\n", path, strerror(-r));
                return 1;
        }
        varlink_client_set_timeout(cl, REPLY_TIMEOUT_MS);
        r = run(cl, break_test11);
        printf("%s\n", r < 0 ? "FAILED" : "all replies as the reference defines them");
        return r < 0 ? 1 : 0;
}
