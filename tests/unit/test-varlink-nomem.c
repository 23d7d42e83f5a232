/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Out of memory: the stream's spare message, and a server whose allocations fail (fail-alloc.h)
 * answers SystemError ENOMEM, never a hang-up, and serves the connection again afterwards. */
#include <sys/socket.h>
#include <sys/un.h>

#include "fail-alloc.h"
#include "test-fixture.h"

static const char ECHO[] = "{\"method\":\"io.test.Echo\",\"parameters\":{\"n\":7}}";
static const char SPARE[] = "{\"error\":\"spare\"}";

static void assert_echo_works(TestPeer *p) {
        json_object *m = test_peer_call(p, ECHO);
        assert_non_null(m);
        assert_int_equal(message_int(m, "n"), 7);
        json_object_put(m);
}

static void assert_enomem(json_object *m) {
        assert_non_null(m);
        assert_string_equal(message_error(m), "io.test.SystemError");
        assert_string_equal(message_string(m, "errnoName"), "ENOMEM");
        assert_int_equal(message_int(m, "errno"), ENOMEM);
        json_object_put(m);
}

/* Reads one NUL-terminated message from a raw socket, into buf. */
static void recv_text(int fd, char *buf, size_t size) {
        ssize_t n = recv(fd, buf, size, MSG_DONTWAIT);
        assert_true(n > 0);
        assert_int_equal(buf[n - 1], '\0');
}

static void spare_is_sent_and_comes_back(void **state) {
        int sv[2];
        char buf[64];
        VarlinkStream s;

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
        varlink_stream_init(&s, sv[0], SIZE_MAX);
        assert_int_equal(varlink_stream_enqueue_spare(&s), -ENOENT);
        assert_int_equal(varlink_stream_set_spare(&s, SPARE), 0);
        for (int i = 0; i < 3; i++) {
                assert_true(varlink_stream_spare_ready(&s));
                assert_int_equal(varlink_stream_enqueue_spare(&s), 0);
                assert_false(varlink_stream_spare_ready(&s));
                assert_int_equal(varlink_stream_enqueue_spare(&s), -EBUSY);
                assert_int_equal(varlink_stream_flush(&s), 1);
                recv_text(sv[1], buf, sizeof(buf));
                assert_string_equal(buf, SPARE);
        }
        varlink_stream_done(&s);
        safe_close(sv[1]);
}

/* Beyond the output limit, behind what was queued before it; freed once, queued or not. */
static void spare_goes_beyond_the_output_limit_in_order(void **state) {
        int sv[2];
        char buf[64];
        VarlinkStream s;
        json_object *first = json_tokener_parse("{\"first\":1}");

        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
        varlink_stream_init(&s, sv[0], 16);
        assert_int_equal(varlink_stream_set_spare(&s, SPARE), 0);
        assert_int_equal(varlink_stream_enqueue(&s, first, NULL, 0), 0);
        assert_int_equal(varlink_stream_enqueue(&s, first, NULL, 0), -ENOBUFS);
        assert_int_equal(varlink_stream_enqueue_spare(&s), 0);
        assert_int_equal(varlink_stream_flush(&s), 1);
        assert_true(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == (ssize_t) (sizeof("{\"first\":1}") + sizeof(SPARE)));
        assert_string_equal(buf, "{\"first\":1}");
        assert_string_equal(buf + sizeof("{\"first\":1}"), SPARE);

        assert_int_equal(varlink_stream_enqueue_spare(&s), 0);  /* queued, never written */
        varlink_stream_done(&s);
        json_object_put(first);
        safe_close(sv[1]);
}

/* The VarlinkCall itself cannot be allocated. */
static void call_that_cannot_be_made_gets_enomem(void **state) {
        Fixture *f = *state;

        assert_echo_works(&f->peer);  /* the buffers are there: what fails next is the call's */
        fail_alloc_after(FAIL_CALLOC, 0);
        assert_enomem(test_peer_call(&f->peer, ECHO));
        assert_true(fail_alloc_failed() > 0);
        fail_alloc_stop();
        assert_echo_works(&f->peer);
}

