/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration test harness: checks that exit, cleanup that runs whatever happens. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"

static const char *test_name = "test";
static pid_t main_pid;
static void (*cleanups[16])(void);
static unsigned n_cleanups;

void test_on_cleanup(void (*fn)(void)) {
        if (n_cleanups >= sizeof(cleanups) / sizeof(cleanups[0]))
                test_fail(__FILE__, __LINE__, "more than %u cleanups", n_cleanups);
        cleanups[n_cleanups++] = fn;
}

static void run_cleanups(void) {
        if (getpid() != main_pid)
                return;         /* a forked child: the daemon and the hugepages are not its own */
        while (n_cleanups > 0)
                cleanups[--n_cleanups]();
}

static void on_signal(int sig) {
        fprintf(stderr, "%s: %s, cleaning up\n", test_name, sig == SIGALRM ? "timed out" : sigdescr_np(sig));
        run_cleanups();
        _exit(1);
}

void test_init(const char *name, unsigned timeout_s) {
        test_name = name;
        main_pid = getpid();
        setvbuf(stdout, NULL, _IOLBF, 0);
        atexit(run_cleanups);
        signal(SIGTERM, on_signal);
        signal(SIGINT, on_signal);
        signal(SIGALRM, on_signal);
        signal(SIGPIPE, SIG_IGN);
        alarm(timeout_s);
}

static _Noreturn void test_exit(int status) {
        fflush(NULL);
        if (getpid() == main_pid)
                exit(status);
        _exit(status);
}

void test_fail(const char *file, int line, const char *format, ...) {
        va_list ap;
        fprintf(stderr, "FAIL %s%s %s:%d: ", test_name, getpid() == main_pid ? "" : " (child)", file, line);
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        fputc('\n', stderr);
        test_exit(1);
}

void test_skip(const char *format, ...) {
        va_list ap;
        printf("SKIP %s: ", test_name);
        va_start(ap, format);
        vprintf(format, ap);
        va_end(ap);
        putchar('\n');
        test_exit(TEST_SKIP);
}

void test_require_root(void) {
        if (geteuid() != 0)
                test_skip("needs root (euid is %u)", (unsigned) geteuid());
}

pid_t test_fork(int (*fn)(void *arg), void *arg) {
        pid_t parent = getpid();
        fflush(NULL);
        pid_t pid = fork();
        check(pid >= 0, "fork: %m");
        if (pid == 0) {
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
                        _exit(127);     /* dies with the test: no child outlives a failure */
                alarm(0);
                signal(SIGTERM, SIG_DFL);
                signal(SIGINT, SIG_DFL);
                _exit(fn(arg));
        }
        return pid;
}

int test_wait(pid_t pid) {
        int status;
        while (waitpid(pid, &status, 0) < 0)
                check(errno == EINTR, "waitpid %d: %m", (int) pid);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

uint64_t test_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

void test_sleep_ms(unsigned ms) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

void test_become(uid_t uid, gid_t gid) {
        check(setgroups(0, NULL) == 0, "setgroups: %m");
        check(setresgid(gid, gid, gid) == 0, "setresgid %u: %m", (unsigned) gid);
        check(setresuid(uid, uid, uid) == 0, "setresuid %u: %m", (unsigned) uid);
}
