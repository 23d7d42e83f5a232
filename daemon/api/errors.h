/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The io.privmemd errors, each with the numbers that were wrong: built in one place. */
#pragma once

#include "core/pool.h"
#include "varlink/varlink-server.h"

int reply_no_such_pool(VarlinkCall *c, const char *pool);
int reply_no_such_lease(VarlinkCall *c, const char *id);
int reply_invalid_size(VarlinkCall *c, int64_t size, uint64_t page_size);
int reply_pool_exhausted(VarlinkCall *c, const Pool *p, uint64_t size, const char *reason);
int reply_quota_exceeded(VarlinkCall *c, const Pool *p, const char *resource, uint64_t limit, uint64_t used,
                         uint64_t requested);
int reply_too_many_leases(VarlinkCall *c, const char *resource, unsigned limit, unsigned used);
/* SystemError for errno, with a message that says what failed (not only strerror()). */
int reply_system_error(VarlinkCall *c, int error, const char *message);
int reply_permission_denied(VarlinkCall *c);
int reply_no_such_domain(VarlinkCall *c, const char *domain);
int reply_libvirt_unavailable(VarlinkCall *c, const char *reason);
