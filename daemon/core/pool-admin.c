/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Steering a pool at run time: new targets, drain, a new configuration from a reload. */
#include "core/pool-admin.h"
#include "util/macro.h"

/* Targets for the listed sizes; other classes keep theirs. Ends a drain. */
int pool_set_targets(Pool *p, const SizeTarget *targets, size_t n) {
        for (size_t i = 0; i < n; i++) {
                SizeClass *c = pool_get_class(p, targets[i].size, true);
                if (!c)
                        return -ENOMEM;
                c->target = targets[i].target;
        }
        p->drained = false;
        pool_trim(p);
        pool_refill(p);
        return 0;
}

void pool_drain(Pool *p) {
        p->drained = true;
        pool_trim(p);
}

/* Whether a new configuration for this pool keeps what its memfds are made of. */
bool pool_config_compatible(const Pool *p, const PoolConfig *pc) {
        return p->config->backing == pc->backing && p->config->page_size == pc->page_size;
}

/* Takes a new configuration of the same backing and page size: limits, access, targets. */
int pool_reconfigure(Pool *p, const PoolConfig *pc) {
        PoolConfig *copy = pool_config_dup(pc);
        if (!copy)
                return -ENOMEM;
        pool_config_free(p->config);
        p->config = copy;
        for (SizeClass *c = p->classes; c; c = c->next)
                c->target = 0;
        p->retired = false;
        return pool_set_targets(p, pc->sizes, pc->n_sizes);
}

/* Gone from the configuration: no more acquires or ready memfds; lives on while leases do. */
void pool_retire(Pool *p) {
        p->retired = true;
        pool_drain(p);
}

bool pool_is_unused(const Pool *p) {
        return p->bytes_lent == 0 && p->bytes_returning == 0 && p->bytes_building == 0 && p->bytes_ready == 0;
}
