/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-uid quotas of bytes and of leases get QuotaExceeded (-EDQUOT) naming the numbers. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"

static const char config[] =
        "[pool bytes]\n"
        "sizes = 4M:3\n"
        "limit = 64M\n"
        "quota_per_uid = 8M\n"
        "users = *\n"
        "\n"
        "[pool count]\n"
        "sizes = 2M:2\n"
        "limit = 64M\n"
        "leases_per_uid = 1\n"
        "users = *\n"
        "\n"
        "[pool shared]\n"
        "sizes = 4M:1\n"
        "limit = 12M\n"
        "users = *\n";

static void check_message(privmem *p, const char *part) {
        const char *m = privmem_last_error_message(p);
        check(m && strstr(m, part), "message '%s' does not say '%s'", m ?: "(none)", part);
}

static void test_bytes(privmem *p) {
        privmem_lease *l1 = NULL, *l2 = NULL;
        int fd1, fd2, fd3;

        check_ok(p, privmem_acquire(p, "bytes", 4 * MiB, NULL, &fd1, &l1), "first 4M within an 8M quota");
        check_ok(p, privmem_acquire(p, "bytes", 4 * MiB, NULL, &fd2, &l2), "second 4M within an 8M quota");
        check_errno(p, privmem_acquire(p, "bytes", 4 * MiB, NULL, &fd3, NULL), -EDQUOT, "third 4M over an 8M quota");
        check(str_eq(privmem_last_error_name(p), PRIVMEM_ERROR_QUOTA_EXCEEDED), "error %s", privmem_last_error_name(p));
        check_message(p, "limit 8388608, used 8388608, requested 4194304");
        check_message(p, "'bytes'");

        check_ok(p, privmem_release(p, privmem_lease_id(l1)), "Release");
        check_ok(p, privmem_acquire(p, "bytes", 4 * MiB, NULL, &fd3, NULL), "4M again after a Release");
        privmem_lease_free(l1);
        privmem_lease_free(l2);
        close(fd1);
        close(fd2);
        close(fd3);
}

static void test_leases(privmem *p) {
        int fd1, fd2;
        check_ok(p, privmem_acquire(p, "count", 2 * MiB, NULL, &fd1, NULL), "first lease of 1 allowed");
        check_errno(p, privmem_acquire(p, "count", 2 * MiB, NULL, &fd2, NULL), -EDQUOT, "second lease of 1 allowed");
        check_message(p, "quota of leases");
        check_message(p, "limit 1, used 1, requested 1");
        close(fd1);
}

/* Within its own quota, but root holds 8M of the pool's 12M. */
static void test_pool_limit(privmem *p) {
        int fd;
        check_errno(p, privmem_acquire(p, "shared", 8 * MiB, NULL, &fd, NULL), -ENOSPC, "8M with 8M of 12M lent");
        check(str_eq(privmem_last_error_name(p), PRIVMEM_ERROR_POOL_EXHAUSTED), "error %s", privmem_last_error_name(p));
        check_message(p, "pool 'shared' exhausted: 8388608 bytes wanted");
        check_message(p, "limit 12582912");
}

static int client(void *arg) {
        const TestDaemon *d = arg;
        test_become(NOBODY, NOBODY);
        privmem *p = test_connect(d);
        test_bytes(p);
        test_leases(p);
        test_pool_limit(p);
        privmem_disconnect(p);
        return 0;
}

int main(void) {
        test_init("quota", 60);
        test_require_root();
        TestDaemon *d = test_daemon_start(config);
        privmem *root = test_connect(d);
        int fd;
        check_ok(root, privmem_acquire(root, "shared", 8 * MiB, NULL, &fd, NULL), "root takes 8M of 12M");
        int status = test_wait(test_fork(client, d));
        check(status == 0, "the client run as uid %d failed with status %d", NOBODY, status);
        close(fd);
        privmem_disconnect(root);
        test_daemon_stop(d);
        return 0;
}
