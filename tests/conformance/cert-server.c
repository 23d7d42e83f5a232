/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* cert-server: org.varlink.certification on our varlink server, for the reference client to test. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#include "cert-service.h"
#include "util/log.h"
#include "util/macro.h"

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int event_new(sd_event **ret) {
        sigset_t mask;
        sd_event *e = NULL;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        int r = sd_event_new(&e);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGTERM, on_exit_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, NULL, SIGINT, on_exit_signal, NULL);
        if (r < 0) {
                sd_event_unref(e);
                return r;
        }
        *ret = e;
        return 0;
}

static int serve(const char *path) {
        static const VarlinkServerInfo info = {
                .vendor = "privmemd",
                .product = "privmemd conformance cert-server",
                .version = PACKAGE_VERSION,
                .url = "https://github.com/privmemd/privmemd",
                .system_error = "io.privmemd.SystemError",
        };
        _cleanup_(varlink_server_freep) VarlinkServer *s = NULL;
        _cleanup_(cert_service_freep) CertService *cert = NULL;
        sd_event *e = NULL;

        int r = event_new(&e);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the event loop: %m");
        r = cert_service_new(&cert);
        if (r >= 0)
                r = varlink_server_new(&s, e, &info);
        sd_event_unref(e);  /* the server holds its own reference */
        if (r >= 0)
                r = varlink_server_add_interface(s, &cert_interface, cert);
        if (r < 0)
                return log_error_errno(r, "Failed to set up the server: %m");
        r = varlink_server_listen_path(s, path);
        if (r < 0)
                return log_error_errno(r, "Failed to listen on %s: %m", path);
        log_info("Listening on %s.", path);
        r = sd_event_loop(e);
        return r < 0 ? log_error_errno(r, "Event loop failed: %m") : 0;
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                { "socket", required_argument, NULL, 's' },
                {}
        };
        const char *path = NULL;
        int c;

        log_set_program("cert-server");
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0)
                if (c == 's')
                        path = optarg;
                else
                        return 2;
        if (!path || optind < argc) {
                fprintf(stderr, "Usage: cert-server --socket=PATH\n");
                return 2;
        }
        return serve(path) < 0 ? 1 : 0;
}
