/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager: owns the event loop, the varlink server and everything privmemd keeps. */
#include <signal.h>

#include "log.h"
#include "macro.h"
#include "manager.h"
#include "methods.h"

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("Received %s, exiting.", sigdescr_np((int) si->ssi_signo));
        return sd_event_exit(m->event, 0);
}

static int manager_add_signals(Manager *m) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_exit_signal, m);
        return r;
}

int manager_new(Manager **ret, const ManagerOptions *options) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
        int r;

        if (!m)
                return -ENOMEM;
        m->options = *options;
        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = manager_add_signals(m);
        if (r < 0)
                return r;
        sd_event_now(m->event, CLOCK_MONOTONIC, &m->start_usec);

        static const VarlinkServerInfo info = {
                .vendor = "privmemd",
                .product = "privmemd",
                .version = PACKAGE_VERSION,
                .url = "https://github.com/privmemd/privmemd",
                .system_error = "io.privmemd.SystemError",
        };
        r = varlink_server_new(&m->server, m->event, &info);
        if (r < 0)
                return r;
        r = varlink_server_add_interface(m->server, &io_privmemd_interface, m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        varlink_server_free(m->server);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

int manager_start(Manager *m) {
        int r = varlink_server_listen_path(m->server, m->options.socket_path);
        if (r < 0)
                return log_error_errno(r, "Failed to listen on %s: %m", m->options.socket_path);
        log_info("Listening on %s.", m->options.socket_path);
        return 0;
}

int manager_run(Manager *m) {
        return sd_event_loop(m->event);
}
