/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A build: one new memfd being populated by the workers, chunk by chunk, then sealed.
 * Chunks let several workers fill one large memfd; they are done on the event loop in any order,
 * and the last one seals the memfd and hands it to its size class. At most PARALLEL_CHUNKS of one
 * memfd are in the workers' queue at a time: one memfd stops scaling at ~4 threads (its own
 * locks), so more workers fill several memfds at once instead.
 * A chunk that does not finish within populate_timeout= fails (memfd_ops_populate() kills a helper
 * that hangs): the memfd is dropped, never lent part-populated, and the pool backs off. */
#include <assert.h>
#include <stdio.h>
#include <sys/random.h>

#include "core/build.h"
#include "core/clock.h"
#include "core/core.h"
#include "core/lease.h"
#include "core/pool-thp.h"
#include "memfd/memfd-ops.h"
#include "util/log.h"
#include "util/macro.h"

#define CHUNK_BYTES (64ULL << 20)
#define THP_CHUNK_BYTES (256ULL << 20)    /* a privmemd-populate process each: ~2.5 ms to spawn */
#define PARALLEL_CHUNKS 4U
/* populate_timeout='s default: a chunk at this rate, a fiftieth of the slowest populate measured
 * here (fresh memory of this VM, 0.2 GB/s at the first touch), and never under the minimum. */
#define TIMEOUT_FLOOR_BYTES_PER_SEC (4ULL << 20)
#define TIMEOUT_MIN_USEC (30ULL * 1000 * 1000)

typedef struct BuildChunk {
        Job job;                /* first: a Job * is a BuildChunk * */
        Build *build;
        uint64_t offset, length;
        uint64_t huge;          /* bytes of it in huge pages, from run() */
        uint64_t run_usec;      /* how long run() populated, from run() */
        bool finished;          /* its done() came */
        bool stuck;             /* running past its timeout and the grace: reported, worker replaced */
} BuildChunk;

struct Build {
        Build *next;
        SizeClass *cls;
        ReadyMemfd *memfd;
        bool urgent;
        bool failed;            /* set by the loop, read by workers: the chunks not run yet are skipped */
        bool stuck;             /* a chunk is stuck: counted in the class's n_stuck until it ends */
        sd_event_source *watchdog;      /* looks for stuck chunks */
        MemfdSpec spec;         /* taken on the loop: a reload may replace the pool's configuration */
        PopulateLimit limit;    /* of each chunk: populate_timeout= (the cancel fd is the job's) */
        uint64_t start_usec;
        int error;              /* the first chunk's failure */
        const BuildChunk *failed_chunk;
        unsigned n_chunks, chunks_left, chunks_submitted;
        BuildChunk chunks[];
};

static void memfd_id_new(char id[static MEMFD_ID_LEN + 1]) {
        static const char hex[] = "0123456789abcdef";
        uint8_t b[MEMFD_ID_LEN / 2];
        if (getrandom(b, sizeof(b), 0) != (ssize_t) sizeof(b))
                for (size_t i = 0; i < sizeof(b); i++)
                        b[i] = (uint8_t) random();
        for (size_t i = 0; i < sizeof(b); i++) {
                id[2 * i] = hex[b[i] >> 4];
                id[2 * i + 1] = hex[b[i] & 15];
        }
        id[MEMFD_ID_LEN] = 0;
}

static void chunk_run(Job *j) {
        BuildChunk *ch = (BuildChunk *) j;
        Build *b = ch->build;
        MemfdSpec spec = b->spec;
        PopulateLimit limit = b->limit;

        if (__atomic_load_n(&b->failed, __ATOMIC_RELAXED)) {  /* the memfd is dropped anyway */
                j->result = -ECANCELED;
                return;
        }
        spec.background = !__atomic_load_n(&j->urgent, __ATOMIC_RELAXED);  /* promoted meanwhile: urgent */
        limit.cancel_fd = j->cancel_fd;
        uint64_t start = now_usec();
        j->result = memfd_ops_populate(&spec, &limit, b->memfd->fd, ch->offset, ch->length, &ch->huge);
        ch->run_usec = now_usec() - start;
        if (j->result < 0)  /* now: this worker's next job may be the next chunk, before done() runs */
                __atomic_store_n(&b->failed, true, __ATOMIC_RELAXED);
}

