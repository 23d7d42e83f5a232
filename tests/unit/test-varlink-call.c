/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-call.c: a call's envelope, the standard errors, more, oneway, and the replies a handler makes. */
#include <sys/mman.h>
#include <sys/stat.h>

#include "test-fixture.h"

static json_object *call(void **state, const char *text) {
        Fixture *f = *state;
        json_object *m = test_peer_call(&f->peer, text);
        assert_non_null(m);
        return m;
}

static void missing_parameters_are_an_empty_object(void **state) {
        json_object *m = call(state, "{\"method\":\"io.test.Echo\"}");
        assert_string_equal(json_object_to_json_string(m), "{ \"parameters\": { } }");
        json_object_put(m);
}

static void null_parameters_are_an_empty_object(void **state) {
        json_object *m = call(state, "{\"method\":\"io.test.Echo\",\"parameters\":null}");
        assert_string_equal(json_object_to_json_string(m), "{ \"parameters\": { } }");
        json_object_put(m);
}

static void reply_without_parameters_carries_empty_parameters(void **state) {
        json_object *m = call(state, "{\"method\":\"io.test.IgnoreFds\"}");
        assert_true(json_object_is_type(message_parameters(m), json_type_object));
        json_object_put(m);
}

static void error_without_parameters_carries_empty_parameters(void **state) {
        json_object *m = call(state, "{\"method\":\"io.test.Stream\",\"parameters\":{\"count\":1}}");
        assert_string_equal(message_error(m), "org.varlink.service.ExpectedMore");
        assert_true(json_object_is_type(message_parameters(m), json_type_object));
        json_object_put(m);
}

static void unknown_interface_is_interface_not_found(void **state) {
        Fixture *f = *state;
        assert_call_fails(&f->peer, "{\"method\":\"io.nope.Foo\"}", "org.varlink.service.InterfaceNotFound",
                          "interface", "io.nope");
}

static void method_without_interface_is_interface_not_found(void **state) {
        Fixture *f = *state;
        assert_call_fails(&f->peer, "{\"method\":\"Foo\"}", "org.varlink.service.InterfaceNotFound",
                          "interface", "Foo");
}

static void unknown_method_is_method_not_found_with_full_name(void **state) {
        Fixture *f = *state;
        assert_call_fails(&f->peer, "{\"method\":\"io.test.Nope\"}", "org.varlink.service.MethodNotFound",
                          "method", "io.test.Nope");
}

static void upgrade_is_method_not_implemented(void **state) {
        Fixture *f = *state;
        assert_call_fails(&f->peer, "{\"method\":\"io.test.Echo\",\"upgrade\":true}",
                          "org.varlink.service.MethodNotImplemented", "method", "io.test.Echo");
}

static void stream_without_more_is_expected_more(void **state) {
        Fixture *f = *state;
        assert_call_fails(&f->peer, "{\"method\":\"io.test.Stream\",\"parameters\":{\"count\":2}}",
                          "org.varlink.service.ExpectedMore", NULL, NULL);
}

static void more_gets_continues_replies_then_a_last_one(void **state) {
        Fixture *f = *state;
        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Stream\",\"more\":true,"
                                                  "\"parameters\":{\"count\":3}}"), 0);
        for (int i = 0; i <= 3; i++) {
                json_object *m = receive_json(&f->peer);
                assert_int_equal(message_int(m, "i"), i);
                assert_int_equal(json_object_get_boolean(json_object_object_get(m, "continues")), i < 3);
                json_object_put(m);
        }
        VarlinkMessage m = {};
        assert_int_equal(test_peer_receive(&f->peer, &m), -EAGAIN);
}

static void more_on_a_plain_method_gets_one_reply(void **state) {
        json_object *m = call(state, "{\"method\":\"io.test.Echo\",\"more\":true,\"parameters\":{\"x\":1}}");
        assert_null(json_object_object_get(m, "continues"));
        assert_int_equal(message_int(m, "x"), 1);
        json_object_put(m);
}

static void oneway_gets_no_reply(void **state) {
        Fixture *f = *state;
        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Echo\",\"oneway\":true,"
                                                  "\"parameters\":{\"n\":1}}"), 0);
        json_object *m = call(state, "{\"method\":\"io.test.Echo\",\"parameters\":{\"n\":2}}");
        assert_int_equal(message_int(m, "n"), 2);
        json_object_put(m);
}

