/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Start-up after a restart: the fds the service manager hands back (LISTEN_FDS, LISTEN_FDNAMES,
 * told apart by recover-passed.c), matched with the lease files of the runtime directory.
 *
 *   r...  a ready memfd: back into its pool if it is still what the pool lends
 *   l...  a lent memfd: a lease again, with its file's owner, uid, tag
 *   o...  the pidfd of a process that owns leases: the leases whose file names that pid and start
 *         time are its; one that has exited meanwhile ends them now
 *   anything else that is a listening socket: served
 *
 * Nothing is dropped silently: a lease fd without its file becomes a lease of unknown owner that
 * only Release ends; a file without its fd is reported and removed (the memory went with the last
 * holder of the memfd); an owner pidfd without a lease is closed and reported. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <systemd/sd-daemon.h>

#include "core/lease.h"
#include "core/pool.h"
#include "manager/manager.h"
#include "manager/recover-passed.h"
#include "manager/recover-thp.h"
#include "manager/recover.h"
#include "memfd/memfd-ops.h"
#include "store/fdstore.h"
#include "store/lease-file.h"
#include "util/log.h"
#include "util/macro.h"

/* Whether fd is what pool lends now: sealed, sized in whole pages, fully populated. */
static bool ready_fd_fits(int fd, const Pool *p, uint64_t *ret_size) {
        struct stat st;
        int seals = fcntl(fd, F_GET_SEALS);
        int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL | (p->config->seal_guest ? PRIVMEM_F_SEAL_GUEST : 0);

        if (fstat(fd, &st) < 0 || seals < 0 || (seals & want) != want || st.st_size <= 0)
                return false;
        /* A hugetlb memfd's blocks are its pages; a 2M shmem one's are 4 KiB, like any shmem file. */
        uint64_t blksize = p->config->backing == BACKING_HUGETLB ? p->config->page_size : (uint64_t) sysconf(_SC_PAGESIZE);
        if ((uint64_t) st.st_size % p->config->page_size != 0 || (uint64_t) st.st_blksize != blksize)
                return false;
        *ret_size = (uint64_t) st.st_size;
        return (uint64_t) st.st_blocks * 512 >= (uint64_t) st.st_size;
}

/* A ready memfd: back into its pool, or closed (never lent, so that frees it). */
static void recover_ready(Manager *m, PassedFd *f) {
        Pool *p = manager_find_pool(m, f->pool);
        uint64_t size;

        if (p && ready_fd_fits(f->fd, p, &size)) {
                SizeClass *c = pool_get_class(p, size, true);
                ReadyMemfd *r = c ? calloc(1, sizeof(ReadyMemfd)) : NULL;
                if (r) {
                        passed_fd_keep(f, f->fd, &r->store_slot);
                        *r = (ReadyMemfd) { .fd = TAKE_FD(f->fd), .size = size, .store_slot = r->store_slot };
                        snprintf(r->id, sizeof(r->id), "%s", f->id);
                        size_class_add_ready(c, r);
                        recover_thp_measure(m, p, r);
                        return;
                }
        }
        log_info("Dropping the stored ready memfd %s of pool %s: the pool no longer lends it.", f->id, f->pool);
        passed_fd_drop(f);
}

/* A stored owner pidfd: its process, if it still runs, owns the leases that name it. */
static void recover_process(Manager *m, PassedFd *f) {
        Owner o;
        Process *p;

        if (owner_from_stored_pidfd(&o, TAKE_FD(f->fd)) < 0) {
                passed_fd_drop(f);  /* exited: its leases find no process and end */
                return;
        }
        int r = process_restore(&m->core, TAKE_FD(o.pidfd), o.pid, o.start_time, f->slot, &p);
        if (r < 0) {
                log_warning_errno(r, "Cannot watch owner process %d again; its leases are found by pid: %m", (int) o.pid);
                passed_fd_drop(f);
        } else if (r == 0)
                passed_fd_drop(f);  /* a second pidfd of a known process */
        else if (f->slot == 0)
                passed_fd_keep(f, p->pidfd, &p->store_slot);
        f->slot = 0;
}

/* The pool a recovered lease counts against: a retired stand-in if the configuration lost it. */
static Pool *recover_pool(Manager *m, const char *name, int fd) {
        Pool *p = manager_find_pool(m, name);
        struct stat st;

        if (p || fstat(fd, &st) < 0)
                return p;
        return manager_add_stand_in_pool(m, name, (uint64_t) st.st_blksize);
}

/* systemd closes a stored fd that reports EPOLLHUP, and a pidfd does once its process has been
 * reaped: an owner that exited while privmemd was down comes back without its pidfd. Its pid and
 * start time tell: a process with that pid and the same start time is the owner (the pidfd opened
 * first, checked alive after reading, makes sure the start time read was its own); any other or
 * none proves the owner gone. Without a start time on record, a live pid is taken as the owner:
 * that may keep a lease too long, never end it too early. */