/* The chunk, in words: "privmemd-populate of bytes 0M-256M of a 1024M memfd", or "populating
 * bytes 0M-64M of a 512M memfd in a worker thread". */
static void chunk_describe(const Build *b, const BuildChunk *ch, char *buf, size_t size) {
        bool helper = memfd_spec_is_thp(&b->spec);
        snprintf(buf, size, "%s bytes %" PRIu64 "M-%" PRIu64 "M of a %" PRIu64 "M memfd%s",
                 helper ? "privmemd-populate of" : "populating", ch->offset >> 20, (ch->offset + ch->length) >> 20,
                 b->memfd->size >> 20, helper ? "" : " in a worker thread");
}

/* What failed, in words, for ListPools' lastError, the log and the Acquires that waited; NULL
 * when the errno says it all. */
static char *build_failure_reason(const Build *b) {
        const BuildChunk *ch = b->failed_chunk;
        uint64_t timeout_sec = b->limit.timeout_usec / 1000000;
        char what[128], *s = NULL;
        int r = 0;

        if (!ch || (!ch->stuck && ch->job.result != -ETIMEDOUT))
                return NULL;
        chunk_describe(b, ch, what, sizeof(what));
        if (ch->stuck)
                r = asprintf(&s, "%s was stuck in the kernel for %.0f s: dropped (populate_timeout=%" PRIu64 "s)",
                             what, (double) ch->run_usec / 1e6, timeout_sec);
        else
                r = asprintf(&s, "%s hung: %s after %.1f s (populate_timeout=%" PRIu64 "s)", what,
                             memfd_spec_is_thp(&b->spec) ? "killed" : "given up", (double) ch->run_usec / 1e6, timeout_sec);
        return r < 0 ? NULL : s;
}

void build_free(Build *b) {
        sd_event_source_disable_unref(b->watchdog);
        ready_memfd_free(b->memfd);
        free(b);
}

void size_class_free_builds(SizeClass *c) {
        while (c->builds) {
                Build *b = c->builds;
                c->builds = b->next;
                build_free(b);
        }
}

static void build_unlink(Build *b) {
        SizeClass *c = b->cls;
        for (Build **p = &c->builds; *p; p = &(*p)->next)
                if (*p == b) {
                        *p = b->next;
                        break;
                }
        c->n_building--;
        if (b->stuck)
                c->n_stuck--;
        assert(c->pool->bytes_building >= b->memfd->size);
        c->pool->bytes_building -= b->memfd->size;
}

static void build_finish(Build *b) {
        SizeClass *c = b->cls;
        Pool *p = c->pool;
        int r = b->error ?: memfd_ops_seal(b->memfd->fd);
        _cleanup_free_ char *reason = r < 0 ? build_failure_reason(b) : NULL;

        build_unlink(b);
        for (unsigned i = 0; i < b->n_chunks; i++)
                b->memfd->huge += b->chunks[i].huge;
        if (r >= 0) {
                r = pool_thp_accept(p, b->memfd);
                if (r == 0) {  /* huge_fallback=retry: dropped, and the waiters keep waiting */
                        build_free(b);
                        pool_build_retry(p, c, -ENOMEM, POOL_FAILURE_NO_MEMORY, NULL);
                        return;
                }
        }
        if (r < 0 && b->stuck) {
                /* Told, answered and backed off when it was found stuck: its return is no new
                 * failure (a build that succeeded since has made the pool well again). */
                log_info("Pool %s: %s", p->config->name, reason ?: "a build that was stuck returned: its memfd is dropped");
                build_free(b);
                size_class_forget_if_unused(c);
                return;
        }
        if (r < 0) {
                PoolFailure failure = pool_failure_from_errno(r);
                build_free(b);
                pool_build_failed(p, c, r, failure, reason);
                return;
        }
        pool_build_succeeded(p);
        histogram_observe(&p->core->metrics.refill_seconds, (double) (now_usec() - b->start_usec) / 1e6);
        size_class_ready(c, TAKE_PTR(b->memfd));
        build_free(b);
        pool_refill(p);
        pool_check_target(p);
        pool_check_unused(p);
}

