/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A libvirt domain's QEMU processes, found by the "-uuid UUID" that libvirt's qemu driver always
 * passes. Scanning /proc needs no path of libvirtd's (its pid files may live in another mount
 * namespace) and also finds a QEMU started through a wrapper. A pidfd is taken, then the command
 * line read again, so the pidfd cannot name a later process that reused the pid. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <strings.h>
#include <sys/pidfd.h>

#include "util/macro.h"
#include "virt/libvirt.h"

#define CMDLINE_MAX (256 * 1024)

static bool cmdline_has_uuid(pid_t pid, const char *uuid) {
        char path[64];
        _cleanup_free_ char *buf = malloc(CMDLINE_MAX);
        ssize_t n;

        snprintf(path, sizeof(path), "/proc/%d/cmdline", (int) pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || !buf || (n = read(fd, buf, CMDLINE_MAX - 1)) <= 0)
                return false;
        buf[n] = 0;
        for (const char *a = buf; a < buf + n; a += strlen(a) + 1) {
                const char *next = a + strlen(a) + 1;
                if (streq(a, "-uuid") && next < buf + n && strcasecmp(next, uuid) == 0)
                        return true;
        }
        return false;
}

static bool pid_in(pid_t pid, const pid_t *list, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (list[i] == pid)
                        return true;
        return false;
}

int virt_qemu_find(const char *uuid, const pid_t *skip, size_t n_skip, int *ret_pidfds, pid_t *ret_pids, size_t max) {
        DIR *d = opendir("/proc");
        struct dirent *de;
        size_t n = 0;

        if (!d)
                return -errno;
        while (n < max && (de = readdir(d))) {
                char *end;
                long pid = strtol(de->d_name, &end, 10);
                if (*end || pid <= 1 || pid == getpid() || pid_in((pid_t) pid, skip, n_skip))
                        continue;
                if (!cmdline_has_uuid((pid_t) pid, uuid))
                        continue;
                int fd = pidfd_open((pid_t) pid, 0);
                if (fd < 0)
                        continue;
                if (!cmdline_has_uuid((pid_t) pid, uuid)) {
                        safe_close(fd);
                        continue;
                }
                ret_pidfds[n] = fd;
                ret_pids[n++] = (pid_t) pid;
        }
        closedir(d);
        return (int) n;
}
