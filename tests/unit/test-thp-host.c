/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* memfd_thp_host_check(): whether the THP knobs give 2M shmem pools huge pages, and what it tells
 * the admin, on a fake sysfs directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "memfd/memfd-thp.h"
#include "util/macro.h"

static char dir[] = "/tmp/test-thp-host.XXXXXX";

/* Writes the knobs as the kernel shows them: every value, the selected one in brackets. */
static void knobs(const char *global, const char *per_size) {
        static const char *const all[] = { "always", "inherit", "within_size", "advise", "never", "deny", "force" };
        const char *const names[2] = { "shmem_enabled", "hugepages-2048kB/shmem_enabled" };
        const char *const values[2] = { global, per_size };
        char path[256];

        snprintf(path, sizeof(path), "%s/hugepages-2048kB", dir);
        (void) mkdir(path, 0755);
        for (size_t k = 0; k < 2; k++) {
                snprintf(path, sizeof(path), "%s/%s", dir, names[k]);
                if (!values[k]) {
                        (void) unlink(path);
                        continue;
                }
                FILE *f = fopen(path, "we");
                assert_non_null(f);
                for (size_t i = 0; i < ELEMENTSOF(all); i++)
                        fprintf(f, streq(all[i], values[k]) ? "[%s] " : "%s ", all[i]);
                fputc('\n', f);
                fclose(f);
        }
}

static void expect(const char *global, const char *per_size, int result, const char *advice) {
        char *text = NULL;
        knobs(global, per_size);
        assert_int_equal(memfd_thp_host_check(dir, &text), result);
        if (!advice)
                assert_null(text);
        else if (!text || !strstr(text, advice))
                fail_msg("global [%s] per-size [%s]: '%s' does not say '%s'", global, strempty(per_size), strempty(text), advice);
        free(text);
}

static void test_knobs(void **state) {
        expect("never", "inherit", 0, "Write 'advise' to /tmp/test-thp-host.");
        expect("never", "never", 0, "hugepages-2048kB/shmem_enabled is [never], shmem_enabled is [never]");
        expect("always", "never", 0, "its memfds will be 4 KiB pages");
        expect("deny", "advise", 0, "shmem huge pages are off");
        expect("advise", "inherit", 1, NULL);
        expect("within_size", "inherit", 1, NULL);
        expect("always", "advise", 1, NULL);
        expect("never", "advise", 1, "will not align VMM mappings");
        expect("never", "within_size", 1, "a VMM must (QEMU does)");
        expect("advise", NULL, 1, NULL);  /* a kernel before the per-size knobs */
        expect("never", NULL, 0, "shmem huge pages are off");
}

static void test_no_thp(void **state) {
        char *text = NULL;
        assert_int_equal(memfd_thp_host_check("/nonexistent", &text), 0);
        assert_non_null(strstr(text, "no transparent huge pages for shmem"));
        free(text);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_knobs),
                cmocka_unit_test(test_no_thp),
        };
        if (!mkdtemp(dir))
                return 1;
        int r = cmocka_run_group_tests(tests, NULL, NULL);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd) == 0 ? r : 1;
}
