/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* After a restart: how much of a recovered ready memfd of a 2M shmem pool is huge, measured again
 * on a worker (the figure lived in the privmemd that populated it). privmemd-populate maps it and
 * reads its PMD-mapped bytes; the pages are there already, so it allocates nothing. The job names
 * its pool and memfd rather than pointing at them: either may be gone when it is done. */
#include <fcntl.h>
#include <stdio.h>

#include "core/build.h"
#include "core/pool-thp.h"
#include "manager/manager.h"
#include "manager/recover-thp.h"
#include "memfd/memfd-thp.h"
#include "util/macro.h"

typedef struct MeasureJob {
        Job job;                /* first: a Job * is a MeasureJob * */
        Manager *manager;
        char *pool;
        char id[MEMFD_ID_LEN + 1];
        int fd;
        uint64_t size, huge;
        uint64_t timeout_usec;
} MeasureJob;

static void measure_run(Job *j) {
        MeasureJob *mj = (MeasureJob *) j;
        /* Nothing to allocate: the pages are there. A helper that hangs still may not keep a worker. */
        PopulateLimit limit = { .timeout_usec = mj->timeout_usec, .cancel_fd = j->cancel_fd };
        j->result = memfd_thp_populate(mj->fd, 0, mj->size, -1, true, &limit, &mj->huge);
}

static void measure_done(Job *j) {
        MeasureJob *mj = (MeasureJob *) j;
        Pool *p = manager_find_pool(mj->manager, mj->pool);
        ReadyMemfd *r = p && j->result >= 0 ? pool_find_ready(p, mj->id) : NULL;

        if (r && r->huge == 0) {
                r->huge = mj->huge;
                p->thp.ready_huge += mj->huge;
        }
        safe_close(mj->fd);
        free(mj->pool);
        free(mj);
}

void recover_thp_measure(Manager *m, Pool *p, const ReadyMemfd *r) {
        MeasureJob *mj;

        if (!pool_is_thp(p) || !(mj = calloc(1, sizeof(*mj))))
                return;
        *mj = (MeasureJob) {
                .job = { .run = measure_run, .done = measure_done },
                .manager = m,
                .pool = strdup(p->config->name),
                .fd = fcntl(r->fd, F_DUPFD_CLOEXEC, 3),
                .size = r->size,
                .timeout_usec = build_chunk_timeout_usec(p->config, r->size),
        };
        snprintf(mj->id, sizeof(mj->id), "%s", r->id);
        if (!mj->pool || mj->fd < 0) {
                safe_close(mj->fd);
                free(mj->pool);
                free(mj);
                return;
        }
        workers_submit(m->workers, &mj->job);
}
