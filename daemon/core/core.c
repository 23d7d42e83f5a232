/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lease table: every lease, lent or on its way back, by id. */
#include "core/core.h"
#include "util/macro.h"

Lease *core_find_lease(Core *c, const char *id) {
        for (Lease *l = c->leases; l; l = l->next)
                if (streq(l->id, id))
                        return l;
        return NULL;
}

void core_add_lease(Core *c, Lease *l) {
        l->prev = NULL;
        l->next = c->leases;
        if (c->leases)
                c->leases->prev = l;
        c->leases = l;
        c->n_leases++;
}

void core_remove_lease(Core *c, Lease *l) {
        if (!l->prev && c->leases != l)
                return;  /* never added */
        if (l->prev)
                l->prev->next = l->next;
        else
                c->leases = l->next;
        if (l->next)
                l->next->prev = l->prev;
        l->prev = l->next = NULL;
        c->n_leases--;
}
