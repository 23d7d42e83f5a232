/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemd's connection to libvirtd: connect with keepalive, reconnect with backoff, lifecycle
 * events and lookups turned into news for privmemd's loop. Calls are made on the caller thread;
 * libvirt's callbacks run on the event thread and only note things down or post news. */
#include <limits.h>
#include <stdio.h>

#include "virt/libvirt-conn.h"
#include "virt/libvirt.h"

#define RETRY_FIRST_USEC (500ULL * 1000)
#define RETRY_MAX_USEC (10ULL * 1000 * 1000)
/* A libvirtd that answers no keepalive for about KEEPALIVE_INTERVAL * (KEEPALIVE_COUNT + 1)
 * seconds is declared dead: the connection closes and privmemd reconnects. */
#define KEEPALIVE_INTERVAL 5
#define KEEPALIVE_COUNT 3

static void on_libvirt_error(void *userdata, virErrorPtr e) {
        /* libvirt prints every error to stderr by default; privmemd logs what it decides instead */
}

static const char *last_error(void) {
        const char *msg = sym_virGetLastErrorMessage();
        return msg ?: "unknown error";
}

static VirtNews *news_new(VirtNewsKind kind) {
        VirtNews *n = calloc(1, sizeof(*n));
        if (n)
                *n = (VirtNews) { .kind = kind, .id = -1, .state = -1 };
        return n;
}

static void post_message(VirtConn *c, VirtNewsKind kind, uint64_t token, int error, const char *message) {
        VirtNews *n = news_new(kind);
        if (!n)
                return;  /* the loop's timeout answers the ask; a reconnect repeats the rest */
        n->token = token;
        n->error = error;
        n->message = message ? strdup(message) : NULL;
        c->post(c->userdata, n);
}

/* The domain's UUID, name and id (no call to libvirtd). */
static void news_describe(VirtNews *n, virDomainPtr dom) {
        if (sym_virDomainGetUUIDString(dom, n->uuid) < 0)
                n->uuid[0] = 0;
        n->name = strdup(strempty(sym_virDomainGetName(dom)));
        n->id = (int) sym_virDomainGetID(dom);
}

/* The QEMU processes that run for the domain now. */
static void news_find_qemu(VirtNews *n) {
        int found = n->uuid[0] ? virt_qemu_find(n->uuid, NULL, 0, n->qemu_pidfds, n->qemu_pids, VIRT_QEMU_MAX) : 0;

        n->n_qemu = found > 0 ? (size_t) found : 0;
        for (size_t i = 0; i < n->n_qemu; i++)
                n->qemu_start_times[i] = process_start_time(n->qemu_pids[i]);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque) {
        VirtConn *c = opaque;
        VirtNews *n = news_new(VIRT_NEWS_LIFECYCLE);

        if (!n)
                return 0;
        n->event = event;
        n->detail = detail;
        news_describe(n, dom);
        if (event == VIR_DOMAIN_EVENT_STARTED || event == VIR_DOMAIN_EVENT_RESUMED || event == VIR_DOMAIN_EVENT_STOPPED)
                news_find_qemu(n);
        c->post(c->userdata, n);
        return 0;
}

static bool conn_closed(const VirtConn *c) {
        return __atomic_load_n(&c->closed, __ATOMIC_ACQUIRE);
}

static void on_close(virConnectPtr conn, int reason, void *opaque) {
        VirtConn *c = opaque;
        uint64_t one = 1;

        /* dropped by virt_conn_tend() on the caller thread: libvirt is inside the connection's code now */
        __atomic_store_n(&c->close_reason, reason, __ATOMIC_RELAXED);
        __atomic_store_n(&c->closed, true, __ATOMIC_RELEASE);
        (void) !write(c->wake_fd, &one, sizeof(one));
}

static void on_wake(int watch, int fd, int events, void *opaque) {
        uint64_t counter;
        (void) !read(fd, &counter, sizeof(counter));
}

static void conn_schedule_retry(VirtConn *c, uint64_t now_usec) {
        c->retry_usec = now_usec + MIN(RETRY_FIRST_USEC << MIN(c->attempts, 8U), RETRY_MAX_USEC);
}

uint64_t virt_conn_next_usec(const VirtConn *c) {
        if (c->conn)
                return 0;
        if (c->opening)
                return c->open_timed_out ? 0 : c->open_deadline_usec;
        return c->retry_usec;
}

bool virt_conn_opening(const VirtConn *c) {
        return c->opening && !c->open_timed_out;
}

static void conn_close(VirtConn *c) {
        if (!c->conn)
                return;
        if (c->lifecycle_id >= 0)
                (void) sym_virConnectDomainEventDeregisterAny(c->conn, c->lifecycle_id);
        c->lifecycle_id = -1;
        (void) sym_virConnectUnregisterCloseCallback(c->conn, on_close);
        sym_virConnectClose(c->conn);
        c->conn = NULL;
        __atomic_store_n(&c->closed, false, __ATOMIC_RELEASE);
}

