/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemd: lends ready, populated, sealed guest memory to VMMs over varlink. */
#include <getopt.h>
#include <stdio.h>

#include "api/methods.h"
#include "manager/manager.h"
#include "util/log.h"
#include "util/macro.h"

static void help(void) {
        printf("privmemd [OPTIONS...]\n\n"
               "Lends ready, populated, sealed guest memory to virtual machine monitors.\n\n"
               "  -h --help              Show this help\n"
               "     --version           Show the version\n"
               "     --socket=PATH       Listen on PATH (default: %s)\n"
               "     --config=FILE       Read the pools from FILE only (default: %s/privmemd.conf,\n"
               "                         its privmemd.conf.d/*.conf, or a built-in pool without them)\n"
               "     --runtime-dir=DIR   Lease files for restarts (default: $RUNTIME_DIRECTORY or /run/privmemd)\n"
               "     --log-level=LEVEL   debug, info, notice, warning, err (default: info)\n",
               PRIVMEMD_SOCKET_DEFAULT, PRIVMEMD_CONFIG_DIR);
}

static int parse_argv(int argc, char *argv[], ManagerOptions *o) {
        enum { ARG_VERSION = 0x100, ARG_SOCKET, ARG_CONFIG, ARG_RUNTIME_DIR, ARG_LOG_LEVEL };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "socket", required_argument, NULL, ARG_SOCKET },
                { "config", required_argument, NULL, ARG_CONFIG },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                {}
        };
        int c, level;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("privmemd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_SOCKET:
                        o->socket_path = optarg;
                        break;
                case ARG_CONFIG:
                        o->config_path = optarg;
                        break;
                case ARG_RUNTIME_DIR:
                        o->runtime_dir = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        level = log_level_from_string(optarg);
                        if (level < 0)
                                return log_error_errno(level, "Unknown log level '%s'.", optarg);
                        log_set_max_level(level);
                        break;
                default:
                        return -EINVAL;
                }
        if (optind < argc)
                return log_error_errno(EINVAL, "Unexpected argument '%s'.", argv[optind]);
        return 1;
}

int main(int argc, char *argv[]) {
        ManagerOptions options = { .socket_path = PRIVMEMD_SOCKET_DEFAULT };
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        log_open();
        r = parse_argv(argc, argv, &options);
        if (r <= 0)
                return r < 0 ? 2 : 0;
        r = manager_new(&m, &options);
        if (r < 0)
                return 1;  /* manager_new() said why */
        r = api_attach(m);
        if (r < 0)
                return log_error_errno(r, "Failed to serve io.privmemd: %m"), 1;
        r = manager_start(m);
        if (r < 0)
                return 1;
        r = manager_run(m);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m"), 1;
        return 0;
}
