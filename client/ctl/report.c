/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Connecting and failing: messages that name the numbers in IEC units and say what to do. */
#include <stdio.h>

#include "ctl.h"
#include "schema/io-privmemd.h"
#include "size.h"

static const char *socket_path(const Ctl *c) {
        return c->socket ?: PRIVMEMD_SOCKET_DEFAULT;
}

int ctl_connect(const Ctl *c, privmem **ret) {
        int r = privmem_connect(ret, socket_path(c));
        if (r >= 0)
                return 0;
        fprintf(stderr, "privmemctl: cannot connect to %s: %s. ", socket_path(c), strerror(-r));
        if (r == -EACCES || r == -EPERM)
                fprintf(stderr, "Only root and the members of the groups privmemd.conf names may use it.\n");
        else
                fprintf(stderr, "Is privmemd running? (systemctl start privmemd.socket)\n");
        return CTL_EXIT_UNREACHABLE;
}

/* The error parameter in IEC units ("?" when privmemd left it out). */
static const char *param_size(privmem *p, const char *name, char buf[static SIZE_FORMAT_MAX]) {
        uint64_t v;
        return privmem_last_error_u64(p, name, &v) < 0 ? "?" : size_format(buf, v);
}

/* An older privmemd gives no cause: the byte limit was then the usual one. */
const char *ctl_failure_hint(const char *cause) {
        switch (cause ? schema_enum_from_string(schema_failures, cause) : SCHEMA_FAILURE_LIMIT) {
        case SCHEMA_FAILURE_LIMIT:
                return "Release leases, or raise limit= in privmemd.conf.";
        case SCHEMA_FAILURE_NO_READY:
                return "Acquire without --no-wait, or keep more of this size ready (privmemctl set-target).";
        case SCHEMA_FAILURE_NO_MEMORY:
                return "The host is short of memory (or of reserved huge pages): free some, or lower the pools' "
                       "targets. privmemd retries by itself.";
        case SCHEMA_FAILURE_POPULATE_TIMEOUT:
                return "Populating hung and was stopped; privmemd retries by itself. If the host is only slow, "
                       "raise populate_timeout= in privmemd.conf.";
        case SCHEMA_FAILURE_STUCK_WORKER:
                return "A worker thread is stuck in the kernel (privmemctl status); another took its place and "
                       "privmemd retries. Look at the host's kernel log (dmesg).";
        default:
                return "privmemd retries by itself; 'privmemctl pools' and privmemd's log say more.";
        }
}

static void exhausted(privmem *p) {
        char limit[SIZE_FORMAT_MAX], used[SIZE_FORMAT_MAX], size[SIZE_FORMAT_MAX];
        fprintf(stderr, "pool '%s' exhausted: limit %s, used %s, asked %s (%s). %s\n",
                privmem_last_error_string(p, SCHEMA_POOL_EXHAUSTED_POOL) ?: "?", param_size(p, SCHEMA_POOL_EXHAUSTED_LIMIT, limit),
                param_size(p, SCHEMA_POOL_EXHAUSTED_USED, used), param_size(p, SCHEMA_POOL_EXHAUSTED_SIZE, size),
                privmem_last_error_string(p, SCHEMA_POOL_EXHAUSTED_REASON) ?: "no reason given",
                ctl_failure_hint(privmem_last_error_string(p, SCHEMA_POOL_EXHAUSTED_CAUSE)));
}

static void quota(privmem *p) {
        char limit[SIZE_FORMAT_MAX], used[SIZE_FORMAT_MAX], asked[SIZE_FORMAT_MAX];
        const char *resource = privmem_last_error_string(p, SCHEMA_QUOTA_EXCEEDED_RESOURCE) ?: "?";
        uint64_t l = 0, u = 0, a = 0;

        if (streq(resource, SCHEMA_QUOTA_RESOURCE_BYTES)) {
                fprintf(stderr, "your quota in pool '%s' is exhausted: limit %s, used %s, asked %s. "
                        "Release leases, or raise quota_per_uid= in privmemd.conf.\n",
                        privmem_last_error_string(p, SCHEMA_QUOTA_EXCEEDED_POOL) ?: "?", param_size(p, SCHEMA_QUOTA_EXCEEDED_LIMIT, limit),
                        param_size(p, SCHEMA_QUOTA_EXCEEDED_USED, used), param_size(p, SCHEMA_QUOTA_EXCEEDED_REQUESTED, asked));
                return;
        }
        (void) privmem_last_error_u64(p, SCHEMA_QUOTA_EXCEEDED_LIMIT, &l);
        (void) privmem_last_error_u64(p, SCHEMA_QUOTA_EXCEEDED_USED, &u);
        (void) privmem_last_error_u64(p, SCHEMA_QUOTA_EXCEEDED_REQUESTED, &a);
        fprintf(stderr, "your quota of %s in pool '%s' is exhausted: limit %llu, used %llu, asked %llu. "
                "Release leases, or raise leases_per_uid= in privmemd.conf.\n", resource,
                privmem_last_error_string(p, SCHEMA_QUOTA_EXCEEDED_POOL) ?: "?", (unsigned long long) l,
                (unsigned long long) u, (unsigned long long) a);
}

