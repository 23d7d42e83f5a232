/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl: the global options, then one command with its own options. */
#include <stdio.h>
#include <stdlib.h>

#include "args.h"
#include "ctl.h"

static const Verb *const verbs[] = {
        &verb_status, &verb_pools, &verb_leases, &verb_lease, &verb_release, &verb_set_target,
        &verb_drain, &verb_reload, &verb_watch, &verb_metrics, &verb_exec, NULL,
};

static void help(void) {
        printf("privmemctl [OPTIONS...] COMMAND [ARGS...]\n\n"
               "Look at and steer privmemd, which lends ready, populated, sealed memfds to VMMs.\n\n"
               "Commands:\n");
        for (size_t i = 0; verbs[i]; i++)
                printf("  %-12s %s\n", verbs[i]->name, verbs[i]->summary);
        printf("\nOptions (also accepted after the command):\n"
               "  -h --help           Show this help, or a command's with COMMAND --help\n"
               "     --version        Show the version\n"
               "     --socket=PATH    privmemd's socket (default: $PRIVMEMD_SOCKET, else %s)\n"
               "     --json           Print JSON (read commands), with privmemd's field names\n\n"
               "Exit status: 0 done, 1 privmemd refused or failed, 2 bad usage, 3 privmemd unreachable.\n"
               "See privmemctl(1).\n", PRIVMEMD_SOCKET_DEFAULT);
}

static const Verb *verb_find(const char *name) {
        for (size_t i = 0; verbs[i]; i++)
                if (streq(verbs[i]->name, name))
                        return verbs[i];
        return NULL;
}

int main(int argc, char **argv) {
        Ctl c = { .verb = NULL, .fd = 3, .socket = getenv("PRIVMEMD_SOCKET") };
        int r;

        if (c.socket && !*c.socket)
                c.socket = NULL;
        r = args_parse_global(&c, argc, argv);
        if (r != ARGS_CONTINUE)
                return r == ARGS_HELP ? (help(), CTL_EXIT_OK) : r;
        if (optind >= argc) {
                fprintf(stderr, "privmemctl: no command given. 'privmemctl --help' lists them.\n");
                return CTL_EXIT_USAGE;
        }
        const Verb *v = verb_find(argv[optind]);
        if (!v) {
                fprintf(stderr, "privmemctl: unknown command '%s'. 'privmemctl --help' lists them.\n", argv[optind]);
                return CTL_EXIT_USAGE;
        }
        c.verb = v->name;
        return args_run_verb(&c, v, argc - optind, argv + optind);
}
