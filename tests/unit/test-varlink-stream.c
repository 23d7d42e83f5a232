/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-stream.c: framing at every split point, fds with the first byte of their message, limits. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>

#include "test-fixture.h"

static const char CALL[] = "{\"method\":\"io.test.Echo\",\"parameters\":{\"x\":[1,2,3]}}";

typedef struct Pair {
        unsigned fds_before;
        int writer;             /* raw end, written with test_send_raw() */
        VarlinkStream reader;
} Pair;

static int pair_setup(void **state) {
        Pair *p = calloc(1, sizeof(*p));
        int sv[2];

        assert_non_null(p);
        p->fds_before = count_open_fds();
        assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv), 0);
        varlink_stream_init(&p->reader, sv[0], SIZE_MAX);
        p->reader.fds_in_max = VARLINK_FDS_MAX;
        p->writer = sv[1];
        *state = p;
        return 0;
}

static int pair_teardown(void **state) {
        Pair *p = *state;
        varlink_stream_done(&p->reader);
        safe_close(p->writer);
        assert_int_equal(count_open_fds(), p->fds_before);
        free(p);
        return 0;
}

#define pair_test(t) cmocka_unit_test_setup_teardown(t, pair_setup, pair_teardown)

static void write_all(Pair *p, const void *data, size_t len, const int *fds, size_t n_fds) {
        assert_int_equal(test_send_raw(p->writer, data, len, fds, n_fds), (ssize_t) len);
}

/* Reads what is there and takes the next message out: 1, 0 (none complete) or -errno. */
static int read_next(Pair *p, VarlinkMessage *m) {
        for (;;) {
                int r = varlink_stream_next(&p->reader, m);
                if (r != 0)
                        return r;
                r = varlink_stream_read(&p->reader);
                if (r <= 0 || p->reader.eof)
                        return r < 0 ? r : varlink_stream_next(&p->reader, m);
        }
}

static void assert_next_is_call(Pair *p, size_t n_fds) {
        VarlinkMessage m = {};
        assert_int_equal(read_next(p, &m), 1);
        assert_string_equal(json_object_get_string(json_object_object_get(m.json, "method")), "io.test.Echo");
        assert_int_equal(m.n_fds, n_fds);
        varlink_message_done(&m);
}

static void assert_next_fails(Pair *p, int error) {
        VarlinkMessage m = {};
        assert_int_equal(read_next(p, &m), error);
}

