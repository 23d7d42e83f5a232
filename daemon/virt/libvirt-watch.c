/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt domains as lease owners, seen from privmemd's loop. Every call into libvirt happens on
 * libvirt's thread (libvirt-thread.c); here its news is read from an eventfd and acted upon, and
 * Acquire's lookups are sent to it and answered within [libvirt] timeout=, or LibvirtUnavailable.
 * Nothing here waits for libvirt, so a hung libvirtd delays no varlink call, no owner's
 * invalidation, no watchdog ping and no stop. */
#include <stdio.h>
#include <sys/epoll.h>

#include "core/core.h"
#include "util/log.h"
#include "util/macro.h"
#include "virt/libvirt-dlopen.h"
#include "virt/libvirt-internal.h"

/* Keeps what GetStatus shows in step with link and stalled: the state, since when, and why. */
static void watch_track(VirtWatch *w, const char *error) {
        SchemaLibvirtState state = w->stalled                  ? SCHEMA_LIBVIRT_STATE_UNAVAILABLE
                                   : w->link == VIRT_CONNECTING ? SCHEMA_LIBVIRT_STATE_CONNECTING
                                   : w->link == VIRT_CONNECTED  ? SCHEMA_LIBVIRT_STATE_CONNECTED
                                                                : SCHEMA_LIBVIRT_STATE_UNAVAILABLE;
        char *copy;

        if (state != w->shown) {
                w->shown = state;
                sd_event_now(w->core->event, CLOCK_MONOTONIC, &w->shown_since_usec);
        }
        if (error && (copy = strdup(error))) {
                free(w->last_error);
                w->last_error = copy;
        }
}

void virt_watch_link(const VirtWatch *w, VirtLinkInfo *ret) {
        if (!w) {
                *ret = (VirtLinkInfo) { .state = SCHEMA_LIBVIRT_STATE_DISABLED };
                return;
        }
        *ret = (VirtLinkInfo) { .state = w->shown, .uri = w->uri, .since_usec = w->shown_since_usec,
                                .last_error = w->last_error };
}

/* An Acquire's lookup, waiting for libvirt's thread or for its timeout. */
struct VirtResolve {
        VirtResolve *next;
        VirtWatch *watch;
        uint64_t token;
        sd_event_source *timer;
        VirtResolvedFunc done;
        void *userdata;
};

static void resolve_unlink(VirtResolve *r) {
        for (VirtResolve **p = &r->watch->resolves; *p; p = &(*p)->next)
                if (*p == r) {
                        *p = r->next;
                        break;
                }
        sd_event_source_disable_unref(r->timer);
}

VirtResolve *virt_resolve_cancel(VirtResolve *r) {
        if (r) {
                resolve_unlink(r);
                free(r);
        }
        return NULL;
}

/* Unlinks r and calls it back. */
static void resolve_finish(VirtResolve *r, int error, Owner *owner, const char *reason) {
        VirtResolvedFunc done = r->done;
        void *userdata = r->userdata;

        virt_resolve_cancel(r);
        done(error, owner, reason, userdata);
}

static int on_resolve_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        VirtResolve *r = userdata;
        VirtWatch *w = r->watch;
        char reason[128];

        if (!w->stalled)
                log_warning("Libvirt at %s did not answer a lookup within %" PRIu64 " s; ownerDomain is refused until it does.",
                            w->uri, w->timeout_usec / 1000000);
        w->stalled = true;
        snprintf(reason, sizeof(reason), "libvirt did not answer within %" PRIu64 " s", w->timeout_usec / 1000000);
        watch_track(w, reason);
        resolve_finish(r, -ETIMEDOUT, NULL, reason);
        return 0;
}

/* The answer to an Acquire's lookup; dropped when that gave up already. */
static void watch_on_lookup(VirtWatch *w, VirtNews *n) {
        VirtResolve *r = w->resolves;
        _cleanup_(owner_done) Owner owner = OWNER_INIT;
        char reason[256];

        while (r && r->token != n->token)
                r = r->next;
        if (!r)
                return;
        if (n->error == -ENOENT) {
                resolve_finish(r, -ENOENT, NULL, NULL);
                return;
        }
        if (n->error < 0) {
                snprintf(reason, sizeof(reason), "libvirt: %s", strempty(n->message));
                resolve_finish(r, -ENOTCONN, NULL, reason);
                return;
        }
        int e = owner_from_domain(&owner, n->uuid, n->name);
        if (e >= 0) {
                owner.domain_id = n->id;
                owner.domain_qemu_pid = n->n_qemu > 0 ? n->qemu_pids[0] : 0;
                owner.domain_qemu_start_time = n->n_qemu > 0 ? n->qemu_start_times[0] : 0;
                virt_domains_on_resolved(w, n);  /* its QEMU, if it runs already */
        }
        resolve_finish(r, e, e >= 0 ? &owner : NULL, NULL);
}

