/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* 2 MiB transparent-huge-page shmem memfds: populating them in a privmemd-populate process, and
 * whether the host's THP settings give huge folios at all.
 *
 * Why a process: with shmem_enabled=advise only a mapping with MADV_HUGEPAGE gets huge folios, so
 * the memfd must be mapped; MADV_POPULATE_WRITE in privmemd's own address space would hold its
 * mmap lock (invariant 4, see memfd-ops.c). posix_spawn() (CLONE_VM|CLONE_VFORK, then exec) copies
 * nothing of privmemd's address space; the helper's mmap lock is its own. About 2.5 ms a spawn on
 * the 2-core test VM, which is why build.c gives these memfds large chunks.
 *
 * A helper that hangs (SIGSTOPped, throttled in reclaim by its cgroup's memory.high) must not keep
 * the worker that waits for it: the wait polls the helper's pidfd with the caller's deadline and
 * cancel fd, and past them SIGKILLs the helper through that pidfd and reaps it. Not covered: a
 * child stopped between its clone and its exec (still named privmemd) keeps posix_spawn() waiting;
 * the build's watchdog (core/build.c) reports that worker stuck and replaces it. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "memfd/memfd-thp.h"
#include "util/macro.h"

#define HELPER_NAME "privmemd-populate"

static char helper_path[4096];
static pthread_once_t helper_once = PTHREAD_ONCE_INIT;

static void helper_path_init(void) {
        const char *env = getenv("PRIVMEMD_POPULATE_HELPER");
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        snprintf(helper_path, sizeof(helper_path), "%s", PRIVMEMD_LIBEXECDIR "/" HELPER_NAME);
        if (env && env[0]) {
                snprintf(helper_path, sizeof(helper_path), "%s", env);
                return;
        }
        if (n <= 0)
                return;
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (!slash || (size_t) (slash - exe) + sizeof(HELPER_NAME) + 1 > sizeof(exe))
                return;
        strcpy(slash + 1, HELPER_NAME);
        if (access(exe, X_OK) == 0)
                snprintf(helper_path, sizeof(helper_path), "%s", exe);
}

const char *memfd_thp_helper_path(void) {
        pthread_once(&helper_once, helper_path_init);
        return helper_path;
}

static int spawn_helper(int fd, int out_fd, uint64_t offset, uint64_t length, int numa_node, bool background,
                        pid_t *ret_pid) {
        char a_offset[32], a_length[32], a_node[16];
        char *argv[] = { (char *) HELPER_NAME, a_offset, a_length, a_node, (char *) (background ? "10" : "0"), NULL };
        char *envp[] = { NULL };
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none;
        int r;

        snprintf(a_offset, sizeof(a_offset), "%" PRIu64, offset);
        snprintf(a_length, sizeof(a_length), "%" PRIu64, length);
        snprintf(a_node, sizeof(a_node), "%d", numa_node);
        sigemptyset(&none);
        posix_spawn_file_actions_init(&fa);
        posix_spawnattr_init(&attr);
        r = posix_spawn_file_actions_adddup2(&fa, fd, 3) ?: posix_spawn_file_actions_adddup2(&fa, out_fd, 1) ?:
            posix_spawnattr_setsigmask(&attr, &none) ?: posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
        if (r == 0)
                r = posix_spawn(ret_pid, memfd_thp_helper_path(), &fa, &attr, argv, envp);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        return -r;
}

/* The helper's stdout, to EOF or size - 1 bytes (it writes one short line). */
static int read_all(int fd, char *buf, size_t size) {
        size_t got = 0;
        while (got < size - 1) {
                ssize_t n = read(fd, buf + got, size - 1 - got);
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return -errno;
                if (n == 0)
                        break;
                got += (size_t) n;
        }
        buf[got] = 0;
        return 0;
}

static int exit_status_to_errno(int status) {
        if (WIFEXITED(status))
                return -WEXITSTATUS(status);
        /* The OOM killer picks the process that faults the memory in. */
        return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? -ENOMEM : -EIO;
}

static int reap_helper(pid_t pid) {
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return -errno;
        return exit_status_to_errno(status);
}

static uint64_t monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000 + (uint64_t) ts.tv_nsec / 1000;
}

/* Until the helper exits, the deadline (0: none) or cancel_fd: 1 when it exited (not reaped yet),
 * -ETIMEDOUT, -ECANCELED. Without a pidfd (valgrind 3.19 knows no pidfd_open), every 10 ms. */
static int helper_poll(pid_t pid, int pidfd, uint64_t deadline, int cancel_fd) {
        for (;;) {
                struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = cancel_fd, .events = POLLIN } };
                siginfo_t si = {};
                int timeout_ms = pidfd < 0 ? 10 : -1;
                if (deadline > 0) {
                        uint64_t now = monotonic_usec();
                        if (now >= deadline)
                                return -ETIMEDOUT;
                        timeout_ms = (int) MIN((deadline - now + 999) / 1000, (uint64_t) (pidfd < 0 ? 10 : INT_MAX));
                }
                if (pidfd < 0 && waitid(P_PID, (id_t) pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
                        return 1;
                int n = poll(p, ELEMENTSOF(p), timeout_ms);  /* a negative fd is skipped */
                if (n < 0 && errno != EINTR)
                        return -errno;
                if (n > 0 && p[0].revents)
                        return 1;
                if (n > 0 && p[1].revents)
                        return -ECANCELED;
        }
}

