/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lease table: every lease, lent or on its way back, in a list and by id. */
#include "core/core.h"
#include "core/lease.h"
#include "util/macro.h"

static Lease *lease_of(HashNode *n) {
        return n ? (Lease *) ((char *) n - offsetof(Lease, hash)) : NULL;
}

void core_done(Core *c) {
        while (c->leases)
                lease_free(c->leases);
        core_free_processes(c);
        hash_table_done(&c->lease_ids);
        change_queue_done(&c->changes);
}

Lease *core_find_lease(Core *c, const char *id) {
        for (HashNode *n = hash_table_find(&c->lease_ids, hash_string(id)); n; n = hash_table_find_next(n))
                if (streq(lease_of(n)->id, id))
                        return lease_of(n);
        return NULL;
}

int core_add_lease(Core *c, Lease *l) {
        int r = hash_table_add(&c->lease_ids, &l->hash, hash_string(l->id));
        if (r < 0)
                return r;
        l->prev = NULL;
        l->next = c->leases;
        if (c->leases)
                c->leases->prev = l;
        c->leases = l;
        c->n_leases++;
        return 0;
}

void core_remove_lease(Core *c, Lease *l) {
        if (!l->prev && c->leases != l)
                return;  /* never added */
        hash_table_remove(&c->lease_ids, &l->hash);
        if (l->prev)
                l->prev->next = l->next;
        else
                c->leases = l->next;
        if (l->next)
                l->next->prev = l->prev;
        l->prev = l->next = NULL;
        c->n_leases--;
}

int core_fd_budget_check(Core *c, const Owner *owner, unsigned waiting, unsigned *ret_used) {
        unsigned used = c->n_leases + c->n_processes + waiting;
        unsigned need = 1 + (owner->pidfd >= 0 && !core_find_process(c, owner->pid, owner->start_time));

        *ret_used = used;
        if (!c->fd_budget.resource || used + need <= c->fd_budget.max)  /* not worked out yet: no limit */
                return 0;
        return -EMFILE;
}