static void watch_on_link(VirtWatch *w, VirtNews *n) {
        char error[512];

        if (n->kind == VIRT_NEWS_CONNECTED) {
                if (n->error < 0)
                        log_warning("Connected to libvirt at %s, without keepalive (%s): a libvirtd that stops answering "
                                    "is not noticed.", w->uri, strempty(n->message));
                else
                        log_info("Connected to libvirt at %s%s.", w->uri, n->error > 0 ? " (no keepalive there)" : "");
                w->link = VIRT_CONNECTED;
                snprintf(error, sizeof(error), "connected without keepalive: %s", strempty(n->message));
                watch_track(w, n->error < 0 ? error : NULL);
                virt_domains_reconcile(w);
                return;
        }
        if (w->link == VIRT_CONNECTED) {
                log_warning("The connection to libvirt at %s closed (%s); leases stay, reconnecting.", w->uri,
                            strempty(n->message));
                snprintf(error, sizeof(error), "the connection closed (%s)", strempty(n->message));
        } else {
                if (n->first)  /* once per series of failures */
                        log_warning("Cannot connect to libvirt at %s: %s. ownerDomain is refused until it connects; "
                                    "privmemd keeps trying.", w->uri, strempty(n->message));
                snprintf(error, sizeof(error), "cannot connect: %s", strempty(n->message));
        }
        w->link = VIRT_DISCONNECTED;
        watch_track(w, error);
}

static int on_news(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VirtWatch *w = userdata;
        VirtNews *n;

        while ((n = virt_thread_take(w->thread))) {
                if (n->kind != VIRT_NEWS_LIFECYCLE && w->stalled) {
                        w->stalled = false;  /* the caller thread said something: it is not stuck */
                        watch_track(w, NULL);
                }
                if (n->kind == VIRT_NEWS_LOOKUP && n->token == 0)
                        virt_domains_on_state(w, n);
                else if (n->kind == VIRT_NEWS_LOOKUP)
                        watch_on_lookup(w, n);
                else if (n->kind == VIRT_NEWS_LIFECYCLE)
                        virt_domains_on_lifecycle(w, n);
                else
                        watch_on_link(w, n);
                virt_news_free(n);
        }
        return 0;
}

int virt_watch_resolve(VirtWatch *w, const char *domain, VirtResolvedFunc done, void *userdata, VirtResolve **ret,
                       const char **ret_reason) {
        uint64_t now;

        if (!w) {
                *ret_reason = "privmemd's configuration has no [libvirt] section";
                return -EOPNOTSUPP;
        }
        if (w->link == VIRT_DISCONNECTED || w->stalled) {
                *ret_reason = w->stalled ? "libvirt does not answer now; privmemd keeps waiting for it"
                                         : "privmemd is not connected to libvirt now; it keeps trying";
                return -ENOTCONN;
        }
        VirtResolve *r = calloc(1, sizeof(*r));
        if (!r)
                return -ENOMEM;
        *r = (VirtResolve) { .watch = w, .token = ++w->next_token, .done = done, .userdata = userdata, .next = w->resolves };
        sd_event_now(w->core->event, CLOCK_MONOTONIC, &now);
        int e = sd_event_add_time(w->core->event, &r->timer, CLOCK_MONOTONIC, now + w->timeout_usec, 1000,
                                  on_resolve_timeout, r);
        if (e >= 0)
                e = virt_thread_lookup(w->thread, domain, r->token, now + w->timeout_usec);
        if (e < 0) {
                sd_event_source_disable_unref(r->timer);
                free(r);
                return e;
        }
        w->resolves = r;
        *ret = r;
        return 0;
}

int virt_watch_new(VirtWatch **ret, Core *core, const Config *config) {
        const char *error = NULL;
        int fd, r;

        *ret = NULL;
        if (!config->libvirt_uri)
                return 0;
        r = libvirt_dlopen(&error);
        if (r < 0)
                return log_error_errno(r, "[libvirt] uri=%s is set, but libvirt cannot be loaded (install libvirt0): %s",
                                       config->libvirt_uri, strempty(error));
        VirtWatch *w = calloc(1, sizeof(*w));
        if (!w || !(w->uri = strdup(config->libvirt_uri))) {
                free(w);
                return -ENOMEM;
        }
        w->core = core;
        w->timeout_usec = (uint64_t) (config->libvirt_timeout_sec ?: VIRT_TIMEOUT_SEC_DEFAULT) * 1000000;
        w->link = VIRT_CONNECTING;
        w->shown = SCHEMA_LIBVIRT_STATE_CONNECTING;
        sd_event_now(core->event, CLOCK_MONOTONIC, &w->shown_since_usec);
        r = virt_thread_start(&w->thread, w->uri, w->timeout_usec, &fd);
        if (r >= 0)
                r = sd_event_add_io(core->event, &w->news_source, fd, EPOLLIN, on_news, w);
        if (r < 0) {
                virt_watch_free(w);
                return log_error_errno(r, "Cannot start libvirt's thread: %m");
        }
        *ret = w;
        return 0;
}

VirtWatch *virt_watch_free(VirtWatch *w) {
        if (!w)
                return NULL;
        while (w->resolves)
                resolve_finish(w->resolves, -ECANCELED, NULL, "privmemd is stopping");
        sd_event_source_disable_unref(w->news_source);
        if (virt_thread_stop(w->thread, w->timeout_usec) == -ETIMEDOUT)
                log_warning("Libvirt at %s did not let go within %" PRIu64 " s; stopping without waiting for it.", w->uri,
                            w->timeout_usec / 1000000);
        virt_domains_free(w);
        free(w->last_error);
        free(w->uri);
        free(w);
        return NULL;
}
