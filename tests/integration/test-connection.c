/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hanging up does not end a process's lease; it ends a lease bound to the connection. */
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper.h"
#include "memfd.h"
#include "vmm.h"

static const char config[] =
        "[pool a]\n"
        "sizes = 4M:2\n"
        "limit = 64M\n";

static void test_live_owner_hangs_up(const TestDaemon *d, privmem *p) {
        char id[128];
        privmem_lease *l = NULL;
        int fd;
        pid_t vmm = vmm_start(d, "a", 4 * MiB, 20, true, &fd, id, sizeof(id));

        test_sleep_ms(500);     /* time enough for a wrong invalidation to show */
        memfd_check_filled(fd, 4 * MiB, 20);
        check_ok(p, privmem_get_lease(p, id, &l), "GetLease after the owner hung up");
        check(privmem_lease_state(l) == PRIVMEM_LEASE_ACTIVE, "state '%s' after the owner hung up", privmem_lease_state_name(l));
        privmem_lease_free(l);

        kill(vmm, SIGKILL);
        test_wait(vmm);
        memfd_wait_invalidated(fd, 4 * MiB, 5000);
        close(fd);
}

static void test_bound_to_connection(const TestDaemon *d, privmem *observer) {
        struct privmem_acquire_options o = { .size = sizeof(o), .flags = PRIVMEM_ACQUIRE_BIND_TO_CONNECTION };
        privmem *bound = test_connect(d), *other = test_connect(d);
        privmem_lease *l = NULL;
        int fd;

        check_ok(bound, privmem_acquire(bound, "a", 4 * MiB, &o, &fd, &l), "Acquire bound to the connection");
        check(privmem_lease_owner_kind(l) == PRIVMEM_OWNER_CONNECTION, "owner kind %d, expected connection",
              privmem_lease_owner_kind(l));
        memfd_fill(fd, 4 * MiB, 21);
        privmem_disconnect(other);              /* another connection of the same process */
        test_sleep_ms(300);
        memfd_check_filled(fd, 4 * MiB, 21);

        privmem_disconnect(bound);
        memfd_wait_invalidated(fd, 4 * MiB, 5000);
        privmem_lease *gone = NULL;
        int r = privmem_get_lease(observer, privmem_lease_id(l), &gone);
        for (uint64_t end = test_now_ms() + 5000; r >= 0 && test_now_ms() < end; test_sleep_ms(10)) {
                gone = privmem_lease_free(gone);
                r = privmem_get_lease(observer, privmem_lease_id(l), &gone);
        }
        check_errno(observer, r, -ENOENT, "GetLease of a lease whose connection closed");
        privmem_lease_free(l);
        close(fd);
}

/* A daemon that goes away: -ECONNRESET, then -ENOTCONN until the caller reconnects. */
static void test_daemon_gone(TestDaemon *d, privmem *p) {
        privmem_status *s = NULL;
        test_daemon_stop(d);
        check_errno(p, privmem_get_status(p, &s), -ECONNRESET, "GetStatus after privmemd stopped");
        check(!privmem_last_error_name(p) && privmem_last_error_message(p), "no message after a hang-up");
        check_errno(p, privmem_get_status(p, &s), -ENOTCONN, "GetStatus on a connection that failed");
}

int main(void) {
        test_init("connection", 60);
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        test_live_owner_hangs_up(d, p);
        test_bound_to_connection(d, p);
        test_daemon_gone(d, p);
        privmem_disconnect(p);
        return 0;
}
