/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Per-uid quotas of a pool. */
#include <assert.h>

#include "core/quota.h"
#include "schema/io-privmemd.h"
#include "util/macro.h"

static UidUsage *uid_usage(Pool *p, uid_t uid, bool create) {
        for (size_t i = 0; i < p->n_usage; i++)
                if (p->usage[i].uid == uid)
                        return &p->usage[i];
        if (!create)
                return NULL;
        UidUsage *n = reallocarray(p->usage, p->n_usage + 1, sizeof(UidUsage));
        if (!n)
                return NULL;
        p->usage = n;
        p->usage[p->n_usage] = (UidUsage) { .uid = uid };
        return &p->usage[p->n_usage++];
}

int quota_reserve(Pool *p, uid_t uid, uint64_t size, QuotaExceeded *ret_exceeded) {
        const PoolConfig *pc = p->config;
        const UidUsage *u = uid_usage(p, uid, false);
        uint64_t bytes = u ? u->bytes : 0;
        unsigned leases = u ? u->leases : 0;

        if (size > pc->quota_per_uid || bytes > pc->quota_per_uid - size) {
                *ret_exceeded = (QuotaExceeded) { SCHEMA_QUOTA_RESOURCE_BYTES, pc->quota_per_uid, bytes, size };
                return -EDQUOT;
        }
        if (leases >= pc->leases_per_uid) {
                *ret_exceeded = (QuotaExceeded) { SCHEMA_QUOTA_RESOURCE_LEASES, pc->leases_per_uid, leases, 1 };
                return -EDQUOT;
        }
        return quota_charge(p, uid, size);
}

int quota_charge(Pool *p, uid_t uid, uint64_t size) {
        UidUsage *u = uid_usage(p, uid, true);
        if (!u)
                return -ENOMEM;
        u->bytes += size;
        u->leases++;
        return 0;
}

void quota_release(Pool *p, uid_t uid, uint64_t size) {
        UidUsage *u = uid_usage(p, uid, false);
        assert(u && u->bytes >= size && u->leases > 0);
        u->bytes -= size;
        u->leases--;
}
