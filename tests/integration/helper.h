/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Integration test harness: checks that exit, a privmemd per test in its own temp dir, cleanup. */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/types.h>

#include "privmem/privmem.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* Exit codes understood by meson. */
#define TEST_SKIP 77

typedef struct TestDaemon {
        pid_t pid;
        char dir[64];
        char socket[128];
        char config[128];
        char log[128];
} TestDaemon;

/* Names the test, arms a watchdog of timeout_s seconds, installs the cleanup. */
void test_init(const char *name, unsigned timeout_s);
_Noreturn void test_fail(const char *file, int line, const char *format, ...) __attribute__((format(printf, 3, 4)));
_Noreturn void test_skip(const char *format, ...) __attribute__((format(printf, 1, 2)));
void test_require_root(void);

#define check(cond, ...)                                                \
        do {                                                            \
                if (!(cond))                                            \
                        test_fail(__FILE__, __LINE__, __VA_ARGS__);     \
        } while (0)

/* r must be >= 0; the failure names the errno and the connection's last error. */
#define check_ok(p, r, what)                                                            \
        do {                                                                            \
                int _r = (r);                                                           \
                if (_r < 0)                                                             \
                        test_fail(__FILE__, __LINE__, "%s: %d (%s) [%s: %s]", (what), _r, \
                                  strerrorname_np(-_r) ?: "?",                          \
                                  privmem_last_error_name(p) ?: "local",                \
                                  privmem_last_error_message(p) ?: "-");                \
        } while (0)

/* r must be exactly the negative errno `expected`. */
#define check_errno(p, r, expected, what)                                               \
        do {                                                                            \
                int _r = (r);                                                           \
                if (_r != (expected))                                                   \
                        test_fail(__FILE__, __LINE__, "%s: got %d (%s), expected %d (%s) [%s: %s]", \
                                  (what), _r, strerrorname_np(-_r) ?: "?", (expected),  \
                                  strerrorname_np(-(expected)) ?: "?",                  \
                                  privmem_last_error_name(p) ?: "local",                \
                                  privmem_last_error_message(p) ?: "-");                \
        } while (0)

/* Starts the freshly built privmemd with config (INI text) on a socket in a new temp dir, and
 * waits until it answers. Stopped by test_daemon_stop() or, whatever happens, at exit. */
TestDaemon *test_daemon_start(const char *config);
/* SIGTERM, then SIGKILL after 5 s; fails the test unless privmemd exited with status 0. */
void test_daemon_stop(TestDaemon *d);
/* Open fds of the daemon, from /proc/PID/fd. */
unsigned test_daemon_count_fds(const TestDaemon *d);
/* Only the fds that point at target ("/dev/null"): not moved by refills, which open memfds. */
unsigned test_daemon_count_fds_to(const TestDaemon *d, const char *target);

privmem *test_connect(const TestDaemon *d);

/* Waits until the pool has every class at its target, nothing building, lent or in between. */
const privmem_pool *test_pool_wait_settled(privmem *p, const char *pool, privmem_pool_list **list, unsigned timeout_ms);

/* Forks; the child runs fn(arg) and _exits with its result. Children never run the cleanup. */
pid_t test_fork(int (*fn)(void *arg), void *arg);
/* Waits for pid; returns its exit status, or 128 + signal. */
int test_wait(pid_t pid);

/* Runs fn at the end of the test, in the main process, also after a failure or a signal. */
void test_on_cleanup(void (*fn)(void));

/* In a forked child: drops every group and becomes uid:gid for good. */
void test_become(uid_t uid, gid_t gid);
#define NOBODY 65534

uint64_t test_now_ms(void);
void test_sleep_ms(unsigned ms);

static inline bool str_eq(const char *a, const char *b) {
        return a && b && __builtin_strcmp(a, b) == 0;
}

static inline bool fcntl_is_open(int fd) {
        return fcntl(fd, F_GETFD) >= 0;
}

/* What a VMM does after it got its memory: runs until killed. */
static inline _Noreturn void test_pause_forever(void) {
        for (;;)
                pause();
}
