/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging for the programs (privmemd, privmemctl): plain lines on stderr, %m naming the error. */
#include <stdio.h>

#include "log.h"

static int max_level = LOG_INFO;
static const char *program = "privmemd";

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "err",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

void log_set_program(const char *name) {
        program = name;
}

int log_level_from_string(const char *s) {
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (streq(s, level_names[i]) || (i == LOG_ERR && streq(s, "error")))
                        return (int) i;
        return -EINVAL;
}

int log_internal(int level, int error, const char *fmt, ...) {
        int e = error < 0 ? -error : error;

        if (level <= max_level) {
                char buf[2048];
                va_list ap;

                errno = e;  /* so that %m names this error */
                va_start(ap, fmt);
                vsnprintf(buf, sizeof(buf), fmt, ap);
                va_end(ap);
                fprintf(stderr, "%s: %s\n", program, buf);
        }
        return -e;
}
