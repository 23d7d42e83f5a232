/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libvirt's event loop (virEventRegisterImpl) on privmemd's sd-event loop: a libvirt handle is an
 * sd-event io source, a libvirt timeout a time source. There is no second thread and no
 * virEventRunDefaultImpl(): libvirt's sockets, keepalives and queued domain events are dispatched by
 * the loop that serves varlink. libvirt calls these from the loop's thread only, because privmemd
 * calls libvirt from nowhere else.
 *
 * libvirt requires that a removed handle's free callback runs later, never inside the remove call
 * (its caller may hold the lock the free callback takes): those run from a defer source. */
#include <sys/epoll.h>

#include "util/log.h"
#include "util/macro.h"
#include "virt/libvirt-dlopen.h"
#include "virt/libvirt-event.h"

typedef struct VirtSource {
        struct VirtSource *next;
        int id;
        int fd;                         /* -1 for a timeout */
        int interval_ms;                /* timeouts: -1 disabled, 0 every iteration, else period */
        sd_event_source *source;
        virEventHandleCallback handle_cb;
        virEventTimeoutCallback timeout_cb;
        void *opaque;
        virFreeCallback ff;
} VirtSource;

static sd_event *loop;
static VirtSource *sources, *removed;
static sd_event_source *reaper;
static int last_id;

static VirtSource *find(int id, bool timeout) {
        for (VirtSource *s = sources; s; s = s->next)
                if (s->id == id && (s->fd < 0) == timeout)
                        return s;
        return NULL;
}

static uint32_t to_epoll(int events) {
        return (events & VIR_EVENT_HANDLE_READABLE ? EPOLLIN : 0) | (events & VIR_EVENT_HANDLE_WRITABLE ? EPOLLOUT : 0);
}

static int from_epoll(uint32_t revents) {
        return (revents & EPOLLIN ? VIR_EVENT_HANDLE_READABLE : 0) | (revents & EPOLLOUT ? VIR_EVENT_HANDLE_WRITABLE : 0) |
               (revents & EPOLLERR ? VIR_EVENT_HANDLE_ERROR : 0) | (revents & EPOLLHUP ? VIR_EVENT_HANDLE_HANGUP : 0);
}

static int on_io(sd_event_source *es, int fd, uint32_t revents, void *userdata) {
        VirtSource *s = userdata;
        s->handle_cb(s->id, fd, from_epoll(revents), s->opaque);
        return 0;
}

static int add_handle(int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff) {
        VirtSource *s = calloc(1, sizeof(*s));
        if (!s)
                return -1;
        *s = (VirtSource) { .id = ++last_id, .fd = fd, .handle_cb = cb, .opaque = opaque, .ff = ff };
        if (sd_event_add_io(loop, &s->source, fd, to_epoll(events), on_io, s) < 0) {
                free(s);
                return -1;
        }
        (void) sd_event_source_set_enabled(s->source, events ? SD_EVENT_ON : SD_EVENT_OFF);
        s->next = sources;
        sources = s;
        return s->id;
}

static void update_handle(int id, int events) {
        VirtSource *s = find(id, false);
        if (!s)
                return;
        if (events)
                (void) sd_event_source_set_io_events(s->source, to_epoll(events));
        (void) sd_event_source_set_enabled(s->source, events ? SD_EVENT_ON : SD_EVENT_OFF);
}

/* Unlinks s, stops its source and queues its free callback for the reaper. */
static int remove_source(VirtSource *s) {
        if (!s)
                return -1;
        for (VirtSource **p = &sources; *p; p = &(*p)->next)
                if (*p == s) {
                        *p = s->next;
                        break;
                }
        s->source = sd_event_source_disable_unref(s->source);
        s->next = removed;
        removed = s;
        (void) sd_event_source_set_enabled(reaper, SD_EVENT_ONESHOT);
        return 0;
}

static int remove_handle(int id) {
        return remove_source(find(id, false));
}

/* (Re)arms a timeout's source: interval_ms from now, now for 0, off for -1. */
static void timeout_arm(VirtSource *s) {
        uint64_t now = 0;

        if (s->interval_ms < 0) {
                (void) sd_event_source_set_enabled(s->source, SD_EVENT_OFF);
                return;
        }
        if (s->interval_ms > 0)
                (void) sd_event_now(loop, CLOCK_MONOTONIC, &now);
        (void) sd_event_source_set_time(s->source, now + (uint64_t) s->interval_ms * 1000);
        (void) sd_event_source_set_enabled(s->source, SD_EVENT_ONESHOT);
}

static int on_time(sd_event_source *es, uint64_t usec, void *userdata) {
        VirtSource *s = userdata;
        int id = s->id;
        timeout_arm(s);  /* periodic until updated or removed, which the callback may do */
        s->timeout_cb(id, s->opaque);
        return 0;
}

static int add_timeout(int interval_ms, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff) {
        VirtSource *s = calloc(1, sizeof(*s));
        if (!s)
                return -1;
        *s = (VirtSource) { .id = ++last_id, .fd = -1, .interval_ms = interval_ms, .timeout_cb = cb, .opaque = opaque,
                            .ff = ff };
        if (sd_event_add_time(loop, &s->source, CLOCK_MONOTONIC, 0, 1, on_time, s) < 0) {
                free(s);
                return -1;
        }
        timeout_arm(s);
        s->next = sources;
        sources = s;
        return s->id;
}

static void update_timeout(int id, int interval_ms) {
        VirtSource *s = find(id, true);
        if (s) {
                s->interval_ms = interval_ms;
                timeout_arm(s);
        }
}

static int remove_timeout(int id) {
        return remove_source(find(id, true));
}

void virt_event_reap(void) {
        while (removed) {
                VirtSource *s = removed;
                removed = s->next;
                if (s->ff)
                        s->ff(s->opaque);
                free(s);
        }
}

static int on_reap(sd_event_source *es, void *userdata) {
        virt_event_reap();
        return 0;
}

int virt_event_register(sd_event *event) {
        static bool registered;

        if (loop)
                return loop == event ? 0 : -EBUSY;
        int r = sd_event_add_defer(event, &reaper, on_reap, NULL);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(reaper, SD_EVENT_OFF);
        loop = event;
        if (!registered)  /* once per process; later loops (tests) reuse the same functions */
                sym_virEventRegisterImpl(add_handle, update_handle, remove_handle, add_timeout, update_timeout, remove_timeout);
        registered = true;
        return 0;
}

void virt_event_unregister(void) {
        virt_event_reap();
        if (sources)
                log_warning("libvirt left %s behind after closing its connection.", sources->fd < 0 ? "a timeout" : "a handle");
        reaper = sd_event_source_disable_unref(reaper);
        loop = NULL;
}
