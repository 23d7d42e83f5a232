/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The threads that talk to libvirt. Every libvirt call privmemd makes runs on one of two threads
 * of its own, so a libvirtd that hangs stalls them and nothing else:
 *   - the caller thread connects, reconnects with backoff and answers asks (lookups); it runs
 *     virConnectOpen() on a third thread and waits for it at most [libvirt] timeout=
 *     (libvirt-open.c says why);
 *   - the event thread runs libvirt's default event loop (virEventRegisterDefaultImpl +
 *     virEventRunDefaultImpl): lifecycle events, and keepalive. The calls are made from the other
 *     thread on purpose: libvirt (9.0) runs no keepalive for the calling thread while it waits
 *     for an answer, but the event thread's keepalive timer does close a connection whose
 *     libvirtd went silent under a pending call, and that call then fails.
 * privmemd's loop sends asks through a locked list and an eventfd the caller thread polls; news
 * (connected, lost, lifecycle events, answers) comes back through another list and an eventfd
 * sd-event watches.
 *
 * Stopping never waits for libvirt forever: threads still inside libvirt when the bound passes
 * are detached and left with what they use; they end with the process. An open still under way is
 * not waited for at all. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <time.h>

#include "util/log.h"
#include "virt/libvirt-conn.h"
#include "virt/libvirt-thread.h"

typedef struct VirtAsk {
        struct VirtAsk *next;
        uint64_t token;
        uint64_t deadline_usec;
        char domain[];
} VirtAsk;

struct VirtThread {
        pthread_t caller, events;
        pthread_mutex_t lock;
        pthread_cond_t finished;
        /* under lock */
        bool quit;                      /* privmemd stops: the caller thread finishes */
        bool events_quit;               /* the caller thread is done: the event thread finishes */
        bool events_started;
        unsigned running;               /* threads not finished yet */
        VirtAsk *asks, **asks_tail;
        VirtNews *news, **news_tail;
        /* set at start, then read-only */
        int news_fd;                    /* privmemd's loop watches it */
        int wake_fd;                    /* the caller thread polls it */
        int loop_wake_fd;               /* libvirt's event loop watches it */
        /* the threads' own (VirtConn says which part is whose) */
        VirtConn conn;
};

/* A thread left behind at stop, still inside libvirt: what it uses stays allocated. */
static VirtThread *abandoned;

static uint64_t monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

VirtNews *virt_news_free(VirtNews *n) {
        if (!n)
                return NULL;
        close_many(n->qemu_pidfds, n->n_qemu);
        free(n->message);
        free(n->name);
        free(n);
        return NULL;
}

static void eventfd_poke(int fd) {
        uint64_t one = 1;
        (void) !write(fd, &one, sizeof(one));
}

/* Called by this thread's connection code: hands n to the loop. */
static void thread_post(void *userdata, VirtNews *n) {
        VirtThread *t = userdata;

        pthread_mutex_lock(&t->lock);
        *t->news_tail = n;
        t->news_tail = &n->next;
        pthread_mutex_unlock(&t->lock);
        eventfd_poke(t->news_fd);
}

VirtNews *virt_thread_take(VirtThread *t) {
        uint64_t counter;

        (void) !read(t->news_fd, &counter, sizeof(counter));
        pthread_mutex_lock(&t->lock);
        VirtNews *n = t->news;
        if (n && !(t->news = n->next))
                t->news_tail = &t->news;
        pthread_mutex_unlock(&t->lock);
        if (n)
                n->next = NULL;
        return n;
}

int virt_thread_lookup(VirtThread *t, const char *domain, uint64_t token, uint64_t deadline_usec) {
        VirtAsk *a = calloc(1, sizeof(*a) + strlen(domain) + 1);
        if (!a)
                return -ENOMEM;
        a->token = token;
        a->deadline_usec = deadline_usec;
        strcpy(a->domain, domain);
        pthread_mutex_lock(&t->lock);
        *t->asks_tail = a;
        t->asks_tail = &a->next;
        pthread_mutex_unlock(&t->lock);
        eventfd_poke(t->wake_fd);
        return 0;
}

static VirtAsk *thread_next_ask(VirtThread *t, bool *ret_quit) {
        pthread_mutex_lock(&t->lock);
        VirtAsk *a = t->asks;
        if (a && !(t->asks = a->next))
                t->asks_tail = &t->asks;
        *ret_quit = t->quit;
        pthread_mutex_unlock(&t->lock);
        return a;
}

static bool thread_quitting(VirtThread *t, bool events) {
        pthread_mutex_lock(&t->lock);
        bool quit = events ? t->events_quit : t->quit;
        pthread_mutex_unlock(&t->lock);
        return quit;
}

/* Answers every queued ask; false once asked to quit. */
static bool thread_serve(VirtThread *t) {
        bool quit = false;
        VirtAsk *a;

        while (!quit && (a = thread_next_ask(t, &quit))) {
                if (a->deadline_usec && monotonic_usec() > a->deadline_usec)
                        virt_conn_answer_late(&t->conn, a->token);
                else
                        virt_conn_lookup(&t->conn, a->domain, a->token);
                free(a);
        }
        return !quit && !thread_quitting(t, false);
}

