/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemctl metrics: GetMetrics, ListPools, ListLeases and GetStatus as Prometheus text, for node_exporter's
 * textfile collector. */
#include <stdio.h>

#include "ctl.h"
#include "prom.h"

/* One family over the 2M shmem pools; the value taken from their struct privmem_pool_huge. */
static void huge_family(const privmem_pool_list *pools, const char *name, const char *type, const char *help,
                        uint64_t (*value)(const struct privmem_pool_huge *h)) {
        prom_family(stdout, name, type, help);
        for (size_t i = 0; i < privmem_pool_list_count(pools); i++) {
                const privmem_pool *p = privmem_pool_list_get(pools, i);
                struct privmem_pool_huge h = { .size = sizeof(h) };
                if (privmem_pool_huge(p, &h) > 0)
                        prom_sample(stdout, name, value(&h), "pool", privmem_pool_name(p), NULL);
        }
}

static uint64_t huge_ready(const struct privmem_pool_huge *h) { return h->ready_huge_bytes; }
static uint64_t huge_populated(const struct privmem_pool_huge *h) { return h->populated_bytes; }
static uint64_t huge_populated_huge(const struct privmem_pool_huge *h) { return h->populated_huge_bytes; }
static uint64_t huge_short(const struct privmem_pool_huge *h) { return h->short_memfds; }
static uint64_t huge_host(const struct privmem_pool_huge *h) { return h->host_gives_huge > 0; }

static void huge_metrics(const privmem_pool_list *pools) {
        bool any = false;
        for (size_t i = 0; i < privmem_pool_list_count(pools); i++)
                any = any || privmem_pool_huge(privmem_pool_list_get(pools, i), NULL) > 0;
        if (!any)
                return;
        huge_family(pools, "privmemd_pool_huge_ready_bytes", "gauge",
                    "2M shmem pools: bytes of the ready memfds in 2 MiB pages.", huge_ready);
        huge_family(pools, "privmemd_pool_populated_bytes_total", "counter",
                    "2M shmem pools: bytes populated since privmemd started.", huge_populated);
        huge_family(pools, "privmemd_pool_populated_huge_bytes_total", "counter",
                    "2M shmem pools: bytes populated since privmemd started that are in 2 MiB pages.", huge_populated_huge);
        huge_family(pools, "privmemd_pool_huge_short_memfds_total", "counter",
                    "2M shmem pools: memfds with less than huge_min in 2 MiB pages (lent anyway or dropped).", huge_short);
        huge_family(pools, "privmemd_pool_huge_host_enabled", "gauge",
                    "2M shmem pools: 1 when the host's THP settings give shmem 2 MiB pages.", huge_host);
}

static void pool_metrics(const privmem_pool_list *pools) {
        prom_family(stdout, "privmemd_pool_bytes", "gauge",
                    "Bytes of a pool by state: ready (populated, waiting), lent, other (populating, being punched, leaked).");
        for (size_t i = 0; i < privmem_pool_list_count(pools); i++) {
                const privmem_pool *p = privmem_pool_list_get(pools, i);
                const char *n = privmem_pool_name(p);
                prom_sample(stdout, "privmemd_pool_bytes", privmem_pool_bytes_ready(p), "pool", n, "state", "ready", NULL);
                prom_sample(stdout, "privmemd_pool_bytes", privmem_pool_bytes_lent(p), "pool", n, "state", "lent", NULL);
                prom_sample(stdout, "privmemd_pool_bytes", privmem_pool_bytes_other(p), "pool", n, "state", "other", NULL);
        }
        prom_family(stdout, "privmemd_pool_limit_bytes", "gauge", "Bytes a pool may hold in all states together.");
        for (size_t i = 0; i < privmem_pool_list_count(pools); i++) {
                const privmem_pool *p = privmem_pool_list_get(pools, i);
                prom_sample(stdout, "privmemd_pool_limit_bytes", privmem_pool_limit(p), "pool", privmem_pool_name(p), NULL);
        }
        prom_family(stdout, "privmemd_pool_ready_memfds", "gauge", "Ready memfds of a pool, by size in bytes.");
        for (size_t i = 0; i < privmem_pool_list_count(pools); i++) {
                const privmem_pool *p = privmem_pool_list_get(pools, i);
                for (size_t k = 0; k < privmem_pool_n_classes(p); k++) {
                        char size[24];
                        snprintf(size, sizeof(size), "%llu", (unsigned long long) privmem_pool_class_size(p, k));
                        prom_sample(stdout, "privmemd_pool_ready_memfds", privmem_pool_class_ready(p, k),
                                    "pool", privmem_pool_name(p), "size", size, NULL);
                }
        }
        huge_metrics(pools);
}

static void lease_metrics(const privmem_lease_list *leases) {
        static const char *const states[] = { "active", "invalidating", "leaked" };
        uint64_t count[ELEMENTSOF(states)] = {}, leaked = 0;

        for (size_t i = 0; i < privmem_lease_list_count(leases); i++) {
                const privmem_lease *l = privmem_lease_list_get(leases, i);
                enum privmem_lease_state s = privmem_lease_state(l);
                if (s >= PRIVMEM_LEASE_ACTIVE && s <= PRIVMEM_LEASE_LEAKED)
                        count[s - PRIVMEM_LEASE_ACTIVE]++;
                if (s == PRIVMEM_LEASE_LEAKED)
                        leaked += privmem_lease_leaked_bytes(l);
        }
        prom_family(stdout, "privmemd_leases", "gauge", "Leases not yet released, by state.");
        for (size_t i = 0; i < ELEMENTSOF(states); i++)
                prom_sample(stdout, "privmemd_leases", count[i], "state", states[i], NULL);
        prom_family(stdout, "privmemd_leaked_bytes", "gauge",
                    "Bytes still held by leaked leases (blocks that came back after the punch).");
        prom_sample(stdout, "privmemd_leaked_bytes", leaked, NULL);
}

