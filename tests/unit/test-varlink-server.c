/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-server.c: connections — framing and pipelining, protocol errors, fds, limits, hang-ups. */
#include <linux/sockios.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "test-fixture.h"

static const char ECHO[] = "{\"method\":\"io.test.Echo\",\"parameters\":{\"n\":7}}";

static void assert_echo_works(TestPeer *p) {
        json_object *m = test_peer_call(p, ECHO);
        assert_non_null(m);
        assert_int_equal(message_int(m, "n"), 7);
        json_object_put(m);
}

static void call_split_at_every_byte_is_answered_once(void **state) {
        Fixture *f = *state;
        VarlinkMessage m = {};

        for (size_t k = 1; k < sizeof(ECHO); k++) {
                assert_int_equal(test_peer_send_bytes(&f->peer, ECHO, k, NULL, 0), 0);
                assert_int_equal(test_peer_receive(&f->peer, &m), -EAGAIN);
                assert_int_equal(test_peer_send_bytes(&f->peer, ECHO + k, sizeof(ECHO) - k, NULL, 0), 0);
                json_object_put(receive_json(&f->peer));
        }
}

static void call_sent_one_byte_at_a_time_is_answered(void **state) {
        Fixture *f = *state;
        VarlinkMessage m = {};

        for (size_t k = 0; k < sizeof(ECHO) - 1; k++) {
                assert_int_equal(test_peer_send_bytes(&f->peer, ECHO + k, 1, NULL, 0), 0);
                assert_int_equal(test_peer_receive(&f->peer, &m), -EAGAIN);
        }
        assert_int_equal(test_peer_send_bytes(&f->peer, "", 1, NULL, 0), 0);
        json_object *reply = receive_json(&f->peer);
        assert_int_equal(message_int(reply, "n"), 7);
        json_object_put(reply);
}

/* Sends `count` Echo calls numbered from 0 in one write. */
static void send_echoes(TestPeer *p, unsigned count) {
        size_t size = (size_t) count * 64, len = 0;
        char *buf = malloc(size);

        assert_non_null(buf);
        for (unsigned i = 0; i < count; i++)
                len += (size_t) snprintf(buf + len, size - len, "{\"method\":\"io.test.Echo\",\"parameters\":{\"n\":%u}}", i) + 1;
        assert_int_equal(test_peer_send_bytes(p, buf, len, NULL, 0), 0);
        free(buf);
}

static void assert_echoes_answered_in_order(TestPeer *p, unsigned count) {
        for (unsigned i = 0; i < count; i++) {
                json_object *m = receive_json(p);
                assert_int_equal(message_int(m, "n"), i);
                json_object_put(m);
        }
}

static void pipelined_calls_are_answered_in_order(void **state) {
        Fixture *f = *state;
        send_echoes(&f->peer, 5);
        assert_echoes_answered_in_order(&f->peer, 5);
}

static void calls_behind_a_deferred_call_wait_for_it(void **state) {
        Fixture *f = *state;
        VarlinkMessage m = {};

        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Defer\"}"), 0);
        send_echoes(&f->peer, 3);
        assert_int_equal(test_peer_receive(&f->peer, &m), -EAGAIN);
        assert_int_equal(test_server_finish_deferred(f->ts), 0);
        json_object_put(receive_json(&f->peer));
        assert_echoes_answered_in_order(&f->peer, 3);
}

/* Protocol errors close that connection only: another one keeps being served. */
static void assert_disconnects_and_others_still_served(Fixture *f, const void *bytes, size_t len,
                                                       const int *fds, size_t n_fds) {
        TestPeer other;
        assert_int_equal(test_peer_connect(&other, f->ts), 0);
        assert_int_equal(test_peer_send_bytes(&f->peer, bytes, len, fds, n_fds), 0);
        assert_true(test_peer_hung_up(&f->peer));
        assert_echo_works(&other);
        assert_int_equal(varlink_server_n_connections(f->ts->server), 1);
        test_peer_done(&other);
}

static void invalid_json_disconnects(void **state) {
        assert_disconnects_and_others_still_served(*state, "{\"method\":", 11, NULL, 0);
}

static void json_that_is_not_an_object_disconnects(void **state) {
        assert_disconnects_and_others_still_served(*state, "\"io.test.Echo\"", 15, NULL, 0);
}

static void unknown_call_key_disconnects(void **state) {
        static const char call[] = "{\"method\":\"io.test.Echo\",\"extra\":true}";
        assert_disconnects_and_others_still_served(*state, call, sizeof(call), NULL, 0);
}

static void oneway_with_more_disconnects(void **state) {
        static const char call[] = "{\"method\":\"io.test.Echo\",\"oneway\":true,\"more\":true}";
        assert_disconnects_and_others_still_served(*state, call, sizeof(call), NULL, 0);
}

static void fds_in_the_middle_of_a_message_disconnect(void **state) {
        Fixture *f = *state;
        VarlinkMessage m = {};
        int fd = dup(STDERR_FILENO);

        assert_int_equal(test_peer_send_bytes(&f->peer, ECHO, 5, NULL, 0), 0);
        assert_int_equal(test_peer_receive(&f->peer, &m), -EAGAIN);
        assert_disconnects_and_others_still_served(f, ECHO + 5, sizeof(ECHO) - 5, &fd, 1);
        safe_close(fd);
}

