/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl leases, lease ID, release ID. */
#include <stdio.h>

#include "ctl.h"
#include "format.h"
#include "size.h"
#include "table.h"

static int leases_table(const Ctl *c, const privmem_lease_list *list) {
        static const char *const headers[] = { "LEASE", "POOL", ">SIZE", "STATE", "OWNER", ">UID", ">AGE", "TAG", NULL };
        _cleanup_(table_freep) Table *t = table_new(headers);
        char size[SIZE_FORMAT_MAX], owner[FORMAT_MAX], age[FORMAT_MAX];

        for (size_t i = 0; t && i < privmem_lease_list_count(list); i++) {
                const privmem_lease *l = privmem_lease_list_get(list, i);
                table_add(t, privmem_lease_id(l));
                table_add(t, privmem_lease_pool(l));
                table_add(t, size_format(size, privmem_lease_size(l)));
                table_add(t, privmem_lease_state_name(l));
                table_add(t, format_owner(owner, l));
                table_addf(t, "%u", (unsigned) privmem_lease_uid(l));
                table_add(t, format_duration(age, privmem_lease_age(l)));
                table_add(t, privmem_lease_tag(l));
        }
        if (!t)
                return -ENOMEM;
        if (table_rows(t) == 0) {
                printf("No leases%s%s.\n", c->pool ? " in pool " : "", strempty(c->pool));
                return 0;
        }
        return table_print(t, stdout, c->styled);
}

static int leases_run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;
        _cleanup_(privmem_lease_list_freep) privmem_lease_list *list = NULL;

        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        r = privmem_list_leases(p, c->pool, &list);
        if (r < 0)
                return ctl_fail(c, p, r);
        r = c->json ? ctl_print_reply(p) : leases_table(c, list);
        return r < 0 ? CTL_EXIT_DAEMON : CTL_EXIT_OK;
}

static void lease_print(const privmem_lease *l) {
        char size[SIZE_FORMAT_MAX], leaked[SIZE_FORMAT_MAX], owner[FORMAT_MAX], age[FORMAT_MAX];
        printf("   Lease: %s\n", privmem_lease_id(l));
        printf("    Pool: %s\n", privmem_lease_pool(l));
        printf("    Size: %s (%llu bytes)\n", size_format(size, privmem_lease_size(l)),
               (unsigned long long) privmem_lease_size(l));
        printf("   State: %s\n", privmem_lease_state_name(l));
        if (privmem_lease_state(l) == PRIVMEM_LEASE_LEAKED)
                printf("  Leaked: %s\n", size_format(leaked, privmem_lease_leaked_bytes(l)));
        printf("   Owner: %s%s\n", privmem_lease_owner_kind(l) == PRIVMEM_OWNER_PROCESS ? "process " : "",
               format_owner(owner, l));
        if (privmem_lease_owner_domain(l))
                printf("  Domain: %s\n", privmem_lease_owner_domain(l));
        if (privmem_lease_owner_kind(l) == PRIVMEM_OWNER_DOMAIN && privmem_lease_owner_pid(l) > 0)
                printf(" Process: %d (%s)\n", (int) privmem_lease_owner_pid(l), privmem_lease_owner_command(l) ?: "?");
        printf("     UID: %u\n", (unsigned) privmem_lease_uid(l));
        printf("     Age: %s\n", format_duration(age, privmem_lease_age(l)));
        if (privmem_lease_tag(l))
                printf("     Tag: %s\n", privmem_lease_tag(l));
}

static int lease_run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;
        _cleanup_(privmem_lease_freep) privmem_lease *l = NULL;

        if (!*args[0])
                return ctl_usage_error(c, "the lease id is empty");
        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        r = privmem_get_lease(p, args[0], &l);
        if (r < 0)
                return ctl_fail(c, p, r);
        if (!c->json)
                return lease_print(l), CTL_EXIT_OK;
        return ctl_print_reply(p) < 0 ? CTL_EXIT_DAEMON : CTL_EXIT_OK;
}

static int release_run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;

        if (!*args[0])
                return ctl_usage_error(c, "the lease id is empty");
        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        r = privmem_release(p, args[0]);
        return r < 0 ? ctl_fail(c, p, r) : CTL_EXIT_OK;
}

static const struct option leases_options[] = {
        { "pool", required_argument, NULL, OPT_POOL },
        {}
};

const Verb verb_leases = {
        .name = "leases",
        .synopsis = "[--pool=POOL]",
        .summary = "List the leases (others than root see only their own)",
        .options_help = "     --pool=POOL    Only the leases of POOL\n",
        .options = leases_options,
        .run = leases_run,
};

const Verb verb_lease = {
        .name = "lease",
        .synopsis = "ID",
        .summary = "Show one lease",
        .min_args = 1, .max_args = 1,
        .run = lease_run,
};

const Verb verb_release = {
        .name = "release",
        .synopsis = "ID",
        .summary = "End a lease now: its memory is invalidated, in every process that maps it",
        .min_args = 1, .max_args = 1,
        .run = release_run,
};
