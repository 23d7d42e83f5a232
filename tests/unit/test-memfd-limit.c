/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memfd_ops_populate()'s PopulateLimit: an in-thread populate stops between two system calls at
 * its deadline or when its cancel fd turns readable; a 2M shmem populate's helper that hangs (here
 * one that stops itself with SIGSTOP, as a test or an operator may stop it) is SIGKILLed and reaped. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "memfd/memfd-ops.h"
#include "memfd/memfd-thp.h"
#include "util/macro.h"

#define MiB (1024ULL * 1024)

static const MemfdSpec shmem_4k = { .backing = BACKING_SHMEM, .page_size = 4096, .numa_node = -1 };
static const MemfdSpec shmem_2m = { .backing = BACKING_SHMEM, .page_size = 2 * MiB, .numa_node = -1 };

static int memfd_of(uint64_t size) {
        int fd = -1;
        assert_int_equal(memfd_ops_create(&shmem_4k, "test", "0123456789abcdef", size, &fd), 0);
        return fd;
}

static uint64_t allocated(int fd) {
        uint64_t a;
        assert_int_equal(memfd_ops_allocated(fd, &a), 0);
        return a;
}

static int cancelled_fd(void) {
        int fd = eventfd(1, EFD_CLOEXEC);
        assert_true(fd >= 0);
        return fd;
}

/* No child of this process is left, running or unreaped. */
static void assert_no_children(void) {
        assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
        assert_int_equal(errno, ECHILD);
}

static void test_in_thread(void **state) {
        _cleanup_close_ int fd = memfd_of(64 * MiB), cancel = cancelled_fd();
        PopulateLimit none = POPULATE_LIMIT_NONE;
        PopulateLimit soon = { .timeout_usec = 1, .cancel_fd = -1 };
        PopulateLimit stop = { .cancel_fd = cancel };
        uint64_t huge;

        /* 1 µs: past at the latest after the first 1 MiB write, long before the 64th. */
        assert_int_equal(memfd_ops_populate(&shmem_4k, &soon, fd, 0, 64 * MiB, &huge), -ETIMEDOUT);
        assert_true(allocated(fd) < 64 * MiB);
        assert_int_equal(memfd_ops_populate(&shmem_4k, &stop, fd, 0, 64 * MiB, &huge), -ECANCELED);
        assert_int_equal(memfd_ops_populate(&shmem_4k, &none, fd, 0, 64 * MiB, &huge), 0);
        assert_int_equal(allocated(fd), 64 * MiB);
}

static char helper_dir[] = "/tmp/privmemd-test-helper.XXXXXX";
static char helper_path[sizeof(helper_dir) + 16];

/* A privmemd-populate that stops itself at once and would never print its line. */
static int setup_stopping_helper(void **state) {
        assert_non_null(mkdtemp(helper_dir));
        snprintf(helper_path, sizeof(helper_path), "%s/stops", helper_dir);
        FILE *f = fopen(helper_path, "we");
        assert_non_null(f);
        fputs("#!/bin/sh\nkill -STOP $$\necho 0\n", f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(chmod(helper_path, 0755), 0);
        assert_int_equal(setenv("PRIVMEMD_POPULATE_HELPER", helper_path, 1), 0);
        assert_string_equal(memfd_thp_helper_path(), helper_path);
        return 0;
}

static int teardown_stopping_helper(void **state) {
        unlink(helper_path);
        rmdir(helper_dir);
        return 0;
}

static void test_helper_stopped(void **state) {
        _cleanup_close_ int fd = memfd_of(4 * MiB);
        PopulateLimit soon = { .timeout_usec = 200 * 1000, .cancel_fd = -1 };
        uint64_t huge = 7;

        assert_int_equal(memfd_ops_populate(&shmem_2m, &soon, fd, 0, 4 * MiB, &huge), -ETIMEDOUT);
        assert_int_equal(huge, 7);  /* untouched on failure */
        assert_no_children();       /* killed through its pidfd and reaped */
}

static void test_helper_cancelled(void **state) {
        _cleanup_close_ int fd = memfd_of(4 * MiB), cancel = cancelled_fd();
        PopulateLimit stop = { .timeout_usec = 3600ULL * 1000 * 1000, .cancel_fd = cancel };
        uint64_t huge;

        assert_int_equal(memfd_ops_populate(&shmem_2m, &stop, fd, 0, 4 * MiB, &huge), -ECANCELED);
        assert_no_children();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_in_thread),
                cmocka_unit_test(test_helper_stopped),
                cmocka_unit_test(test_helper_cancelled),
        };
        return cmocka_run_group_tests(tests, setup_stopping_helper, teardown_stopping_helper);
}
