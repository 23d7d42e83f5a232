/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt domains as lease owners. privmemd keeps one connection to libvirtd ([libvirt] uri=),
 * runs libvirt's events on its own loop (libvirt-event.c) and listens to domain lifecycle events.
 *
 * A domain's leases end when libvirt says it STOPPED (or it was UNDEFINED and is not running), and
 * only once every QEMU process of the domain that privmemd found (libvirt-qemu.c) has exited.
 * libvirtd going away ends nothing: privmemd reconnects with backoff and then reconciles every
 * domain that owns a lease: gone or shut off → its leases end; running → they stay. A restart of
 * privmemd reconciles the same way once it is connected. */
#include <poll.h>
#include <stdio.h>
#include <sys/epoll.h>

#include "core/lease.h"
#include "manager/manager.h"
#include "util/log.h"
#include "util/macro.h"
#include "virt/libvirt-dlopen.h"
#include "virt/libvirt-event.h"
#include "virt/libvirt.h"

#define QEMU_MAX 8
#define RETRY_FIRST_USEC (500ULL * 1000)
#define RETRY_MAX_USEC (10ULL * 1000 * 1000)
#define KEEPALIVE_INTERVAL 5
#define KEEPALIVE_COUNT 3

/* A domain that owns leases, and the QEMU processes privmemd waits for once it stopped. */
typedef struct VirtDomain {
        struct VirtDomain *next;
        VirtWatch *watch;
        char uuid[OWNER_DOMAIN_UUID_LEN + 1];
        int pidfds[QEMU_MAX];
        pid_t pids[QEMU_MAX];
        size_t n_qemu;
        sd_event_source *qemu_exit;     /* once stopped: on the first QEMU still running */
        char *why;                      /* once stopped: why its leases end */
} VirtDomain;

struct VirtWatch {
        Manager *manager;
        char *uri;
        virConnectPtr conn;
        int lifecycle_id;
        sd_event_source *retry;
        unsigned attempts;
        VirtDomain *domains;
};

typedef enum DomainState { DOMAIN_UNKNOWN, DOMAIN_GONE, DOMAIN_SHUTOFF, DOMAIN_ACTIVE } DomainState;

static void on_libvirt_error(void *userdata, virErrorPtr e) {
        /* libvirt prints every error to stderr by default; privmemd logs what it decides instead */
}

static const char *last_error(void) {
        const char *msg = sym_virGetLastErrorMessage();
        return msg ?: "unknown error";
}

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

static VirtDomain *domain_find(VirtWatch *w, const char *uuid) {
        for (VirtDomain *d = w->domains; d; d = d->next)
                if (streq(d->uuid, uuid))
                        return d;
        return NULL;
}

/* Adds the QEMU processes of the domain that run now to those already known. */
static void domain_find_qemu(VirtDomain *d) {
        int r = virt_qemu_find(d->uuid, d->pids, d->n_qemu, d->pidfds + d->n_qemu, d->pids + d->n_qemu,
                               QEMU_MAX - d->n_qemu);
        for (int i = 0; i < r; i++)
                log_debug("Domain %s: QEMU process %d found.", d->uuid, (int) d->pids[d->n_qemu + (size_t) i]);
        if (r > 0)
                d->n_qemu += (size_t) r;
}

static VirtDomain *domain_track(VirtWatch *w, const char *uuid) {
        VirtDomain *d = domain_find(w, uuid);
        if (!d && (d = calloc(1, sizeof(*d)))) {
                *d = (VirtDomain) { .watch = w, .next = w->domains };
                snprintf(d->uuid, sizeof(d->uuid), "%s", uuid);
                w->domains = d;
        }
        if (d && !d->why)
                domain_find_qemu(d);
        return d;
}

static unsigned domain_leases(VirtWatch *w, const char *uuid, bool invalidate, const char *why) {
        unsigned n = 0;
        for (Lease *l = w->manager->core.leases, *next; l; l = next) {
                next = l->next;
                if (l->state != LEASE_ACTIVE || l->owner.kind != OWNER_DOMAIN || !streq(l->owner.domain_uuid, uuid))
                        continue;
                n++;
                if (invalidate)
                        lease_invalidate(l, why);
        }
        return n;
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
        int i;

        if (!d->why && !(d->why = strdup(why)))
                d->why = NULL;
        domain_find_qemu(d);  /* one we did not know yet, still tearing down */
        d->qemu_exit = sd_event_source_disable_unref(d->qemu_exit);
        i = domain_first_running_qemu(d);
        if (i >= 0 && sd_event_add_io(w->manager->event, &d->qemu_exit, d->pidfds[i], EPOLLIN, on_qemu_exit, d) >= 0) {
                log_info("Libvirt domain %s %s; its leases end when QEMU process %d has exited.", d->uuid, why,
                         (int) d->pids[i]);
                return;
        }
        unsigned n = domain_leases(w, d->uuid, false, NULL);
        if (n > 0) {
                char reason[128];
                snprintf(reason, sizeof(reason), "libvirt domain %s", d->why ?: why);
                log_info("Libvirt domain %s %s; ending its %u lease(s).", d->uuid, why, n);
                domain_leases(w, d->uuid, true, reason);
        }
        domain_free(d);
}

