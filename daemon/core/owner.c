/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Lease owners: a process held by its pidfd, or the connection that acquired the lease.
 * A pidfd names one process for good: it cannot be confused with a later process that reuses
 * the pid, and it turns readable when the process has exited. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>

#include "core/owner.h"
#include "util/macro.h"

const char *owner_kind_to_string(OwnerKind k) {
        return schema_enum_to_string(schema_owner_kinds, k);
}

int owner_kind_from_string(const char *s) {
        return schema_enum_from_string(schema_owner_kinds, s);
}

static void read_comm(pid_t pid, char comm[static 16]) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/comm", (int) pid);
        FILE *f = fopen(path, "re");
        comm[0] = 0;
        if (!f)
                return;
        if (fgets(comm, 16, f))
                comm[strcspn(comm, "\n")] = 0;
        fclose(f);
}

uint64_t process_start_time(pid_t pid) {
        char path[64], buf[1024];
        unsigned long long t = 0;

        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = 0;
        const char *p = strrchr(buf, ')');  /* the command name may hold anything but ends with ')' */
        /* after ')': state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
         * cutime cstime priority nice threads itrealvalue starttime */
        if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
                         &t) != 1)
                return 0;
        return t;
}

/* Reads "Key:\t<number>" from a /proc file; the first number after the key. */
static int proc_read_number(const char *path, const char *key, long *ret) {
        char line[256];
        size_t klen = strlen(key);
        FILE *f = fopen(path, "re");
        int r = -ENOENT;

        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f))
                if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
                        r = sscanf(line + klen + 1, "%ld", ret) == 1 ? 0 : -EINVAL;
                        break;
                }
        fclose(f);
        return r;
}

static int pidfd_get_pid(int pidfd, pid_t *ret) {
        char path[64];
        long pid;

        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
        int r = proc_read_number(path, "Pid", &pid);
        if (r < 0)
                return -EBADF;  /* no Pid: line: not a pidfd */
        if (pid <= 0)
                return -ESRCH;  /* -1: exited; 0: in another pid namespace */
        *ret = (pid_t) pid;
        return 0;
}

static int owner_set_process(Owner *ret, int pidfd) {
        pid_t pid;
        if (pidfd < 0)
                return -errno;
        int r = pidfd_get_pid(pidfd, &pid);
        if (r < 0) {
                safe_close(pidfd);
                return r;
        }
        *ret = (Owner) { .kind = OWNER_PROCESS, .pidfd = pidfd, .pid = pid, .start_time = process_start_time(pid) };
        read_comm(pid, ret->comm);
        return 0;
}

/* What we know of a connection's peer process, read once per connection. */
typedef struct PeerInfo {
        char comm[16];
        uint64_t start_time;
} PeerInfo;

static const PeerInfo *connection_peer_info(VarlinkConnection *conn) {
        static const PeerInfo none = {};
        PeerInfo *i = varlink_connection_get_userdata(conn);
        if (!i && (i = calloc(1, sizeof(PeerInfo)))) {
                pid_t pid = varlink_connection_peer(conn)->pid;
                read_comm(pid, i->comm);
                i->start_time = process_start_time(pid);
                varlink_connection_set_userdata(conn, i);
        }
        return i ?: &none;
}

void owner_forget_connection(VarlinkConnection *conn) {
        free(varlink_connection_get_userdata(conn));
        varlink_connection_set_userdata(conn, NULL);
}

/* The peer process. Its pid is SO_PEERCRED's: the pidfd (SO_PEERPIDFD) names that very process. */
int owner_from_peer(Owner *ret, VarlinkConnection *conn) {
        int peer = varlink_connection_peer_pidfd(conn);
        pid_t pid = varlink_connection_peer(conn)->pid;
        int fd;

        if (peer < 0)  /* a kernel without SO_PEERPIDFD: the pid may have been reused since connect() */
                return owner_set_process(ret, pidfd_open(pid, 0));
        fd = fcntl(peer, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        const PeerInfo *info = connection_peer_info(conn);
        *ret = (Owner) { .kind = OWNER_PROCESS, .pidfd = fd, .pid = pid, .start_time = info->start_time };
        snprintf(ret->comm, sizeof(ret->comm), "%s", info->comm);
        return 0;
}

int owner_from_pidfd(Owner *ret, int pidfd, uid_t caller_uid) {
        char path[64];
        long uid;
        Owner o;
        int r = owner_set_process(&o, pidfd);
        if (r < 0)
                return r;

        snprintf(path, sizeof(path), "/proc/%d/status", (int) o.pid);
        r = proc_read_number(path, "Uid", &uid);
        /* The pidfd still names a live process (its fdinfo says -1 once it has exited), so the
         * uid read above was that process's and not a later one's with the same pid. */
        pid_t again;
        if (r >= 0 && (pidfd_get_pid(o.pidfd, &again) < 0 || again != o.pid))
                r = -ESRCH;
        if (r >= 0 && caller_uid != 0 && (uid_t) uid != caller_uid)
                r = -EPERM;
        if (r < 0) {
                owner_done(&o);
                return r == -ENOENT ? -ESRCH : r;
        }
        *ret = o;
        return 0;
}

int owner_from_stored_pidfd(Owner *ret, int pidfd) {
        return owner_set_process(ret, pidfd);
}

void owner_refresh_command(Owner *o) {
        if (o->kind == OWNER_PROCESS && o->pid > 0)  /* the caller knows it still runs */
                read_comm(o->pid, o->comm);
}

void owner_from_connection(Owner *ret, VarlinkConnection *conn) {
        *ret = (Owner) { .kind = OWNER_CONNECTION, .pidfd = -1, .conn = conn,
                         .pid = varlink_connection_peer(conn)->pid };
        snprintf(ret->comm, sizeof(ret->comm), "%s", connection_peer_info(conn)->comm);
}

int owner_from_domain(Owner *ret, const char *uuid, const char *name) {
        char *n = strdup(strempty(name));
        if (!n)
                return -ENOMEM;
        *ret = (Owner) { .kind = OWNER_DOMAIN, .pidfd = -1, .domain_name = n };
        snprintf(ret->domain_uuid, sizeof(ret->domain_uuid), "%s", uuid);
        return 0;
}

void owner_done(Owner *o) {
        o->pidfd = safe_close(o->pidfd);
        o->conn = NULL;
        free(o->domain_name);
        o->domain_name = NULL;
}
