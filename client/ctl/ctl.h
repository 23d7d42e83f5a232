/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl: what every command shares (options, exit codes, connecting, reporting failures). */
#pragma once

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

#include "privmem/privmem.h"
#include "util/macro.h"

/* Exit codes, documented in privmemctl(1). exec also exits 126/127 as a shell does. */
enum {
        CTL_EXIT_OK = 0,
        CTL_EXIT_DAEMON = 1,            /* privmemd refused or failed the request */
        CTL_EXIT_USAGE = 2,             /* bad command line */
        CTL_EXIT_UNREACHABLE = 3,       /* no privmemd to talk to, or it went away */
        CTL_EXIT_EXEC_FAILED = 126,
        CTL_EXIT_EXEC_NOT_FOUND = 127,
};

typedef struct Ctl {
        const char *verb;
        const char *socket;             /* --socket=, else $PRIVMEMD_SOCKET, else the default */
        bool json;
        bool styled;                    /* stdout is a terminal that takes escape sequences */
        /* command options */
        const char *pool, *size, *tag;
        int fd;
        bool no_wait;
        uint64_t count;                 /* watch --count; 0: forever */
} Ctl;

typedef struct Verb {
        const char *name;
        const char *synopsis;           /* after "privmemctl NAME" */
        const char *summary;
        const char *options_help;       /* the command's own options, or NULL */
        const struct option *options;   /* the command's own options, or NULL */
        unsigned min_args, max_args;    /* operands */
        bool stop_at_operand;           /* exec: options end at COMMAND */
        int (*run)(Ctl *c, char **args, unsigned n_args);
} Verb;

/* Command option ids, beyond the short ones. */
enum {
        OPT_SOCKET = 0x100, OPT_JSON, OPT_POOL, OPT_SIZE, OPT_FD, OPT_TAG, OPT_NO_WAIT, OPT_COUNT,
};

extern const Verb verb_status, verb_pools, verb_leases, verb_lease, verb_release, verb_set_target,
        verb_drain, verb_reload, verb_watch, verb_metrics, verb_exec;

/* Prints "privmemctl: VERB: message" to stderr; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const Ctl *c, const char *format, ...) _printf_(2, 3);
/* Connects, or says why not and what to do; returns 0 or CTL_EXIT_UNREACHABLE. */
int ctl_connect(const Ctl *c, privmem **ret);
/* Reports a failed call r on p, worded for people, and returns its exit code. */
int ctl_fail(const Ctl *c, privmem *p, int r);
/* What to do about a pool that is exhausted or failing, by the cause privmemd gave (Pool.failure,
 * PoolExhausted.cause; NULL: none given, as by a privmemd older than 0.3). */
const char *ctl_failure_hint(const char *cause);
/* Prints the last reply on p to stdout as privmemd sent it, indented (as varlinkctl does). */
int ctl_print_reply(privmem *p);
/* "--help" of one command. */
void ctl_verb_help(const Verb *v);

DEFINE_TRIVIAL_CLEANUP_FUNC(privmem *, privmem_disconnect);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_lease *, privmem_lease_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_lease_list *, privmem_lease_list_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_pool_list *, privmem_pool_list_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_status *, privmem_status_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_metrics *, privmem_metrics_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_watch *, privmem_watch_free);
DEFINE_TRIVIAL_CLEANUP_FUNC(privmem_event *, privmem_event_free);