static void histogram(const char *name, const char *help, const privmem_histogram *h) {
        char bucket[96], le[32];

        prom_family(stdout, name, "histogram", help);
        snprintf(bucket, sizeof(bucket), "%s_bucket", name);
        for (size_t i = 0; i < privmem_histogram_n_buckets(h); i++)
                prom_sample(stdout, bucket, privmem_histogram_bucket_count(h, i),
                            "le", prom_float(le, privmem_histogram_bucket_le(h, i)), NULL);
        prom_sample(stdout, bucket, privmem_histogram_count(h), "le", "+Inf", NULL);
        snprintf(bucket, sizeof(bucket), "%s_sum", name);
        prom_sample_double(stdout, bucket, privmem_histogram_sum(h));
        snprintf(bucket, sizeof(bucket), "%s_count", name);
        prom_sample(stdout, bucket, privmem_histogram_count(h), NULL);
}

static void counter_metrics(const privmem_metrics *m) {
        prom_family(stdout, "privmemd_acquires_total", "counter", "Acquire calls, by how they ended.");
        for (size_t i = 0; i < privmem_metrics_n_acquire_results(m); i++)
                prom_sample(stdout, "privmemd_acquires_total", privmem_metrics_acquire_count(m, i),
                            "result", privmem_metrics_acquire_result(m, i), NULL);
        prom_family(stdout, "privmemd_invalidations_total", "counter", "Leases invalidated since privmemd started.");
        prom_sample(stdout, "privmemd_invalidations_total", privmem_metrics_invalidations(m), NULL);
        prom_family(stdout, "privmemd_leaks_total", "counter", "Leases found leaked after their punch since privmemd started.");
        prom_sample(stdout, "privmemd_leaks_total", privmem_metrics_leaks(m), NULL);
        histogram("privmemd_acquire_seconds", "Seconds from an Acquire call to its reply with the memfd.",
                  privmem_metrics_acquire_seconds(m));
        histogram("privmemd_refill_seconds", "Seconds to populate one memfd.", privmem_metrics_refill_seconds(m));
}

/* GetStatus' worker threads, when privmemd says them (0.3 on). */
static void worker_metrics(const privmem_status *s) {
        if (privmem_status_workers(s) == 0)
                return;
        prom_family(stdout, "privmemd_workers", "gauge",
                    "Worker threads that populate and punch, with those started in place of stuck ones.");
        prom_sample(stdout, "privmemd_workers", privmem_status_workers(s), NULL);
        prom_family(stdout, "privmemd_stuck_workers", "gauge",
                    "Worker threads stuck now in one system call of a populate (past populate_timeout= + 5 s).");
        prom_sample(stdout, "privmemd_stuck_workers", privmem_status_stuck_workers(s), NULL);
}

/* The failures of the pools' builds: one series per pool GetMetrics lists. */
static void pool_failure_metrics(const privmem_metrics *m) {
        prom_family(stdout, "privmemd_pool_populate_timeouts_total", "counter",
                    "Populates stopped at populate_timeout= (a privmemd-populate helper killed, or given up), per chunk.");
        for (size_t i = 0; i < privmem_metrics_n_pools(m); i++)
                prom_sample(stdout, "privmemd_pool_populate_timeouts_total", privmem_metrics_pool_populate_timeouts(m, i),
                            "pool", privmem_metrics_pool_name(m, i), NULL);
        prom_family(stdout, "privmemd_pool_stuck_workers_total", "counter",
                    "Populates found stuck in one system call past populate_timeout= + 5 s; each worker was replaced.");
        for (size_t i = 0; i < privmem_metrics_n_pools(m); i++)
                prom_sample(stdout, "privmemd_pool_stuck_workers_total", privmem_metrics_pool_stuck_workers(m, i),
                            "pool", privmem_metrics_pool_name(m, i), NULL);
}

static int run(Ctl *c, char **args, unsigned n_args) {
        _cleanup_(privmem_disconnectp) privmem *p = NULL;
        _cleanup_(privmem_metrics_freep) privmem_metrics *m = NULL;
        _cleanup_(privmem_pool_list_freep) privmem_pool_list *pools = NULL;
        _cleanup_(privmem_lease_list_freep) privmem_lease_list *leases = NULL;
        _cleanup_(privmem_status_freep) privmem_status *s = NULL;

        int r = ctl_connect(c, &p);
        if (r != 0)
                return r;
        if ((r = privmem_get_metrics(p, &m)) < 0)
                return ctl_fail(c, p, r);
        if (c->json)
                return ctl_print_reply(p) < 0 ? CTL_EXIT_DAEMON : CTL_EXIT_OK;
        if ((r = privmem_list_pools(p, &pools)) < 0 || (r = privmem_list_leases(p, NULL, &leases)) < 0 ||
            (r = privmem_get_status(p, &s)) < 0)
                return ctl_fail(c, p, r);
        pool_metrics(pools);
        lease_metrics(leases);
        counter_metrics(m);
        pool_failure_metrics(m);
        worker_metrics(s);
        return fflush(stdout) == 0 && !ferror(stdout) ? CTL_EXIT_OK : CTL_EXIT_DAEMON;
}

const Verb verb_metrics = {
        .name = "metrics",
        .synopsis = "",
        .summary = "Print metrics in the Prometheus text format (as root: leases of every uid)",
        .run = run,
};
