/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Start-up after a restart: the fds the service manager hands back (LISTEN_FDS, LISTEN_FDNAMES),
 * matched with the lease files of the runtime directory.
 *
 *   ready.POOL.ID   a ready memfd: back into its pool if it is still what the pool lends
 *   lease.ID        a lent memfd: a lease again, with the file's owner, uid, tag
 *   owner.ID        the pidfd of that lease's owner: if it has exited meanwhile, invalidated now
 *   anything else that is a listening socket: served
 *
 * Nothing is dropped silently: a lease fd without its file becomes a lease of unknown owner that
 * only Release ends; a file without its fd is reported and removed (the memory went with the last
 * holder of the memfd); an owner pidfd without its lease is closed and reported. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <systemd/sd-daemon.h>

#include "core/lease.h"
#include "core/pool.h"
#include "manager/manager.h"
#include "manager/recover-thp.h"
#include "manager/recover.h"
#include "memfd/memfd-ops.h"
#include "store/fdstore.h"
#include "store/lease-file.h"
#include "util/log.h"
#include "util/macro.h"

typedef struct PassedFd {
        int fd;
        char *name;
} PassedFd;

static bool has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

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

/* "POOL.ID" of a ready memfd: back into the pool, or closed (never lent, so that frees it). */
static void recover_ready(Manager *m, PassedFd *f, const char *rest) {
        const char *dot = strrchr(rest, '.');
        _cleanup_free_ char *pool_name = dot ? strndup(rest, (size_t) (dot - rest)) : NULL;
        Pool *p = pool_name ? manager_find_pool(m, pool_name) : NULL;
        uint64_t size;

        if (p && strlen(dot + 1) == MEMFD_ID_LEN && ready_fd_fits(f->fd, p, &size)) {
                SizeClass *c = pool_get_class(p, size, true);
                ReadyMemfd *r = c ? calloc(1, sizeof(ReadyMemfd)) : NULL;
                if (r) {
                        *r = (ReadyMemfd) { .fd = TAKE_FD(f->fd), .size = size };
                        snprintf(r->id, sizeof(r->id), "%s", dot + 1);
                        size_class_add_ready(c, r);
                        recover_thp_measure(m, p, r);
                        return;
                }
        }
        log_info("Dropping the stored ready memfd %s: its pool no longer lends it.", f->name);
        (void) fdstore_remove(f->name, "", NULL);
        f->fd = safe_close(f->fd);
}

static PassedFd *find_passed(PassedFd *fds, size_t n, const char *prefix, const char *id) {
        for (size_t i = 0; i < n; i++)
                if (fds[i].fd >= 0 && has_prefix(fds[i].name, prefix) && streq(fds[i].name + strlen(prefix), id))
                        return &fds[i];
        return NULL;
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
        (void) fdstore_push(ret->pidfd, FDSTORE_OWNER_PREFIX, rec->id, NULL);
        return 0;
}

/* The owner a lease file names, found again through its stored pidfd. *ret_gone: it has exited. */
static void recover_owner(const LeaseRecord *rec, PassedFd *of, Owner *ret, bool *ret_gone) {
        int r = -ENOENT;

        *ret = OWNER_INIT;
        *ret_gone = false;
        if (rec->owner_kind == OWNER_DOMAIN && owner_from_domain(ret, rec->owner_domain, rec->owner_domain_name) >= 0) {
                ret->domain_id = rec->owner_domain_id;
                ret->domain_qemu_pid = rec->owner_domain_qemu_pid;
                ret->domain_qemu_start_time = rec->owner_domain_qemu_start_time;
                return;  /* libvirt-watch.c asks libvirt about it once connected */
        }
        if (rec->owner_kind == OWNER_PROCESS && !of) {
                r = recover_owner_by_pid(rec, ret);
                if (r >= 0)
                        return;
        }
        if (rec->owner_kind == OWNER_PROCESS && (of || r == -ESRCH)) {
                if (of && owner_from_stored_pidfd(ret, TAKE_FD(of->fd)) >= 0)
                        return;
                *ret_gone = true;  /* the pidfd says the process has exited */
                *ret = (Owner) { .kind = OWNER_PROCESS, .pidfd = -1, .pid = rec->owner_pid };
                snprintf(ret->comm, sizeof(ret->comm), "%s", rec->owner_comm);
                (void) fdstore_remove(FDSTORE_OWNER_PREFIX, rec->id, NULL);
                return;
        }
        if (rec->owner_kind == OWNER_PROCESS)
                log_warning("Lease %s: the pidfd of its owner (pid %d) was not handed back; only a Release ends it now.",
                            rec->id, (int) rec->owner_pid);
        ret->kind = rec->owner_kind == OWNER_PROCESS ? OWNER_UNKNOWN : rec->owner_kind;
}

