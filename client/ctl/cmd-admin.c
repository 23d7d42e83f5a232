/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl set-target, drain, reload: steering pools (root and privmemd's admin group). */
#include <stdio.h>

#include "ctl.h"
#include "size.h"

/* "64M=2": a size class and how many ready memfds of it to keep. */
static int target_parse(const Ctl *c, char *arg, struct privmem_target *ret) {
        char *eq = strchr(arg, '=');
        char *end;

        if (!eq)
                return ctl_usage_error(c, "'%s' is not SIZE=COUNT (for example 64M=2)", arg);
        *eq = 0;
        int r = size_parse(arg, &ret->size);
        *eq = '=';
        if (r < 0)
                return ctl_usage_error(c, "'%s': '%.*s' is not a size (for example 64M, 1G, 2MiB)", arg,
                                       (int) (eq - arg), arg);
        errno = 0;
        unsigned long long n = strtoull(eq + 1, &end, 10);
        if (!eq[1] || *end || errno || eq[1] == '-')
                return ctl_usage_error(c, "'%s': '%s' is not a count", arg, eq + 1);
        ret->target = n;
        return 0;
}

static int set_target_run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;
        _cleanup_free_ struct privmem_target *t = calloc(n_args, sizeof(*t));

        if (!t)
                return CTL_EXIT_DAEMON;
        for (unsigned i = 1; i < n_args; i++)
                if (target_parse(c, args[i], &t[i - 1]) != 0)
                        return CTL_EXIT_USAGE;
        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        r = privmem_set_targets(p, args[0], t, n_args - 1);
        return r < 0 ? ctl_fail(c, p, r) : CTL_EXIT_OK;
}

static int drain_run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;
        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        r = privmem_drain(p, args[0]);
        return r < 0 ? ctl_fail(c, p, r) : CTL_EXIT_OK;
}

static int reload_run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;
        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        r = privmem_reload(p);
        return r < 0 ? ctl_fail(c, p, r) : CTL_EXIT_OK;
}

const Verb verb_set_target = {
        .name = "set-target",
        .synopsis = "POOL SIZE=COUNT...",
        .summary = "Keep COUNT ready memfds of SIZE (64M, 1G...) in POOL, and end a drain; until the next reload",
        .min_args = 2, .max_args = 4096,
        .run = set_target_run,
};

const Verb verb_drain = {
        .name = "drain",
        .synopsis = "POOL",
        .summary = "Stop refilling POOL and free its ready memfds (leases stay); set-target or reload ends it",
        .min_args = 1, .max_args = 1,
        .run = drain_run,
};

const Verb verb_reload = {
        .name = "reload",
        .synopsis = "",
        .summary = "Make privmemd read its configuration again; a bad one is refused and the old one stays",
        .run = reload_run,
};
