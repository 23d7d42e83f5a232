/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A stand-in VMM in a child process: acquires, fills its memory, hands the test a dup of its memfd
 * and the lease id, and keeps running until killed. */
#include <sys/socket.h>
#include <unistd.h>

#include "memfd.h"
#include "vmm.h"

typedef struct Vmm {
        const TestDaemon *daemon;
        const char *pool;
        uint64_t size;
        uint32_t seed;
        bool hang_up;
        int sock;
} Vmm;

static int vmm_run(void *arg) {
        Vmm *v = arg;
        privmem *p = test_connect(v->daemon);
        privmem_lease *l = NULL;
        int fd;

        check_ok(p, privmem_acquire(p, v->pool, v->size, NULL, &fd, &l), "Acquire in the VMM");
        memfd_fill(fd, v->size, v->seed);
        if (v->hang_up)
                privmem_disconnect(p);
        fd_send(v->sock, fd, privmem_lease_id(l));
        test_pause_forever();
}

pid_t vmm_start(const TestDaemon *d, const char *pool, uint64_t size, uint32_t seed, bool hang_up,
                int *ret_fd, char *id, size_t id_size) {
        int sv[2];
        check(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair: %m");
        Vmm v = { .daemon = d, .pool = pool, .size = size, .seed = seed, .hang_up = hang_up, .sock = sv[1] };
        pid_t pid = test_fork(vmm_run, &v);
        close(sv[1]);
        *ret_fd = fd_receive(sv[0], id, id_size);
        close(sv[0]);
        return pid;
}
