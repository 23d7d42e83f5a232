/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* notify_socket_*(): privmemd's channel to the service manager's notification socket, against a
 * receiver bound here: a path and an abstract name, a message with fds, one socket for many
 * messages, a receiver replaced under it, and the addresses sd_notify() would not take. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "store/notify-socket.h"
#include "util/macro.h"

static char dir[] = "/tmp/test-notify-socket.XXXXXX";
static char path[sizeof(dir) + 16], abstract[64];

/* A receiver as a service manager binds it: datagrams, SO_PASSCRED, not connected. */
static int receiver(const char *address) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        size_t n = strlen(address);
        int one = 1, fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

        assert_true(fd >= 0);
        assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
        memcpy(sa.sun_path, address, n);
        if (address[0] == '@')
                sa.sun_path[0] = 0;
        else
                n++;
        assert_int_equal(bind(fd, (struct sockaddr *) &sa, (socklen_t) (offsetof(struct sockaddr_un, sun_path) + n)), 0);
        return fd;
}

/* Reads one message (not waiting): its text, and its fds into fds (how many: the return). */
static size_t receive(int fd, char *text, size_t size, int *fds, size_t n_max) {
        union {
                struct cmsghdr h;
                char buf[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof(struct ucred))];
        } control;
        struct iovec iov = { text, size - 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control, .msg_controllen = sizeof(control) };
        ssize_t k = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
        size_t n = 0;

        assert_true(k > 0);
        text[k] = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                        n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                        assert_true(n <= n_max);
                        memcpy(fds, CMSG_DATA(c), n * sizeof(int));
                }
        return n;
}