static void build_submit_next(Build *b) {
        if (b->chunks_submitted < b->n_chunks)
                workers_submit(b->cls->pool->core->workers, &b->chunks[b->chunks_submitted++].job);
}

static void chunk_done(Job *j) {
        BuildChunk *ch = (BuildChunk *) j;
        Build *b = ch->build;

        ch->finished = true;
        if (j->result == -ETIMEDOUT && !ch->stuck)  /* a stuck one is counted as such */
                b->cls->pool->counters.populate_timeouts++;
        /* A chunk cancelled because another failed first may come back before that one: the
         * other's error is the build's, not ECANCELED. */
        if (j->result < 0 && (b->error == 0 || (b->error == -ECANCELED && j->result != -ECANCELED))) {
                b->error = j->result;
                b->failed_chunk = ch;
                __atomic_store_n(&b->failed, true, __ATOMIC_RELAXED);
        }
        if (b->error) {  /* the memfd is lost anyway: its chunks not queued yet never run */
                b->chunks_left -= b->n_chunks - b->chunks_submitted;
                b->chunks_submitted = b->n_chunks;
        }
        if (--b->chunks_left == 0)
                build_finish(b);
        else
                build_submit_next(b);
}

/* The chunk has been in one system call for longer than its timeout allows: the memfd is lost, the
 * waiters are answered now, and a new thread takes the stuck worker's place in the queues. */
static void build_chunk_stuck(Build *b, BuildChunk *ch, uint64_t running_usec) {
        SizeClass *c = b->cls;
        _cleanup_free_ char *reason = NULL;
        char what[128];
        int added = workers_add_thread(c->pool->core->workers);

        ch->stuck = true;
        if (b->error == 0) {
                b->error = -ETIMEDOUT;
                b->failed_chunk = ch;
                __atomic_store_n(&b->failed, true, __ATOMIC_RELAXED);
        }
        chunk_describe(b, ch, what, sizeof(what));
        if (asprintf(&reason, "%s has not returned for %.0f s: stuck in the kernel, %s (populate_timeout=%" PRIu64 "s)",
                     what, (double) running_usec / 1e6,
                     added >= 0 ? "a new worker thread takes its place" : "its worker is lost until it returns",
                     b->limit.timeout_usec / 1000000) < 0)
                reason = NULL;
        if (!b->stuck) {
                b->stuck = true;
                c->n_stuck++;
        }
        c->pool->counters.stuck_workers++;
        pool_build_failed(c->pool, c, -ETIMEDOUT, POOL_FAILURE_STUCK_WORKER, reason);
}

/* Every chunk a worker took: stuck once it ran the timeout and the grace. Looks again when the
 * next one could be. */
static int build_on_watchdog(sd_event_source *s, uint64_t usec, void *userdata) {
        Build *b = userdata;
        uint64_t now = now_usec(), limit = b->limit.timeout_usec + STUCK_GRACE_USEC, next = limit;

        b->watchdog = sd_event_source_disable_unref(b->watchdog);
        for (unsigned i = 0; i < b->chunks_submitted; i++) {
                BuildChunk *ch = &b->chunks[i];
                uint64_t started = __atomic_load_n(&ch->job.started_usec, __ATOMIC_RELAXED);
                if (ch->finished || ch->stuck || started == 0)
                        continue;
                if (now >= started + limit)
                        build_chunk_stuck(b, ch, now - started);
                else
                        next = MIN(next, started + limit - now);
        }
        (void) clock_timer(b->cls->pool->core->event, &b->watchdog, next, build_on_watchdog, b);
        return 0;
}

