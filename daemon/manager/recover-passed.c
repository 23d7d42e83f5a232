/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fds the service manager hands back, told apart: short names ("l1f", fdstore.h) and the legacy
 * ones ("lease.ID", "ready.POOL.ID", "owner.ID"); a memfd's pool and id read from its own name,
 * /memfd:privmemd:POOL:ID. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "manager/recover-passed.h"
#include "store/fdstore.h"
#include "util/log.h"
#include "util/macro.h"

static bool has_prefix(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "/memfd:privmemd:POOL:ID (deleted)": the pool and id privmemd named the memfd with. */
static int memfd_identity(PassedFd *f) {
        char path[64], target[300];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", f->fd);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = 0;
        if (!has_prefix(target, "/memfd:privmemd:"))
                return -EBADF;
        char *pool = target + strlen("/memfd:privmemd:"), *colon = strchr(pool, ':');
        if (!colon || strspn(colon + 1, "0123456789abcdef") != MEMFD_ID_LEN)
                return -EBADF;
        memcpy(f->id, colon + 1, MEMFD_ID_LEN);
        f->id[MEMFD_ID_LEN] = 0;
        f->pool = strndup(pool, (size_t) (colon - pool));
        return f->pool ? 0 : -ENOMEM;
}

static char legacy_kind(const char *name) {
        return has_prefix(name, FDSTORE_LEGACY_READY_PREFIX) ? FDSTORE_KIND_READY
                : has_prefix(name, FDSTORE_LEGACY_LEASE_PREFIX) ? FDSTORE_KIND_LEASE
                : has_prefix(name, FDSTORE_LEGACY_OWNER_PREFIX) ? FDSTORE_KIND_OWNER : 0;
}

static void classify(PassedFd *f) {
        char kind = 0;
        int r;

        if (sd_is_socket_unix(f->fd, SOCK_STREAM, 1, NULL, 0) > 0) {
                f->kind = 's';
                return;
        }
        r = fdstore_claim_name(f->name, &kind, &f->slot);
        if (r == -EEXIST) {  /* a second fd under one name: the first is the one */
                log_warning("Stored fd %s came back twice; closing the second.", f->name);
                f->fd = safe_close(f->fd);
                return;
        }
        if (r < 0)
                kind = legacy_kind(f->name);
        if ((kind == FDSTORE_KIND_READY || kind == FDSTORE_KIND_LEASE) && memfd_identity(f) < 0)
                kind = 0;
        f->kind = kind;
}

void passed_fds_classify(PassedFd *fds, size_t n) {
        for (size_t i = 0; i < n; i++)
                classify(&fds[i]);
}

static int cmp_lease(const void *a, const void *b) {
        return strcmp((*(PassedFd *const *) a)->id, (*(PassedFd *const *) b)->id);
}

PassedFd **passed_fds_index_leases(PassedFd *fds, size_t n, size_t *ret_n) {
        PassedFd **index = calloc(n ?: 1, sizeof(PassedFd *));
        size_t k = 0;

        for (size_t i = 0; index && i < n; i++)
                if (fds[i].fd >= 0 && fds[i].kind == FDSTORE_KIND_LEASE)
                        index[k++] = &fds[i];
        if (index)
                qsort(index, k, sizeof(PassedFd *), cmp_lease);
        *ret_n = k;
        return index;
}

PassedFd *passed_fds_find_lease(PassedFd **index, size_t n, const char *id) {
        PassedFd key = {}, *kp = &key;
        snprintf(key.id, sizeof(key.id), "%s", id);
        PassedFd **hit = index ? bsearch(&kp, index, n, sizeof(PassedFd *), cmp_lease) : NULL;
        /* Copies of one memfd under two names: the first that is still open. */
        while (hit && hit > index && cmp_lease(hit - 1, &kp) == 0)
                hit--;
        for (; hit && hit < index + n && cmp_lease(hit, &kp) == 0; hit++)
                if ((*hit)->fd >= 0)
                        return *hit;
        return NULL;
}

void passed_fd_keep(PassedFd *f, int fd, unsigned *slot) {
        if (f->slot != 0) {
                *slot = f->slot;
                return;
        }
        (void) fdstore_remove_name(f->name);
        int r = fdstore_push_slot(fd, f->kind, slot);
        if (r < 0)
                log_warning_errno(r, "Cannot store %s again under a short name; it does not survive the next restart: %m",
                                  f->name);
}

void passed_fd_drop(PassedFd *f) {
        if (f->slot != 0)
                (void) fdstore_remove_slot(f->name[0], &f->slot);
        else
                (void) fdstore_remove_name(f->name);
        f->fd = safe_close(f->fd);
}

void passed_fds_free(PassedFd *fds, size_t n) {
        for (size_t i = 0; fds && i < n; i++)
                free(fds[i].pool);
        free(fds);
}