/* The call is there, its reply cannot be queued. */
static void reply_that_cannot_be_queued_gives_way_to_enomem(void **state) {
        Fixture *f = *state;

        assert_echo_works(&f->peer);
        fail_alloc_after(FAIL_CALLOC, 1);
        assert_enomem(test_peer_call(&f->peer, ECHO));
        fail_alloc_stop();
        assert_echo_works(&f->peer);
}

/* Answered from outside the handler, later. */
static void deferred_reply_that_cannot_be_queued_gives_way_to_enomem(void **state) {
        Fixture *f = *state;
        VarlinkMessage m = {};

        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Defer\"}"), 0);
        assert_int_equal(test_peer_receive(&f->peer, &m), -EAGAIN);
        fail_alloc_after(FAIL_CALLOC, 0);
        assert_int_equal(test_server_finish_deferred(f->ts), -ENOMEM);
        assert_enomem(receive_json(&f->peer));
        fail_alloc_stop();
        assert_echo_works(&f->peer);
}

/* A stream of replies that lost one ends: the error, then the hang-up. */
static void stream_that_loses_a_reply_ends_with_enomem(void **state) {
        Fixture *f = *state;

        assert_echo_works(&f->peer);
        fail_alloc_after(FAIL_CALLOC, 2);  /* the call, its first reply */
        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Stream\",\"parameters\":{\"count\":3},\"more\":true}"), 0);
        json_object *first = receive_json(&f->peer);
        assert_string_equal(message_error(first), "");
        json_object_put(first);
        assert_enomem(receive_json(&f->peer));
        fail_alloc_stop();
        assert_true(test_peer_hung_up(&f->peer));
}

/* A reply bigger than a socket's buffer. */
static json_object *big_reply(void) {
        size_t size = 4 << 20;
        char *s = malloc(size + 1);
        assert_non_null(s);
        memset(s, 'x', size);
        s[size] = '\0';
        json_object *o = json_object_new_object();
        json_object_object_add(o, "s", json_object_new_string(s));
        free(s);
        return o;
}

/* A deferred stream (a Watch) that loses a reply: the replies before it and the error still go
 * out, even when they do not fit in the socket at once, what it sends later is dropped, then the
 * hang-up, which cancels the call. */
static void deferred_stream_that_loses_a_reply_ends_with_enomem(void **state) {
        Fixture *f = *state;
        VarlinkMessage m = {};

        assert_int_equal(test_peer_send(&f->peer, "{\"method\":\"io.test.Subscribe\",\"more\":true}"), 0);
        assert_int_equal(test_peer_receive(&f->peer, &m), -EAGAIN);
        assert_non_null(f->ts->deferred);
        assert_int_equal(varlink_call_notify(f->ts->deferred, big_reply()), 0);
        fail_alloc_after(FAIL_CALLOC, 0);
        assert_int_equal(varlink_call_notify(f->ts->deferred, NULL), -ENOMEM);
        fail_alloc_stop();
        assert_int_equal(varlink_call_notify(f->ts->deferred, NULL), 0);  /* dropped */

        json_object *first = receive_json(&f->peer);
        assert_string_equal(message_error(first), "");
        json_object_put(first);
        assert_enomem(receive_json(&f->peer));
        assert_true(test_peer_hung_up(&f->peer));
        assert_null(f->ts->deferred);
        assert_int_equal(f->ts->n_cancelled, 1);
}

/* The peer has neither an answer nor a hang-up to read. */
static void assert_no_answer_yet(TestPeer *p) {
        char buf[8];

        assert_int_equal(recv(p->stream.fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_PEEK), -1);
        assert_int_equal(errno, EAGAIN);
}

/* The input buffer of a new connection cannot be allocated: the call waits in the socket, and is
 * answered once memory is back, after the connection's pause. */
