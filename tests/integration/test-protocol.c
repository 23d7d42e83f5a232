/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libprivmem against a fake privmemd that answers wrongly: -EPROTO, never a crash or a leak. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "helper.h"

static char dir[64] = "/tmp/privmem-proto-XXXXXX", path[128];

static void remove_dir(void) {
        unlink(path);
        rmdir(dir);
}

typedef struct Fake {
        int listener;
        const char *reply;      /* the JSON answered to the first call, NUL added */
        uint64_t memfd_size;    /* > 0: a memfd of this size goes with the reply */
} Fake;

static void fake_send(int fd, const Fake *f) {
        struct iovec iov = { .iov_base = (char *) f->reply, .iov_len = strlen(f->reply) + 1 };
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u = {};
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
        if (f->memfd_size > 0) {
                int m = memfd_create("fake", MFD_CLOEXEC);
                check(m >= 0 && ftruncate(m, (off_t) f->memfd_size) == 0, "memfd: %m");
                mh.msg_control = u.buf;
                mh.msg_controllen = sizeof(u.buf);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                *c = (struct cmsghdr) { .cmsg_len = CMSG_LEN(sizeof(int)), .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS };
                memcpy(CMSG_DATA(c), &m, sizeof(int));
        }
        check(sendmsg(fd, &mh, MSG_NOSIGNAL) == (ssize_t) iov.iov_len, "fake sendmsg: %m");
}

/* Answers one call with f->reply, then waits for the client to hang up. */
static int fake_run(void *arg) {
        const Fake *f = arg;
        char buf[4096];
        int fd = accept4(f->listener, NULL, NULL, SOCK_CLOEXEC);
        check(fd >= 0, "accept: %m");
        ssize_t n = read(fd, buf, sizeof(buf));
        check(n > 0 && buf[n - 1] == 0, "fake: no whole call in %zd bytes", n);
        fake_send(fd, f);
        while (read(fd, buf, sizeof(buf)) > 0)
                ;
        return 0;
}

static privmem *fake_start(Fake *f, pid_t *ret_pid) {
        *ret_pid = test_fork(fake_run, f);
        privmem *p = NULL;
        check(privmem_connect(&p, path) >= 0, "connect to the fake at %s", path);
        return p;
}

static void fake_stop(privmem *p, pid_t pid) {
        privmem_disconnect(p);
        check(test_wait(pid) == 0, "the fake privmemd failed");
}

#define LEASE(size) "{\"id\":\"x\",\"pool\":\"a\",\"size\":" size ",\"state\":\"active\"," \
        "\"owner\":{\"kind\":\"process\",\"pid\":1},\"uid\":0,\"age\":0.5,\"future\":[1]}"

static void expect_acquire(Fake *f, int expected, const char *what) {
        pid_t pid;
        int fd = -1;
        privmem *p = fake_start(f, &pid);
        check_errno(p, privmem_acquire(p, "a", 4096, NULL, &fd, NULL), expected, what);
        if (expected == 0)
                check(fcntl(fd, F_GETFD) == FD_CLOEXEC && lseek(fd, 0, SEEK_END) == 4096,
                      "%s: fd %d not a 4096-byte O_CLOEXEC file", what, fd);
        if (fd >= 0)
                close(fd);
        fake_stop(p, pid);
}

static void expect_status(Fake *f, int expected, const char *error_name, const char *what) {
        privmem_status *s = NULL;
        pid_t pid;
        privmem *p = fake_start(f, &pid);
        check_errno(p, privmem_get_status(p, &s), expected, what);
        check(str_eq(privmem_last_error_name(p), error_name) || !error_name, "%s: error %s, expected %s", what,
              privmem_last_error_name(p) ?: "(local)", error_name);
        privmem_status_free(s);
        fake_stop(p, pid);
}

static void test_acquire_replies(int listener) {
        Fake f = { .listener = listener, .memfd_size = 4096,
                   .reply = "{\"parameters\":{\"lease\":" LEASE("4096") ",\"fileDescriptor\":0}}" };
        expect_acquire(&f, 0, "a good reply with unknown fields");
        f.memfd_size = 0;
        expect_acquire(&f, -EPROTO, "fileDescriptor 0 without an fd");
        f.memfd_size = 8192;
        expect_acquire(&f, -EPROTO, "an 8192-byte memfd for 4096");
        f.reply = "{\"parameters\":{\"lease\":" LEASE("8192") ",\"fileDescriptor\":0}}";
        expect_acquire(&f, -EPROTO, "a lease of 8192 for 4096");
        f.reply = "{\"parameters\":{\"lease\":" LEASE("4096") ",\"fileDescriptor\":3}}";
        f.memfd_size = 4096;
        expect_acquire(&f, -EPROTO, "fileDescriptor 3 with one fd");
        f.reply = "{\"parameters\":{\"lease\":{\"id\":\"x\"},\"fileDescriptor\":0}}";
        expect_acquire(&f, -EPROTO, "a lease without its fields");
}

static void test_status_replies(int listener) {
        Fake f = { .listener = listener, .reply = "{\"parameters\":{\"status\":{\"version\":1}}}" };
        expect_status(&f, -EPROTO, NULL, "version a number");
        f.reply = "not json";
        expect_status(&f, -EPROTO, NULL, "not JSON");
        f.reply = "{\"parameters\":{},\"continues\":true}";
        expect_status(&f, -EPROTO, NULL, "continues without more");
        f.reply = "{\"error\":\"com.example.Strange\",\"parameters\":{}}";
        expect_status(&f, -EIO, "com.example.Strange", "an unknown error");
        f.reply = "{\"error\":\"io.privmemd.SystemError\",\"parameters\":{\"errno\":28,\"errnoName\":\"ENOSPC\",\"message\":\"x\"}}";
        expect_status(&f, -ENOSPC, PRIVMEM_ERROR_SYSTEM_ERROR, "SystemError errno 28");
        f.reply = "{\"error\":\"io.privmemd.SystemError\",\"parameters\":{\"errno\":-5}}";
        expect_status(&f, -EIO, PRIVMEM_ERROR_SYSTEM_ERROR, "SystemError errno -5");
        f.reply = "{\"error\":\"org.varlink.service.MethodNotFound\",\"parameters\":{\"method\":\"io.privmemd.GetStatus\"}}";
        expect_status(&f, -EOPNOTSUPP, "org.varlink.service.MethodNotFound", "an older privmemd");
}

int main(void) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        test_init("protocol", 30);
        check(mkdtemp(dir), "mkdtemp: %m");
        test_on_cleanup(remove_dir);
        snprintf(path, sizeof(path), "%s/fake", dir);
        strcpy(sa.sun_path, path);
        int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        check(listener >= 0 && bind(listener, (struct sockaddr *) &sa, sizeof(sa)) == 0 && listen(listener, 4) == 0,
              "listen on %s: %m", path);
        test_acquire_replies(listener);
        test_status_replies(listener);
        close(listener);
        return 0;
}
