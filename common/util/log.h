/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Logging for the programs (privmemd, privmemctl); libraries never log. */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "util/macro.h"

void log_set_max_level(int level);
int log_get_max_level(void);
int log_level_from_string(const char *s);       /* "debug", "info", ... or -EINVAL */
void log_set_program(const char *name);

/* Logs to the journal when stderr is connected to it (JOURNAL_STREAM), else plain lines on stderr. */
void log_open(void);

/* Logs and returns -|error| (or 0 when error is 0), so `return log_error_errno(r, ...)` works. */
int log_internal(int level, int error, const char *fmt, ...) _printf_(3, 4);
/* The same with journal fields ("KEY=value", NULL-terminated), shown only in the journal. */
void log_fields(int level, const char *const *fields, const char *fmt, ...) _printf_(3, 4);

#define log_debug(...) log_internal(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_internal(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_internal(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_internal(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_internal(LOG_ERR, 0, __VA_ARGS__)
#define log_warning_errno(e, ...) log_internal(LOG_WARNING, (e), __VA_ARGS__)
#define log_error_errno(e, ...) log_internal(LOG_ERR, (e), __VA_ARGS__)
#define log_debug_errno(e, ...) log_internal(LOG_DEBUG, (e), __VA_ARGS__)
