/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A lease ends when its owner process dies, and only that lease: SIGKILLed VMMs, owner pidfds. */
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"
#include "memfd.h"
#include "vmm.h"

static const char config[] =
        "[pool a]\n"
        "sizes = 4M:2\n"
        "limit = 64M\n";

static void test_sigkill(const TestDaemon *d, privmem *p) {
        char victim_id[128], sibling_id[128];
        int victim_fd, sibling_fd;
        privmem_lease *l = NULL;

        pid_t victim = vmm_start(d, "a", 4 * MiB, 10, false, &victim_fd, victim_id, sizeof(victim_id));
        pid_t sibling = vmm_start(d, "a", 4 * MiB, 11, false, &sibling_fd, sibling_id, sizeof(sibling_id));
        check(kill(victim, SIGKILL) == 0, "kill %d: %m", (int) victim);
        check(test_wait(victim) == 128 + SIGKILL, "the victim did not die of SIGKILL");

        memfd_wait_invalidated(victim_fd, 4 * MiB, 5000);
        memfd_check_filled(sibling_fd, 4 * MiB, 11);
        check_ok(p, privmem_get_lease(p, sibling_id, &l), "GetLease of the sibling's lease");
        check(privmem_lease_state(l) == PRIVMEM_LEASE_ACTIVE && privmem_lease_owner_pid(l) == sibling,
              "sibling's lease: state '%s' owner %d, expected active and %d", privmem_lease_state_name(l),
              (int) privmem_lease_owner_pid(l), (int) sibling);
        privmem_lease_free(l);

        kill(sibling, SIGKILL);
        test_wait(sibling);
        memfd_wait_invalidated(sibling_fd, 4 * MiB, 5000);
        close(victim_fd);
        close(sibling_fd);
}

static int sleeper(void *arg) {
        test_pause_forever();
}

/* The caller acquires for another process, named by its pidfd: that process's death ends it. */
static void test_owner_pidfd(privmem *p) {
        pid_t owner = test_fork(sleeper, NULL);
        int pidfd = (int) syscall(SYS_pidfd_open, owner, 0);
        check(pidfd >= 0, "pidfd_open %d: %m", (int) owner);
        struct privmem_acquire_options o = { .size = sizeof(o), .flags = PRIVMEM_ACQUIRE_OWNER_PIDFD, .owner_pidfd = pidfd };
        privmem_lease *l = NULL;
        int fd;

        check_ok(p, privmem_acquire(p, "a", 4 * MiB, &o, &fd, &l), "Acquire for another process");
        check(privmem_lease_owner_pid(l) == owner, "lease owned by %d, asked for %d", (int) privmem_lease_owner_pid(l), (int) owner);
        check(fcntl_is_open(pidfd), "the library closed the caller's pidfd %d", pidfd);
        memfd_fill(fd, 4 * MiB, 12);
        kill(owner, SIGKILL);
        test_wait(owner);
        memfd_wait_invalidated(fd, 4 * MiB, 5000);
        privmem_lease_free(l);
        close(fd);
        close(pidfd);
}

int main(void) {
        test_init("owner", 60);
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        test_sigkill(d, p);
        test_owner_pidfd(p);
        privmem_disconnect(p);
        test_daemon_stop(d);
        return 0;
}
