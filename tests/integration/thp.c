/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The host's transparent huge pages for shmem, as a test needs them: set, measured, put back. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/mman.h>

#include "helper.h"
#include "thp.h"

#define GLOBAL_KNOB "/sys/kernel/mm/transparent_hugepage/shmem_enabled"
#define HUGE_SIZE (2 * MiB)

static char previous[32];

/* The [selected] word of a knob, or "" when it cannot be read. */
static void knob_read(const char *path, char *buf, size_t size) {
        char line[256] = "";
        FILE *f = fopen(path, "re");
        buf[0] = 0;
        if (!f)
                return;
        if (fgets(line, sizeof(line), f)) {
                char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
                if (close && (size_t) (close - open) <= size) {
                        memcpy(buf, open + 1, (size_t) (close - open - 1));
                        buf[close - open - 1] = 0;
                }
        }
        fclose(f);
}

static int knob_write(const char *value) {
        FILE *f = fopen(THP_KNOB, "we");
        if (!f)
                return -errno;
        fprintf(f, "%s\n", value);
        return fclose(f) == 0 ? 0 : -errno;
}

static void put_back(void) {
        if (previous[0] && knob_write(previous) < 0)
                fprintf(stderr, "could not write '%s' back to %s\n", previous, THP_KNOB);
}

static bool gives_huge(const char *v) {
        return str_eq(v, "advise") || str_eq(v, "within_size") || str_eq(v, "always") || str_eq(v, "force");
}

void thp_require(void) {
        char per_size[32], global[32];
        int lock = open("/run/lock/privmemd-test-thp.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);

        if (lock < 0 || flock(lock, LOCK_EX) < 0)  /* held until exit */
                test_skip("cannot lock /run/lock/privmemd-test-thp.lock: %s", strerror(errno));
        knob_read(THP_KNOB, per_size, sizeof(per_size));
        knob_read(GLOBAL_KNOB, global, sizeof(global));
        if (!per_size[0])
                test_skip("no %s: this kernel has no per-size shmem THP (6.11+) or no THP at all", THP_KNOB);
        memcpy(previous, per_size, sizeof(previous));
        test_on_cleanup(put_back);
        if (str_eq(global, "deny"))
                test_skip("%s is [deny]: shmem THP is forced off on this host", GLOBAL_KNOB);
        if (gives_huge(str_eq(per_size, "inherit") ? global : per_size))
                return;
        if (geteuid() != 0)
                test_skip("shmem THP is off (%s [%s]) and setting it needs root", THP_KNOB, per_size);
        thp_set("advise");
}

void thp_set(const char *value) {
        int r = knob_write(value);
        check(r >= 0, "writing %s to %s: %s", value, THP_KNOB, strerror(-r));
}

static uint64_t smaps_pmd_mapped(const void *addr) {
        FILE *f = fopen("/proc/self/smaps", "re");
        char line[512];
        bool in = false;
        unsigned long long kb = 0;

        check(f, "open /proc/self/smaps: %s", strerror(errno));
        while (fgets(line, sizeof(line), f)) {
                unsigned long start, end;
                char *dash = strchr(line, '-'), *space = strchr(line, ' ');
                if (dash && space && dash < space && sscanf(line, "%lx-%lx", &start, &end) == 2)
                        in = start == (unsigned long) addr;
                else if (in && sscanf(line, "ShmemPmdMapped: %llu kB", &kb) == 1)
                        break;
        }
        fclose(f);
        return kb * 1024;
}

uint64_t thp_touch_pmd_mapped(int fd, uint64_t size) {
        uint8_t *r = mmap(NULL, size + HUGE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        check(r != MAP_FAILED, "reserve %llu bytes: %s", (unsigned long long) size, strerror(errno));
        uint8_t *a = (uint8_t *) (((uintptr_t) r + HUGE_SIZE - 1) & ~(uintptr_t) (HUGE_SIZE - 1));
        uint8_t *m = mmap(a, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0);
        check(m != MAP_FAILED, "mmap the memfd: %s", strerror(errno));
        for (uint64_t o = 0; o < size; o += 4096)
                m[o] = 1;
        uint64_t pmd = smaps_pmd_mapped(m);
        munmap(r, size + HUGE_SIZE);
        return pmd;
}