/* Tells the loop why connecting failed; it logs the first failure of a series. */
static void conn_tell_failure(VirtConn *c, const char *error, bool first) {
        VirtNews *n = news_new(VIRT_NEWS_DISCONNECTED);

        snprintf(c->last_failure, sizeof(c->last_failure), "%s", error);
        if (n) {
                n->first = first;
                n->message = strdup(error);
                c->post(c->userdata, n);
        }
}

/* A connect failed: the next one is due after the backoff. */
static void conn_failed(VirtConn *c, uint64_t now_usec, const char *error) {
        conn_tell_failure(c, error, c->attempts == 0);
        c->attempts++;
        conn_schedule_retry(c, now_usec);
}

/* Makes conn the connection: the close callback first (libvirt keeps it on this side), so that no
 * close goes unnoticed; keepalive next, so that a libvirtd that stops answering during the call
 * that follows is noticed; then lifecycle events. Sets *ret_keepalive to virConnectSetKeepAlive()'s
 * result (1: no keepalive there) and returns its error or NULL; on failure c->conn is NULL. */
static const char *conn_adopt(VirtConn *c, virConnectPtr conn, int *ret_keepalive) {
        static char why[256];

        c->conn = conn;
        if (sym_virConnectRegisterCloseCallback(c->conn, on_close, c, NULL) < 0) {
                snprintf(why, sizeof(why), "cannot watch the connection: %s", last_error());
                sym_virConnectClose(TAKE_PTR(c->conn));
                return why;
        }
        int r = sym_virConnectSetKeepAlive(c->conn, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT);
        virErrorPtr e = r < 0 ? sym_virGetLastError() : NULL;
        if (e && e->code == VIR_ERR_NO_SUPPORT)
                r = 1;  /* a driver inside this process: no libvirtd that could hang */
        if (r < 0)
                snprintf(why, sizeof(why), "%s", last_error());
        *ret_keepalive = r;
        c->lifecycle_id = sym_virConnectDomainEventRegisterAny(c->conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                                VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), c, NULL);
        if (c->lifecycle_id < 0) {
                snprintf(why, sizeof(why), "cannot watch domain events: %s", last_error());
                conn_close(c);
                return why;
        }
        return r < 0 ? why : NULL;
}

/* " (socket PATH)" when the URI names its socket, else "". */
static void uri_socket(const char *uri, char *buf, size_t size) {
        buf[0] = 0;
        for (const char *p = strchr(uri, '?'); p; p = strchr(p + 1, '&'))
                if (strncmp(p + 1, "socket=", 7) == 0)
                        snprintf(buf, size, " (socket %.*s)", (int) strcspn(p + 8, "&"), p + 8);
}

static void conn_start_open(VirtConn *c, uint64_t now_usec) {
        char why[128];

        int r = virt_open_start(&c->opening, c->uri, c->wake_fd);
        if (r < 0) {
                snprintf(why, sizeof(why), "cannot start a thread for virConnectOpen(): %s", strerror(-r));
                conn_failed(c, now_usec, why);
                return;
        }
        c->open_deadline_usec = now_usec + c->open_timeout_usec;
        c->open_timed_out = false;
}

/* The open under way: its result, or, past the deadline, a failure told once. */
static void conn_check_open(VirtConn *c, uint64_t now_usec) {
        virConnectPtr conn = NULL;
        _cleanup_free_ char *error = NULL;
        char why[PATH_MAX + 128], sock[PATH_MAX + 16];
        int keepalive = 0;

        if (!virt_open_result(c->opening, &conn, &error)) {
                if (c->open_timed_out || now_usec < c->open_deadline_usec)
                        return;
                uri_socket(c->uri, sock, sizeof(sock));
                snprintf(why, sizeof(why), "no answer within %" PRIu64 " s%s; that attempt goes on in the background "
                         "and the next one waits for it to end", c->open_timeout_usec / 1000000, sock);
                c->open_timed_out = true;
                conn_failed(c, now_usec, why);  /* the next one: after the backoff, once this one ended */
                return;
        }
        bool late = c->open_timed_out;
        c->opening = virt_open_free(c->opening);
        if (!conn) {
                if (late)  /* counted at its timeout: only why changes */
                        conn_tell_failure(c, error ?: "unknown error", false);
                else
                        conn_failed(c, now_usec, error ?: "unknown error");
                return;
        }
        const char *failed = conn_adopt(c, conn, &keepalive);
        if (!c->conn) {
                conn_failed(c, now_usec, failed);
                return;
        }
        c->attempts = 0;
        post_message(c, VIRT_NEWS_CONNECTED, 0, keepalive, failed);
}

