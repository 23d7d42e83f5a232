/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Flushing the core's queue of changes: each one to the store (the service manager's fd store and
 * the lease files, so that a restart finds it), then to the listener (Watch), then what the manager
 * itself does about it (freeing a retired pool). */
#include "core/pool.h"
#include "manager/manager.h"
#include "manager/notify.h"
#include "store/fdstore.h"
#include "store/lease-file.h"
#include "store/notify-socket.h"
#include "util/log.h"
#include "util/macro.h"

/* A lent memfd to the fd store, if the lease is still there and not stored yet. */
static int store_lease_fd(Manager *m, const Change *c) {
        Lease *l = core_find_lease(&m->core, c->lease.id);
        if (!l || l->store_slot != 0)
                return 0;  /* released already (its release removes the rest), or recovered with its name */
        return fdstore_push_slot(l->fd, FDSTORE_KIND_LEASE, &l->store_slot);
}

static int store_lease(Manager *m, const Change *c) {
        int r = 0;

        switch (c->kind) {
        case CHANGE_LEASE_ACQUIRED:
                r = store_lease_fd(m, c);
                break;
        case CHANGE_LEASE_RELEASED: {
                unsigned slot = c->lease.store_slot;
                (void) fdstore_remove_slot(FDSTORE_KIND_LEASE, &slot);
                return lease_file_remove(m->leases_dir, c->lease.id);
        }
        default:
                break;
        }
        return r < 0 ? r : lease_file_write(m->leases_dir, &c->lease);
}

static void store_ready(Manager *m, const Change *c) {
        if (c->kind == CHANGE_READY_TAKEN) {
                unsigned slot = c->store_slot;
                (void) fdstore_remove_slot(FDSTORE_KIND_READY, &slot);
                return;
        }
        ReadyMemfd *r = pool_find_ready(c->pool, c->memfd_id);
        if (r && r->store_slot == 0)  /* else lent or dropped since */
                (void) fdstore_push_slot(r->fd, FDSTORE_KIND_READY, &r->store_slot);
}

/* One entry per owner process, however many leases it holds. */
static void store_owner(Manager *m, const Change *c) {
        if (c->kind == CHANGE_OWNER_GONE) {
                unsigned slot = c->store_slot;
                (void) fdstore_remove_slot(FDSTORE_KIND_OWNER, &slot);
                return;
        }
        Process *p = core_find_process(&m->core, c->owner_pid, c->owner_start_time);
        if (!p || p->store_slot != 0)
                return;
        int r = fdstore_push_slot(p->pidfd, FDSTORE_KIND_OWNER, &p->store_slot);
        if (r < 0)
                log_warning_errno(r, "The pidfd of owner process %d cannot be kept in the fd store at %s (its leases are "
                                  "then found by pid and start time after a restart): %m", (int) p->pid,
                                  notify_socket_manager_address());
}

/* Logged; an acquisition the store missed is also noted on the lease, for Acquire to refuse it. */
static void store_lease_failed(Manager *m, const Change *c, int r) {
        log_warning_errno(r, "Lease %s (%s, %" PRIu64 " bytes): %s cannot be kept across a restart (fd store at %s, "
                          "lease files in %s): %m", c->lease.id, c->pool->config->name, c->lease.size,
                          change_kind_to_string(c->kind), notify_socket_manager_address(), m->leases_dir);
        m->lease_file_room_until = 0;  /* the next Acquire looks at the runtime directory again */
        Lease *l = c->kind == CHANGE_LEASE_ACQUIRED ? core_find_lease(&m->core, c->lease.id) : NULL;
        if (l)
                l->store_error = r;
}

static void store_change(Manager *m, const Change *c) {
        if (!fdstore_enabled())
                return;  /* nothing survives a restart without a service manager's fd store */
        switch (c->kind) {
        case CHANGE_LEASE_ACQUIRED:
        case CHANGE_LEASE_RESTORED:
        case CHANGE_LEASE_UPDATED:
        case CHANGE_LEASE_INVALIDATING:
        case CHANGE_LEASE_LEAKED:
        case CHANGE_LEASE_RELEASED: {
                int r = store_lease(m, c);
                if (r < 0)
                        store_lease_failed(m, c, r);
                break;
        }
        case CHANGE_READY_ADDED:
        case CHANGE_READY_TAKEN:
                store_ready(m, c);
                break;
        case CHANGE_OWNER_ADDED:
        case CHANGE_OWNER_GONE:
                store_owner(m, c);
                break;
        default:
                break;
        }
}

void manager_flush_changes(Manager *m) {
        ChangeQueue *q = &m->core.changes;
        Change *c;

        if (q->lost > 0) {
                log_warning("%u change(s) were lost for lack of memory: the fd store or Watch may have missed them.",
                            q->lost);
                q->lost = 0;
        }
        bool any = false;
        while ((c = change_queue_pop(q))) {
                any = true;
                store_change(m, c);
                if (m->on_change)
                        m->on_change(m, c, m->on_change_userdata);
                if (c->kind == CHANGE_POOL_UNUSED)
                        manager_collect_pools(m);
                change_free(c);
        }
        if (any)
                manager_notify_status_changed(m);  /* the STATUS= line, later and coalesced */
}

void manager_set_change_listener(Manager *m, ChangeListener f, void *userdata) {
        m->on_change = f;
        m->on_change_userdata = userdata;
}

/* The store's changes when there is an fd store, the listener's when it wants them, and a retired
 * pool becoming unused always: the rest is not even queued (systemd's D-Bus queue does the same
 * when nobody subscribed). */
void manager_set_listener_wants(Manager *m, uint32_t kinds) {
        const uint32_t store = CHANGE_BIT(CHANGE_LEASE_ACQUIRED) | CHANGE_BIT(CHANGE_LEASE_RESTORED) |
                CHANGE_BIT(CHANGE_LEASE_UPDATED) | CHANGE_BIT(CHANGE_LEASE_INVALIDATING) |
                CHANGE_BIT(CHANGE_LEASE_LEAKED) | CHANGE_BIT(CHANGE_LEASE_RELEASED) |
                CHANGE_BIT(CHANGE_READY_ADDED) | CHANGE_BIT(CHANGE_READY_TAKEN) |
                CHANGE_BIT(CHANGE_OWNER_ADDED) | CHANGE_BIT(CHANGE_OWNER_GONE);
        uint32_t wanted = CHANGE_BIT(CHANGE_POOL_UNUSED) | kinds;

        if (fdstore_enabled())
                wanted |= store;
        m->listener_wants = kinds;
        m->core.changes.ignored = ~wanted;
}
