/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: arbitrary bytes, in chunks and with fds, through the stream parser and the server.
 *
 * Input: records of [length][flags][length bytes of data]; a last record shorter than its length
 * takes what is left. flags: bits 0-1 how many fds go with the chunk's first byte; bit 2 run the
 * server after the chunk (otherwise chunks pile up and are read together); bit 3 read the replies;
 * bit 4 answer the deferred call; bit 5 send a notification on it; bit 6 half-close and stop.
 *
 * Checked on every input: whatever the server sends parses as varlink messages, the connection is
 * gone after the peer hung up, and no fd stays open. */
#include <fcntl.h>
#include <stdint.h>
#include <sys/socket.h>

#include "test-peer.h"
#include "util/macro.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum {
        FLAG_FDS_MASK = 3,
        FLAG_RUN = 1 << 2,
        FLAG_READ = 1 << 3,
        FLAG_FINISH = 1 << 4,
        FLAG_NOTIFY = 1 << 5,
        FLAG_HALF_CLOSE = 1 << 6,
};

#define check(x)                        \
        do {                            \
                if (!(x))               \
                        abort();        \
        } while (0)

/* Reads all the server has to say. 0 while connected, -ECONNRESET once it hung up. */
static int read_replies(TestPeer *p) {
        for (;;) {
                VarlinkMessage m = {};
                int r = test_peer_receive(p, &m);
                varlink_message_done(&m);
                check(r != -EBADMSG && r != -EPROTO && r != -EMSGSIZE);  /* the server sent garbage */
                if (r <= 0)
                        return r == -ECONNRESET ? r : 0;
        }
}

static void send_chunk(TestPeer *p, const uint8_t *chunk, size_t len, unsigned n_fds) {
        int fds[FLAG_FDS_MASK];

        for (unsigned i = 0; i < n_fds; i++)
                check((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0);
        (void) test_peer_send_bytes(p, chunk, len, fds, n_fds);
        close_many(fds, n_fds);
}

static void poke_deferred(TestServer *ts, unsigned flags) {
        if ((flags & FLAG_NOTIFY) && ts->deferred && varlink_call_wants_more(ts->deferred))
                (void) varlink_call_notify(ts->deferred, NULL);
        if ((flags & FLAG_FINISH) && ts->deferred)
                (void) test_server_finish_deferred(ts);
}

/* Plays one input; returns when it is used up or the server hung up. */
static void play(TestPeer *p, const uint8_t *data, size_t size) {
        while (size >= 2) {
                size_t len = MIN((size_t) data[0], size - 2);
                unsigned flags = data[1];

                send_chunk(p, data + 2, len, flags & FLAG_FDS_MASK);
                data += 2 + len;
                size -= 2 + len;
                poke_deferred(p->ts, flags);
                if (flags & FLAG_RUN)
                        test_server_run(p->ts);
                if ((flags & FLAG_READ) && read_replies(p) < 0)
                        return;
                if (flags & FLAG_HALF_CLOSE) {
                        (void) shutdown(p->stream.fd, SHUT_WR);
                        break;
                }
        }
        (void) read_replies(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        unsigned fds_before = count_open_fds();
        TestServer *ts = NULL;
        TestPeer p;

        check(test_server_new(&ts) >= 0);
        test_server_set_limits(ts, 4, 64 * 1024);  /* small, so that the limits are reached too */
        check(test_peer_connect(&p, ts) >= 0);
        play(&p, data, size);
        test_peer_done(&p);
        check(varlink_server_n_connections(ts->server) == 0);
        test_server_free(ts);
        check(count_open_fds() == fds_before);
        return 0;
}