static void oneway_errors_get_no_reply_either(void **state) {
        Fixture *f = *state;
        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Nope\",\"oneway\":true}"), 0);
        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Fail\",\"oneway\":true}"), 0);
        json_object *m = call(state, "{\"method\":\"io.test.Echo\",\"parameters\":{\"n\":3}}");
        assert_int_equal(message_int(m, "n"), 3);
        json_object_put(m);
}

static void failing_handler_gets_the_system_error(void **state) {
        json_object *m = call(state, "{\"method\":\"io.test.Fail\"}");
        assert_string_equal(message_error(m), "io.test.SystemError");
        assert_string_equal(message_string(m, "errnoName"), "ENOENT");
        assert_int_equal(message_int(m, "errno"), ENOENT);
        json_object_put(m);
}

static void handler_that_forgets_to_answer_gets_the_system_error(void **state) {
        json_object *m = call(state, "{\"method\":\"io.test.Forget\"}");
        assert_string_equal(message_error(m), "io.test.SystemError");
        assert_string_equal(message_string(m, "errnoName"), "EPROTO");
        json_object_put(m);
}

static void deferred_call_is_answered_later(void **state) {
        Fixture *f = *state;
        VarlinkMessage m = {};
        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Defer\"}"), 0);
        assert_int_equal(test_peer_receive(&f->peer, &m), -EAGAIN);
        assert_int_equal(test_server_finish_deferred(f->ts), 0);
        json_object *reply = receive_json(&f->peer);
        assert_true(json_object_get_boolean(json_object_object_get(message_parameters(reply), "done")));
        json_object_put(reply);
}

static void deferred_call_is_cancelled_when_the_peer_hangs_up(void **state) {
        Fixture *f = *state;
        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Defer\"}"), 0);
        test_server_run(f->ts);
        assert_non_null(f->ts->deferred);
        varlink_stream_done(&f->peer.stream);
        test_server_run(f->ts);
        assert_null(f->ts->deferred);
        assert_int_equal(f->ts->n_cancelled, 1);
        assert_int_equal(varlink_server_n_connections(f->ts->server), 0);
}

/* Envelopes that are not varlink calls close the connection. */
static void unknown_call_key_disconnects(void **state) {
        Fixture *f = *state;
        assert_call_disconnects(&f->peer, "{\"method\":\"io.test.Echo\",\"bogus\":1}");
}

static void oneway_with_more_disconnects(void **state) {
        Fixture *f = *state;
        assert_call_disconnects(&f->peer, "{\"method\":\"io.test.Echo\",\"oneway\":true,\"more\":true}");
}

static void missing_method_disconnects(void **state) {
        Fixture *f = *state;
        assert_call_disconnects(&f->peer, "{\"parameters\":{}}");
}

static void method_not_a_string_disconnects(void **state) {
        Fixture *f = *state;
        assert_call_disconnects(&f->peer, "{\"method\":7}");
}

static void parameters_not_an_object_disconnect(void **state) {
        Fixture *f = *state;
        assert_call_disconnects(&f->peer, "{\"method\":\"io.test.Echo\",\"parameters\":[1]}");
}

static void more_not_a_boolean_disconnects(void **state) {
        Fixture *f = *state;
        assert_call_disconnects(&f->peer, "{\"method\":\"io.test.Echo\",\"more\":\"yes\"}");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                fixture_test(missing_parameters_are_an_empty_object),
                fixture_test(null_parameters_are_an_empty_object),
                fixture_test(reply_without_parameters_carries_empty_parameters),
                fixture_test(error_without_parameters_carries_empty_parameters),
                fixture_test(unknown_interface_is_interface_not_found),
                fixture_test(method_without_interface_is_interface_not_found),
                fixture_test(unknown_method_is_method_not_found_with_full_name),
                fixture_test(upgrade_is_method_not_implemented),
                fixture_test(stream_without_more_is_expected_more),
                fixture_test(more_gets_continues_replies_then_a_last_one),
                fixture_test(more_on_a_plain_method_gets_one_reply),
                fixture_test(oneway_gets_no_reply),
                fixture_test(oneway_errors_get_no_reply_either),
                fixture_test(failing_handler_gets_the_system_error),
                fixture_test(handler_that_forgets_to_answer_gets_the_system_error),
                fixture_test(deferred_call_is_answered_later),
                fixture_test(deferred_call_is_cancelled_when_the_peer_hangs_up),
                fixture_test(unknown_call_key_disconnects),
                fixture_test(oneway_with_more_disconnects),
                fixture_test(missing_method_disconnects),
                fixture_test(method_not_a_string_disconnects),
                fixture_test(parameters_not_an_object_disconnect),
                fixture_test(more_not_a_boolean_disconnects),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