/* Until an ask, a stop, a closed connection, or until_usec (0: none). */
static void thread_sleep(VirtThread *t, uint64_t until_usec) {
        struct pollfd p = { .fd = t->wake_fd, .events = POLLIN };
        uint64_t now = monotonic_usec(), counter;
        int timeout = until_usec == 0 ? -1 : until_usec <= now ? 0 : (int) MIN((until_usec - now + 999) / 1000, 60000U);

        if (poll(&p, 1, timeout) > 0)
                (void) !read(t->wake_fd, &counter, sizeof(counter));
}

static void thread_finished(VirtThread *t) {
        pthread_mutex_lock(&t->lock);
        t->running--;
        pthread_cond_signal(&t->finished);
        pthread_mutex_unlock(&t->lock);
}

static void block_signals(void) {
        sigset_t all;

        /* privmemd's loop takes the signals; a write to a closed socket gives EPIPE here */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
}

static void *events_main(void *userdata) {
        VirtThread *t = userdata;

        block_signals();
        while (!thread_quitting(t, true))
                virt_conn_run_events(&t->conn);
        virt_conn_events_done(&t->conn);
        thread_finished(t);
        return NULL;
}

static int events_start(VirtThread *t) {
        pthread_mutex_lock(&t->lock);
        int r = -pthread_create(&t->events, NULL, events_main, t);
        if (r >= 0) {
                t->running++;
                t->events_started = true;
        }
        pthread_mutex_unlock(&t->lock);
        return r;
}

static void *caller_main(void *userdata) {
        VirtThread *t = userdata;

        block_signals();
        if (virt_conn_setup(&t->conn, t->wake_fd, t->loop_wake_fd) >= 0 && events_start(t) >= 0)
                for (;;) {
                        virt_conn_tend(&t->conn, monotonic_usec());
                        if (virt_conn_opening(&t->conn) ? thread_quitting(t, false) : !thread_serve(t))
                                break;  /* asks wait for an open under way, until its timeout */
                        thread_sleep(t, virt_conn_next_usec(&t->conn));
                }
        virt_conn_done(&t->conn);
        pthread_mutex_lock(&t->lock);
        t->events_quit = true;
        pthread_mutex_unlock(&t->lock);
        eventfd_poke(t->loop_wake_fd);
        thread_finished(t);
        return NULL;
}

static VirtThread *thread_free(VirtThread *t) {
        while (t->asks) {
                VirtAsk *a = t->asks;
                t->asks = a->next;
                free(a);
        }
        while (t->news) {
                VirtNews *n = t->news;
                t->news = n->next;
                virt_news_free(n);
        }
        safe_close(t->news_fd);
        safe_close(t->wake_fd);
        safe_close(t->loop_wake_fd);
        pthread_cond_destroy(&t->finished);
        pthread_mutex_destroy(&t->lock);
        free(t->conn.uri);
        free(t);
        return NULL;
}

static int thread_init(VirtThread *t, const char *uri, uint64_t open_timeout_usec) {
        pthread_condattr_t attr;

        *t = (VirtThread) { .news_fd = -1, .wake_fd = -1, .loop_wake_fd = -1, .asks_tail = &t->asks, .news_tail = &t->news };
        pthread_mutex_init(&t->lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&t->finished, &attr);
        pthread_condattr_destroy(&attr);
        t->news_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        t->loop_wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (t->news_fd < 0 || t->wake_fd < 0 || t->loop_wake_fd < 0)
                return -errno;
        return virt_conn_init(&t->conn, uri, open_timeout_usec, thread_post, t);
}

int virt_thread_start(VirtThread **ret, const char *uri, uint64_t open_timeout_usec, int *ret_fd) {
        VirtThread *t = calloc(1, sizeof(*t));
        int r;

        if (!t)
                return -ENOMEM;
        r = thread_init(t, uri, open_timeout_usec);
        if (r >= 0)
                r = -pthread_create(&t->caller, NULL, caller_main, t);
        if (r >= 0)
                t->running = 1;
        if (r < 0) {
                thread_free(t);
                return r;
        }
        *ret_fd = t->news_fd;
        *ret = t;
        return 0;
}

/* Waits for the threads to finish until deadline (CLOCK_MONOTONIC); whether they did. */
static bool thread_wait(VirtThread *t, uint64_t deadline_usec) {
        struct timespec ts = { .tv_sec = (time_t) (deadline_usec / 1000000), .tv_nsec = (long) (deadline_usec % 1000000) * 1000 };
        bool done;

        pthread_mutex_lock(&t->lock);
        while (t->running > 0 && pthread_cond_timedwait(&t->finished, &t->lock, &ts) != ETIMEDOUT)
                ;
        done = t->running == 0;
        pthread_mutex_unlock(&t->lock);
        return done;
}

int virt_thread_stop(VirtThread *t, uint64_t timeout_usec) {
        if (!t)
                return 0;
        pthread_mutex_lock(&t->lock);
        t->quit = true;
        bool events = t->events_started;
        pthread_mutex_unlock(&t->lock);
        eventfd_poke(t->wake_fd);
        if (!thread_wait(t, monotonic_usec() + timeout_usec)) {
                pthread_detach(t->caller);
                if (events)
                        pthread_detach(t->events);
                abandoned = t;
                return -ETIMEDOUT;
        }
        pthread_join(t->caller, NULL);
        if (events)
                pthread_join(t->events, NULL);
        thread_free(t);
        return 0;
}
