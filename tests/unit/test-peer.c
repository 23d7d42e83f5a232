/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The raw client end of a test connection: bytes and fds out, parsed messages in, the server run between. */
#include <dirent.h>
#include <sys/socket.h>

#include "test-peer.h"
#include "util/macro.h"

int test_peer_connect(TestPeer *p, TestServer *ts) {
        int fd = test_server_connect(ts);
        if (fd < 0)
                return fd;
        test_peer_attach(p, ts, fd);
        return 0;
}

void test_peer_attach(TestPeer *p, TestServer *ts, int fd) {
        p->ts = ts;
        varlink_stream_init(&p->stream, fd, SIZE_MAX);
        p->stream.fds_in_max = VARLINK_FDS_MAX;
}

void test_peer_done(TestPeer *p) {
        varlink_stream_done(&p->stream);
        test_server_run(p->ts);  /* let the server see the hang-up */
}

ssize_t test_send_raw(int fd, const void *data, size_t len, const int *fds, size_t n_fds) {
        union {
                struct cmsghdr align;
                char buf[CMSG_SPACE(sizeof(int) * VARLINK_FDS_MAX)];
        } control = {};
        struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

        if (n_fds > VARLINK_FDS_MAX)
                return -EINVAL;
        if (n_fds > 0) {
                mh.msg_control = control.buf;
                mh.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
                struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
                *c = (struct cmsghdr) { .cmsg_len = CMSG_LEN(sizeof(int) * n_fds), .cmsg_level = SOL_SOCKET,
                                        .cmsg_type = SCM_RIGHTS };
                memcpy(CMSG_DATA(c), fds, sizeof(int) * n_fds);
        }
        ssize_t n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
        return n < 0 ? -errno : n;
}

int test_peer_send_bytes(TestPeer *p, const void *data, size_t len, const int *fds, size_t n_fds) {
        const char *d = data;
        unsigned stuck = 0;

        while (len > 0 || n_fds > 0) {
                ssize_t n = test_send_raw(p->stream.fd, d, len, fds, n_fds);
                if (n == -EAGAIN && ++stuck < 1000) {
                        test_server_run(p->ts);
                        continue;
                }
                if (n < 0)
                        return (int) n;
                if (len == 0)
                        break;  /* fds alone, with no data: the kernel takes nothing */
                d += n;
                len -= (size_t) n;
                n_fds = 0;
                stuck = 0;
        }
        return 0;
}

int test_peer_send(TestPeer *p, const char *text) {
        return test_peer_send_fds(p, text, NULL, 0);
}

int test_peer_send_fds(TestPeer *p, const char *text, const int *fds, size_t n_fds) {
        return test_peer_send_bytes(p, text, strlen(text) + 1, fds, n_fds);
}

int test_peer_receive(TestPeer *p, VarlinkMessage *ret) {
        for (;;) {
                int r = varlink_stream_next(&p->stream, ret);
                if (r != 0)
                        return r;
                if (p->stream.eof)
                        return -ECONNRESET;
                test_server_run(p->ts);
                r = varlink_stream_read(&p->stream);
                if (r < 0)
                        return r;
                if (r == 0)
                        return -EAGAIN;
        }
}

json_object *test_peer_call(TestPeer *p, const char *text) {
        VarlinkMessage m = {};

        if (test_peer_send(p, text) < 0 || test_peer_receive(p, &m) <= 0)
                return NULL;
        json_object *json = TAKE_PTR(m.json);
        varlink_message_done(&m);
        return json;
}

bool test_peer_hung_up(TestPeer *p) {
        for (;;) {
                VarlinkMessage m = {};
                int r = test_peer_receive(p, &m);
                varlink_message_done(&m);
                if (r == -ECONNRESET)
                        return true;
                if (r <= 0 && r != -EBADMSG)
                        return false;
        }
}

const char *message_error(json_object *m) {
        json_object *e = json_object_object_get(m, "error");
        return e ? json_object_get_string(e) : "";
}

json_object *message_parameters(json_object *m) {
        return json_object_object_get(m, "parameters");
}

const char *message_string(json_object *m, const char *parameter) {
        json_object *v = json_object_object_get(message_parameters(m), parameter);
        return v ? json_object_get_string(v) : "";
}

int64_t message_int(json_object *m, const char *parameter) {
        return json_object_get_int64(json_object_object_get(message_parameters(m), parameter));
}

unsigned count_open_fds(void) {
        DIR *d = opendir("/proc/self/fd");
        unsigned n = 0;

        if (!d)
                return 0;
        while (readdir(d))
                n++;
        closedir(d);
        return n;  /* ".", ".." and the directory's own fd included: only differences matter */
}