void virt_conn_tend(VirtConn *c, uint64_t now_usec) {
        static const char *const reasons[] = { "error", "end of file", "keepalive timeout", "client" };

        if (c->conn && conn_closed(c)) {
                int reason = __atomic_load_n(&c->close_reason, __ATOMIC_RELAXED);
                const char *why = reason >= 0 && (size_t) reason < ELEMENTSOF(reasons) ? reasons[reason] : "closed";
                conn_close(c);
                snprintf(c->last_failure, sizeof(c->last_failure), "the connection closed (%s)", why);
                post_message(c, VIRT_NEWS_DISCONNECTED, 0, 0, why);
                c->attempts = 0;
                conn_schedule_retry(c, now_usec);
        }
        if (c->opening)
                conn_check_open(c, now_usec);
        if (!c->conn && !c->opening && now_usec >= c->retry_usec)
                conn_start_open(c, now_usec);
}

void virt_conn_run_events(VirtConn *c) {
        if (sym_virEventRunDefaultImpl() < 0)
                (void) usleep(10 * 1000);  /* poll() failed: do not spin */
}

static bool looks_like_uuid(const char *s) {
        unsigned char raw[VIR_UUID_BUFLEN];
        return strlen(s) == OWNER_DOMAIN_UUID_LEN &&
               sscanf(s, "%2hhx%2hhx%2hhx%2hhx-%2hhx%2hhx-%2hhx%2hhx-%2hhx%2hhx-%2hhx%2hhx%2hhx%2hhx%2hhx%2hhx", &raw[0], &raw[1],
                      &raw[2], &raw[3], &raw[4], &raw[5], &raw[6], &raw[7], &raw[8], &raw[9], &raw[10], &raw[11], &raw[12],
                      &raw[13], &raw[14], &raw[15]) == 16;
}

static int lookup_failed(VirtNews *n) {
        virErrorPtr e = sym_virGetLastError();

        if (e && e->code == VIR_ERR_NO_DOMAIN)
                return -ENOENT;
        n->message = strdup(last_error());
        return -EIO;
}

/* Fills n in: the domain, and its state now (a call to libvirtd). */
static int conn_lookup(VirtConn *c, const char *domain, VirtNews *n) {
        virDomainPtr dom;
        int reason, r = 0;

        if (!c->conn || conn_closed(c)) {
                n->message = strdup(c->last_failure[0] ? c->last_failure : "not connected to libvirt");
                return -ENOTCONN;
        }
        dom = looks_like_uuid(domain) ? sym_virDomainLookupByUUIDString(c->conn, domain) : sym_virDomainLookupByName(c->conn, domain);
        if (!dom)
                return lookup_failed(n);
        news_describe(n, dom);
        if (sym_virDomainGetState(dom, &n->state, &reason, 0) < 0)
                r = lookup_failed(n);
        sym_virDomainFree(dom);
        return r;
}

void virt_conn_lookup(VirtConn *c, const char *domain, uint64_t token) {
        VirtNews *n = news_new(VIRT_NEWS_LOOKUP);

        if (!n)
                return;  /* the loop's timeout answers the ask; a reconnect repeats a reconcile */
        n->token = token;
        if (looks_like_uuid(domain))
                snprintf(n->uuid, sizeof(n->uuid), "%s", domain);
        n->error = conn_lookup(c, domain, n);
        if (n->error >= 0 || n->error == -ENOENT)
                news_find_qemu(n);
        c->post(c->userdata, n);
}

void virt_conn_answer_late(VirtConn *c, uint64_t token) {
        post_message(c, VIRT_NEWS_LOOKUP, token, -ETIMEDOUT, "the ask waited too long for libvirt");
}

int virt_conn_init(VirtConn *c, const char *uri, uint64_t open_timeout_usec, VirtPostFunc post, void *userdata) {
        *c = (VirtConn) { .open_timeout_usec = open_timeout_usec, .post = post, .userdata = userdata, .wake_fd = -1,
                          .loop_watch = -1, .lifecycle_id = -1 };
        c->uri = strdup(uri);
        return c->uri ? 0 : -ENOMEM;
}

int virt_conn_setup(VirtConn *c, int wake_fd, int loop_wake_fd) {
        static bool registered;  /* once per process; only the caller thread gets here */

        c->wake_fd = wake_fd;
        sym_virSetErrorFunc(NULL, on_libvirt_error);
        if (!registered && sym_virEventRegisterDefaultImpl() < 0) {
                post_message(c, VIRT_NEWS_DISCONNECTED, 0, 0, last_error());
                return -EIO;
        }
        registered = true;
        c->loop_watch = sym_virEventAddHandle(loop_wake_fd, VIR_EVENT_HANDLE_READABLE, on_wake, NULL, NULL);
        if (c->loop_watch < 0) {
                post_message(c, VIRT_NEWS_DISCONNECTED, 0, 0, "cannot set up libvirt's event loop");
                return -EIO;
        }
        return 0;
}

void virt_conn_done(VirtConn *c) {
        conn_close(c);
        c->opening = virt_open_free(c->opening);  /* one still inside libvirt is left behind */
}

void virt_conn_events_done(VirtConn *c) {
        if (c->loop_watch >= 0)
                (void) sym_virEventRemoveHandle(c->loop_watch);
        c->loop_watch = -1;
}
