/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reserving hugepages for a test, and giving back exactly what it took, whatever happens. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "helper.h"
#include "hugepages.h"

static struct { uint64_t page_size; unsigned taken; } reserved[2];

static void sysfs_path(char *buf, size_t n, uint64_t page_size, const char *file) {
        snprintf(buf, n, "/sys/kernel/mm/hugepages/hugepages-%llukB/%s", (unsigned long long) page_size / 1024, file);
}

static long read_count(uint64_t page_size, const char *file) {
        char path[128];
        long v = -1;
        sysfs_path(path, sizeof(path), page_size, file);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        if (fscanf(f, "%ld", &v) != 1)
                v = -1;
        fclose(f);
        return v;
}

static int write_count(uint64_t page_size, long v) {
        char path[128];
        sysfs_path(path, sizeof(path), page_size, "nr_hugepages");
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "%ld\n", v);
        return fclose(f) == 0 ? 0 : -errno;
}

/* Held across each read-modify-write of nr_hugepages by every test and benchmark of ours (the QEMU
 * tests' harness.py and bench/bench-util.c take the same lock): interleaved, two of them could
 * leave pages reserved for nobody. */
static int lock_hugepages(void) {
        int fd = open("/run/lock/privmemd-test-hugepages.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
                (void) flock(fd, LOCK_EX);
        return fd;
}

static void unlock_hugepages(int fd) {
        if (fd >= 0)
                close(fd);  /* drops the lock */
}

/* Gives back what was taken of one size: the current count less that, not the count from before,
 * so that what others reserved meanwhile stays. */
static void give_back(unsigned i) {
        if (reserved[i].taken == 0)
                return;
        int lock = lock_hugepages();
        long now = read_count(reserved[i].page_size, "nr_hugepages");
        int r = now < 0 ? -EIO : write_count(reserved[i].page_size, now - reserved[i].taken);
        unlock_hugepages(lock);
        if (r < 0)
                fprintf(stderr, "could not give back %u hugepages of %llu bytes\n", reserved[i].taken,
                        (unsigned long long) reserved[i].page_size);
        reserved[i].taken = 0;
}

static void give_back_all(void) {
        for (unsigned i = 0; i < 2; i++)
                give_back(i);
}

unsigned hugepages_free(uint64_t page_size) {
        long v = read_count(page_size, "free_hugepages");
        return v < 0 ? 0 : (unsigned) v;
}

int hugepages_reserve(uint64_t page_size, unsigned n) {
        static bool registered;
        unsigned i = page_size == GiB;

        if (!registered)
                test_on_cleanup(give_back_all);
        registered = true;
        int lock = lock_hugepages();
        long before = read_count(page_size, "nr_hugepages");
        if (before < 0) {
                unlock_hugepages(lock);
                return -EOPNOTSUPP;
        }
        reserved[i].page_size = page_size;
        int r = write_count(page_size, before + n);
        long after = read_count(page_size, "nr_hugepages");
        unlock_hugepages(lock);
        if (after > before)
                reserved[i].taken += (unsigned) (after - before);
        if (r < 0 || after < before + (long) n) {
                give_back(i);
                return -ENOMEM;
        }
        return 0;
}
