/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Small text formats for people: durations, owners, times. */
#include <stdio.h>
#include <time.h>

#include "format.h"

const char *format_duration(char buf[static FORMAT_MAX], double seconds) {
        uint64_t s = seconds < 0 ? 0 : (uint64_t) seconds;
        if (s < 60)
                snprintf(buf, FORMAT_MAX, "%llus", (unsigned long long) s);
        else if (s < 3600)
                snprintf(buf, FORMAT_MAX, "%llumin %llus", (unsigned long long) s / 60, (unsigned long long) s % 60);
        else if (s < 86400)
                snprintf(buf, FORMAT_MAX, "%lluh %llumin", (unsigned long long) s / 3600,
                         (unsigned long long) s % 3600 / 60);
        else
                snprintf(buf, FORMAT_MAX, "%llud %lluh", (unsigned long long) s / 86400,
                         (unsigned long long) s % 86400 / 3600);
        return buf;
}

const char *format_owner(char buf[static FORMAT_MAX], const privmem_lease *l) {
        switch (privmem_lease_owner_kind(l)) {
        case PRIVMEM_OWNER_PROCESS:
                snprintf(buf, FORMAT_MAX, "%d (%s)", (int) privmem_lease_owner_pid(l),
                         privmem_lease_owner_command(l) ?: "?");
                return buf;
        case PRIVMEM_OWNER_DOMAIN:
                snprintf(buf, FORMAT_MAX, "domain %s", privmem_lease_owner_domain_name(l) ?:
                         privmem_lease_owner_domain(l) ?: "?");
                return buf;
        default:
                /* connection, unknown, or a kind newer than this privmemctl */
                return privmem_lease_owner_kind_name(l) ?: "?";
        }
}

const char *format_timestamp(char buf[static FORMAT_MAX], uint64_t usec) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;
        char s[32];

        if (!localtime_r(&t, &tm) || strftime(s, sizeof(s), "%Y-%m-%d %H:%M:%S", &tm) == 0)
                snprintf(s, sizeof(s), "@%llu", (unsigned long long) t);
        snprintf(buf, FORMAT_MAX, "%s.%03u", s, (unsigned) (usec % 1000000 / 1000));
        return buf;
}
