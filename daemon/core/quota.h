/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-uid quotas of a pool: the bytes each uid has lent or promised to a waiting Acquire, and its leases. */
#pragma once

#include "core/pool.h"

/* Which quota a request would pass, and by how much. */
typedef struct QuotaExceeded {
        const char *resource;           /* "bytes" or "leases" */
        uint64_t limit, used, requested;
} QuotaExceeded;

/* Counts size and one lease against uid: -EDQUOT when that passes a quota (*ret_exceeded says
 * which), -ENOMEM. */
int quota_reserve(Pool *p, uid_t uid, uint64_t size, QuotaExceeded *ret_exceeded);
/* Counts without checking: a lease found again after a restart. */
int quota_charge(Pool *p, uid_t uid, uint64_t size);
/* Gives back what quota_reserve() or quota_charge() counted. */
void quota_release(Pool *p, uid_t uid, uint64_t size);
