/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl status: how the daemon is doing. */
#include <stdio.h>

#include "ctl.h"
#include "format.h"

/* "Libvirt: unavailable for 12s (URI)" and the last error under it; nothing from an older privmemd. */
static void status_print_libvirt(const privmem_status *s) {
        const char *state = privmem_status_libvirt_state_name(s), *error = privmem_status_libvirt_last_error(s);
        char since[FORMAT_MAX];

        if (!state)
                return;
        if (privmem_status_libvirt_state(s) == PRIVMEM_LIBVIRT_DISABLED) {
                printf("    Libvirt: disabled\n");
                return;
        }
        printf("    Libvirt: %s for %s (%s)\n", state, format_duration(since, privmem_status_libvirt_since(s)),
               privmem_status_libvirt_uri(s) ?: "?");
        if (error)
                printf("             last error: %s\n", error);
}

/* "Workers: 2 (1 stuck since 40s)"; nothing from a privmemd too old to say. */
static void status_print_workers(const privmem_status *s) {
        char since[FORMAT_MAX];
        uint64_t stuck = privmem_status_stuck_workers(s);

        if (privmem_status_workers(s) == 0)
                return;
        printf("    Workers: %llu", (unsigned long long) privmem_status_workers(s));
        if (stuck > 0)
                printf(" (%llu stuck since %s)", (unsigned long long) stuck,
                       privmem_status_stuck_since(s) >= 0 ? format_duration(since, privmem_status_stuck_since(s)) : "?");
        printf("\n");
}

static int status_print(const Ctl *c, const privmem_status *s) {
        char uptime[FORMAT_MAX];
        printf("privmemd %s on %s\n", privmem_status_version(s), c->socket ?: PRIVMEMD_SOCKET_DEFAULT);
        printf("     Uptime: %s\n", format_duration(uptime, privmem_status_uptime(s)));
        printf("Connections: %llu\n", (unsigned long long) privmem_status_connections(s));
        printf("      Pools: %llu\n", (unsigned long long) privmem_status_pools(s));
        printf("     Leases: %llu\n", (unsigned long long) privmem_status_leases(s));
        status_print_workers(s);
        status_print_libvirt(s);
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
        .summary = "Show the daemon's version, uptime, connections, pools, leases, workers and libvirt link",
        .run = run,
};
