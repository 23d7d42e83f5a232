/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cmocka fixture of the server tests: a TestServer, one peer on it, and no fd leaked at the end. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/macro.h"

#include "test-peer.h"

typedef struct Fixture {
        unsigned fds_before;
        TestServer *ts;
        TestPeer peer;
} Fixture;

static inline int fixture_setup(void **state) {
        Fixture *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        f->fds_before = count_open_fds();
        assert_int_equal(test_server_new(&f->ts), 0);
        assert_int_equal(test_peer_connect(&f->peer, f->ts), 0);
        *state = f;
        return 0;
}

/* Frees everything and checks that every fd opened during the test was closed again. */
static inline int fixture_teardown(void **state) {
        Fixture *f = *state;
        test_peer_done(&f->peer);
        test_server_free(f->ts);
        assert_int_equal(count_open_fds(), f->fds_before);
        free(f);
        return 0;
}

#define fixture_test(t) cmocka_unit_test_setup_teardown(t, fixture_setup, fixture_teardown)

/* Calls and checks the error and one string parameter of the answer. */
static inline void assert_call_fails(TestPeer *p, const char *call, const char *error, const char *key,
                                     const char *value) {
        json_object *m = test_peer_call(p, call);
        assert_non_null(m);
        assert_string_equal(message_error(m), error);
        if (key)
                assert_string_equal(message_string(m, key), value);
        json_object_put(m);
}

/* Sends a call the server must answer by closing the connection. */
static inline void assert_call_disconnects(TestPeer *p, const char *call) {
        assert_int_equal(test_peer_send(p, call), 0);
        assert_true(test_peer_hung_up(p));
}

/* Receives the next message, which must come. */
static inline json_object *receive_json(TestPeer *p) {
        VarlinkMessage m = {};
        assert_int_equal(test_peer_receive(p, &m), 1);
        assert_int_equal(m.n_fds, 0);
        free(m.fds);
        return m.json;
}