static void call_read_out_of_memory_waits_and_is_answered(void **state) {
        Fixture *f = *state;

        fail_alloc_after(FAIL_REALLOC, 0);
        assert_int_equal(test_peer_send(&f->peer, ECHO), 0);
        test_server_run(f->ts);
        assert_true(fail_alloc_failed() > 0);
        assert_no_answer_yet(&f->peer);
        fail_alloc_stop();
        usleep(150 * 1000);
        json_object *m = receive_json(&f->peer);
        assert_int_equal(message_int(m, "n"), 7);
        json_object_put(m);
}

/* The same for a call with an fd: the room for its fds is made before the read, so the call and
 * its fd wait in the socket rather than being taken out of it and lost. */
static void call_with_fd_read_out_of_memory_waits_and_is_answered(void **state) {
        Fixture *f = *state;
        int fd = dup(STDERR_FILENO);
        VarlinkMessage m = {};

        assert_true(fd >= 0);
        fail_alloc_after(FAIL_CALLOC, 0);
        assert_int_equal(test_peer_send_fds(&f->peer, "{\"method\":\"io.test.TakeFd\",\"parameters\":{\"fd\":0}}", &fd, 1), 0);
        safe_close(fd);
        test_server_run(f->ts);
        assert_true(fail_alloc_failed() > 0);
        assert_no_answer_yet(&f->peer);
        fail_alloc_stop();
        usleep(150 * 1000);
        test_server_run(f->ts);
        assert_int_equal(test_peer_receive(&f->peer, &m), 1);
        assert_string_equal(message_error(m.json), "");
        assert_int_equal(m.n_fds, 1);
        varlink_message_done(&m);
}

/* The connection itself cannot be set up: the accepted socket is kept, not closed, and served once
 * memory is back, after the listeners' pause. */
static void connection_accepted_out_of_memory_waits_and_is_served(void **state) {
        char dir[] = "/tmp/test-varlink-nomem.XXXXXX", path[64], buf[8];
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        unsigned fds_before = count_open_fds();
        TestServer *ts;
        TestPeer p;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/socket", dir);
        assert_int_equal(test_server_new(&ts), 0);
        assert_int_equal(varlink_server_listen_path(ts->server, path), 0);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(fd >= 0);
        strcpy(sa.sun_path, path);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        test_peer_attach(&p, ts, fd);
        assert_int_equal(test_peer_send(&p, ECHO), 0);

        fail_alloc_after(FAIL_CALLOC, 0);
        test_server_run(ts);
        assert_true(fail_alloc_failed() > 0);
        assert_int_equal(varlink_server_n_connections(ts->server), 0);
        assert_int_equal(recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_PEEK), -1);
        assert_int_equal(errno, EAGAIN);  /* no answer, and no hang-up */
        fail_alloc_stop();
        usleep(150 * 1000);
        json_object *m = receive_json(&p);
        assert_int_equal(message_int(m, "n"), 7);
        json_object_put(m);

        test_peer_done(&p);
        test_server_free(ts);
        assert_int_equal(unlink(path), 0);
        assert_int_equal(rmdir(dir), 0);
        assert_int_equal(count_open_fds(), fds_before);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(spare_is_sent_and_comes_back),
                cmocka_unit_test(spare_goes_beyond_the_output_limit_in_order),
                fixture_test(call_that_cannot_be_made_gets_enomem),
                fixture_test(reply_that_cannot_be_queued_gives_way_to_enomem),
                fixture_test(deferred_reply_that_cannot_be_queued_gives_way_to_enomem),
                fixture_test(stream_that_loses_a_reply_ends_with_enomem),
                fixture_test(deferred_stream_that_loses_a_reply_ends_with_enomem),
                fixture_test(call_read_out_of_memory_waits_and_is_answered),
                fixture_test(call_with_fd_read_out_of_memory_waits_and_is_answered),
                cmocka_unit_test(connection_accepted_out_of_memory_waits_and_is_served),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
