/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Who may acquire from a pool, and who sees and ends which leases. */
#include <sys/syscall.h>
#include <unistd.h>

#include "helper.h"
#include "memfd.h"

static const char config[] =
        "[pool rootonly]\n"
        "sizes = 2M:1\n"
        "limit = 16M\n"
        "users = 0\n"
        "\n"
        "[pool byuser]\n"
        "sizes = 2M:1\n"
        "limit = 16M\n"
        "users = 65534\n"
        "\n"
        "[pool bygroup]\n"
        "sizes = 2M:1\n"
        "limit = 16M\n"
        "users = 0\n"
        "groups = 65534\n";

typedef struct Client {
        const TestDaemon *daemon;
        const char *root_lease;
} Client;

static void test_acquire_acl(privmem *p) {
        int fd;
        check_errno(p, privmem_acquire(p, "rootonly", 2 * MiB, NULL, &fd, NULL), -EACCES, "uid 65534 in a pool of users=0");
        check(str_eq(privmem_last_error_name(p), PRIVMEM_ERROR_PERMISSION_DENIED), "error %s",
              privmem_last_error_name(p));
        check_ok(p, privmem_acquire(p, "byuser", 2 * MiB, NULL, &fd, NULL), "uid 65534 in a pool of users=65534");
        memfd_check_ready(fd, 2 * MiB);
        close(fd);
        check_ok(p, privmem_acquire(p, "bygroup", 2 * MiB, NULL, &fd, NULL), "gid 65534 in a pool of groups=65534");
        close(fd);
}

/* A pidfd of another uid's process cannot be named as owner. */
static void test_foreign_owner(privmem *p) {
        struct privmem_acquire_options o = { .size = sizeof(o), .flags = PRIVMEM_ACQUIRE_OWNER_PIDFD };
        int fd;

        o.owner_pidfd = (int) syscall(SYS_pidfd_open, getppid(), 0);
        check(o.owner_pidfd >= 0, "pidfd_open of root's process %d: %m", (int) getppid());
        check_errno(p, privmem_acquire(p, "byuser", 2 * MiB, &o, &fd, NULL), -EACCES, "uid 65534 naming root's process as owner");
        close(o.owner_pidfd);
}

/* Others than root see and end only their own leases. */
static void test_lease_visibility(privmem *p, const char *root_lease) {
        privmem_lease_list *list = NULL;
        privmem_lease *l = NULL;

        check_ok(p, privmem_list_leases(p, NULL, &list), "ListLeases as uid 65534");
        check(privmem_lease_list_count(list) == 2, "uid 65534 sees %zu leases, it has 2", privmem_lease_list_count(list));
        for (size_t i = 0; i < privmem_lease_list_count(list); i++)
                check(privmem_lease_uid(privmem_lease_list_get(list, i)) == NOBODY, "uid 65534 sees a lease of uid %u",
                      (unsigned) privmem_lease_uid(privmem_lease_list_get(list, i)));
        privmem_lease_list_free(list);
        check_errno(p, privmem_get_lease(p, root_lease, &l), -ENOENT, "GetLease of root's lease as uid 65534");
        check_errno(p, privmem_release(p, root_lease), -ENOENT, "Release of root's lease as uid 65534");
}

static int client(void *arg) {
        const Client *c = arg;
        test_become(NOBODY, NOBODY);
        privmem *p = test_connect(c->daemon);
        test_acquire_acl(p);
        test_foreign_owner(p);
        test_lease_visibility(p, c->root_lease);
        privmem_disconnect(p);
        return 0;
}

int main(void) {
        privmem_lease *l = NULL;
        int fd;

        test_init("acl", 60);
        test_require_root();
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        check_ok(p, privmem_acquire(p, "rootonly", 2 * MiB, NULL, &fd, &l), "root in a pool of users=0");
        memfd_fill(fd, 2 * MiB, 30);

        Client c = { .daemon = d, .root_lease = privmem_lease_id(l) };
        int status = test_wait(test_fork(client, &c));
        check(status == 0, "the client run as uid %d failed with status %d", NOBODY, status);
        memfd_check_filled(fd, 2 * MiB, 30);

        privmem_lease_list *all = NULL;
        check_ok(p, privmem_list_leases(p, NULL, &all), "ListLeases as root");
        check(privmem_lease_list_count(all) >= 1, "root sees %zu leases", privmem_lease_list_count(all));
        privmem_lease_list_free(all);
        privmem_lease_free(l);
        close(fd);
        privmem_disconnect(p);
        test_daemon_stop(d);
        return 0;
}