static int on_qemu_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VirtDomain *d = userdata;
        domain_end(d, d->why ?: "stopped");
        return 0;
}

/* What libvirt says about the domain now, and its name. */
static DomainState domain_state(VirtWatch *w, const char *uuid, char **ret_name) {
        virDomainPtr dom = w->conn ? sym_virDomainLookupByUUIDString(w->conn, uuid) : NULL;
        int state, reason;

        if (!dom) {
                virErrorPtr e = sym_virGetLastError();
                return w->conn && e && e->code == VIR_ERR_NO_DOMAIN ? DOMAIN_GONE : DOMAIN_UNKNOWN;
        }
        int r = sym_virDomainGetState(dom, &state, &reason, 0);
        if (ret_name && r >= 0)
                *ret_name = strdup(strempty(sym_virDomainGetName(dom)));
        sym_virDomainFree(dom);
        if (r < 0) {
                virErrorPtr e = sym_virGetLastError();
                return e && e->code == VIR_ERR_NO_DOMAIN ? DOMAIN_GONE : DOMAIN_UNKNOWN;
        }
        return state == VIR_DOMAIN_SHUTOFF ? DOMAIN_SHUTOFF : DOMAIN_ACTIVE;
}

static void domain_reconcile(VirtWatch *w, const char *uuid, const char *when) {
        VirtDomain *d = domain_track(w, uuid);
        char why[128];

        switch (domain_state(w, uuid, NULL)) {
        case DOMAIN_GONE:
                snprintf(why, sizeof(why), "no longer exists (%s)", when);
                break;
        case DOMAIN_SHUTOFF:
                snprintf(why, sizeof(why), "is shut off (%s)", when);
                break;
        case DOMAIN_ACTIVE:
                return;
        default:
                log_warning("Libvirt domain %s: cannot ask libvirt about it: %s; its leases stay.", uuid, last_error());
                return;
        }
        if (d)
                domain_end(d, why);
        else
                domain_leases(w, uuid, true, why);
}

/* After (re)connecting: every domain that owns a lease is asked about; domains without leases
 * are forgotten. */
static void watch_reconcile(VirtWatch *w) {
        for (VirtDomain *d = w->domains, *next; d; d = next) {
                next = d->next;
                if (!d->why && domain_leases(w, d->uuid, false, NULL) == 0)
                        domain_free(d);
        }
        for (Lease *l = w->manager->core.leases, *next; l; l = next) {
                next = l->next;
                if (l->state == LEASE_ACTIVE && l->owner.kind == OWNER_DOMAIN) {
                        VirtDomain *d = domain_find(w, l->owner.domain_uuid);
                        if (!d || !d->why)
                                domain_reconcile(w, l->owner.domain_uuid, "found when privmemd connected to libvirt");
                }
        }
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        VirtWatch *w = opaque;
        char uuid[VIR_UUID_STRING_BUFLEN];
        VirtDomain *d;

        if (sym_virDomainGetUUIDString(dom, uuid) < 0 || domain_leases(w, uuid, false, NULL) == 0)
                return 0;
        log_debug("Libvirt domain %s (%s): lifecycle event %d, detail %d.", uuid, sym_virDomainGetName(dom), event, detail);
        if (event == VIR_DOMAIN_EVENT_STARTED || event == VIR_DOMAIN_EVENT_RESUMED)
                (void) domain_track(w, uuid);
        else if (event == VIR_DOMAIN_EVENT_STOPPED && (d = domain_track(w, uuid)))
                domain_end(d, "stopped");
        else if (event == VIR_DOMAIN_EVENT_STOPPED)
                domain_leases(w, uuid, true, "libvirt domain stopped");
        else if (event == VIR_DOMAIN_EVENT_UNDEFINED)  /* a running domain may be undefined: it goes on, transient */
                domain_reconcile(w, uuid, "undefined");
        return 0;
}

static void watch_schedule_retry(VirtWatch *w);

static void on_close(virConnectPtr conn, int reason, void *opaque);

static void watch_disconnect(VirtWatch *w) {
        if (!w->conn)
                return;
        if (w->lifecycle_id >= 0)
                (void) sym_virConnectDomainEventDeregisterAny(w->conn, w->lifecycle_id);
        w->lifecycle_id = -1;
        (void) sym_virConnectUnregisterCloseCallback(w->conn, on_close);
        sym_virConnectClose(w->conn);
        w->conn = NULL;
}

static void on_close(virConnectPtr conn, int reason, void *opaque) {
        VirtWatch *w = opaque;
        static const char *const reasons[] = { "error", "end of file", "keepalive timeout", "client" };

        log_warning("The connection to libvirt at %s closed (%s); leases stay, reconnecting.", w->uri,
                    reason >= 0 && (size_t) reason < ELEMENTSOF(reasons) ? reasons[reason] : "unknown");
        w->attempts = 0;
        watch_schedule_retry(w);  /* not here: libvirt is inside the connection's own code */
}