static void assert_same_file(int a, int b) {
        struct stat sa, sb;
        assert_int_equal(fstat(a, &sa), 0);
        assert_int_equal(fstat(b, &sb), 0);
        assert_true(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
}

static void assert_received(int fd, const char *expected) {
        char text[512];
        assert_int_equal(receive(fd, text, sizeof(text), NULL, 0), 0);
        assert_string_equal(text, expected);
}

/* Two fds in one message, then messages without: all on one socket, opened once. */
static void send_with_fds(const char *address) {
        NotifySocket s = NOTIFY_SOCKET_INIT;
        int r = receiver(address), fds[2], got[8];
        char text[512];

        fds[0] = memfd_create("test-notify", MFD_CLOEXEC);
        fds[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
        assert_int_equal(notify_socket_set_address(&s, address), 0);
        assert_string_equal(s.name, address);
        assert_int_equal(s.fd, -1);  /* opened at the first message */
        assert_int_equal(notify_socket_send(&s, "FDSTORE=1\nFDNAME=l1", fds, 2), 1);
        int opened = s.fd;
        assert_true(opened >= 0);
        assert_int_equal(receive(r, text, sizeof(text), got, ELEMENTSOF(got)), 2);
        assert_string_equal(text, "FDSTORE=1\nFDNAME=l1");
        assert_same_file(got[0], fds[0]);
        assert_same_file(got[1], fds[1]);
        close_many(got, 2);
        for (int i = 0; i < 3; i++)
                assert_int_equal(notify_socket_send(&s, "STATUS=fine", NULL, 0), 1);
        assert_int_equal(s.fd, opened);
        for (int i = 0; i < 3; i++)
                assert_received(r, "STATUS=fine");
        notify_socket_close(&s);
        close_many(fds, 2);
        close(r);
}

static void test_path(void **state) {
        send_with_fds(path);
        assert_int_equal(unlink(path), 0);
}

static void test_abstract(void **state) {
        send_with_fds(abstract);
}

/* The receiver's socket closed and bound again under the same address (a service manager that
 * re-executed without keeping it): the next message reaches the new one; none there: an error. */
static void replaced(const char *address) {
        NotifySocket s = NOTIFY_SOCKET_INIT;
        int r = receiver(address);

        assert_int_equal(notify_socket_set_address(&s, address), 0);
        assert_int_equal(notify_socket_send(&s, "READY=1", NULL, 0), 1);
        assert_received(r, "READY=1");
        close(r);
        if (address[0] == '/')
                assert_int_equal(unlink(address), 0);
        r = receiver(address);
        assert_int_equal(notify_socket_send(&s, "STATUS=again", NULL, 0), 1);
        assert_received(r, "STATUS=again");
        close(r);
        if (address[0] == '/') {
                assert_int_equal(unlink(address), 0);
                assert_int_equal(notify_socket_send(&s, "STATUS=nobody", NULL, 0), -ENOENT);
        } else
                assert_int_equal(notify_socket_send(&s, "STATUS=nobody", NULL, 0), -ECONNREFUSED);
        assert_int_equal(s.fd, -1);
        notify_socket_close(&s);
}

static void test_replaced(void **state) {
        replaced(path);
        replaced(abstract);
}

static void test_bad_addresses(void **state) {
        NotifySocket s = NOTIFY_SOCKET_INIT;
        char longer[200];

        assert_int_equal(notify_socket_send(&s, "READY=1", NULL, 0), -ENOENT);  /* no address set */
        assert_int_equal(notify_socket_set_address(&s, "vsock:2:1234"), -EAFNOSUPPORT);
        assert_int_equal(notify_socket_send(&s, "READY=1", NULL, 0), -EAFNOSUPPORT);
        assert_int_equal(notify_socket_set_address(&s, "vsock-dgram:2:1234"), -EAFNOSUPPORT);
        assert_int_equal(notify_socket_set_address(&s, "run/notify"), -EINVAL);
        assert_int_equal(notify_socket_set_address(&s, ""), -EINVAL);
        assert_int_equal(notify_socket_set_address(&s, "@"), -EINVAL);
        memset(longer, 'x', sizeof(longer));
        longer[0] = '/';
        longer[108] = 0;  /* 108 bytes: no room for the NUL in sun_path */
        assert_int_equal(notify_socket_set_address(&s, longer), -EINVAL);
        longer[107] = 0;
        assert_int_equal(notify_socket_set_address(&s, longer), 0);
        longer[0] = '@';
        longer[107] = 'x';
        longer[108] = 0;  /* an abstract name needs no NUL: 108 fit */
        assert_int_equal(notify_socket_set_address(&s, longer), 0);
        longer[108] = 'x';
        longer[109] = 0;
        assert_int_equal(notify_socket_set_address(&s, longer), -EINVAL);
        assert_int_equal(notify_socket_set_address(&s, abstract), 0);
        assert_int_equal(notify_socket_send(&s, "", NULL, 0), -EINVAL);
        int fds[NOTIFY_SOCKET_FDS_MAX + 1] = {};
        assert_int_equal(notify_socket_send(&s, "FDSTORE=1", fds, ELEMENTSOF(fds)), -E2BIG);
}

/* $NOTIFY_SOCKET: read once, at the first message. */
static void test_manager(void **state) {
        int r = receiver(abstract);

        assert_int_equal(setenv("NOTIFY_SOCKET", abstract, 1), 0);
        assert_string_equal(notify_socket_manager_address(), abstract);
        assert_int_equal(notify_socket_send_manager("READY=1\nSTATUS=up", NULL, 0), 1);
        assert_received(r, "READY=1\nSTATUS=up");
        close(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_path),
                cmocka_unit_test(test_abstract),
                cmocka_unit_test(test_replaced),
                cmocka_unit_test(test_bad_addresses),
                cmocka_unit_test(test_manager),
        };
        if (!mkdtemp(dir))
                return 1;
        snprintf(path, sizeof(path), "%s/notify", dir);
        snprintf(abstract, sizeof(abstract), "@test-notify-socket/%d", (int) getpid());
        unsetenv("NOTIFY_SOCKET");
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        (void) rmdir(dir);
        return r;
}
