/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* privmemd.conf: values parse as documented, defaults are filled in, and every error names the file,
 * the line and the key. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config-parse.h"
#include "config/config.h"

static void test_sizes(void **state) {
        uint64_t v;
        assert_int_equal(parse_size("4096", &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(parse_size("4K", &v), 0);
        assert_int_equal(v, 4096);
        assert_int_equal(parse_size("2M", &v), 0);
        assert_int_equal(v, 2 << 20);
        assert_int_equal(parse_size("1GiB", &v), 0);
        assert_int_equal(v, 1ULL << 30);
        assert_int_equal(parse_size("3t", &v), 0);
        assert_int_equal(v, 3ULL << 40);
        assert_int_equal(parse_size("", &v), -EINVAL);
        assert_int_equal(parse_size("-1", &v), -EINVAL);
        assert_int_equal(parse_size("12Q", &v), -EINVAL);
        assert_int_equal(parse_size("99999999999T", &v), -ERANGE);
}

static void test_size_targets(void **state) {
        SizeTarget *t = NULL;
        size_t n = 0;
        assert_int_equal(parse_size_targets("64M:2, 1G:1", &t, &n), 0);
        assert_int_equal(n, 2);
        assert_int_equal(t[0].size, 64 << 20);
        assert_int_equal(t[0].target, 2);
        assert_int_equal(t[1].size, 1ULL << 30);
        assert_int_equal(t[1].target, 1);
        free(t);
        assert_int_equal(parse_size_targets("64M", &t, &n), -EINVAL);
        assert_int_equal(parse_size_targets("64M:x", &t, &n), -EINVAL);
}

static void test_booleans_and_ids(void **state) {
        bool b;
        uid_t *u = NULL;
        size_t n;
        bool all;
        assert_int_equal(parse_boolean("Yes", &b), 0);
        assert_true(b);
        assert_int_equal(parse_boolean("off", &b), 0);
        assert_false(b);
        assert_int_equal(parse_boolean("maybe", &b), -EINVAL);
        assert_int_equal(parse_users("root 107,*", &u, &n, &all), 0);
        assert_int_equal(n, 2);
        assert_int_equal(u[0], 0);
        assert_int_equal(u[1], 107);
        assert_true(all);
        free(u);
        assert_int_equal(parse_users("no-such-user-here", &u, &n, &all), -ESRCH);
}

/* Writes text to a file of its own and loads it; returns config_load()'s result. */
static int load(const char *text, Config *ret, char **ret_error) {
        char path[] = "/tmp/privmemd-config-test.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
        close(fd);
        int r = config_load(ret, path, ret_error);
        unlink(path);
        return r;
}

static void test_defaults(void **state) {
        Config c;
        char *error = NULL;
        assert_int_equal(load("[pool a]\nsizes = 64M:2 256M:1\n", &c, &error), 0);
        assert_null(error);
        const PoolConfig *pc = config_find_pool(&c, "a");
        assert_non_null(pc);
        assert_int_equal(pc->backing, BACKING_SHMEM);
        assert_int_equal(pc->page_size, (uint64_t) sysconf(_SC_PAGESIZE));
        assert_int_equal(pc->limit, 2 * (2 * (64 << 20) + (256 << 20)));  /* twice the ready set */
        assert_int_equal(pc->quota_per_uid, pc->limit);
        assert_int_equal(pc->numa_node, -1);
        assert_int_equal(pc->populate_timeout_sec, 0);  /* the core's default, from the chunk size */
        config_done(&c);
        assert_int_equal(load("[pool a]\nsizes = 64M:1\npopulate_timeout = 3600\n", &c, &error), 0);
        assert_int_equal(config_find_pool(&c, "a")->populate_timeout_sec, 3600);
        config_done(&c);
}

/* backing=shmem page_size=2M: transparent huge pages, with huge_fallback= and huge_min=. */
static void test_thp(void **state) {
        Config c;
        char *error = NULL;
        assert_int_equal(load("[pool a]\npage_size = 2M\nsizes = 64M:1\n"
                              "[pool b]\npage_size = 2M\nsizes = 2M:1\nhuge_fallback = refuse\nhuge_min = 75%\n", &c, &error), 0);
        const PoolConfig *a = config_find_pool(&c, "a"), *b = config_find_pool(&c, "b");
        assert_int_equal(a->backing, BACKING_SHMEM);
        assert_int_equal(a->page_size, 2 << 20);
        assert_int_equal(a->huge_fallback, HUGE_FALLBACK_LEND);
        assert_int_equal(a->huge_min, 90);
        assert_int_equal(b->huge_fallback, HUGE_FALLBACK_REFUSE);
        assert_int_equal(b->huge_min, 75);
        config_done(&c);
}

/* [libvirt]: uri= and timeout= in seconds; 0 when unset (libvirt-watch.c takes 5 s then). */
static void test_libvirt(void **state) {
        Config c;
        char *error = NULL;
        assert_int_equal(load("[pool a]\nsizes = 4M:1\n[libvirt]\nuri = qemu:///system\ntimeout = 2\n", &c, &error), 0);
        assert_string_equal(c.libvirt_uri, "qemu:///system");
        assert_int_equal(c.libvirt_timeout_sec, 2);
        config_done(&c);
        assert_int_equal(load("[pool a]\nsizes = 4M:1\n[libvirt]\nuri = qemu:///system\n", &c, &error), 0);
        assert_int_equal(c.libvirt_timeout_sec, 0);
        config_done(&c);
}

/* A bad file fails with an error that names the file, the line and the key. */
static void expect_error(const char *text, const char *line_and_what) {
        Config c;
        char *error = NULL;
        assert_int_equal(load(text, &c, &error), -EINVAL);
        assert_non_null(error);
        if (!strstr(error, line_and_what))
                fail_msg("error '%s' does not say '%s'", error, line_and_what);
        free(error);
}

static void test_errors(void **state) {
        expect_error("[pool a]\nsizes = 64Q:1\n", ":2: [pool a]: key 'sizes': invalid value '64Q:1' (expected SIZE:COUNT");
        expect_error("[pool a]\nsizes = 4M:1\ncolour = blue\n", ":3: [pool a]: unknown key 'colour'");
        expect_error("[pools]\nx = 1\n", ":2: unknown section [pools]");
        expect_error("[pool a b]\nsizes = 4M:1\n", "a pool name is 1-64 of");
        expect_error("[pool a]\nsizes = 3000:1\n", "size 3000 is not a whole number of 4096-byte pages");
        expect_error("[pool a]\nsizes = 4M:4\nlimit = 8M\n", "need 16777216 bytes, over limit 8388608");
        expect_error("[pool a]\nbacking = hugetlb\npage_size = 4K\nsizes = 2M:1\n", "needs page_size 2M or 1G");
        expect_error("[privmemd]\nworkers = 2\n", "no pools configured");
        expect_error("junk\n", ":1: syntax error");
        expect_error("[pool a]\nsizes = 4M:1\n[libvirt]\ntimeout = 0\n",
                     ":4: [libvirt]: key 'timeout': invalid value '0' (expected seconds, 1-600)");
        expect_error("[pool a]\nsizes = 4M:1\n[libvirt]\ntimeout = 601\n", "key 'timeout': invalid value '601'");
        expect_error("[pool a]\nsizes = 4M:1\npopulate_timeout = 0\n",
                     ":3: [pool a]: key 'populate_timeout': invalid value '0' (expected seconds, 1-3600)");
        expect_error("[pool a]\nsizes = 4M:1\npopulate_timeout = 3601\n", "key 'populate_timeout': invalid value '3601'");
        expect_error("[pool a]\nsizes = 4M:1\npopulate_timeout = 5s\n", "key 'populate_timeout': invalid value '5s'");
}

static void test_thp_errors(void **state) {
        expect_error("[pool a]\npage_size = 2M\nsizes = 3M:1\n", "size 3145728 is not a whole number of 2097152-byte pages");
        expect_error("[pool a]\npage_size = 2M\nlimit = 5M\n", "limit 5242880 is not a whole number of 2097152-byte pages");
        expect_error("[pool a]\npage_size = 1G\nsizes = 1G:1\n", "page_size 1073741824 needs backing=hugetlb");
        expect_error("[pool a]\npage_size = 2M\nhuge_fallback = maybe\n",
                     ":3: [pool a]: key 'huge_fallback': invalid value 'maybe' (expected lend, retry or refuse)");
        expect_error("[pool a]\npage_size = 2M\nhuge_min = 0%\n", "key 'huge_min': invalid value '0%' (expected a percentage");
        expect_error("[pool a]\npage_size = 2M\nhuge_min = 101\n", "key 'huge_min': invalid value '101'");
        expect_error("[pool a]\nsizes = 4M:1\nhuge_fallback = retry\n", "huge_fallback= and huge_min= are for backing=shmem page_size=2M");
        expect_error("[pool a]\nbacking = hugetlb\nsizes = 4M:1\nhuge_min = 50\n", "huge_fallback= and huge_min= are for");
        expect_error("[pool a]\npage_size = 2M\nsizes = 4M:1\nseal_guest = yes\n",
                     "seal_guest=yes is not possible with backing=shmem page_size=2M");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sizes),
                cmocka_unit_test(test_size_targets),
                cmocka_unit_test(test_booleans_and_ids),
                cmocka_unit_test(test_defaults),
                cmocka_unit_test(test_libvirt),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_thp),
                cmocka_unit_test(test_thp_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