/* populate_timeout=, or the chunk at TIMEOUT_FLOOR_BYTES_PER_SEC, at least TIMEOUT_MIN_USEC. */
uint64_t build_chunk_timeout_usec(const PoolConfig *pc, uint64_t chunk) {
        if (pc->populate_timeout_sec > 0)
                return (uint64_t) pc->populate_timeout_sec * 1000000;
        return MAX(chunk / TIMEOUT_FLOOR_BYTES_PER_SEC * 1000000, TIMEOUT_MIN_USEC);
}

static Build *build_new(SizeClass *c, bool urgent) {
        const PoolConfig *pc = c->pool->config;
        MemfdSpec spec = pool_config_memfd_spec(pc);
        uint64_t bytes = memfd_spec_is_thp(&spec) ? THP_CHUNK_BYTES : CHUNK_BYTES;
        uint64_t chunk = MAX(bytes / pc->page_size, 1) * pc->page_size;
        unsigned n = (unsigned) ((c->size + chunk - 1) / chunk);
        Build *b = calloc(1, sizeof(Build) + n * sizeof(BuildChunk));

        if (!b)
                return NULL;
        *b = (Build) { .cls = c, .urgent = urgent, .spec = spec, .start_usec = now_usec(), .n_chunks = n, .chunks_left = n,
                       .limit = { .timeout_usec = build_chunk_timeout_usec(pc, chunk), .cancel_fd = -1 } };
        for (unsigned i = 0; i < n; i++)
                b->chunks[i] = (BuildChunk) {
                        .job = { .run = chunk_run, .done = chunk_done, .urgent = urgent },
                        .build = b,
                        .offset = i * chunk,
                        .length = MIN(chunk, c->size - i * chunk),
                };
        return b;
}

int build_start(SizeClass *c, bool urgent) {
        Pool *p = c->pool;
        _cleanup_free_ Build *new = build_new(c, urgent);
        _cleanup_(ready_memfd_freep) ReadyMemfd *m = calloc(1, sizeof(ReadyMemfd));
        int r;

        if (!new || !m)
                return -ENOMEM;
        *m = (ReadyMemfd) { .fd = -1, .size = c->size };
        memfd_id_new(m->id);
        MemfdSpec spec = pool_config_memfd_spec(p->config);
        r = memfd_ops_create(&spec, p->config->name, m->id, c->size, &m->fd);
        if (r < 0)
                return r;
        Build *b = TAKE_PTR(new);
        b->memfd = TAKE_PTR(m);
        b->next = c->builds;
        c->builds = b;
        c->n_building++;
        p->bytes_building += c->size;
        (void) clock_timer(p->core->event, &b->watchdog, b->limit.timeout_usec + STUCK_GRACE_USEC, build_on_watchdog, b);
        for (unsigned i = 0; i < MIN(b->n_chunks, PARALLEL_CHUNKS); i++)
                build_submit_next(b);
        return 0;
}

unsigned pool_stuck_workers(const Pool *p, uint64_t *ret_oldest_started_usec) {
        uint64_t oldest = UINT64_MAX;
        unsigned n = 0;

        for (const SizeClass *c = p->classes; c; c = c->next)
                for (const Build *b = c->builds; b && c->n_stuck > 0; b = b->next)
                        for (unsigned i = 0; b->stuck && i < b->n_chunks; i++) {
                                const BuildChunk *ch = &b->chunks[i];
                                if (!ch->stuck || ch->finished)
                                        continue;
                                n++;
                                oldest = MIN(oldest, __atomic_load_n(&ch->job.started_usec, __ATOMIC_RELAXED));
                        }
        n += pool_stuck_punches(p, &oldest);
        if (ret_oldest_started_usec)
                *ret_oldest_started_usec = oldest;
        return n;
}

void size_class_promote_build(SizeClass *c) {
        for (Build *b = c->builds; b; b = b->next)
                if (!b->urgent && !b->stuck) {
                        b->urgent = true;
                        for (unsigned i = 0; i < b->n_chunks; i++)
                                workers_promote(c->pool->core->workers, &b->chunks[i].job);
                        return;
                }
}