static void recover_lease(Manager *m, const LeaseRecord *rec, PassedFd *fds, size_t n) {
        PassedFd *lf = find_passed(fds, n, FDSTORE_LEASE_PREFIX, rec->id);
        PassedFd *of = find_passed(fds, n, FDSTORE_OWNER_PREFIX, rec->id);
        Owner owner;
        bool gone;
        Lease *l;

        if (!lf) {
                log_warning("Lease %s (%s, %" PRIu64 " bytes, owner pid %d): its memfd was not handed back, so its memory "
                            "went with the memfd's last holder. Forgetting the lease.",
                            rec->id, rec->pool, rec->size, (int) rec->owner_pid);
                (void) lease_file_remove(m->leases_dir, rec->id);
                return;
        }
        recover_owner(rec, of, &owner, &gone);
        Pool *p = recover_pool(m, rec->pool, lf->fd);
        int r = p ? lease_restore(&l, p, rec, lf->fd, &owner) : -ENOMEM;
        if (r < 0) {
                log_error_errno(r, "Lease %s: cannot be recovered, its memfd stays with its holders: %m", rec->id);
                return;
        }
        lf->fd = -1;
        if (gone)
                lease_invalidate(l, "owner exited while privmemd was down");
}

/* "/memfd:privmemd:POOL:ID (deleted)" names the pool of a memfd that has lost its lease file. */
static char *memfd_pool_name(int fd) {
        char path[64], target[300];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return NULL;
        target[n] = 0;
        if (!has_prefix(target, "/memfd:privmemd:"))
                return NULL;
        char *pool = target + strlen("/memfd:privmemd:"), *colon = strchr(pool, ':');
        return colon ? strndup(pool, (size_t) (colon - pool)) : NULL;
}

/* A lease fd without its file: a lease again, owned by its stored pidfd if there is one, else by
 * nobody known (only a Release ends it), counted against root. */
static void recover_orphan(Manager *m, PassedFd *lf, PassedFd *fds, size_t n) {
        const char *id = lf->name + strlen(FDSTORE_LEASE_PREFIX);
        _cleanup_free_ char *pool = memfd_pool_name(lf->fd);
        struct stat st;

        if (core_find_lease(&m->core, id)) {  /* a second copy of a lease's memfd: the store keeps the first */
                lf->fd = safe_close(lf->fd);
                return;
        }
        if (!pool || strlen(id) != MEMFD_ID_LEN || fstat(lf->fd, &st) < 0 || st.st_size <= 0) {
                log_warning("Stored fd %s is not a memfd of privmemd; closing it.", lf->name);
                (void) fdstore_remove(lf->name, "", NULL);
                lf->fd = safe_close(lf->fd);
                return;
        }
        LeaseRecord rec = { .pool = pool, .size = (uint64_t) st.st_size, .owner_kind = OWNER_PROCESS };
        snprintf(rec.id, sizeof(rec.id), "%s", id);
        log_warning("Lease %s (%s, %" PRIu64 " bytes) came back without its lease file; recovering it as root's.",
                    id, pool, rec.size);
        recover_lease(m, &rec, fds, n);
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

static void recover_leases(Manager *m, PassedFd *fds, size_t n) {
        LeaseRecord *records;
        size_t n_records;
        int r = lease_file_read_all(m->leases_dir, &records, &n_records);

        if (r < 0)
                log_warning_errno(r, "Cannot read lease files in %s: %m", m->leases_dir);
        for (size_t i = 0; r >= 0 && i < n_records; i++)
                recover_lease(m, &records[i], fds, n);
        if (r >= 0)
                lease_records_free(records, n_records);
        for (size_t i = 0; i < n; i++)
                if (fds[i].fd >= 0 && has_prefix(fds[i].name, FDSTORE_LEASE_PREFIX))
                        recover_orphan(m, &fds[i], fds, n);
}

/* Whatever is left over: owner pidfds whose lease is gone, fds of unknown names. */
static void recover_leftovers(PassedFd *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (fds[i].fd >= 0) {
                        log_warning("Stored fd %s belongs to nothing privmemd knows; closing it.", fds[i].name);
                        (void) fdstore_remove(fds[i].name, "", NULL);
                        fds[i].fd = safe_close(fds[i].fd);
                }
}

int manager_recover(Manager *m) {
        char **names = NULL;
        int n = sd_listen_fds_with_names(true, &names);
        if (n <= 0)
                return n;

        PassedFd *fds = calloc((size_t) n, sizeof(PassedFd));
        for (int i = 0; fds && i < n; i++)
                fds[i] = (PassedFd) { .fd = SD_LISTEN_FDS_START + i, .name = names[i] };
        for (int i = 0; fds && i < n; i++) {
                if (sd_is_socket_unix(fds[i].fd, SOCK_STREAM, 1, NULL, 0) > 0) {
                        int r = listen_passed_socket(m, &fds[i]);
                        if (r < 0)
                                log_error_errno(r, "Cannot serve the socket passed as %s: %m", fds[i].name);
                } else if (has_prefix(fds[i].name, FDSTORE_READY_PREFIX))
                        recover_ready(m, &fds[i], fds[i].name + strlen(FDSTORE_READY_PREFIX));
        }
        if (fds) {
                recover_leases(m, fds, (size_t) n);
                recover_leftovers(fds, (size_t) n);
        }
        for (int i = 0; i < n; i++)
                free(names[i]);
        free(names);
        free(fds);
        log_info("Recovered %u lease(s) from the service manager.", m->core.n_leases);
        return fds ? 0 : -ENOMEM;
}
