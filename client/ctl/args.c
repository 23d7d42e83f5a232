/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl's command line: global options, then a command's options and operands. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"

#define N_COMMON 4
static const struct option common_options[N_COMMON + 1] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { "socket", required_argument, NULL, OPT_SOCKET },
        { "json", no_argument, NULL, OPT_JSON },
        {}
};

int ctl_usage_error(const Ctl *c, const char *format, ...) {
        va_list ap;
        fprintf(stderr, "privmemctl: %s%s", strempty(c->verb), c->verb ? ": " : "");
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        return CTL_EXIT_USAGE;
}

static int bad_option(const Ctl *c, char **argv) {
        ctl_usage_error(c, "unknown option or missing value: '%s'. See 'privmemctl %s%s--help'.",
                        argv[optind - 1], strempty(c->verb), c->verb ? " " : "");
        return CTL_EXIT_USAGE;
}

/* The options every command takes. ARGS_CONTINUE when handled, else an exit code or ARGS_HELP. */
static int common_option(Ctl *c, int opt, char **argv) {
        switch (opt) {
        case 'h':
                return ARGS_HELP;
        case 'V':
                printf("privmemctl %s\n", PACKAGE_VERSION);
                return CTL_EXIT_OK;
        case OPT_SOCKET:
                if (!*optarg)
                        return ctl_usage_error(c, "--socket needs a path");
                c->socket = optarg;
                return ARGS_CONTINUE;
        case OPT_JSON:
                c->json = true;
                return ARGS_CONTINUE;
        default:
                return bad_option(c, argv);
        }
}

int args_parse_global(Ctl *c, int argc, char **argv) {
        int opt;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "+h", common_options, NULL)) >= 0) {
                int r = common_option(c, opt, argv);
                if (r != ARGS_CONTINUE)
                        return r;
        }
        return ARGS_CONTINUE;
}

static int parse_uint(const Ctl *c, const char *name, const char *s, uint64_t max, uint64_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        if (!*s || *end || errno || s[0] == '-' || v > max)
                return ctl_usage_error(c, "--%s=%s: not a number from 0 to %llu", name, s, (unsigned long long) max);
        *ret = v;
        return ARGS_CONTINUE;
}

static int verb_option(Ctl *c, int opt, char **argv) {
        uint64_t v;
        int r;

        switch (opt) {
        case OPT_POOL:
                c->pool = optarg;
                return ARGS_CONTINUE;
        case OPT_SIZE:
                c->size = optarg;
                return ARGS_CONTINUE;
        case OPT_TAG:
                c->tag = optarg;
                return ARGS_CONTINUE;
        case OPT_NO_WAIT:
                c->no_wait = true;
                return ARGS_CONTINUE;
        case OPT_FD:
                if ((r = parse_uint(c, "fd", optarg, INT32_MAX, &v)) == ARGS_CONTINUE)
                        c->fd = (int) v;
                return r;
        case OPT_COUNT:
                return parse_uint(c, "count", optarg, UINT32_MAX, &c->count);
        default:
                return common_option(c, opt, argv);
        }
}

/* The common options and the command's own, in one table. */
static struct option *options_merge(const Verb *v) {
        size_t n = 0;
        while (v->options && v->options[n].name)
                n++;
        struct option *all = calloc(n + N_COMMON + 1, sizeof(struct option));
        if (!all)
                return NULL;
        memcpy(all, common_options, N_COMMON * sizeof(struct option));
        if (n > 0)
                memcpy(all + N_COMMON, v->options, n * sizeof(struct option));
        return all;
}

static int verb_parse(Ctl *c, const Verb *v, int argc, char **argv) {
        _cleanup_free_ struct option *options = options_merge(v);
        int opt;

        if (!options)
                return CTL_EXIT_DAEMON;
        optind = 0;     /* GNU: start over, with argv[0] the command */
        while ((opt = getopt_long(argc, argv, v->stop_at_operand ? "+h" : "h", options, NULL)) >= 0) {
                int r = verb_option(c, opt, argv);
                if (r != ARGS_CONTINUE)
                        return r;
        }
        return ARGS_CONTINUE;
}

int args_run_verb(Ctl *c, const Verb *v, int argc, char **argv) {
        int r = verb_parse(c, v, argc, argv);
        if (r == ARGS_HELP)
                return ctl_verb_help(v), CTL_EXIT_OK;
        if (r != ARGS_CONTINUE)
                return r;
        unsigned n = (unsigned) (argc - optind);
        if (n < v->min_args || n > v->max_args)
                return ctl_usage_error(c, "%s. Usage: privmemctl %s %s",
                                       n < v->min_args ? "missing arguments" : "too many arguments",
                                       v->name, v->synopsis);
        c->styled = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") && !streq_ptr(getenv("TERM"), "dumb");
        return v->run(c, argv + optind, n);
}

void ctl_verb_help(const Verb *v) {
        printf("privmemctl %s %s\n\n%s\n", v->name, v->synopsis, v->summary);
        if (v->options_help)
                printf("\nOptions:\n%s", v->options_help);
        printf("\nCommon options: --socket=PATH, --json, -h --help. See privmemctl(1).\n");
}
