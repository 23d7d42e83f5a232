/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl status: how the daemon is doing. */
#include <stdio.h>

#include "ctl.h"
#include "format.h"

static int status_print(const Ctl *c, const privmem_status *s) {
        char uptime[FORMAT_MAX];
        printf("privmemd %s on %s\n", privmem_status_version(s), c->socket ?: PRIVMEMD_SOCKET_DEFAULT);
        printf("     Uptime: %s\n", format_duration(uptime, privmem_status_uptime(s)));
        printf("Connections: %llu\n", (unsigned long long) privmem_status_connections(s));
        printf("      Pools: %llu\n", (unsigned long long) privmem_status_pools(s));
        printf("     Leases: %llu\n", (unsigned long long) privmem_status_leases(s));
        return 0;
}

static int run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;
        _cleanup_(privmem_status_freep) privmem_status *s = NULL;

        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        r = privmem_get_status(p, &s);
        if (r < 0)
                return ctl_fail(c, p, r);
        r = c->json ? ctl_print_reply(p) : status_print(c, s);
        return r < 0 ? CTL_EXIT_DAEMON : CTL_EXIT_OK;
}

const Verb verb_status = {
        .name = "status",
        .synopsis = "",
        .summary = "Show the daemon's version, uptime, connections, pools and leases",
        .run = run,
};