static void invalid_size(privmem *p) {
        char page[SIZE_FORMAT_MAX];
        uint64_t size = 0;
        (void) privmem_last_error_u64(p, SCHEMA_INVALID_SIZE_SIZE, &size);
        fprintf(stderr, "size %llu bytes is not a positive multiple of the pool's page size %s.\n",
                (unsigned long long) size, param_size(p, SCHEMA_INVALID_SIZE_PAGE_SIZE, page));
}

static void permission_denied(const Ctl *c) {
        if (streq_ptr(c->verb, "exec"))
                fprintf(stderr, "permission denied: pool '%s' does not let your uid or groups acquire "
                        "(users=, groups= in privmemd.conf).\n", strempty(c->pool));
        else
                fprintf(stderr, "permission denied: only root and privmemd's admin group (admin_group= in "
                        "privmemd.conf, default privmem-admin) may do that.\n");
}

/* Errors privmemd answered, worded here; others with libprivmem's message. */
static void daemon_error(const Ctl *c, privmem *p, const char *name) {
        if (streq(name, PRIVMEM_ERROR_POOL_EXHAUSTED))
                exhausted(p);
        else if (streq(name, PRIVMEM_ERROR_QUOTA_EXCEEDED))
                quota(p);
        else if (streq(name, PRIVMEM_ERROR_INVALID_SIZE))
                invalid_size(p);
        else if (streq(name, PRIVMEM_ERROR_PERMISSION_DENIED))
                permission_denied(c);
        else if (streq(name, PRIVMEM_ERROR_NO_SUCH_POOL))
                fprintf(stderr, "no pool '%s'. 'privmemctl pools' lists them.\n",
                        privmem_last_error_string(p, SCHEMA_NO_SUCH_POOL_POOL) ?: "?");
        else if (streq(name, PRIVMEM_ERROR_NO_SUCH_LEASE))
                fprintf(stderr, "no lease '%s' (or not one of yours). 'privmemctl leases' lists them.\n",
                        privmem_last_error_string(p, SCHEMA_NO_SUCH_LEASE_ID) ?: "?");
        else if (streq(name, PRIVMEM_ERROR_BAD_CONFIGURATION))
                fprintf(stderr, "privmemd refused the configuration and keeps the one in use: %s\n",
                        privmem_last_error_string(p, SCHEMA_BAD_CONFIGURATION_MESSAGE) ?: "?");
        else
                fprintf(stderr, "%s (%s)\n", privmem_last_error_message(p) ?: "failed", name);
}

int ctl_fail(const Ctl *c, privmem *p, int r) {
        const char *name = privmem_last_error_name(p);

        fprintf(stderr, "privmemctl: %s: ", c->verb);
        if (name) {
                daemon_error(c, p, name);
                return CTL_EXIT_DAEMON;
        }
        fprintf(stderr, "%s\n", privmem_last_error_message(p) ?: strerror(-r));
        if (r == -ECONNRESET || r == -ENOTCONN || r == -ETIMEDOUT) {
                fprintf(stderr, "privmemctl: lost privmemd. Is it running? (systemctl status privmemd)\n");
                return CTL_EXIT_UNREACHABLE;
        }
        return CTL_EXIT_DAEMON;
}

int ctl_print_reply(privmem *p) {
        const char *text = privmem_last_reply_json(p, PRIVMEM_JSON_PRETTY);
        if (!text)
                return -ENOMEM;
        puts(text);
        return fflush(stdout) == 0 ? 0 : -errno;
}
