/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domains that own leases, on privmemd's loop, from the news of libvirt's thread.
 *
 * A domain's leases end when libvirt says it STOPPED (or it was UNDEFINED and is not running), and
 * only once every QEMU process of the domain that was found (libvirt-qemu.c) has exited.
 * libvirtd going away ends nothing: once connected again every domain that owns a lease is asked
 * about: gone or shut off → its leases end; running → they stay, unless it runs as another run
 * than the one the lease was for (another id, or the QEMU process recorded with the lease is
 * gone): it stopped and started again while privmemd was not listening. */
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>

#include "core/lease.h"
#include "core/change.h"
#include "core/core.h"
#include "util/log.h"
#include "util/macro.h"
#include "virt/libvirt-dlopen.h"
#include "virt/libvirt-internal.h"

/* A domain that owns leases, and the QEMU processes privmemd waits for once it stopped. */
struct VirtDomain {
        VirtDomain *next;
        VirtWatch *watch;
        char uuid[OWNER_DOMAIN_UUID_LEN + 1];
        int pidfds[VIRT_QEMU_MAX];
        pid_t pids[VIRT_QEMU_MAX];
        size_t n_qemu;
        bool asked;                     /* a reconcile lookup is under way */
        sd_event_source *qemu_exit;     /* once stopped: on the first QEMU still running */
        char *why;                      /* once stopped: why its leases end */
};

static void domain_free(VirtDomain *d) {
        VirtWatch *w = d->watch;
        for (VirtDomain **p = &w->domains; *p; p = &(*p)->next)
                if (*p == d) {
                        *p = d->next;
                        break;
                }
        sd_event_source_disable_unref(d->qemu_exit);
        close_many(d->pidfds, d->n_qemu);
        free(d->why);
        free(d);
}

void virt_domains_free(VirtWatch *w) {
        while (w->domains)
                domain_free(w->domains);
}

static VirtDomain *domain_find(VirtWatch *w, const char *uuid) {
        for (VirtDomain *d = w->domains; d; d = d->next)
                if (streq(d->uuid, uuid))
                        return d;
        return NULL;
}

static VirtDomain *domain_get(VirtWatch *w, const char *uuid) {
        VirtDomain *d = domain_find(w, uuid);
        if (!d && (d = calloc(1, sizeof(*d)))) {
                *d = (VirtDomain) { .watch = w, .next = w->domains };
                snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
                w->domains = d;
        }
        return d;
}

/* Takes the QEMU processes of n that d does not know yet. */
static void domain_take_qemu(VirtDomain *d, VirtNews *n) {
        for (size_t i = 0; i < n->n_qemu && d->n_qemu < VIRT_QEMU_MAX; i++) {
                bool known = false;
                for (size_t j = 0; j < d->n_qemu; j++)
                        known = known || d->pids[j] == n->qemu_pids[i];
                if (known || n->qemu_pidfds[i] < 0)
                        continue;
                log_debug("Domain %s: QEMU process %d found.", d->uuid, (int) n->qemu_pids[i]);
                d->pids[d->n_qemu] = n->qemu_pids[i];
                d->pidfds[d->n_qemu++] = TAKE_FD(n->qemu_pidfds[i]);
        }
}

/* Calls f on every active lease the domain owns; how many there are. */
static unsigned domain_leases(VirtWatch *w, const char *uuid, void (*f)(Lease *l, void *userdata), void *userdata) {
        unsigned n = 0;
        for (Lease *l = w->core->leases, *next; l; l = next) {
                next = l->next;
                if (l->state != LEASE_ACTIVE || l->owner.kind != OWNER_DOMAIN || !streq(l->owner.domain_uuid, uuid))
                        continue;
                n++;
                if (f)
                        f(l, userdata);
        }
        return n;
}

static void lease_end(Lease *l, void *userdata) {
        lease_invalidate(l, userdata);
}

/* Closes the pidfds of QEMU processes that have exited; the index of one still running, or -1. */
static int domain_first_running_qemu(VirtDomain *d) {
        for (size_t i = 0; i < d->n_qemu; i++) {
                struct pollfd p = { .fd = d->pidfds[i], .events = POLLIN };
                if (poll(&p, 1, 0) == 0)
                        return (int) i;
        }
        return -1;
}

static int on_qemu_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata);

/* The domain stopped: its leases end now, or when its last QEMU process has exited. */
static void domain_end(VirtDomain *d, const char *why) {
        VirtWatch *w = d->watch;
        char reason[160];
        int i;

        if (!d->why)
                d->why = strdup(why);
        d->qemu_exit = sd_event_source_disable_unref(d->qemu_exit);
        i = domain_first_running_qemu(d);
        if (i >= 0 && sd_event_add_io(w->core->event, &d->qemu_exit, d->pidfds[i], EPOLLIN, on_qemu_exit, d) >= 0) {
                log_info("Libvirt domain %s %s; its leases end when QEMU process %d has exited.", d->uuid, why,
                         (int) d->pids[i]);
                return;
        }
        unsigned n = domain_leases(w, d->uuid, NULL, NULL);
        if (n > 0) {
                snprintf(reason, sizeof(reason), "libvirt domain %s", d->why ?: why);
                log_info("Libvirt domain %s %s; ending its %u lease(s).", d->uuid, why, n);
                domain_leases(w, d->uuid, lease_end, reason);
        }
        domain_free(d);
}

