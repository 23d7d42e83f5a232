/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The raw client end of a test connection: bytes and fds out, parsed messages in, the server run between. */
#pragma once

#include "test-server.h"
#include "varlink/varlink-stream.h"

typedef struct TestPeer {
        TestServer *ts;
        VarlinkStream stream;
} TestPeer;

/* Connects a new peer to ts. 0 or -errno (e.g. -EUSERS over a connection limit). */
int test_peer_connect(TestPeer *p, TestServer *ts);
/* Makes a peer of fd, a socket connected to ts some other way; takes fd. */
void test_peer_attach(TestPeer *p, TestServer *ts, int fd);
void test_peer_done(TestPeer *p);

/* One sendmsg() of len bytes on fd with n_fds fds attached, not blocking: bytes sent or -errno. */
ssize_t test_send_raw(int fd, const void *data, size_t len, const int *fds, size_t n_fds);
/* Sends len bytes, the fds attached to the first one, running the server while the socket is full. */
int test_peer_send_bytes(TestPeer *p, const void *data, size_t len, const int *fds, size_t n_fds);
/* Sends text and its terminating NUL. */
int test_peer_send(TestPeer *p, const char *text);
int test_peer_send_fds(TestPeer *p, const char *text, const int *fds, size_t n_fds);

/* Runs the server until the next message arrives. 1: *ret filled; -EAGAIN: the server is idle and
 * sent nothing; -ECONNRESET: it hung up; other errors from the stream. */
int test_peer_receive(TestPeer *p, VarlinkMessage *ret);
/* Sends text and receives the answer; returns its JSON (owned) or NULL. */
json_object *test_peer_call(TestPeer *p, const char *text);
/* True when the server closed the connection (after running it); messages before that are dropped. */
bool test_peer_hung_up(TestPeer *p);

/* Looking into messages: "" and NULL when absent. */
const char *message_error(json_object *m);
json_object *message_parameters(json_object *m);
const char *message_string(json_object *m, const char *parameter);
int64_t message_int(json_object *m, const char *parameter);

/* Open fds of this process (entries of /proc/self/fd). */
unsigned count_open_fds(void);
