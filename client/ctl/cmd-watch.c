/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl watch: privmemd's events as they happen, one line each. */
#include <stdio.h>

#include "ctl.h"
#include "format.h"
#include "size.h"

/* "2025-06-01 12:00:00.123  leaseAcquired      pool=vm size=64 MiB lease=ID owner=1234 (qemu)" */
static void event_print(const privmem_event *e) {
        char time[FORMAT_MAX], size[SIZE_FORMAT_MAX], owner[FORMAT_MAX];
        const privmem_lease *l = privmem_event_lease(e);

        printf("%s  %-17s", format_timestamp(time, privmem_event_timestamp(e)), privmem_event_kind_name(e));
        if (privmem_event_pool(e))
                printf(" pool=%s", privmem_event_pool(e));
        if (privmem_event_size(e) > 0)
                printf(" size=%s", size_format(size, privmem_event_size(e)));
        if (l)
                printf(" lease=%s owner=%s uid=%u", privmem_lease_id(l), format_owner(owner, l),
                       (unsigned) privmem_lease_uid(l));
        if (l && privmem_lease_tag(l))
                printf(" tag=%s", privmem_lease_tag(l));
        if (privmem_event_cause_name(e))
                printf(" cause=%s", privmem_event_cause_name(e));
        if (privmem_event_reason(e))
                printf(" reason=\"%s\"", privmem_event_reason(e));
        putchar('\n');
}

static int event_output(const Ctl *c, const privmem_event *e) {
        if (c->json) {
                const char *text = privmem_event_json(e, 0);
                if (!text)
                        return -ENOMEM;
                puts(text);
        } else if (privmem_event_kind(e) == PRIVMEM_EVENT_WATCHING)
                printf("Watching privmemd on %s; Ctrl-C stops.\n", c->socket ?: PRIVMEMD_SOCKET_DEFAULT);
        else
                event_print(e);
        return fflush(stdout) == 0 ? 0 : -errno;
}

static int run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;
        _cleanup_(privmem_watch_freep) privmem_watch *w = NULL;

        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        r = privmem_watch_open(p, &w);
        if (r < 0)
                return ctl_fail(c, p, r);
        for (uint64_t seen = 0; c->count == 0 || seen <= c->count; seen++) {
                _cleanup_(privmem_event_freep) privmem_event *e = NULL;
                r = privmem_watch_next(w, &e);
                if (r < 0)
                        return ctl_fail(c, p, r);
                if (event_output(c, e) < 0)
                        return CTL_EXIT_DAEMON;         /* stdout is gone: nobody reads any more */
        }
        return CTL_EXIT_OK;
}

static const struct option options[] = {
        { "count", required_argument, NULL, OPT_COUNT },
        {}
};

const Verb verb_watch = {
        .name = "watch",
        .synopsis = "[--count=N]",
        .summary = "Print privmemd's lease and pool events as they happen (--json: one object per line)",
        .options_help = "     --count=N      Exit after N events (the first line, 'watching', is not counted)\n",
        .options = options,
        .run = run,
};
