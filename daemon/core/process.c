/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Owner processes, shared by their leases: a VMM holding a hundred leases costs one pidfd, one
 * epoll watch and one fd-store entry. The process goes with its last lease. */
#include <poll.h>
#include <sys/epoll.h>

#include "core/core.h"
#include "core/lease.h"
#include "core/process.h"
#include "util/macro.h"

static uint64_t process_key(pid_t pid, uint64_t start_time) {
        return (uint64_t) pid * UINT64_C(0x9e3779b97f4a7c15) ^ start_time;
}

Process *core_find_process(Core *c, pid_t pid, uint64_t start_time) {
        for (HashNode *n = hash_table_find(&c->processes, process_key(pid, start_time)); n; n = hash_table_find_next(n)) {
                Process *p = (Process *) ((char *) n - offsetof(Process, hash));
                if (p->pid == pid && p->start_time == start_time)
                        return p;
        }
        return NULL;
}

static void process_free(Process *p, bool quiet);

/* The process has exited: its leases end. Each invalidation unlinks the first lease; the last one
 * frees p (one without leases, restored and not yet matched, is freed here). */
static void process_end(Process *p) {
        unsigned n = p->n_leases;
        if (n == 0)
                process_free(p, false);
        for (; n > 0; n--)
                lease_invalidate(p->leases, "owner exited");
}

static int process_on_exit(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        process_end(userdata);
        return 0;
}

static bool process_exited(const Process *p) {
        struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
        return poll(&pfd, 1, 0) > 0;
}

static void process_free(Process *p, bool quiet) {
        Core *c = p->core;
        if (!quiet)
                change_queue_owner(&c->changes, CHANGE_OWNER_GONE, p);
        hash_table_remove(&c->processes, &p->hash);
        c->n_processes--;
        sd_event_source_disable_unref(p->watch);
        safe_close(p->pidfd);
        free(p);
}

static int process_new(Core *c, int pidfd, pid_t pid, uint64_t start_time, Process **ret) {
        Process *p = calloc(1, sizeof(*p));
        int r = -ENOMEM;

        if (p) {
                *p = (Process) { .core = c, .pid = pid, .start_time = start_time, .pidfd = pidfd };
                pidfd = -1;
                r = sd_event_add_io(c->event, &p->watch, p->pidfd, EPOLLIN, process_on_exit, p);
        }
        if (r >= 0)
                r = hash_table_add(&c->processes, &p->hash, process_key(pid, start_time));
        if (r < 0) {
                safe_close(pidfd);
                if (p) {
                        sd_event_source_disable_unref(p->watch);
                        safe_close(p->pidfd);
                        free(p);
                }
                return r;
        }
        c->n_processes++;
        *ret = p;
        return 0;
}

int process_add_lease(Core *c, Lease *l) {
        Process *p = core_find_process(c, l->owner.pid, l->owner.start_time);
        int r;

        /* Its exit not handled yet: a new lease never joins a dead process (with a pidfd of its own
         * it gets a Process of its own, whose watch ends it if that pidfd is a dead one too). */
        if (p && l->owner.pidfd >= 0 && process_exited(p)) {
                process_end(p);
                p = NULL;
        }

        if (p)
                l->owner.pidfd = safe_close(l->owner.pidfd);
        else {
                r = process_new(c, TAKE_FD(l->owner.pidfd), l->owner.pid, l->owner.start_time, &p);
                if (r < 0)
                        return r;
                change_queue_owner(&c->changes, CHANGE_OWNER_ADDED, p);
        }
        l->process = p;
        l->process_prev = NULL;
        l->process_next = p->leases;
        if (p->leases)
                p->leases->process_prev = l;
        p->leases = l;
        p->n_leases++;
        return 0;
}

void process_remove_lease(Lease *l, bool quiet) {
        Process *p = l->process;
        if (!p)
                return;
        if (l->process_prev)
                l->process_prev->process_next = l->process_next;
        else
                p->leases = l->process_next;
        if (l->process_next)
                l->process_next->process_prev = l->process_prev;
        l->process = NULL;
        l->process_prev = l->process_next = NULL;
        if (--p->n_leases == 0)
                process_free(p, quiet);
}

int process_restore(Core *c, int pidfd, pid_t pid, uint64_t start_time, unsigned store_slot, Process **ret) {
        Process *p = core_find_process(c, pid, start_time);
        if (p) {  /* a second pidfd of one process (an older privmemd stored one per lease) */
                safe_close(pidfd);
                *ret = p;
                return 0;
        }
        int r = process_new(c, pidfd, pid, start_time, &p);
        if (r < 0)
                return r;
        p->store_slot = store_slot;
        *ret = p;
        return 1;
}

static void core_free_processes_if(Core *c, bool idle_only, bool quiet) {
        for (size_t i = 0; i < c->processes.n_buckets; i++)
                for (HashNode *n = c->processes.buckets[i], *next; n; n = next) {
                        next = n->next;
                        Process *p = (Process *) ((char *) n - offsetof(Process, hash));
                        if (!idle_only || p->n_leases == 0)
                                process_free(p, quiet);
                }
}

void core_drop_idle_processes(Core *c) {
        core_free_processes_if(c, true, false);
}

void core_free_processes(Core *c) {
        core_free_processes_if(c, false, true);
        hash_table_done(&c->processes);
}