static int recover_owner_by_pid(const LeaseRecord *rec, Owner *ret) {
        int fd = rec->owner_pid > 0 ? (int) syscall(SYS_pidfd_open, rec->owner_pid, 0) : -1;

        if (fd < 0)
                return rec->owner_pid > 0 && errno == ESRCH ? -ESRCH : -ENOENT;
        uint64_t start_time = process_start_time(rec->owner_pid);
        if (owner_from_stored_pidfd(ret, fd) < 0)
                return -ESRCH;
        if (rec->owner_start_time != 0 && start_time != rec->owner_start_time) {
                log_info("Lease %s: pid %d is another process now than its owner.", rec->id, (int) rec->owner_pid);
                owner_done(ret);
                return -ESRCH;
        }
        log_info("Lease %s: its owner's pidfd was not handed back; watching pid %d again.", rec->id, (int) ret->pid);
        return 0;
}

/* The owner a lease file names: a process found again (by its stored pidfd, or by pid and start
 * time), a domain, or unknown. *ret_gone: the process has exited. */
static void recover_owner(Manager *m, const LeaseRecord *rec, Owner *ret, bool *ret_gone) {
        *ret = OWNER_INIT;
        *ret_gone = false;
        if (rec->owner_kind == OWNER_DOMAIN && owner_from_domain(ret, rec->owner_domain, rec->owner_domain_name) >= 0) {
                ret->domain_id = rec->owner_domain_id;
                ret->domain_qemu_pid = rec->owner_domain_qemu_pid;
                ret->domain_qemu_start_time = rec->owner_domain_qemu_start_time;
                return;  /* libvirt-watch.c asks libvirt about it once connected */
        }
        if (rec->owner_kind != OWNER_PROCESS) {
                ret->kind = rec->owner_kind;
                return;
        }
        Process *p = core_find_process(&m->core, rec->owner_pid, rec->owner_start_time);
        if (p) {  /* lease_restore() links the lease to it */
                *ret = (Owner) { .kind = OWNER_PROCESS, .pidfd = -1, .pid = p->pid, .start_time = p->start_time };
                snprintf(ret->comm, sizeof(ret->comm), "%s", rec->owner_comm);
                return;
        }
        int r = recover_owner_by_pid(rec, ret);
        if (r >= 0)
                return;
        if (r == -ESRCH) {
                *ret_gone = true;
                *ret = (Owner) { .kind = OWNER_PROCESS, .pidfd = -1, .pid = rec->owner_pid };
                snprintf(ret->comm, sizeof(ret->comm), "%s", rec->owner_comm);
                return;
        }
        log_warning("Lease %s: its owner (pid %d) cannot be watched; only a Release ends it now.", rec->id,
                    (int) rec->owner_pid);
        ret->kind = OWNER_UNKNOWN;
}

static void recover_lease(Manager *m, const LeaseRecord *rec, PassedFd *lf) {
        Owner owner;
        bool gone;
        Lease *l;

        if (rec->foreign)
                return;  /* not understood: its memfd, if handed back, is an orphan; else the file waits for its writer */
        if (!lf) {
                log_warning("Lease %s (%s, %" PRIu64 " bytes, owner pid %d): its memfd was not handed back, so its memory "
                            "went with the memfd's last holder. Forgetting the lease.",
                            rec->id, rec->pool, rec->size, (int) rec->owner_pid);
                (void) lease_file_remove(m->leases_dir, rec->id);
                return;
        }
        recover_owner(m, rec, &owner, &gone);
        Pool *p = recover_pool(m, rec->pool, lf->fd);
        int r = p ? lease_restore(&l, p, rec, lf->fd, &owner) : -ENOMEM;
        if (r < 0) {
                log_error_errno(r, "Lease %s: cannot be recovered, its memfd stays with its holders: %m", rec->id);
                return;
        }
        passed_fd_keep(lf, l->fd, &l->store_slot);
        lf->fd = -1;
        if (gone)
                lease_invalidate(l, "owner exited while privmemd was down");
}

/* A lease fd without its file: a lease again, owned by nobody known (only a Release ends it),
 * counted against root. */
static void recover_orphan(Manager *m, PassedFd *lf) {
        struct stat st;

        if (core_find_lease(&m->core, lf->id)) {  /* a second copy of a lease's memfd: the store keeps the first */
                passed_fd_drop(lf);
                return;
        }
        if (fstat(lf->fd, &st) < 0 || st.st_size <= 0) {
                log_warning("Stored fd %s is not a memfd of privmemd; closing it.", lf->name);
                passed_fd_drop(lf);
                return;
        }
        LeaseRecord rec = { .pool = lf->pool, .size = (uint64_t) st.st_size, .owner_kind = OWNER_UNKNOWN, .huge = -1 };
        snprintf(rec.id, sizeof(rec.id), "%s", lf->id);
        log_warning("Lease %s (%s, %" PRIu64 " bytes) came back without its lease file; recovering it as root's, "
                    "of unknown owner.", lf->id, lf->pool, rec.size);
        recover_lease(m, &rec, lf);
}

