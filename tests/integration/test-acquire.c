/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Acquire lends a ready memfd as promised; GetLease/ListLeases see it; Release gives it back. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "helper.h"
#include "memfd.h"

static const char config[] =
        "[pool a]\n"
        "sizes = 4M:2\n"
        "limit = 64M\n"
        "\n"
        "[pool cold]\n"
        "sizes = 4M:0\n"
        "limit = 16M\n";

static void check_lease(const privmem_lease *l, const char *pool, uint64_t size, const char *tag) {
        check(privmem_lease_id(l) && *privmem_lease_id(l), "lease without an id");
        check(str_eq(privmem_lease_pool(l), pool), "lease from pool '%s', expected '%s'", privmem_lease_pool(l), pool);
        check(privmem_lease_size(l) == size, "lease of %llu bytes, %llu asked", (unsigned long long) privmem_lease_size(l),
              (unsigned long long) size);
        check(privmem_lease_state(l) == PRIVMEM_LEASE_ACTIVE, "lease state '%s'", privmem_lease_state_name(l));
        check(privmem_lease_owner_kind(l) == PRIVMEM_OWNER_PROCESS && privmem_lease_owner_pid(l) == getpid(),
              "owner kind %d pid %d, expected a process, pid %d", privmem_lease_owner_kind(l),
              (int) privmem_lease_owner_pid(l), (int) getpid());
        check(privmem_lease_uid(l) == getuid(), "lease uid %u, caller %u", (unsigned) privmem_lease_uid(l), (unsigned) getuid());
        check(str_eq(privmem_lease_tag(l), tag) || (!tag && !privmem_lease_tag(l)), "tag '%s', expected '%s'",
              privmem_lease_tag(l) ?: "(none)", tag ?: "(none)");
}

/* The memfd's name shows the lease in /proc/PID/maps and /proc/PID/fd. */
static void check_name(int fd, const privmem_lease *l) {
        char path[64], target[256] = "";
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        check(readlink(path, target, sizeof(target) - 1) > 0, "readlink %s: %m", path);
        check(strstr(target, privmem_lease_id(l)), "memfd named '%s', without lease id '%s'", target, privmem_lease_id(l));
}

static bool listed(privmem *p, const char *pool, const char *id) {
        privmem_lease_list *list = NULL;
        bool found = false;
        check_ok(p, privmem_list_leases(p, pool, &list), "ListLeases");
        for (size_t i = 0; i < privmem_lease_list_count(list); i++)
                found = found || str_eq(privmem_lease_id(privmem_lease_list_get(list, i)), id);
        privmem_lease_list_free(list);
        return found;
}

static void wait_gone(privmem *p, const char *id) {
        privmem_lease *l = NULL;
        int r;
        for (uint64_t end = test_now_ms() + 5000; (r = privmem_get_lease(p, id, &l)) >= 0 && test_now_ms() < end;)
                l = privmem_lease_free(l), test_sleep_ms(10);
        check_errno(p, r, -ENOENT, "GetLease of a released lease");
        check(str_eq(privmem_last_error_name(p), PRIVMEM_ERROR_NO_SUCH_LEASE), "error %s", privmem_last_error_name(p));
}

static void test_acquire_release(privmem *p) {
        struct privmem_acquire_options o = { .size = sizeof(o), .tag = "vm-1" };
        privmem_lease *l1 = NULL, *l2 = NULL, *got = NULL;
        int fd1 = -1, fd2 = -1;

        check_ok(p, privmem_acquire(p, "a", 4 * MiB, &o, &fd1, &l1), "Acquire 4M");
        memfd_check_ready(fd1, 4 * MiB);
        check_lease(l1, "a", 4 * MiB, "vm-1");
        check_name(fd1, l1);
        memfd_fill(fd1, 4 * MiB, 1);
        memfd_check_filled(fd1, 4 * MiB, 1);

        check_ok(p, privmem_acquire(p, "a", 4 * MiB, NULL, &fd2, &l2), "second Acquire 4M");
        memfd_check_ready(fd2, 4 * MiB);
        check_lease(l2, "a", 4 * MiB, NULL);
        memfd_fill(fd2, 4 * MiB, 2);
        check(memfd_inode(fd1) != memfd_inode(fd2), "two acquires share inode %lu", (unsigned long) memfd_inode(fd1));
        check(!str_eq(privmem_lease_id(l1), privmem_lease_id(l2)), "two acquires share lease id %s", privmem_lease_id(l1));

        check_ok(p, privmem_get_lease(p, privmem_lease_id(l1), &got), "GetLease");
        check_lease(got, "a", 4 * MiB, "vm-1");
        check(listed(p, "a", privmem_lease_id(l1)) && listed(p, NULL, privmem_lease_id(l2)), "ListLeases misses a lease");
        check(!listed(p, "cold", privmem_lease_id(l1)), "ListLeases of pool 'cold' shows a lease of 'a'");

        check_ok(p, privmem_release(p, privmem_lease_id(l1)), "Release");
        memfd_wait_invalidated(fd1, 4 * MiB, 5000);
        wait_gone(p, privmem_lease_id(l1));
        check_errno(p, privmem_release(p, privmem_lease_id(l1)), -ENOENT, "second Release");
        memfd_check_filled(fd2, 4 * MiB, 2);    /* the other lease is untouched */
        privmem_lease_free(got);
        privmem_lease_free(l1);
        privmem_lease_free(l2);
        close(fd1);
        close(fd2);
}

static void test_no_wait(privmem *p) {
        struct privmem_acquire_options o = { .size = sizeof(o), .flags = PRIVMEM_ACQUIRE_NO_WAIT };
        int fd = -1;

        check_errno(p, privmem_acquire(p, "cold", 4 * MiB, &o, &fd, NULL), -EAGAIN, "Acquire without waiting from an empty pool");
        check(str_eq(privmem_last_error_name(p), PRIVMEM_ERROR_POOL_EXHAUSTED), "error %s", privmem_last_error_name(p));
        check_ok(p, privmem_acquire(p, "cold", 4 * MiB, NULL, &fd, NULL), "Acquire waiting from an empty pool");
        memfd_check_ready(fd, 4 * MiB);
        check(!privmem_last_error_name(p) && !privmem_last_error_message(p), "an error is left after a success");
        close(fd);
}

int main(void) {
        test_init("acquire", 60);
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        test_acquire_release(p);
        test_no_wait(p);
        privmem_disconnect(p);
        test_daemon_stop(d);
        return 0;
}
