/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* varlink-listen.c: a listening socket at a path; accepted connections are served and limited. */
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "test-fixture.h"

typedef struct ListenFixture {
        Fixture base;
        char dir[64], path[128];
} ListenFixture;

static int listen_setup(void **state) {
        ListenFixture *l = calloc(1, sizeof(*l));
        assert_non_null(l);
        l->base.fds_before = count_open_fds();
        assert_int_equal(test_server_new(&l->base.ts), 0);
        strcpy(l->dir, "/tmp/test-varlink-listen.XXXXXX");
        assert_non_null(mkdtemp(l->dir));
        snprintf(l->path, sizeof(l->path), "%s/socket", l->dir);
        assert_int_equal(varlink_server_listen_path(l->base.ts->server, l->path), 0);
        *state = l;
        return 0;
}

static int listen_teardown(void **state) {
        ListenFixture *l = *state;
        test_server_free(l->base.ts);
        (void) unlink(l->path);
        assert_int_equal(rmdir(l->dir), 0);
        assert_int_equal(count_open_fds(), l->base.fds_before);
        free(l);
        return 0;
}

#define listen_test(t) cmocka_unit_test_setup_teardown(t, listen_setup, listen_teardown)

/* Connects a peer through the socket at path; the server accepts it when it runs. */
static void connect_peer(ListenFixture *l, TestPeer *p) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        assert_true(fd >= 0);
        strcpy(sa.sun_path, l->path);
        assert_int_equal(connect(fd, (struct sockaddr *) &sa, sizeof(sa)), 0);
        test_peer_attach(p, l->base.ts, fd);
        test_server_run(l->base.ts);
}

static void accepted_connection_is_served(void **state) {
        ListenFixture *l = *state;
        TestPeer p;
        connect_peer(l, &p);
        json_object *m = test_peer_call(&p, "{\"method\":\"io.test.Echo\",\"parameters\":{\"n\":1}}");
        assert_non_null(m);
        assert_int_equal(message_int(m, "n"), 1);
        json_object_put(m);
        test_peer_done(&p);
        assert_int_equal(varlink_server_n_connections(l->base.ts->server), 0);
}

static void socket_is_world_connectable(void **state) {
        ListenFixture *l = *state;
        struct stat st;
        assert_int_equal(stat(l->path, &st), 0);
        assert_true(S_ISSOCK(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0666);
}

static void stale_socket_is_replaced(void **state) {
        ListenFixture *l = *state;
        TestPeer p;
        assert_int_equal(varlink_server_listen_path(l->base.ts->server, l->path), 0);
        connect_peer(l, &p);
        assert_int_equal(varlink_server_n_connections(l->base.ts->server), 1);
        test_peer_done(&p);
}

static void path_too_long_is_enametoolong(void **state) {
        ListenFixture *l = *state;
        char path[sizeof(((struct sockaddr_un) {}).sun_path) + 1];
        memset(path, 'a', sizeof(path) - 1);
        path[sizeof(path) - 1] = 0;
        assert_int_equal(varlink_server_listen_path(l->base.ts->server, path), -ENAMETOOLONG);
}

static void connection_over_the_uid_limit_is_closed_at_once(void **state) {
        ListenFixture *l = *state;
        VarlinkLimits limits = VARLINK_LIMITS_DEFAULT;
        TestPeer first, second;

        limits.connections_per_uid_max = 1;
        varlink_server_set_limits(l->base.ts->server, &limits);
        connect_peer(l, &first);
        connect_peer(l, &second);
        assert_true(test_peer_hung_up(&second));
        assert_int_equal(varlink_server_n_connections(l->base.ts->server), 1);
        test_peer_done(&second);
        test_peer_done(&first);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                listen_test(accepted_connection_is_served),
                listen_test(socket_is_world_connectable),
                listen_test(stale_socket_is_replaced),
                listen_test(path_too_long_is_enametoolong),
                listen_test(connection_over_the_uid_limit_is_closed_at_once),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
