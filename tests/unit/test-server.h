/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An in-process varlink server serving the io.test interface, shared by the unit tests and the fuzzer. */
#pragma once

#include <systemd/sd-event.h>

#include "varlink/varlink-server.h"

/* io.test methods:
 *   Echo(...) -> (...)              replies its parameters unchanged, without a dispatch table
 *   Typed(i: int, f: ?float, s: ?string, b: ?bool, o: ?object, a: ?array) -> (i, f)
 *   Fail() -> ()                    the handler fails with -ENOENT
 *   Forget() -> ()                  the handler returns without answering
 *   TakeFd(fd: int) -> (fd: int)    takes the fd and sends it back (fds_in_max 1)
 *   IgnoreFds() -> ()               accepts up to 253 fds and takes none
 *   SendFds(count: int) -> ()       replies with count fds of /dev/null
 *   Stream(count: int) -> (i: int)  count replies with continues, then a last one (requires more)
 *   Subscribe() -> (i: int)         deferred stream: the test notifies through TestServer.deferred
 *   Defer() -> ()                   deferred, takes no fds: the test answers through TestServer.deferred */
typedef struct TestServer {
        sd_event *event;
        VarlinkServer *server;
        VarlinkCall *deferred;          /* put aside by Defer or Subscribe; NULL once answered or cancelled */
        unsigned n_cancelled;
        unsigned n_disconnected;
} TestServer;

extern const char test_interface_description[];

int test_server_new(TestServer **ret);
TestServer *test_server_free(TestServer *ts);
void test_server_set_limits(TestServer *ts, unsigned pending_calls_max, size_t output_max);

/* Serves one end of a new socketpair; returns the other end (nonblocking) or -errno. */
int test_server_connect(TestServer *ts);
/* Runs the event loop until nothing is pending any more. */
void test_server_run(TestServer *ts);
/* Answers the deferred call with {"done": true}. */
int test_server_finish_deferred(TestServer *ts);

/* Serves fd in a thread of its own until its one connection is gone (for the blocking client). */
int test_server_thread_start(int fd, void **ret_handle);
void test_server_thread_join(void *handle);

static inline void test_server_freep(TestServer **ts) {
        test_server_free(*ts);
}