static int open_null(void) {
        int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

static void message_split_at_every_byte_is_reassembled(void **state) {
        Pair *p = *state;
        size_t len = sizeof(CALL);  /* the NUL included */

        for (size_t k = 1; k < len; k++) {
                VarlinkMessage m = {};
                write_all(p, CALL, k, NULL, 0);
                assert_int_equal(read_next(p, &m), 0);
                write_all(p, CALL + k, len - k, NULL, 0);
                assert_next_is_call(p, 0);
        }
}

static void message_sent_one_byte_at_a_time_is_reassembled(void **state) {
        Pair *p = *state;
        VarlinkMessage m = {};

        for (size_t k = 0; k + 1 < sizeof(CALL); k++) {
                write_all(p, CALL + k, 1, NULL, 0);
                assert_int_equal(read_next(p, &m), 0);
        }
        write_all(p, "", 1, NULL, 0);
        assert_next_is_call(p, 0);
}

static void several_messages_in_one_write_come_out_in_order(void **state) {
        Pair *p = *state;
        static const char three[] = "{\"n\":0}\0{\"n\":1}\0{\"n\":2}";

        write_all(p, three, sizeof(three), NULL, 0);
        for (int i = 0; i < 3; i++) {
                VarlinkMessage m = {};
                assert_int_equal(read_next(p, &m), 1);
                assert_int_equal(json_object_get_int(json_object_object_get(m.json, "n")), i);
                varlink_message_done(&m);
        }
}

static void whitespace_around_the_object_is_accepted(void **state) {
        Pair *p = *state;
        static const char text[] = " \t{\"method\":\"io.test.Echo\"}\r\n ";
        write_all(p, text, sizeof(text), NULL, 0);
        assert_next_is_call(p, 0);
}

static void assert_text_is_ebadmsg(void **state, const char *text, size_t len) {
        Pair *p = *state;
        write_all(p, text, len, NULL, 0);
        assert_next_fails(p, -EBADMSG);
}

static void invalid_json_is_ebadmsg(void **state) {
        assert_text_is_ebadmsg(state, "{\"a\":", 6);
}

static void json_that_is_not_an_object_is_ebadmsg(void **state) {
        assert_text_is_ebadmsg(state, "[1,2]", 6);
}

static void trailing_garbage_is_ebadmsg(void **state) {
        assert_text_is_ebadmsg(state, "{} x", 5);
}

static void invalid_utf8_is_ebadmsg(void **state) {
        assert_text_is_ebadmsg(state, "{\"a\":\"\xff\"}", 10);
}

static void empty_message_is_ebadmsg(void **state) {
        assert_text_is_ebadmsg(state, "", 1);
}

static void eof_is_reported_once_the_peer_closes(void **state) {
        Pair *p = *state;
        VarlinkMessage m = {};
        p->writer = safe_close(p->writer);
        assert_int_equal(varlink_stream_read(&p->reader), 1);
        assert_true(p->reader.eof);
        assert_int_equal(varlink_stream_next(&p->reader, &m), 0);
}

static void fds_with_the_first_byte_belong_to_that_message(void **state) {
        Pair *p = *state;
        int fds[2] = { open_null(), open_null() };

        write_all(p, CALL, sizeof(CALL), fds, 2);
        write_all(p, CALL, sizeof(CALL), NULL, 0);
        close_many(fds, 2);
        assert_next_is_call(p, 2);
        assert_next_is_call(p, 0);
}

static void fds_in_the_middle_of_a_message_are_eproto(void **state) {
        Pair *p = *state;
        int fd = open_null();
        VarlinkMessage m = {};

        write_all(p, CALL, 10, NULL, 0);
        assert_int_equal(read_next(p, &m), 0);
        write_all(p, CALL + 10, sizeof(CALL) - 10, &fd, 1);
        safe_close(fd);
        assert_next_fails(p, -EPROTO);
}

/* The kernel glues a segment without fds to the segment with fds that follows it into one read:
 * the fds still belong to the second message, not to the first byte of the read. */
static void fds_read_together_with_an_earlier_message_belong_to_their_own(void **state) {
        Pair *p = *state;
        int fd = open_null();

        write_all(p, CALL, sizeof(CALL), NULL, 0);
        write_all(p, CALL, sizeof(CALL), &fd, 1);
        safe_close(fd);
        assert_next_is_call(p, 0);
        assert_next_is_call(p, 1);
}

/* The same when the message with fds is too long for one read. */
static void fds_of_a_long_message_read_after_an_earlier_one_belong_to_it(void **state) {
        Pair *p = *state;
        size_t len = 100 * 1024;
        char *long_call = malloc(len);
        int fd = open_null();

        assert_non_null(long_call);
        memset(long_call, ' ', len);
        memcpy(long_call, CALL, strlen(CALL));
        long_call[len - 1] = 0;
        write_all(p, CALL, sizeof(CALL), NULL, 0);
        write_all(p, long_call, len, &fd, 1);
        safe_close(fd);
        free(long_call);
        assert_next_is_call(p, 0);
        assert_next_is_call(p, 1);
}

/* Sends CALL with n fds to a reader taking at most fds_in_max, then CALL alone: the first arrives
 * marked truncated with none of its fds open, the second as usual. */
static void assert_extra_fds_dropped(Pair *p, size_t fds_in_max, size_t n) {
        int fds[8];
        VarlinkMessage m = {};

        assert_true(n <= ELEMENTSOF(fds));
        for (size_t i = 0; i < n; i++)
                fds[i] = open_null();
        p->reader.fds_in_max = fds_in_max;
        write_all(p, CALL, sizeof(CALL), fds, n);
        close_many(fds, n);
        write_all(p, CALL, sizeof(CALL), NULL, 0);

        assert_int_equal(read_next(p, &m), 1);
        assert_true(m.fds_truncated);
        assert_int_equal(m.n_fds, 0);
        varlink_message_done(&m);
        assert_next_is_call(p, 0);  /* the teardown checks that no fd stayed open */
}

static void fds_to_a_stream_that_takes_none_are_dropped(void **state) {
        assert_extra_fds_dropped(*state, 0, 1);
}

static void fds_beyond_the_stream_limit_are_all_dropped(void **state) {
        assert_extra_fds_dropped(*state, 2, 5);
}

/* Room for one fd is room for two: CMSG_SPACE() pads to 8 bytes and the kernel fills the padding.
 * The two arrive (a method taking one refuses them), a third is too many. */
static void fds_in_the_control_padding_are_received(void **state) {
        Pair *p = *state;
        int fds[2] = { open_null(), open_null() };

        p->reader.fds_in_max = 1;
        write_all(p, CALL, sizeof(CALL), fds, 2);
        close_many(fds, 2);
        assert_next_is_call(p, 2);
        assert_extra_fds_dropped(p, 1, 3);
}

static void fds_up_to_the_stream_limit_are_received(void **state) {
        Pair *p = *state;
        int fds[2] = { open_null(), open_null() };

        p->reader.fds_in_max = 2;
        write_all(p, CALL, sizeof(CALL), fds, 2);
        close_many(fds, 2);
        assert_next_is_call(p, 2);
}

/* Enqueues on a stream over the raw end of the pair, and flushes it. */
static int enqueue_and_flush(Pair *p, size_t out_max, const char *text, int *fds, size_t n_fds) {
        VarlinkStream w;
        json_object *json = json_tokener_parse(text);

        varlink_stream_init(&w, p->writer, out_max);
        int r = varlink_stream_enqueue(&w, json, fds, n_fds);
        json_object_put(json);
        if (r >= 0)
                r = varlink_stream_flush(&w);
        w.fd = -1;  /* the pair keeps its writer */
        varlink_stream_done(&w);
        return r;
}

static void the_fds_maximum_of_253_arrive_with_their_message(void **state) {
        Pair *p = *state;
        int fds[VARLINK_FDS_MAX];

        for (size_t i = 0; i < VARLINK_FDS_MAX; i++)
                fds[i] = open_null();
        assert_int_equal(enqueue_and_flush(p, SIZE_MAX, CALL, fds, VARLINK_FDS_MAX), 1);
        assert_next_is_call(p, VARLINK_FDS_MAX);
}

static void more_than_253_fds_are_refused_and_closed(void **state) {
        Pair *p = *state;
        int fds[VARLINK_FDS_MAX + 1];

        for (size_t i = 0; i < VARLINK_FDS_MAX + 1; i++)
                fds[i] = open_null();
        assert_int_equal(enqueue_and_flush(p, SIZE_MAX, CALL, fds, VARLINK_FDS_MAX + 1), -ENOBUFS);
}

static void output_over_the_limit_is_enobufs(void **state) {
        Pair *p = *state;
        assert_int_equal(enqueue_and_flush(p, sizeof(CALL) - 1, CALL, NULL, 0), -ENOBUFS);
        assert_int_equal(enqueue_and_flush(p, sizeof(CALL), CALL, NULL, 0), 1);
        assert_next_is_call(p, 0);
}

/* A message with fds larger than the socket buffer goes out in pieces; the fds go with the first. */
static void message_with_fds_written_in_pieces_arrives_whole(void **state) {
        Pair *p = *state;
        size_t len = 1024 * 1024;
        char *text = malloc(len + 1);
        int fd = open_null(), sndbuf = 4096;
        VarlinkStream w;
        VarlinkMessage m = {};

        assert_non_null(text);
        snprintf(text, len + 1, "{\"method\":\"io.test.Echo\",\"pad\":\"%0*d\"}", (int) len - 40, 0);
        assert_int_equal(setsockopt(p->writer, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);
        varlink_stream_init(&w, p->writer, SIZE_MAX);
        json_object *json = json_tokener_parse(text);
        assert_int_equal(varlink_stream_enqueue(&w, json, &fd, 1), 0);
        json_object_put(json);
        free(text);
        int r;
        while ((r = varlink_stream_flush(&w)) == 0)
                assert_int_equal(read_next(p, &m), 0);
        assert_int_equal(r, 1);
        w.fd = -1;
        varlink_stream_done(&w);
        assert_next_is_call(p, 1);
}

/* Writes `len` bytes of an object that never ends, reading like the server does (until the socket is
 * empty) between writes. Returns what varlink_stream_read() first failed with, or 0. */
static int feed_unterminated(Pair *p, size_t len, size_t *ret_max_buffered) {
        static char chunk[64 * 1024];
        size_t sent = 0;

        memset(chunk, ' ', sizeof(chunk));
        chunk[0] = '{';
        *ret_max_buffered = 0;
        while (sent < len) {
                ssize_t n = test_send_raw(p->writer, chunk, MIN(sizeof(chunk), len - sent), NULL, 0);
                assert_true(n > 0 || n == -EAGAIN);
                sent += n > 0 ? (size_t) n : 0;
                chunk[0] = ' ';
                int r;
                while ((r = varlink_stream_read(&p->reader)) > 0)
                        *ret_max_buffered = MAX(*ret_max_buffered, p->reader.in_end - p->reader.in_start);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void unterminated_message_over_the_limit_is_refused_while_reading(void **state) {
        Pair *p = *state;
        size_t max_buffered;
        int sndbuf = 4 * 1024 * 1024;

        (void) setsockopt(p->writer, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
        assert_int_equal(feed_unterminated(p, VARLINK_MESSAGE_MAX + 8 * 1024 * 1024, &max_buffered), -EMSGSIZE);
        assert_true(max_buffered <= VARLINK_MESSAGE_MAX + 64 * 1024);
}

/* A JSON object of exactly `size` bytes, the NUL included. */
static char *object_of_size(size_t size) {
        char *text = malloc(size);
        assert_non_null(text);
        memset(text, 'a', size);
        memcpy(text, "{\"a\":\"", 6);
        memcpy(text + size - 3, "\"}", 3);
        return text;
}

static void assert_object_of_size(Pair *p, size_t size, int expected) {
        char *text = object_of_size(size);
        size_t sent = 0;
        int r = 0;
        VarlinkMessage m = {};

        while (sent < size && r == 0) {
                ssize_t n = test_send_raw(p->writer, text + sent, size - sent, NULL, 0);
                sent += n > 0 ? (size_t) n : 0;
                r = read_next(p, &m);
        }
        while (r == 0)
                r = read_next(p, &m);
        free(text);
        assert_int_equal(r, expected);
        varlink_message_done(&m);
}

static void message_of_exactly_the_limit_is_accepted(void **state) {
        assert_object_of_size(*state, VARLINK_MESSAGE_MAX, 1);
}

static void message_one_byte_over_the_limit_is_emsgsize(void **state) {
        assert_object_of_size(*state, VARLINK_MESSAGE_MAX + 1, -EMSGSIZE);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                pair_test(message_split_at_every_byte_is_reassembled),
                pair_test(message_sent_one_byte_at_a_time_is_reassembled),
                pair_test(several_messages_in_one_write_come_out_in_order),
                pair_test(whitespace_around_the_object_is_accepted),
                pair_test(invalid_json_is_ebadmsg),
                pair_test(json_that_is_not_an_object_is_ebadmsg),
                pair_test(trailing_garbage_is_ebadmsg),
                pair_test(invalid_utf8_is_ebadmsg),
                pair_test(empty_message_is_ebadmsg),
                pair_test(eof_is_reported_once_the_peer_closes),
                pair_test(fds_with_the_first_byte_belong_to_that_message),
                pair_test(fds_in_the_middle_of_a_message_are_eproto),
                pair_test(fds_read_together_with_an_earlier_message_belong_to_their_own),
                pair_test(fds_of_a_long_message_read_after_an_earlier_one_belong_to_it),
                pair_test(fds_to_a_stream_that_takes_none_are_dropped),
                pair_test(fds_beyond_the_stream_limit_are_all_dropped),
                pair_test(fds_up_to_the_stream_limit_are_received),
                pair_test(fds_in_the_control_padding_are_received),
                pair_test(the_fds_maximum_of_253_arrive_with_their_message),
                pair_test(more_than_253_fds_are_refused_and_closed),
                pair_test(output_over_the_limit_is_enobufs),
                pair_test(message_with_fds_written_in_pieces_arrives_whole),
                pair_test(unterminated_message_over_the_limit_is_refused_while_reading),
                pair_test(message_of_exactly_the_limit_is_accepted),
                pair_test(message_one_byte_over_the_limit_is_emsgsize),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