static void message_over_16_mib_disconnects(void **state) {
        Fixture *f = *state;
        size_t len = VARLINK_MESSAGE_MAX + 1;
        char *big = malloc(len);

        assert_non_null(big);
        memset(big, ' ', len);
        memcpy(big, ECHO, sizeof(ECHO) - 1);
        big[len - 1] = 0;
        assert_disconnects_and_others_still_served(f, big, len, NULL, 0);
        free(big);
}

static void pending_calls_are_bounded_by_not_reading(void **state) {
        Fixture *f = *state;
        int outq = 0;

        test_server_set_limits(f->ts, 4, VARLINK_LIMITS_DEFAULT.output_max);
        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Defer\"}"), 0);
        send_echoes(&f->peer, 3000);  /* ~150 KiB: fits the socket, not one 64 KiB read */
        test_server_run(f->ts);
        assert_int_equal(ioctl(f->peer.stream.fd, SIOCOUTQ, &outq), 0);
        assert_true(outq > 0);  /* the server stopped reading: the rest waits in the socket */

        assert_int_equal(test_server_finish_deferred(f->ts), 0);
        json_object_put(receive_json(&f->peer));
        assert_echoes_answered_in_order(&f->peer, 3000);
}

/* A stream to a peer that never reads ends in a disconnect once over the output limit. */
static void slow_reader_of_a_stream_is_disconnected_over_the_output_limit(void **state) {
        Fixture *f = *state;
        char pad[1024];
        unsigned i;

        test_server_set_limits(f->ts, 64, 64 * 1024);
        memset(pad, 'x', sizeof(pad) - 1);
        pad[sizeof(pad) - 1] = 0;
        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Subscribe\",\"more\":true}"), 0);
        test_server_run(f->ts);
        for (i = 0; i < 100000 && f->ts->deferred; i++) {
                json_object *p = json_object_new_object();
                json_object_object_add(p, "pad", json_object_new_string(pad));
                if (varlink_call_notify(f->ts->deferred, p) < 0)
                        break;
                test_server_run(f->ts);
        }
        test_server_run(f->ts);
        assert_true(i < 100000);
        assert_null(f->ts->deferred);
        assert_int_equal(f->ts->n_cancelled, 1);
        assert_int_equal(varlink_server_n_connections(f->ts->server), 0);
}

static void connections_per_uid_are_limited(void **state) {
        Fixture *f = *state;
        VarlinkLimits limits = VARLINK_LIMITS_DEFAULT;
        TestPeer second, third;

        limits.connections_per_uid_max = 2;
        varlink_server_set_limits(f->ts->server, &limits);
        assert_int_equal(test_peer_connect(&second, f->ts), 0);
        assert_int_equal(test_peer_connect(&third, f->ts), -EUSERS);
        test_peer_done(&second);
        assert_int_equal(test_peer_connect(&third, f->ts), 0);
        assert_echo_works(&third);
        test_peer_done(&third);
}

static void connections_are_limited(void **state) {
        Fixture *f = *state;
        VarlinkLimits limits = VARLINK_LIMITS_DEFAULT;
        TestPeer second;

        limits.connections_max = 1;
        varlink_server_set_limits(f->ts->server, &limits);
        assert_int_equal(test_peer_connect(&second, f->ts), -EUSERS);
}

static void calls_before_a_half_close_are_still_answered(void **state) {
        Fixture *f = *state;
        send_echoes(&f->peer, 3);
        assert_int_equal(shutdown(f->peer.stream.fd, SHUT_WR), 0);
        assert_echoes_answered_in_order(&f->peer, 3);
        assert_true(test_peer_hung_up(&f->peer));
        assert_int_equal(f->ts->n_disconnected, 1);
}

static void hang_up_frees_the_connection(void **state) {
        Fixture *f = *state;
        test_peer_done(&f->peer);
        assert_int_equal(varlink_server_n_connections(f->ts->server), 0);
        assert_int_equal(f->ts->n_disconnected, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                fixture_test(call_split_at_every_byte_is_answered_once),
                fixture_test(call_sent_one_byte_at_a_time_is_answered),
                fixture_test(pipelined_calls_are_answered_in_order),
                fixture_test(calls_behind_a_deferred_call_wait_for_it),
                fixture_test(invalid_json_disconnects),
                fixture_test(json_that_is_not_an_object_disconnects),
                fixture_test(unknown_call_key_disconnects),
                fixture_test(oneway_with_more_disconnects),
                fixture_test(fds_in_the_middle_of_a_message_disconnect),
                fixture_test(message_over_16_mib_disconnects),
                fixture_test(pending_calls_are_bounded_by_not_reading),
                fixture_test(slow_reader_of_a_stream_is_disconnected_over_the_output_limit),
                fixture_test(connections_per_uid_are_limited),
                fixture_test(connections_are_limited),
                fixture_test(calls_before_a_half_close_are_still_answered),
                fixture_test(hang_up_frees_the_connection),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
