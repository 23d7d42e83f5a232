/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker threads for memory work (populate, punch), reporting back to the event loop through an
 * eventfd. Two queues: urgent (a caller waits) before background (refill). */
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "core/metrics.h"
#include "core/workers.h"
#include "util/macro.h"

typedef struct JobQueue {
        Job *head, *tail;
} JobQueue;

struct Workers {
        pthread_t *threads;
        unsigned n_threads, max_threads;
        pthread_mutex_t lock;
        pthread_cond_t wake;
        JobQueue urgent, background, done;
        bool stopping;
        int event_fd;
        int cancel_fd;          /* an eventfd, written when the workers stop: the jobs' cancel_fd */
        sd_event_source *source;
};

static void queue_push(JobQueue *q, Job *j) {
        j->next = NULL;
        if (q->tail)
                q->tail->next = j;
        else
                q->head = j;
        q->tail = j;
}

static Job *queue_pop(JobQueue *q) {
        Job *j = q->head;
        if (j) {
                q->head = j->next;
                if (!q->head)
                        q->tail = NULL;
        }
        return j;
}

static bool queue_remove(JobQueue *q, Job *job) {
        Job *prev = NULL;
        for (Job *j = q->head; j; prev = j, j = j->next)
                if (j == job) {
                        if (prev)
                                prev->next = j->next;
                        else
                                q->head = j->next;
                        if (q->tail == j)
                                q->tail = prev;
                        return true;
                }
        return false;
}

static void *worker_main(void *userdata) {
        Workers *w = userdata;

        pthread_mutex_lock(&w->lock);
        for (;;) {
                Job *j = queue_pop(&w->urgent) ?: queue_pop(&w->background);
                if (!j) {
                        if (w->stopping)
                                break;
                        pthread_cond_wait(&w->wake, &w->lock);
                        continue;
                }
                j->queued = false;
                j->cancel_fd = w->cancel_fd;
                __atomic_store_n(&j->started_usec, now_usec(), __ATOMIC_RELAXED);
                pthread_mutex_unlock(&w->lock);
                j->run(j);
                pthread_mutex_lock(&w->lock);
                queue_push(&w->done, j);
                (void) eventfd_write(w->event_fd, 1);
        }
        pthread_mutex_unlock(&w->lock);
        return NULL;
}

/* On the event loop: hands finished jobs to their done() callbacks. */
static int workers_on_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Workers *w = userdata;
        eventfd_t v;
        JobQueue done;

        (void) eventfd_read(w->event_fd, &v);
        pthread_mutex_lock(&w->lock);
        done = w->done;
        w->done = (JobQueue) {};
        pthread_mutex_unlock(&w->lock);

        for (Job *j = done.head, *next; j; j = next) {
                next = j->next;
                j->done(j);
        }
        return 0;
}

int workers_new(Workers **ret, sd_event *event, unsigned n_threads) {
        Workers *w = calloc(1, sizeof(*w));
        int r;

        if (!w)
                return -ENOMEM;
        pthread_mutex_init(&w->lock, NULL);
        pthread_cond_init(&w->wake, NULL);
        w->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        w->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        w->max_threads = 2 * n_threads;
        w->threads = calloc(w->max_threads, sizeof(pthread_t));
        if (w->event_fd < 0 || w->cancel_fd < 0 || !w->threads) {
                r = w->event_fd < 0 || w->cancel_fd < 0 ? -errno : -ENOMEM;
                goto fail;
        }
        r = sd_event_add_io(event, &w->source, w->event_fd, EPOLLIN, workers_on_done, w);
        if (r < 0)
                goto fail;
        for (; w->n_threads < n_threads; w->n_threads++) {
                r = -pthread_create(&w->threads[w->n_threads], NULL, worker_main, w);
                if (r < 0)
                        goto fail;
        }
        *ret = w;
        return 0;
fail:
        workers_free(w);
        return r;
}

Workers *workers_free(Workers *w) {
        if (!w)
                return NULL;
        pthread_mutex_lock(&w->lock);
        w->stopping = true;
        w->urgent = w->background = (JobQueue) {};
        pthread_cond_broadcast(&w->wake);
        pthread_mutex_unlock(&w->lock);
        if (w->cancel_fd >= 0)  /* a populate helper that hangs is killed: the stop stays prompt */
                (void) eventfd_write(w->cancel_fd, 1);
        for (unsigned i = 0; i < w->n_threads; i++)
                pthread_join(w->threads[i], NULL);
        sd_event_source_disable_unref(w->source);
        safe_close(w->event_fd);
        safe_close(w->cancel_fd);
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->lock);
        free(w->threads);
        free(w);
        return NULL;
}

void workers_submit(Workers *w, Job *job) {
        pthread_mutex_lock(&w->lock);
        job->queued = true;
        queue_push(job->urgent ? &w->urgent : &w->background, job);
        pthread_cond_signal(&w->wake);
        pthread_mutex_unlock(&w->lock);
}

void workers_promote(Workers *w, Job *job) {
        pthread_mutex_lock(&w->lock);
        if (job->queued && !job->urgent && queue_remove(&w->background, job)) {
                job->urgent = true;
                queue_push(&w->urgent, job);
        }
        job->urgent = true;
        pthread_mutex_unlock(&w->lock);
}

unsigned workers_count(const Workers *w) {
        return w->n_threads;
}

int workers_add_thread(Workers *w) {
        if (w->n_threads >= w->max_threads)
                return -EBUSY;
        int r = -pthread_create(&w->threads[w->n_threads], NULL, worker_main, w);
        if (r < 0)
                return r;
        w->n_threads++;
        return 0;
}
