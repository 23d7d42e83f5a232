/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one thread that talks to libvirt. Every libvirt call privmemd makes runs here, on libvirt's
 * own default event loop (virEventRegisterDefaultImpl + virEventRunDefaultImpl), so a libvirtd
 * that hangs stalls this thread and nothing else. The loop sends asks (lookups) through a locked
 * list and an eventfd this thread's loop watches; this thread sends news (connected, lost,
 * lifecycle events, answers) through another list and an eventfd sd-event watches.
 *
 * Stopping never waits for libvirt forever: a thread still inside libvirt when the bound passes
 * is detached and left with what it uses; it ends with the process. */
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
        pthread_t thread;
        pthread_mutex_t lock;
        pthread_cond_t finished;
        /* under lock */
        bool quit, done;
        VirtAsk *asks, **asks_tail;
        VirtNews *news, **news_tail;
        /* set at start, then read-only */
        int news_fd;                    /* the loop watches it */
        int wake_fd;                    /* this thread's loop watches it */
        /* this thread's alone */
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
        if (!quit) {
                pthread_mutex_lock(&t->lock);
                quit = t->quit;
                pthread_mutex_unlock(&t->lock);
        }
        return !quit;
}

static void *thread_main(void *userdata) {
        VirtThread *t = userdata;
        sigset_t all;

        /* privmemd's loop takes the signals; a write to a closed socket gives EPIPE here */
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
        if (virt_conn_setup(&t->conn, t->wake_fd) >= 0)
                for (;;) {
                        virt_conn_tend(&t->conn, monotonic_usec());  /* connect first: asks wait for it */
                        if (!thread_serve(t))
                                break;
                        virt_conn_run_once(&t->conn);
                }
        virt_conn_done(&t->conn);
        pthread_mutex_lock(&t->lock);
        t->done = true;
        pthread_cond_signal(&t->finished);
        pthread_mutex_unlock(&t->lock);
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
        pthread_cond_destroy(&t->finished);
        pthread_mutex_destroy(&t->lock);
        free(t->conn.uri);
        free(t);
        return NULL;
}

static int thread_init(VirtThread *t, const char *uri) {
        pthread_condattr_t attr;

        *t = (VirtThread) { .news_fd = -1, .wake_fd = -1, .asks_tail = &t->asks, .news_tail = &t->news };
        pthread_mutex_init(&t->lock, NULL);
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&t->finished, &attr);
        pthread_condattr_destroy(&attr);
        t->news_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (t->news_fd < 0 || t->wake_fd < 0)
                return -errno;
        return virt_conn_init(&t->conn, uri, thread_post, t);
}

int virt_thread_start(VirtThread **ret, const char *uri, int *ret_fd) {
        VirtThread *t = calloc(1, sizeof(*t));
        int r;

        if (!t)
                return -ENOMEM;
        r = thread_init(t, uri);
        if (r >= 0)
                r = -pthread_create(&t->thread, NULL, thread_main, t);
        if (r < 0) {
                thread_free(t);
                return r;
        }
        *ret_fd = t->news_fd;
        *ret = t;
        return 0;
}

/* Waits for the thread to finish until deadline (CLOCK_MONOTONIC); whether it did. */
static bool thread_wait(VirtThread *t, uint64_t deadline_usec) {
        struct timespec ts = { .tv_sec = (time_t) (deadline_usec / 1000000), .tv_nsec = (long) (deadline_usec % 1000000) * 1000 };
        bool done;

        pthread_mutex_lock(&t->lock);
        while (!t->done && pthread_cond_timedwait(&t->finished, &t->lock, &ts) != ETIMEDOUT)
                ;
        done = t->done;
        pthread_mutex_unlock(&t->lock);
        return done;
}

int virt_thread_stop(VirtThread *t, uint64_t timeout_usec) {
        if (!t)
                return 0;
        pthread_mutex_lock(&t->lock);
        t->quit = true;
        pthread_mutex_unlock(&t->lock);
        eventfd_poke(t->wake_fd);
        if (!thread_wait(t, monotonic_usec() + timeout_usec)) {
                pthread_detach(t->thread);
                abandoned = t;
                return -ETIMEDOUT;
        }
        pthread_join(t->thread, NULL);
        thread_free(t);
        return 0;
}
