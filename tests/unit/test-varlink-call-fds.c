/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-call.c with fds: both directions, refusal, the 253 maximum, closing what a handler left. */
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "test-fixture.h"

static int new_memfd(void) {
        int fd = memfd_create("test", MFD_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static bool same_file(int a, int b) {
        struct stat sa, sb;
        assert_int_equal(fstat(a, &sa), 0);
        assert_int_equal(fstat(b, &sb), 0);
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* Sends a call with n fds of /dev/null (closed here once sent) and returns the answer. */
static json_object *call_with_fds(Fixture *f, const char *text, size_t n) {
        int fds[VARLINK_FDS_MAX];
        assert_true(n <= VARLINK_FDS_MAX);
        for (size_t i = 0; i < n; i++)
                assert_true((fds[i] = dup(STDERR_FILENO)) >= 0);
        assert_int_equal(test_peer_send_fds(&f->peer, text, fds, n), 0);
        close_many(fds, n);
        return receive_json(&f->peer);
}

/* Calls with n fds, checks the answer's error (and its parameter), and that no fd stayed open. */
static void assert_answer_and_fds_closed(Fixture *f, const char *text, size_t n, const char *error,
                                         const char *parameter) {
        unsigned before = count_open_fds();
        json_object *m = call_with_fds(f, text, n);
        assert_string_equal(message_error(m), error);
        if (parameter)
                assert_string_equal(message_string(m, "parameter"), parameter);
        json_object_put(m);
        assert_int_equal(count_open_fds(), before);
}

static void fd_sent_by_the_client_comes_back_in_the_reply(void **state) {
        Fixture *f = *state;
        int fd = new_memfd();
        VarlinkMessage m = {};

        assert_int_equal(test_peer_send_fds(&f->peer, "{\"method\":\"io.test.TakeFd\",\"parameters\":{\"fd\":0}}", &fd, 1), 0);
        assert_int_equal(test_peer_receive(&f->peer, &m), 1);
        assert_string_equal(message_error(m.json), "");
        assert_int_equal(m.n_fds, 1);
        assert_true(same_file(fd, m.fds[0]));
        safe_close(fd);
        varlink_message_done(&m);
}

static void server_replies_with_the_maximum_of_253_fds(void **state) {
        Fixture *f = *state;
        VarlinkMessage m = {};

        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.SendFds\",\"parameters\":{\"count\":253}}"), 0);
        assert_int_equal(test_peer_receive(&f->peer, &m), 1);
        assert_int_equal(m.n_fds, 253);
        varlink_message_done(&m);
}

static void client_sends_the_maximum_of_253_fds(void **state) {
        assert_answer_and_fds_closed(*state, "{\"method\":\"io.test.IgnoreFds\"}", VARLINK_FDS_MAX, "", NULL);
}

static void reply_with_more_than_253_fds_fails_and_closes_them(void **state) {
        Fixture *f = *state;
        unsigned before = count_open_fds();
        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.SendFds\",\"parameters\":{\"count\":254}}"), 0);
        assert_true(test_peer_hung_up(&f->peer));
        assert_true(count_open_fds() < before);  /* the connection's socket went too */
}

static void fds_to_a_method_without_fds_in_are_refused_and_closed(void **state) {
        assert_answer_and_fds_closed(*state, "{\"method\":\"io.test.Echo\"}", 2, "org.varlink.service.InvalidParameter", "fileDescriptors");
}

static void more_fds_than_the_method_takes_are_refused_and_closed(void **state) {
        Fixture *f = *state;
        assert_answer_and_fds_closed(f, "{\"method\":\"io.test.TakeFd\",\"parameters\":{\"fd\":0}}", 2,
                                     "org.varlink.service.InvalidParameter", "fileDescriptors");
        assert_call_fails(&f->peer, "{\"method\":\"io.test.Nope\"}", "org.varlink.service.MethodNotFound", NULL, NULL);
}