/* Waits for the helper within limit; past it, SIGKILLs it. Reaps it in every case: the pid is
 * ours until then, so neither the pidfd nor kill() can reach another process. */
static int wait_helper(pid_t pid, const PopulateLimit *limit) {
        uint64_t deadline = limit->timeout_usec > 0 ? monotonic_usec() + limit->timeout_usec : 0;
        _cleanup_close_ int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);
        int r = helper_poll(pid, pidfd, deadline, limit->cancel_fd);

        if (r > 0)
                return reap_helper(pid);
        if (pidfd < 0 || syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) < 0)
                (void) kill(pid, SIGKILL);
        (void) reap_helper(pid);
        return r;
}

int memfd_thp_populate(int fd, uint64_t offset, uint64_t length, int numa_node, bool background,
                       const PopulateLimit *limit, uint64_t *ret_huge) {
        _cleanup_close_ int out_r = -1, out_w = -1, memfd = -1;
        int pipe_fds[2];
        char buf[64];
        pid_t pid;
        int r;

        if (pipe2(pipe_fds, O_CLOEXEC) < 0)
                return -errno;
        out_r = pipe_fds[0];
        /* Above 3: the child's dup2()s to 1 and 3 must not overwrite one another's source. */
        out_w = fcntl(pipe_fds[1], F_DUPFD_CLOEXEC, 4);
        safe_close(pipe_fds[1]);
        memfd = fcntl(fd, F_DUPFD_CLOEXEC, 4);
        if (out_w < 0 || memfd < 0)
                return -errno;
        r = spawn_helper(memfd, out_w, offset, length, numa_node, background, &pid);
        if (r < 0)
                return r;
        out_w = safe_close(out_w);
        /* Its line is in the pipe once it exited: the pipe holds far more than one line. */
        r = wait_helper(pid, limit);
        if (r < 0)
                return r;
        r = read_all(out_r, buf, sizeof(buf));
        if (r < 0)
                return r;
        char *end;
        errno = 0;
        unsigned long long huge = strtoull(buf, &end, 10);
        if (errno || end == buf || *end != '\n' || huge > length)
                return -EBADMSG;
        *ret_huge = huge;
        return 0;
}

/* The [selected] word of a sysfs THP knob. */
static int knob_read(const char *dir, const char *name, char *ret, size_t size) {
        char path[512], line[256];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        char *s = fgets(line, sizeof(line), f);
        fclose(f);
        char *open = s ? strchr(line, '[') : NULL, *close = open ? strchr(open, ']') : NULL;
        if (!close || (size_t) (close - open) > size)
                return -EBADMSG;
        memcpy(ret, open + 1, (size_t) (close - open - 1));
        ret[close - open - 1] = 0;
        return 0;
}

static bool gives_huge(const char *v) {
        return streq(v, "advise") || streq(v, "within_size") || streq(v, "always") || streq(v, "force");
}

int memfd_thp_host_check(const char *dir, char **ret_advice) {
        char global[32], per_size[32] = "inherit";
        int r;

        *ret_advice = NULL;
        r = knob_read(dir, "shmem_enabled", global, sizeof(global));
        if (r == -ENOENT)
                return asprintf(ret_advice, "this kernel has no transparent huge pages for shmem (no %s/shmem_enabled): "
                                "its memfds will be 4 KiB pages", dir) < 0 ? -ENOMEM : 0;
        if (r < 0)
                return r;
        r = knob_read(dir, "hugepages-2048kB/shmem_enabled", per_size, sizeof(per_size));
        if (r < 0 && r != -ENOENT)
                return r;
        const char *effective = streq(per_size, "inherit") ? global : per_size;
        if (streq(global, "deny") || !gives_huge(effective))
                return asprintf(ret_advice, "shmem huge pages are off (%s/hugepages-2048kB/shmem_enabled is [%s], "
                                "shmem_enabled is [%s]): its memfds will be 4 KiB pages. Write 'advise' to "
                                "%s/hugepages-2048kB/shmem_enabled (the privmemd-thp.conf tmpfiles.d example does it at boot)",
                                dir, per_size, global, dir) < 0 ? -ENOMEM : 0;
        if (streq(global, "never") &&
            asprintf(ret_advice, "%s/shmem_enabled is [never]: the kernel will not align VMM mappings of these memfds to "
                     "2 MiB, so a VMM must (QEMU does); 'advise' there makes the kernel do it", dir) < 0)
                return -ENOMEM;
        return 1;
}