static int on_qemu_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VirtDomain *d = userdata;
        domain_end(d, d->why ?: "stopped");
        return 0;
}

/* The run of the domain n describes, for a lease that knows none yet (acquired while it was shut
 * off, or written by an older privmemd). */
static void lease_adopt_run(Lease *l, void *userdata) {
        VirtNews *n = userdata;

        if (l->owner.domain_id > 0 || n->id <= 0)
                return;
        l->owner.domain_id = n->id;
        if (n->n_qemu > 0) {
                l->owner.domain_qemu_pid = n->qemu_pids[0];
                l->owner.domain_qemu_start_time = n->qemu_start_times[0];
        }
        change_queue_lease(&l->core->changes, CHANGE_LEASE_UPDATED, l, NULL);  /* to its lease file */
}

/* Whether the lease was acquired for an earlier run of the domain than the one n describes; why. */
static bool lease_of_other_run(const Lease *l, const VirtNews *n, char *why, size_t size) {
        const Owner *o = &l->owner;

        if (o->domain_id > 0 && n->id > 0 && o->domain_id != n->id) {
                snprintf(why, size, "stopped and started again while privmemd was not listening (id %d, now %d)",
                         o->domain_id, n->id);
                return true;
        }
        if (o->domain_qemu_pid > 0 && process_start_time(o->domain_qemu_pid) != o->domain_qemu_start_time) {
                snprintf(why, size, "stopped and started again while privmemd was not listening (QEMU process %d is gone)",
                         (int) o->domain_qemu_pid);
                return true;
        }
        return false;
}

static void lease_check_run(Lease *l, void *userdata) {
        VirtNews *n = userdata;
        char why[160], reason[200];

        if (!lease_of_other_run(l, n, why, sizeof(why))) {
                lease_adopt_run(l, n);
                return;
        }
        log_info("Libvirt domain %s %s; ending lease %s.", n->uuid, why, l->id);
        snprintf(reason, sizeof(reason), "libvirt domain %s", why);
        lease_invalidate(l, reason);
}

void virt_domains_on_state(VirtWatch *w, VirtNews *n) {
        VirtDomain *d = domain_find(w, n->uuid[0] ? n->uuid : "");

        if (d)
                d->asked = false;
        if (!d || d->why)
                return;  /* forgotten meanwhile, or already ending */
        domain_take_qemu(d, n);
        if (n->error == -ENOENT)
                domain_end(d, "no longer exists (libvirt says so at reconcile)");
        else if (n->error < 0)
                log_warning("Libvirt domain %s: cannot ask libvirt about it: %s; its leases stay.", d->uuid,
                            strempty(n->message));
        else if (n->state == VIR_DOMAIN_SHUTOFF)
                domain_end(d, "is shut off (libvirt says so at reconcile)");
        else
                domain_leases(w, d->uuid, lease_check_run, n);
}

/* Asks libvirt about the domain; the answer comes to virt_domains_on_state(). */
static void domain_ask(VirtDomain *d) {
        if (d->asked || d->why)
                return;
        if (virt_thread_lookup(d->watch->thread, d->uuid, 0, 0) >= 0)
                d->asked = true;
}

void virt_domains_reconcile(VirtWatch *w) {
        for (VirtDomain *d = w->domains, *next; d; d = next) {
                next = d->next;
                d->asked = false;  /* the thread answered what it was asked before it reconnected */
                if (!d->why && domain_leases(w, d->uuid, NULL, NULL) == 0)
                        domain_free(d);
        }
        for (Lease *l = w->core->leases; l; l = l->next)
                if (l->state == LEASE_ACTIVE && l->owner.kind == OWNER_DOMAIN) {
                        VirtDomain *d = domain_get(w, l->owner.domain_uuid);
                        if (d)
                                domain_ask(d);
                }
}

void virt_domains_on_lifecycle(VirtWatch *w, VirtNews *n) {
        VirtDomain *d;

        if (!n->uuid[0] || domain_leases(w, n->uuid, NULL, NULL) == 0)
                return;
        log_debug("Libvirt domain %s (%s): lifecycle event %d, detail %d.", n->uuid, strempty(n->name), n->event, n->detail);
        if (!(d = domain_get(w, n->uuid))) {
                if (n->event == VIR_DOMAIN_EVENT_STOPPED)
                        domain_leases(w, n->uuid, lease_end, (void *) "libvirt domain stopped");
                return;
        }
        if (n->event == VIR_DOMAIN_EVENT_STARTED || n->event == VIR_DOMAIN_EVENT_RESUMED) {
                if (!d->why)
                        domain_take_qemu(d, n);
                if (n->event == VIR_DOMAIN_EVENT_STARTED)
                        domain_leases(w, n->uuid, lease_adopt_run, n);
        } else if (n->event == VIR_DOMAIN_EVENT_STOPPED) {
                domain_take_qemu(d, n);
                domain_end(d, "stopped");
        } else if (n->event == VIR_DOMAIN_EVENT_UNDEFINED)
                domain_ask(d);  /* a running domain may be undefined: it goes on, transient */
}

void virt_domains_on_resolved(VirtWatch *w, VirtNews *n) {
        VirtDomain *d = domain_get(w, n->uuid);
        if (d && !d->why)
                domain_take_qemu(d, n);
}
