/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging for the programs (privmemd, privmemctl): plain lines on stderr, %m naming the error. */
#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

#include "util/log.h"
#include "util/string-table.h"

static int max_level = LOG_INFO;
static const char *program = "privmemd";
static bool to_journal;

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "err",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
        NULL,
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
        return streq_ptr(s, "error") ? LOG_ERR : string_table_from_string(level_names, s);
}

void log_open(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        to_journal = e && sscanf(e, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) >= 0 &&
                     st.st_dev == dev && st.st_ino == ino;
}

#define FIELDS_MAX 16

static void log_write(int level, const char *const *fields, const char *message) {
        if (!to_journal) {
                fprintf(stderr, "%s: %s\n", program, message);
                return;
        }
        char msg[2100], prio[32];
        struct iovec iov[FIELDS_MAX + 2];
        size_t n = 0;

        snprintf(msg, sizeof(msg), "MESSAGE=%s", message);
        snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
        iov[n++] = (struct iovec) { msg, strlen(msg) };
        iov[n++] = (struct iovec) { prio, strlen(prio) };
        for (; fields && *fields && n < ELEMENTSOF(iov); fields++)
                iov[n++] = (struct iovec) { (void *) *fields, strlen(*fields) };
        if (sd_journal_sendv(iov, (int) n) < 0)
                fprintf(stderr, "%s: %s\n", program, message);
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
                log_write(level, NULL, buf);
        }
        return -e;
}

void log_fields(int level, const char *const *fields, const char *fmt, ...) {
        char buf[2048];
        va_list ap;

        if (level > max_level)
                return;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        log_write(level, fields, buf);
}
