/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager: owns the event loop, the varlink server, the pools, the leases and the workers. */
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>

#include "core/lease.h"
#include "core/pool.h"
#include "core/pool-thp.h"
#include "manager/manager.h"
#include "manager/notify.h"
#include "manager/recover.h"
#include "schema/io-privmemd.h"
#include "store/fdstore.h"
#include "util/log.h"
#include "util/macro.h"
#include "virt/libvirt.h"

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("Received %s, exiting.", sigdescr_np((int) si->ssi_signo));
        return sd_event_exit(m->event, 0);
}

static int on_reload_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        _cleanup_free_ char *error = NULL;
        (void) manager_reload(userdata, &error);  /* logs what went wrong */
        return 0;
}

static int manager_add_signals(Manager *m) {
        sigset_t mask;
        int r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return -errno;
        r = sd_event_add_signal(m->event, NULL, SIGTERM, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGINT, on_exit_signal, m);
        if (r >= 0)
                r = sd_event_add_signal(m->event, NULL, SIGHUP, on_reload_signal, m);
        return r;
}

/* Leases owned by a connection end with it; all others outlive it. */
static void manager_on_disconnect(VarlinkConnection *conn, void *userdata) {
        Manager *m = userdata;
        owner_forget_connection(conn);
        for (Lease *l = m->core.leases, *next; l; l = next) {
                next = l->next;
                if (l->state == LEASE_ACTIVE && l->owner.kind == OWNER_CONNECTION && l->owner.conn == conn)
                        lease_invalidate(l, "its connection closed");
        }
}

static int manager_new_server(Manager *m) {
        static const VarlinkServerInfo info = {
                .vendor = "privmemd",
                .product = "privmemd",
                .version = PACKAGE_VERSION,
                .url = "https://github.com/privmemd/privmemd",
                .system_error = SCHEMA_ERROR_SYSTEM_ERROR,
        };
        int r = varlink_server_new(&m->server, m->event, &info);
        if (r < 0)
                return r;
        varlink_server_set_disconnect_handler(m->server, manager_on_disconnect, m);
        return 0;
}

static int manager_new_pools(Manager *m) {
        m->pools = calloc(m->config.n_pools, sizeof(Pool *));
        if (!m->pools)
                return -ENOMEM;
        for (; m->n_pools < m->config.n_pools; m->n_pools++) {
                int r = pool_new(&m->pools[m->n_pools], &m->core, &m->config.pools[m->n_pools]);
                if (r < 0)
                        return r;
                pool_thp_check_host(m->pools[m->n_pools]);
        }
        return 0;
}

static int manager_make_leases_dir(Manager *m) {
        const char *rt = m->options.runtime_dir ?: getenv("RUNTIME_DIRECTORY") ?: "/run/privmemd";

        if (asprintf(&m->leases_dir, "%s/leases", rt) < 0)
                return -ENOMEM;
        if (!fdstore_enabled())
                return 0;  /* nothing survives a restart without a service manager's fd store */
        if ((mkdir(rt, 0755) < 0 && errno != EEXIST) || (mkdir(m->leases_dir, 0700) < 0 && errno != EEXIST))
                return -errno;
        return 0;
}

static int manager_setup(Manager *m);

static int on_flush(sd_event_source *s, void *userdata) {
        manager_flush_changes(userdata);
        return 0;
}

/* The core on the manager's loop and workers. Its changes are flushed right after the callback
 * that made them, before any other event is dispatched. */
static int manager_new_core(Manager *m) {
        ChangeQueue *q = &m->core.changes;
        int r;

        m->core.event = m->event;
        m->core.workers = m->workers;
        manager_set_listener_wants(m, 0);
        r = sd_event_add_defer(m->event, &q->flush, on_flush, m);
        if (r >= 0)
                r = sd_event_source_set_priority(q->flush, SD_EVENT_PRIORITY_IMPORTANT);
        if (r >= 0)
                r = sd_event_source_set_enabled(q->flush, SD_EVENT_OFF);
        return r;
}

