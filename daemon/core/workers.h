/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Worker threads for memory work (populate, punch), reporting back to the event loop. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-event.h>

typedef struct Job Job;
typedef struct Workers Workers;

/* run() happens on a worker thread and touches nothing but the job; done() on the event loop. */
typedef void (*JobRunFunc)(Job *job);
typedef void (*JobDoneFunc)(Job *job);

struct Job {
        Job *next;
        JobRunFunc run;
        JobDoneFunc done;
        bool urgent;            /* someone waits for it: runs before background work */
        bool queued;            /* in a queue, not yet taken by a worker */
        int result;             /* what run() returned, for done() */
        uint64_t started_usec;  /* set (now_usec()) when a worker takes it; 0 while queued. Atomic */
        int cancel_fd;          /* set for run(): readable once the workers stop, so that a long
                                 * run() may give up (memfd_ops_populate's PopulateLimit); -1: never */
};

int workers_new(Workers **ret, sd_event *event, unsigned n_threads);
/* Stops the threads after the job each is running, whose cancel_fd turns readable; queued jobs are
 * dropped and done() is not called. */
Workers *workers_free(Workers *w);
void workers_submit(Workers *w, Job *job);
/* Moves a queued job ahead of background work. */
void workers_promote(Workers *w, Job *job);
unsigned workers_count(const Workers *w);
/* One more thread, in place of one stuck in a system call that does not return, so that the queues
 * keep moving: at most as many more as workers_new() started. -EBUSY beyond that. */
int workers_add_thread(Workers *w);
