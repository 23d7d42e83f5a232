/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service manager's fd store: every memfd and owner pidfd privmemd holds is kept there too,
 * under a name, so that a restart or a crash of privmemd loses nothing. */
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "store/fdstore.h"
#include "util/macro.h"

bool fdstore_enabled(void) {
        static int enabled = -1;  /* the environment does not change under us */
        if (enabled < 0)
                enabled = getenv("NOTIFY_SOCKET") != NULL;
        return enabled;
}

/* "PREFIXa" or "PREFIXa.b": names are at most 255 characters and never contain ':'. */
static int fdstore_name(char *buf, size_t size, const char *prefix, const char *a, const char *b) {
        int n = snprintf(buf, size, "%s%s%s%s", prefix, a, b ? "." : "", b ?: "");
        return n < 0 || (size_t) n >= size || n > 255 ? -ENAMETOOLONG : 0;
}

/* Sends "WHAT=1\nFDNAME=name" with fd attached, or without one (fd < 0). */
static int fdstore_notify(const char *what, int fd, const char *prefix, const char *a, const char *b) {
        char name[256], msg[300];
        int r;

        if (!fdstore_enabled())
                return 0;
        r = fdstore_name(name, sizeof(name), prefix, a, b);
        if (r < 0)
                return r;
        snprintf(msg, sizeof(msg), "%s=1\nFDNAME=%s", what, name);
        r = fd >= 0 ? sd_pid_notify_with_fds(0, false, msg, &fd, 1) : sd_notify(false, msg);
        return r < 0 ? r : 0;
}

int fdstore_push(int fd, const char *prefix, const char *a, const char *b) {
        return fdstore_notify("FDSTORE", fd, prefix, a, b);
}

int fdstore_remove(const char *prefix, const char *a, const char *b) {
        return fdstore_notify("FDSTOREREMOVE", -1, prefix, a, b);
}
