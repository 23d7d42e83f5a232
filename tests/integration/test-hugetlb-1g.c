/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A hugetlb pool of 1G pages works where the machine can reserve one. */
#include <unistd.h>

#include "helper.h"
#include "hugepages.h"
#include "memfd.h"

static const char config[] =
        "[pool g]\n"
        "backing = hugetlb\n"
        "page_size = 1G\n"
        "sizes = 1G:1\n"
        "limit = 1G\n";

int main(void) {
        privmem_lease *l = NULL;
        int fd;

        test_init("hugetlb-1g", 120);
        test_require_root();
        int r = hugepages_reserve(GiB, 1);
        if (r < 0)
                test_skip("could not reserve a 1G hugepage (%s): memory too fragmented or too small", strerror(-r));
        TestDaemon *d = test_daemon_start(config);
        privmem *p = test_connect(d);
        privmem_set_timeout(p, 60000);

        check_ok(p, privmem_acquire(p, "g", GiB, NULL, &fd, &l), "Acquire 1G of 1G pages");
        memfd_check_ready(fd, GiB);
        memfd_fill(fd, GiB, 50);
        memfd_check_filled(fd, GiB, 50);
        check_ok(p, privmem_release(p, privmem_lease_id(l)), "Release");
        memfd_wait_invalidated(fd, GiB, 10000);
        privmem_lease_free(l);
        close(fd);
        privmem_disconnect(p);
        test_daemon_stop(d);
        return 0;
}
