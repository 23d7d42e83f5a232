/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hugetlb pool of 2M pages lends hugetlbfs memfds, once the test has reserved the pages. */
#include <linux/magic.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "helper.h"
#include "hugepages.h"
#include "memfd.h"

#define PAGE (2 * MiB)

static const char config[] =
        "[pool h]\n"
        "backing = hugetlb\n"
        "page_size = 2M\n"
        "sizes = 4M:1\n"
        "limit = 16M\n";

static void test_acquire(privmem *p) {
        privmem_lease *l = NULL;
        struct statfs sf;
        int fd, fd2;

        check_ok(p, privmem_acquire(p, "h", 4 * MiB, NULL, &fd, &l), "Acquire 4M of 2M pages");
        check(fstatfs(fd, &sf) == 0 && sf.f_type == HUGETLBFS_MAGIC, "memfd on fs type 0x%lx, not hugetlbfs",
              (unsigned long) sf.f_type);
        memfd_check_ready(fd, 4 * MiB);
        memfd_fill(fd, 4 * MiB, 40);
        memfd_check_filled(fd, 4 * MiB, 40);
        check_errno(p, privmem_acquire(p, "h", 4 * MiB + 4096, NULL, &fd2, NULL), -EINVAL, "4M+4K of 2M pages");
        check(str_eq(privmem_last_error_name(p), PRIVMEM_ERROR_INVALID_SIZE), "error %s", privmem_last_error_name(p));
        check_ok(p, privmem_acquire(p, "h", 2 * PAGE, NULL, &fd2, NULL), "a second 4M");
        check(memfd_inode(fd) != memfd_inode(fd2), "two acquires share an inode");
        check_ok(p, privmem_release(p, privmem_lease_id(l)), "Release");
        memfd_wait_invalidated(fd, 4 * MiB, 5000);
        privmem_lease_free(l);
        close(fd);
        close(fd2);
}

int main(void) {
        test_init("hugetlb-2m", 60);
        test_require_root();
        int r = hugepages_reserve(PAGE, 8);
        if (r < 0)
                test_skip("could not reserve 8 hugepages of 2M: %s", strerror(-r));
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        privmem_set_timeout(p, 20000);
        test_acquire(p);
        privmem_disconnect(p);
        test_daemon_stop(d);
        return 0;           /* the pages are given back at exit */
}
