/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-client.c: the blocking client against a server thread, and against a raw peer that misbehaves. */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "test-fixture.h"
#include "varlink/varlink-client.h"

typedef struct ClientFixture {
        unsigned fds_before;
        VarlinkClient *client;
        void *thread;           /* the server thread, or NULL */
        int raw;                /* the server end when the test plays the server itself, or -1 */
} ClientFixture;

static ClientFixture *client_fixture_new(void **state, int *sv) {
        ClientFixture *c = calloc(1, sizeof(*c));
        assert_non_null(c);
        c->fds_before = count_open_fds();
        c->raw = -1;
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        assert_int_equal(varlink_client_new_from_fd(&c->client, sv[1]), 0);
        varlink_client_set_timeout(c->client, 10000);
        *state = c;
        return c;
}

static int threaded_setup(void **state) {
        int sv[2];
        ClientFixture *c = client_fixture_new(state, sv);
        assert_int_equal(test_server_thread_start(sv[0], &c->thread), 0);
        return 0;
}

static int raw_setup(void **state) {
        int sv[2];
        ClientFixture *c = client_fixture_new(state, sv);
        c->raw = sv[0];
        return 0;
}

static int client_teardown(void **state) {
        ClientFixture *c = *state;
        varlink_client_free(c->client);  /* the server thread ends with its connection */
        if (c->thread)
                test_server_thread_join(c->thread);
        safe_close(c->raw);
        assert_int_equal(count_open_fds(), c->fds_before);
        free(c);
        return 0;
}

#define threaded_test(t) cmocka_unit_test_setup_teardown(t, threaded_setup, client_teardown)
#define raw_test(t) cmocka_unit_test_setup_teardown(t, raw_setup, client_teardown)

static void call_gets_its_reply(void **state) {
        ClientFixture *c = *state;
        _cleanup_(varlink_reply_donep) VarlinkReply r = {};
        assert_int_equal(varlink_client_call(c->client, "io.test.Echo", json_tokener_parse("{\"n\":4}"), &r), 0);
        assert_null(r.error);
        assert_int_equal(json_object_get_int(json_object_object_get(r.parameters, "n")), 4);
}

static void error_reply_has_name_and_parameters(void **state) {
        ClientFixture *c = *state;
        _cleanup_(varlink_reply_donep) VarlinkReply r = {};
        assert_int_equal(varlink_client_call(c->client, "io.test.Nope", NULL, &r), 0);
        assert_string_equal(r.error, "org.varlink.service.MethodNotFound");
        assert_string_equal(json_object_get_string(json_object_object_get(r.parameters, "method")), "io.test.Nope");
}

static void pipelined_calls_are_received_in_order(void **state) {
        ClientFixture *c = *state;
        for (int i = 0; i < 3; i++) {
                json_object *p = json_object_new_object();
                json_object_object_add(p, "n", json_object_new_int(i));
                assert_int_equal(varlink_client_send(c->client, "io.test.Echo", p, NULL, 0, 0), 0);
        }
        for (int i = 0; i < 3; i++) {
                _cleanup_(varlink_reply_donep) VarlinkReply r = {};
                assert_int_equal(varlink_client_receive(c->client, &r), 0);
                assert_int_equal(json_object_get_int(json_object_object_get(r.parameters, "n")), i);
        }
}

static void more_call_receives_a_stream(void **state) {
        ClientFixture *c = *state;
        assert_int_equal(varlink_client_send(c->client, "io.test.Stream", json_tokener_parse("{\"count\":2}"),
                                             NULL, 0, VARLINK_CALL_MORE), 0);
        for (int i = 0; i <= 2; i++) {
                _cleanup_(varlink_reply_donep) VarlinkReply r = {};
                assert_int_equal(varlink_client_receive(c->client, &r), 0);
                assert_int_equal(r.continues, i < 2);
        }
        VarlinkReply none = {};
        assert_int_equal(varlink_client_receive(c->client, &none), -ENOMSG);
}

static void oneway_call_expects_no_reply(void **state) {
        ClientFixture *c = *state;
        VarlinkReply none = {};
        assert_int_equal(varlink_client_send(c->client, "io.test.Echo", NULL, NULL, 0, VARLINK_CALL_ONEWAY), 0);
        assert_int_equal(varlink_client_receive(c->client, &none), -ENOMSG);
        call_gets_its_reply(state);
}

static void fd_goes_to_the_server_and_comes_back(void **state) {
        ClientFixture *c = *state;
        _cleanup_(varlink_reply_donep) VarlinkReply r = {};
        _cleanup_close_ int fd = memfd_create("test", MFD_CLOEXEC);
        int copy = dup(fd);
        struct stat a, b;

        assert_int_equal(varlink_client_send(c->client, "io.test.TakeFd", json_tokener_parse("{\"fd\":0}"),
                                             &copy, 1, 0), 0);
        assert_int_equal(varlink_client_receive(c->client, &r), 0);
        assert_null(r.error);
        _cleanup_close_ int back = varlink_reply_take_fd(&r, 0);
        assert_true(back >= 0);
        assert_int_equal(varlink_reply_take_fd(&r, 0), -EBADF);
        assert_int_equal(varlink_reply_take_fd(&r, 1), -ENXIO);
        assert_int_equal(fstat(fd, &a), 0);
        assert_int_equal(fstat(back, &b), 0);
        assert_true(a.st_ino == b.st_ino);
}