/* Logs why it failed. */
int manager_new(Manager **ret, const ManagerOptions *options) {
        _cleanup_(manager_freep) Manager *m = calloc(1, sizeof(*m));
        _cleanup_free_ char *error = NULL;
        int r;

        if (!m)
                return log_error_errno(ENOMEM, "Out of memory.");
        m->options = *options;
        r = config_load(&m->config, options->config_path, &error);
        if (r < 0)
                return error ? log_error_errno(r, "Bad configuration: %s", error)
                             : log_error_errno(r, "Failed to load the configuration: %m");
        r = manager_setup(m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m");
        *ret = TAKE_PTR(m);
        return 0;
}

static int manager_setup(Manager *m) {
        int r;

        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        r = manager_add_signals(m);
        if (r < 0)
                return r;
        sd_event_now(m->event, CLOCK_MONOTONIC, &m->start_usec);
        (void) sd_event_set_watchdog(m->event, true);  /* WATCHDOG=1 from the loop, when WatchdogSec= asks */
        r = manager_make_leases_dir(m);
        if (r < 0)
                return r;
        r = workers_new(&m->workers, m->event, m->config.workers ?: (unsigned) MAX(sysconf(_SC_NPROCESSORS_ONLN), 1L));
        if (r < 0)
                return r;
        r = manager_new_core(m);
        if (r < 0)
                return r;
        r = manager_new_server(m);
        if (r < 0)
                return r;
        return manager_new_pools(m);
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        m->virt = virt_watch_free(m->virt);
        m->server = varlink_server_free(m->server);  /* cancels waiting calls first */
        m->workers = workers_free(m->workers);        /* no job runs from here on */
        core_done(&m->core);
        for (size_t i = 0; i < m->n_pools; i++)
                pool_free(m->pools[i]);
        sd_event_source_disable_unref(m->collect);
        free(m->pools);
        if (m->socket_created)
                (void) unlink(m->options.socket_path);
        sd_event_source_disable_unref(m->status_timer);
        free(m->leases_dir);
        config_done(&m->config);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

/* The socket's directory, when we make the socket ourselves: /run/privmemd by default. */
static int manager_make_socket_dir(Manager *m) {
        _cleanup_free_ char *dir = strdup(m->options.socket_path);
        char *slash = dir ? strrchr(dir, '/') : NULL;

        if (!dir)
                return -ENOMEM;
        if (!slash || slash == dir)
                return 0;
        *slash = 0;
        if (mkdir(dir, 0755) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

static int manager_listen(Manager *m) {
        if (m->socket_activated)
                return 0;
        int r = manager_make_socket_dir(m);
        if (r < 0)
                return log_error_errno(r, "Failed to create the directory of %s: %m", m->options.socket_path);
        r = varlink_server_listen_path(m->server, m->options.socket_path);
        if (r < 0)
                return log_error_errno(r, "Failed to listen on %s: %m", m->options.socket_path);
        m->socket_created = true;
        return 0;
}

/* Recovers what a previous run left in the fd store, then listens, refills, and says READY=1:
 * no call is answered before the leases are back. */
int manager_start(Manager *m) {
        manager_update_fd_budget(m);  /* raises RLIMIT_NOFILE to its hard limit first */
        int r = manager_recover(m);
        if (r < 0)
                return log_error_errno(r, "Failed to take the fds passed by the service manager: %m");
        r = virt_watch_new(&m->virt, &m->core, &m->config);  /* after the recovery: it reconciles domain-owned leases */
        if (r < 0)
                return log_error_errno(r, "Failed to set up libvirt: %m");
        r = manager_listen(m);
        if (r < 0)
                return r;
        for (size_t i = 0; i < m->n_pools; i++)
                pool_refill(m->pools[i]);
        log_info("Listening on %s, %zu pool(s), %u lease(s), %u worker(s).",
                 m->socket_activated ? "the socket passed by the service manager" : m->options.socket_path,
                 m->n_pools, m->core.n_leases, workers_count(m->workers));
        return manager_notify_ready(m);
}

int manager_run(Manager *m) {
        int r = sd_event_loop(m->event);
        manager_flush_changes(m);  /* what the last callback changed, to the store before we go */
        manager_notify_stopping(m);
        return r;
}

Pool *manager_add_stand_in_pool(Manager *m, const char *name, uint64_t page_size) {
        PoolConfig pc = {
                .name = (char *) name, .origin = (char *) "recovered",
                .backing = page_size == (uint64_t) sysconf(_SC_PAGESIZE) ? BACKING_SHMEM : BACKING_HUGETLB,
                .page_size = page_size, .limit = UINT64_MAX / 4, .quota_per_uid = UINT64_MAX / 4,
                .leases_per_uid = UINT32_MAX, .numa_node = -1,
        };
        Pool **n = reallocarray(m->pools, m->n_pools + 1, sizeof(Pool *));
        if (!n)
                return NULL;
        m->pools = n;
        if (pool_new(&m->pools[m->n_pools], &m->core, &pc) < 0)
                return NULL;
        log_warning("Pool %s is not configured any more; it stays, retired, until its recovered leases end.", name);
        m->pools[m->n_pools]->retired = true;
        m->pools[m->n_pools]->drained = true;
        return m->pools[m->n_pools++];
}

Pool *manager_find_pool(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_pools; i++)
                if (!m->pools[i]->retired && streq(m->pools[i]->config->name, name))
                        return m->pools[i];
        return NULL;
}