static int watch_connect(VirtWatch *w) {
        w->conn = sym_virConnectOpen(w->uri);
        if (!w->conn)
                return -ECONNREFUSED;
        w->lifecycle_id = sym_virConnectDomainEventRegisterAny(w->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                            VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), w, NULL);
        if (w->lifecycle_id < 0 || sym_virConnectRegisterCloseCallback(w->conn, on_close, w, NULL) < 0) {
                log_warning("Libvirt at %s: cannot watch domain events: %s", w->uri, last_error());
                watch_disconnect(w);
                return -EIO;
        }
        if (sym_virConnectSetKeepAlive(w->conn, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT) < 0)
                log_debug("Libvirt at %s: no keepalive: %s", w->uri, last_error());
        log_info("Connected to libvirt at %s.", w->uri);
        w->attempts = 0;
        watch_reconcile(w);
        return 0;
}

static int on_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        VirtWatch *w = userdata;

        w->retry = sd_event_source_disable_unref(w->retry);
        watch_disconnect(w);
        if (watch_connect(w) < 0) {
                if (w->attempts == 0)
                        log_warning("Cannot connect to libvirt at %s: %s; retrying.", w->uri, last_error());
                w->attempts++;
                watch_schedule_retry(w);
        }
        return 0;
}

static void watch_schedule_retry(VirtWatch *w) {
        uint64_t delay = MIN(RETRY_FIRST_USEC << MIN(w->attempts, 8U), RETRY_MAX_USEC);

        if (w->retry)
                return;
        if (sd_event_add_time_relative(w->manager->event, &w->retry, CLOCK_MONOTONIC, delay, 1000, on_retry, w) < 0)
                log_error("Cannot schedule a reconnection to libvirt; domain-owned leases end only with Release now.");
}

int virt_watch_new(VirtWatch **ret, Manager *m) {
        VirtWatch *w;
        int r;

        *ret = NULL;
        if (!m->config.libvirt_uri)
                return 0;
        const char *error = NULL;
        r = libvirt_dlopen(&error);
        if (r < 0)
                return log_error_errno(r, "[libvirt] uri=%s is set, but libvirt cannot be loaded (install libvirt0): %s",
                                       m->config.libvirt_uri, strempty(error));
        r = virt_event_register(m->event);
        if (r < 0)
                return r;
        sym_virSetErrorFunc(NULL, on_libvirt_error);
        w = calloc(1, sizeof(*w));
        if (!w || !(w->uri = strdup(m->config.libvirt_uri))) {
                free(w);
                return -ENOMEM;
        }
        w->manager = m;
        w->lifecycle_id = -1;
        if (watch_connect(w) < 0) {
                log_warning("Cannot connect to libvirt at %s: %s; retrying.", w->uri, last_error());
                w->attempts = 1;
                watch_schedule_retry(w);
        }
        *ret = w;
        return 0;
}

VirtWatch *virt_watch_free(VirtWatch *w) {
        if (!w)
                return NULL;
        watch_disconnect(w);
        while (w->domains)
                domain_free(w->domains);
        sd_event_source_disable_unref(w->retry);
        virt_event_unregister();
        free(w->uri);
        free(w);
        return NULL;
}

static bool looks_like_uuid(const char *s) {
        unsigned char raw[VIR_UUID_BUFLEN];
        return strlen(s) == OWNER_DOMAIN_UUID_LEN &&
               sscanf(s, "%2hhx%2hhx%2hhx%2hhx-%2hhx%2hhx-%2hhx%2hhx-%2hhx%2hhx-%2hhx%2hhx%2hhx%2hhx%2hhx%2hhx", &raw[0], &raw[1],
                      &raw[2], &raw[3], &raw[4], &raw[5], &raw[6], &raw[7], &raw[8], &raw[9], &raw[10], &raw[11], &raw[12],
                      &raw[13], &raw[14], &raw[15]) == 16;
}

int virt_watch_resolve(VirtWatch *w, const char *domain, Owner *ret, const char **ret_reason) {
        char uuid[VIR_UUID_STRING_BUFLEN];
        virDomainPtr dom;

        if (!w) {
                *ret_reason = "privmemd's configuration has no [libvirt] section";
                return -EOPNOTSUPP;
        }
        if (!w->conn) {
                *ret_reason = "privmemd is not connected to libvirt now; it keeps trying";
                return -ENOTCONN;
        }
        dom = looks_like_uuid(domain) ? sym_virDomainLookupByUUIDString(w->conn, domain) : sym_virDomainLookupByName(w->conn, domain);
        if (!dom) {
                virErrorPtr e = sym_virGetLastError();
                if (e && e->code == VIR_ERR_NO_DOMAIN)
                        return -ENOENT;
                *ret_reason = "libvirt did not answer the lookup";
                log_warning("Libvirt at %s: looking up domain '%s' failed: %s", w->uri, domain, last_error());
                return -ENOTCONN;
        }
        int r = sym_virDomainGetUUIDString(dom, uuid) < 0 ? -EIO : owner_from_domain(ret, uuid, sym_virDomainGetName(dom));
        sym_virDomainFree(dom);
        if (r >= 0)
                (void) domain_track(w, uuid);  /* its QEMU, if it runs already */
        return r;
}