static void fds_to_an_unknown_method_are_closed(void **state) {
        assert_answer_and_fds_closed(*state, "{\"method\":\"io.test.Nope\"}", 3, "org.varlink.service.MethodNotFound", NULL);
}

static void fds_the_handler_did_not_take_are_closed_after_dispatch(void **state) {
        assert_answer_and_fds_closed(*state, "{\"method\":\"io.test.IgnoreFds\"}", 5, "", NULL);
}

static void fds_a_deferred_call_did_not_take_are_closed_at_dispatch(void **state) {
        Fixture *f = *state;
        unsigned before = count_open_fds();
        int fd = dup(STDERR_FILENO);
        VarlinkMessage m = {};

        assert_int_equal(test_peer_send_fds(&f->peer, "{\"method\":\"io.test.Defer\"}", &fd, 1), 0);
        safe_close(fd);
        assert_int_equal(test_peer_receive(&f->peer, &m), -EAGAIN);
        assert_non_null(f->ts->deferred);
        assert_int_equal(count_open_fds(), before);
        assert_int_equal(test_server_finish_deferred(f->ts), 0);
        json_object_put(receive_json(&f->peer));
}

static void fd_index_out_of_range_is_invalid_parameter(void **state) {
        assert_answer_and_fds_closed(*state, "{\"method\":\"io.test.TakeFd\",\"parameters\":{\"fd\":1}}", 1, "org.varlink.service.InvalidParameter", "fd");
}

static void fd_parameter_without_fds_is_invalid_parameter(void **state) {
        Fixture *f = *state;
        assert_call_fails(&f->peer, "{\"method\":\"io.test.TakeFd\",\"parameters\":{\"fd\":0}}",
                          "org.varlink.service.InvalidParameter", "parameter", "fd");
}

static void taken_fd_is_closed_when_a_later_parameter_is_invalid(void **state) {
        assert_answer_and_fds_closed(*state, "{\"method\":\"io.test.TakeFd\",\"parameters\":{\"fd\":0,\"bogus\":1}}", 1, "org.varlink.service.InvalidParameter", "bogus");
}

static void fds_of_pipelined_calls_reach_their_own_call(void **state) {
        Fixture *f = *state;
        int fd = new_memfd();
        VarlinkMessage m = {};

        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Echo\"}"), 0);
        assert_int_equal(test_peer_send_fds(&f->peer, "{\"method\":\"io.test.TakeFd\",\"parameters\":{\"fd\":0}}", &fd, 1), 0);
        json_object *echo = receive_json(&f->peer);
        assert_string_equal(message_error(echo), "");
        json_object_put(echo);
        assert_int_equal(test_peer_receive(&f->peer, &m), 1);
        assert_int_equal(m.n_fds, 1);
        assert_true(same_file(fd, m.fds[0]));
        safe_close(fd);
        varlink_message_done(&m);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                fixture_test(fd_sent_by_the_client_comes_back_in_the_reply),
                fixture_test(server_replies_with_the_maximum_of_253_fds),
                fixture_test(more_fds_than_the_method_takes_are_refused_and_closed),
                fixture_test(client_sends_the_maximum_of_253_fds),
                fixture_test(reply_with_more_than_253_fds_fails_and_closes_them),
                fixture_test(fds_to_a_method_without_fds_in_are_refused_and_closed),
                fixture_test(fds_to_an_unknown_method_are_closed),
                fixture_test(fds_the_handler_did_not_take_are_closed_after_dispatch),
                fixture_test(fds_a_deferred_call_did_not_take_are_closed_at_dispatch),
                fixture_test(fd_index_out_of_range_is_invalid_parameter),
                fixture_test(fd_parameter_without_fds_is_invalid_parameter),
                fixture_test(taken_fd_is_closed_when_a_later_parameter_is_invalid),
                fixture_test(fds_of_pipelined_calls_reach_their_own_call),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