static void reply_with_253_fds_is_received(void **state) {
        ClientFixture *c = *state;
        _cleanup_(varlink_reply_donep) VarlinkReply r = {};
        assert_int_equal(varlink_client_call(c->client, "io.test.SendFds", json_tokener_parse("{\"count\":253}"), &r), 0);
        assert_int_equal(r.n_fds, 253);
}

static void unanswered_call_times_out(void **state) {
        ClientFixture *c = *state;
        VarlinkReply r = {};
        varlink_client_set_timeout(c->client, 50);
        assert_int_equal(varlink_client_call(c->client, "io.test.Defer", NULL, &r), -ETIMEDOUT);
}

static void connecting_to_a_missing_path_is_enoent(void **state) {
        VarlinkClient *client = NULL;
        assert_int_equal(varlink_client_connect(&client, "/nonexistent/socket"), -ENOENT);
        assert_null(client);
}

/* The test plays the server: sends `reply` (NUL included) to a call and returns receive()'s result. */
static int receive_raw_reply(ClientFixture *c, const char *reply, unsigned flags) {
        VarlinkReply r = {};
        char buf[256];

        assert_int_equal(varlink_client_send(c->client, "io.test.X", NULL, NULL, 0, flags), 0);
        assert_true(read(c->raw, buf, sizeof(buf)) > 0);
        if (reply)
                assert_int_equal(write(c->raw, reply, strlen(reply) + 1), (ssize_t) strlen(reply) + 1);
        else
                c->raw = safe_close(c->raw);
        int ret = varlink_client_receive(c->client, &r);
        varlink_reply_done(&r);
        return ret;
}

static void reply_without_parameters_gets_empty_parameters(void **state) {
        ClientFixture *c = *state;
        VarlinkReply r = {};
        char buf[256];

        assert_int_equal(varlink_client_send(c->client, "io.test.X", NULL, NULL, 0, 0), 0);
        assert_true(read(c->raw, buf, sizeof(buf)) > 0);
        assert_int_equal(write(c->raw, "{}", 3), 3);
        assert_int_equal(varlink_client_receive(c->client, &r), 0);
        assert_true(json_object_is_type(r.parameters, json_type_object));
        varlink_reply_done(&r);
}

static void reply_with_unknown_key_is_ebadmsg(void **state) {
        assert_int_equal(receive_raw_reply(*state, "{\"parameters\":{},\"bogus\":1}", 0), -EBADMSG);
}

static void reply_with_bad_error_after_parameters_is_ebadmsg(void **state) {
        assert_int_equal(receive_raw_reply(*state, "{\"parameters\":{\"a\":1},\"error\":5}", 0), -EBADMSG);
}

static void reply_with_bad_parameters_after_error_is_ebadmsg(void **state) {
        assert_int_equal(receive_raw_reply(*state, "{\"error\":\"a.B\",\"parameters\":5}", 0), -EBADMSG);
}

static void reply_with_bad_continues_after_parameters_is_ebadmsg(void **state) {
        assert_int_equal(receive_raw_reply(*state, "{\"parameters\":{},\"continues\":1}", VARLINK_CALL_MORE), -EBADMSG);
}

static void continues_without_more_is_ebadmsg(void **state) {
        assert_int_equal(receive_raw_reply(*state, "{\"parameters\":{},\"continues\":true}", 0), -EBADMSG);
}

static void continues_on_an_error_is_ebadmsg(void **state) {
        assert_int_equal(receive_raw_reply(*state, "{\"error\":\"a.B\",\"continues\":true}", VARLINK_CALL_MORE), -EBADMSG);
}

static void server_hang_up_is_econnreset(void **state) {
        assert_int_equal(receive_raw_reply(*state, NULL, 0), -ECONNRESET);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                threaded_test(call_gets_its_reply),
                threaded_test(error_reply_has_name_and_parameters),
                threaded_test(pipelined_calls_are_received_in_order),
                threaded_test(more_call_receives_a_stream),
                threaded_test(oneway_call_expects_no_reply),
                threaded_test(fd_goes_to_the_server_and_comes_back),
                threaded_test(reply_with_253_fds_is_received),
                threaded_test(unanswered_call_times_out),
                cmocka_unit_test(connecting_to_a_missing_path_is_enoent),
                raw_test(reply_without_parameters_gets_empty_parameters),
                raw_test(reply_with_unknown_key_is_ebadmsg),
                raw_test(reply_with_bad_error_after_parameters_is_ebadmsg),
                raw_test(reply_with_bad_parameters_after_error_is_ebadmsg),
                raw_test(reply_with_bad_continues_after_parameters_is_ebadmsg),
                raw_test(continues_without_more_is_ebadmsg),
                raw_test(continues_on_an_error_is_ebadmsg),
                raw_test(server_hang_up_is_econnreset),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
