/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A worker queue that runs nothing by itself: the test takes the jobs and runs them. */
#include <errno.h>
#include <stdlib.h>

#include "fake-core.h"

struct Workers {
        Job *head, *tail;
        unsigned n_queued;
        unsigned n_added;       /* workers_add_thread() calls */
};

int workers_new(Workers **ret, sd_event *event, unsigned n_threads) {
        *ret = calloc(1, sizeof(Workers));
        return *ret ? 0 : -ENOMEM;
}

Workers *workers_free(Workers *w) {
        free(w);
        return NULL;
}

void workers_submit(Workers *w, Job *job) {
        job->next = NULL;
        job->queued = true;
        job->cancel_fd = -1;
        if (w->tail)
                w->tail->next = job;
        else
                w->head = job;
        w->tail = job;
        w->n_queued++;
}

void workers_promote(Workers *w, Job *job) {
        job->urgent = true;  /* one queue: order is the test's business */
}

unsigned workers_count(const Workers *w) {
        return 1 + w->n_added;
}

int workers_add_thread(Workers *w) {
        w->n_added++;
        return 0;
}

Job *fake_workers_pop(Workers *w) {
        Job *j = w->head;
        if (!j)
                return NULL;
        w->head = j->next;
        if (!w->head)
                w->tail = NULL;
        j->next = NULL;
        j->queued = false;
        w->n_queued--;
        return j;
}

unsigned fake_workers_queued(const Workers *w) {
        return w->n_queued;
}

static unsigned run_all(Workers *w, int error) {
        unsigned n = 0;
        for (Job *j; (j = fake_workers_pop(w)); n++) {
                j->run(j);
                if (error < 0)
                        j->result = error;
                j->done(j);
        }
        return n;
}

unsigned fake_workers_run_all(Workers *w) {
        return run_all(w, 0);
}

unsigned fake_workers_fail_all(Workers *w, int error) {
        return run_all(w, error);
}
