/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a lent memfd must look like, before and after its lease ends; fds between processes. */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper.h"
#include "memfd.h"

#define STRIDE 4096U
#define SEALS_REQUIRED (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)
#define SEALS_FORBIDDEN (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

static struct stat memfd_stat(int fd) {
        struct stat st;
        check(fstat(fd, &st) == 0, "fstat fd %d: %m", fd);
        return st;
}

ino_t memfd_inode(int fd) {
        return memfd_stat(fd).st_ino;
}

static void check_blocks_full(int fd, uint64_t size) {
        struct stat st = memfd_stat(fd);
        check((uint64_t) st.st_blocks * 512 >= size, "fd %d: %llu bytes of blocks, %llu expected",
              fd, (unsigned long long) st.st_blocks * 512, (unsigned long long) size);
}

static uint8_t *map(int fd, uint64_t size, int prot) {
        void *m = mmap(NULL, size, prot, MAP_SHARED, fd, 0);
        check(m != MAP_FAILED, "mmap %llu bytes of fd %d: %m", (unsigned long long) size, fd);
        return m;
}

void memfd_check_ready(int fd, uint64_t size) {
        struct stat st = memfd_stat(fd);
        check(S_ISREG(st.st_mode) && (uint64_t) st.st_size == size, "fd %d: mode 0%o size %lld, expected a file of %llu",
              fd, (unsigned) st.st_mode, (long long) st.st_size, (unsigned long long) size);
        int seals = fcntl(fd, F_GET_SEALS);
        check(seals >= 0 && (seals & SEALS_REQUIRED) == SEALS_REQUIRED && !(seals & SEALS_FORBIDDEN),
              "fd %d: seals 0x%x, expected 0x%x and none of 0x%x", fd, seals, SEALS_REQUIRED, SEALS_FORBIDDEN);
        int flags = fcntl(fd, F_GETFD);
        check(flags >= 0 && (flags & FD_CLOEXEC), "fd %d: fd flags 0x%x without FD_CLOEXEC", fd, flags);
        check_blocks_full(fd, size);
        uint8_t *m = map(fd, size, PROT_READ);
        for (uint64_t off = 0; off < size; off += STRIDE)
                check(m[off] == 0 && m[off + STRIDE - 1] == 0, "fd %d: byte %llu of a new memfd is not zero",
                      fd, (unsigned long long) off);
        munmap(m, size);
        check(ftruncate(fd, (off_t) size * 2) < 0, "fd %d: grew to %llu bytes despite F_SEAL_GROW", fd,
              (unsigned long long) size * 2);
}

static uint32_t pattern(uint32_t seed, uint64_t off) {
        return seed ^ (uint32_t) (off / STRIDE) * 2654435761U ^ 0x5a5a5a5aU;
}

void memfd_fill(int fd, uint64_t size, uint32_t seed) {
        uint8_t *m = map(fd, size, PROT_READ | PROT_WRITE);
        for (uint64_t off = 0; off < size; off += STRIDE) {
                uint32_t v = pattern(seed, off);
                memcpy(m + off, &v, sizeof(v));
        }
        munmap(m, size);
}

void memfd_check_filled(int fd, uint64_t size, uint32_t seed) {
        check_blocks_full(fd, size);
        for (uint64_t off = 0; off < size; off += STRIDE) {
                uint32_t v = 0, expected = pattern(seed, off);
                check(pread(fd, &v, sizeof(v), (off_t) off) == sizeof(v), "pread fd %d at %llu: %m", fd,
                      (unsigned long long) off);
                check(v == expected, "fd %d: 0x%08x at byte %llu, 0x%08x written", fd, v,
                      (unsigned long long) off, expected);
        }
}

void memfd_wait_invalidated(int fd, uint64_t size, unsigned timeout_ms) {
        uint64_t end = test_now_ms() + timeout_ms;
        struct stat st;
        while ((st = memfd_stat(fd)).st_blocks != 0 && test_now_ms() < end)
                test_sleep_ms(10);
        check(st.st_blocks == 0, "fd %d: %llu bytes still allocated %u ms after the lease should have ended",
              fd, (unsigned long long) st.st_blocks * 512, timeout_ms);
        /* pread, not mmap: reading a hole must not allocate it again */
        for (uint64_t off = 0; off < size; off += STRIDE * 64) {
                uint32_t v = 1;
                check(pread(fd, &v, sizeof(v), (off_t) off) == sizeof(v), "pread fd %d at %llu: %m", fd,
                      (unsigned long long) off);
                check(v == 0, "fd %d: 0x%08x at byte %llu after invalidation", fd, v, (unsigned long long) off);
        }
}

void fd_send(int sock, int fd, const char *text) {
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u = {};
        struct iovec iov = { .iov_base = (char *) text, .iov_len = strlen(text) + 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        check(sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t) iov.iov_len, "sendmsg fd %d: %m", fd);
}

int fd_receive(int sock, char *text, size_t size) {
        union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u = {};
        struct iovec iov = { .iov_base = text, .iov_len = size };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf) };
        ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
        check(n > 0 && text[n - 1] == 0, "recvmsg: %zd bytes: %m", n);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        check(c && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)), "recvmsg: no fd came with '%s'", text);
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}
