/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 2M shmem (THP) pools: how much of what they lend is huge, what to do when too little is
 * (huge_fallback=), and whether the host's settings give them huge pages at all. */
#include "core/pool-thp.h"
#include "memfd/memfd-thp.h"
#include "util/log.h"
#include "util/macro.h"

bool pool_is_thp(const Pool *p) {
        MemfdSpec spec = pool_config_memfd_spec(p->config);
        return memfd_spec_is_thp(&spec);
}

static unsigned percent_of(uint64_t part, uint64_t whole) {
        return whole ? (unsigned) (part * 100 / whole) : 100;
}

/* Reads the host's THP knobs again: two small sysfs files, so that ListPools follows an admin who
 * changes them without a reload. */
static void host_refresh(PoolThp *t) {
        char *advice = NULL;
        int r = memfd_thp_host_check(THP_SYSFS_DIR, &advice);
        free(t->host_advice);
        t->host_advice = advice;
        t->host = r;
}

int pool_thp_accept(Pool *p, const ReadyMemfd *m) {
        const PoolConfig *pc = p->config;
        PoolThp *t = &p->thp;

        if (!pool_is_thp(p))
                return 1;
        host_refresh(t);
        t->populated += m->size;
        t->populated_huge += m->huge;
        t->last_percent = percent_of(m->huge, m->size);
        if (m->huge * 100 >= (uint64_t) pc->huge_min * m->size) {
                t->short_said = false;
                return 1;
        }
        t->short_memfds++;
        /* Once until a memfd is huge enough again; ListPools and the metrics count every one. */
        log_internal(t->short_said ? LOG_DEBUG : LOG_WARNING, 0,
                     "Pool %s: only %u%% of a %" PRIu64 "-byte memfd is in 2 MiB pages (huge_min=%u%%); huge_fallback=%s: %s. %s",
                     pc->name, t->last_percent, m->size, pc->huge_min, huge_fallback_to_string(pc->huge_fallback),
                     pc->huge_fallback == HUGE_FALLBACK_LEND ? "lending it anyway" :
                     pc->huge_fallback == HUGE_FALLBACK_RETRY ? "dropped, retrying with backoff" :
                                                                "dropped, failing the Acquires that wait for it",
                     t->host == 0 ? "The host gives shmem no huge pages (see privmemd.conf(5), page_size=)." :
                                    "The kernel found too few free 2 MiB pages (memory fragmented?).");
        t->short_said = true;
        switch (pc->huge_fallback) {
        case HUGE_FALLBACK_RETRY:
                return 0;
        case HUGE_FALLBACK_REFUSE:
                return -ENOMEM;
        default:
                return 1;
        }
}

void pool_thp_check_host(Pool *p) {
        PoolThp *t = &p->thp;

        if (!pool_is_thp(p))
                return;
        if (access(memfd_thp_helper_path(), X_OK) < 0)
                log_error_errno(errno, "Pool %s: cannot run %s, which populates 2M shmem memfds: %m",
                                p->config->name, memfd_thp_helper_path());
        host_refresh(t);
        if (t->host < 0)
                log_warning_errno(t->host, "Pool %s: cannot read the transparent huge page settings in %s: %m",
                                  p->config->name, THP_SYSFS_DIR);
        else if (t->host == 0)
                log_warning("Pool %s (backing=shmem page_size=2M) will get no huge pages: %s. huge_fallback=%s.",
                            p->config->name, strempty(t->host_advice), huge_fallback_to_string(p->config->huge_fallback));
        else if (t->host_advice)
                log_notice("Pool %s: %s.", p->config->name, t->host_advice);
}