static int listen_passed_socket(Manager *m, PassedFd *f) {
        int flags = fcntl(f->fd, F_GETFL);
        if (flags < 0 || fcntl(f->fd, F_SETFL, flags | O_NONBLOCK) < 0)
                return -errno;
        int r = varlink_server_listen_fd(m->server, TAKE_FD(f->fd));
        if (r >= 0)
                m->socket_activated = true;
        return r;
}

static int cmp_record(const void *a, const void *b) {
        return strcmp(((const LeaseRecord *) a)->id, ((const LeaseRecord *) b)->id);
}

/* A memfd stored as ready that a lease file or a stored lease memfd names is that lease's: the
 * change that took it out of the store as ready was lost (out of memory). It is lent: never back
 * into the pool. */
static bool ready_is_lent(PassedFd *f, LeaseRecord *records, size_t n_records, PassedFd **leases, size_t n_leases) {
        LeaseRecord key = {};
        snprintf(key.id, sizeof(key.id), "%s", f->id);
        if ((!records || !bsearch(&key, records, n_records, sizeof(LeaseRecord), cmp_record)) &&
            (!leases || !passed_fds_find_lease(leases, n_leases, f->id)))
                return false;
        log_warning("Stored memfd %s is named ready, but lease %s has a file or a stored memfd: recovering it as "
                    "the lease.", f->name, f->id);
        (void) fdstore_remove_slot(f->name[0], &f->slot);  /* stored again under a lease's name */
        f->kind = FDSTORE_KIND_LEASE;
        return true;
}

static void recover_leases(Manager *m, PassedFd *fds, size_t n, LeaseRecord *records, size_t n_records) {
        size_t n_index;
        _cleanup_free_ PassedFd **index = passed_fds_index_leases(fds, n, &n_index);

        for (size_t i = 0; i < n_records; i++)
                recover_lease(m, &records[i], passed_fds_find_lease(index, n_index, records[i].id));
        for (size_t i = 0; i < n; i++)
                if (fds[i].fd >= 0 && fds[i].kind == FDSTORE_KIND_LEASE)
                        recover_orphan(m, &fds[i]);
}

/* Whatever is left over: fds of unknown names, owner processes without a lease. */
static void recover_leftovers(Manager *m, PassedFd *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i].fd >= 0) {
                        log_warning("Stored fd %s belongs to nothing privmemd knows; closing it.", fds[i].name);
                        passed_fd_drop(&fds[i]);
                }
        core_drop_idle_processes(&m->core);
}

static void recover_passed(Manager *m, PassedFd *fds, size_t n) {
        LeaseRecord *records = NULL;
        size_t n_records = 0;
        int r = lease_file_read_all(m->leases_dir, &records, &n_records);

        if (r < 0) {
                log_warning_errno(r, "Cannot read lease files in %s: %m", m->leases_dir);
                records = NULL;
                n_records = 0;
        } else
                qsort(records, n_records, sizeof(LeaseRecord), cmp_record);
        passed_fds_classify(fds, n);
        size_t n_leases;
        _cleanup_free_ PassedFd **leases = passed_fds_index_leases(fds, n, &n_leases);
        for (size_t i = 0; i < n; i++) {
                if (fds[i].fd < 0)
                        continue;
                if (fds[i].kind == 's') {
                        int q = listen_passed_socket(m, &fds[i]);
                        if (q < 0)
                                log_error_errno(q, "Cannot serve the socket passed as %s: %m", fds[i].name);
                } else if (fds[i].kind == FDSTORE_KIND_READY && !ready_is_lent(&fds[i], records, n_records, leases, n_leases))
                        recover_ready(m, &fds[i]);
                else if (fds[i].kind == FDSTORE_KIND_OWNER)
                        recover_process(m, &fds[i]);
        }
        recover_leases(m, fds, n, records, n_records);
        if (records)
                lease_records_free(records, n_records);
        recover_leftovers(m, fds, n);
}

int manager_recover(Manager *m) {
        char **names = NULL;
        int n = sd_listen_fds_with_names(true, &names);
        if (n <= 0)
                return n;

        PassedFd *fds = calloc((size_t) n, sizeof(PassedFd));
        for (int i = 0; fds && i < n; i++)
                fds[i] = (PassedFd) { .fd = SD_LISTEN_FDS_START + i, .name = names[i] };
        if (fds)
                recover_passed(m, fds, (size_t) n);
        else
                for (int i = 0; i < n; i++)
                        safe_close(SD_LISTEN_FDS_START + i);
        passed_fds_free(fds, (size_t) n);
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
        log_info("Recovered %u lease(s) of %u owner process(es) from the service manager.", m->core.n_leases,
                 m->core.n_processes);
        return fds ? 0 : -ENOMEM;
}
