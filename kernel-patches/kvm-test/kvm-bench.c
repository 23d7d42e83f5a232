// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_owner_test --bench MIB: what invalidating KVM-mapped memory of a
 * guest-sealed memfd costs.  For a shmem (4K), a hugetlbfs 2M and, if the
 * guest booted with a 1G huge page, a hugetlbfs 1G memfd of MIB MiB (the
 * last of 1 GiB), times a punch of the whole file three ways, each on freshly
 * fallocated pages: no VM; bound to a VM's memslot, nothing mapped; bound
 * and every page mapped by KVM (KVM_PRE_FAULT_MEMORY).  The difference
 * between the first and the last is what KVM's invalidation adds.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "kvm-vm.h"
#include "kvm-lease.h"

#ifndef F_SEAL_GUEST
#define F_SEAL_GUEST 0x0040
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#endif
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB (30U << 26)
#endif

enum backing { SHMEM_4K, HUGETLB_2M, HUGETLB_1G };
static const char *const backing_name[] = { "shmem 4K", "hugetlb 2M", "hugetlb 1G" };
static const unsigned int backing_flags[] = {
	0, MFD_HUGETLB | MFD_HUGE_2MB, MFD_HUGETLB | MFD_HUGE_1GB,
};

static int bench_memfd(enum backing b, uint64_t size)
{
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING | backing_flags[b];
	int fd = memfd_create("kvm-bench", flags);

	if (fd < 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_GUEST) < 0 || ftruncate(fd, size) < 0) {
		fail("bench: a guest-sealed %s memfd: %s", backing_name[b], strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Populates, optionally binds (and maps), then times the punch: seconds. */
static double bench_punch(int fd, uint64_t size, int bind, int map, enum backing b)
{
	const char *what = "";
	double t0, t;
	struct vm vm;
	int r = 0;

	if (fallocate(fd, 0, 0, size) < 0) {
		fail("bench: fallocate %" PRIu64 " bytes: %s", size, strerror(errno));
		return -1;
	}
	memset(&vm, 0, sizeof(vm));
	vm.kvm = vm.fd = vm.vcpu = -1;
	if (bind) {
		r = vm_create(&vm, fd, size, &what);
		if (!r && map) {
			what = "private attributes and KVM_PRE_FAULT_MEMORY";
			t0 = now();
			r = vm_set_private(&vm, 0, size);
			if (!r)
				r = vm_prefault(&vm, size);
			printf("bench: %s: KVM mapped %" PRIu64 " MiB in %.3f s: pages_4k %" PRId64
			       " pages_2m %" PRId64 " pages_1g %" PRId64 "\n", backing_name[b],
			       size >> 20, now() - t0, vm_stat(&vm, "pages_4k"),
			       vm_stat(&vm, "pages_2m"), vm_stat(&vm, "pages_1g"));
		}
	}
	if (r < 0) {
		fail("bench: %s: %s", what, strerror(-r));
		vm_destroy(&vm);
		return -1;
	}
	t0 = now();
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, size) < 0)
		r = -errno;
	t = now() - t0;
	vm_destroy(&vm);
	if (r < 0) {
		fail("bench: punch: %s", strerror(-r));
		return -1;
	}
	return t;
}

/* Sets vm.nr_hugepages (the 2M pool): the previous value, or -1. */
static long set_nr_hugepages(long n)
{
	char buf[32];
	long old = -1;
	int fd = open("/proc/sys/vm/nr_hugepages", O_RDWR);
	ssize_t len;

	if (fd < 0)
		return -1;
	len = read(fd, buf, sizeof(buf) - 1);
	if (len > 0) {
		buf[len] = 0;
		old = strtol(buf, NULL, 10);
		len = snprintf(buf, sizeof(buf), "%ld", n);
		if (pwrite(fd, buf, len, 0) != len)
			old = -1;
	}
	close(fd);
	return old;
}

static void bench_one(enum backing b, uint64_t size)
{
	const char *name = backing_name[b];
	double plain, bound, mapped;
	int fd = bench_memfd(b, size);

	if (fd < 0)
		return;
	plain = bench_punch(fd, size, 0, 0, b);
	bound = bench_punch(fd, size, 1, 0, b);
	mapped = bench_punch(fd, size, 1, 1, b);
	close(fd);
	if (plain <= 0 || bound < 0 || mapped < 0)
		return;
	printf("bench: %s: punch of %" PRIu64 " MiB: no VM %.3f s, bound %.3f s, KVM-mapped %.3f s (x%.2f of no VM; KVM's invalidation %.3f s)\n",
	       name, size >> 20, plain, bound, mapped, mapped / plain, mapped - plain);
}

int kvm_bench(uint64_t mib)
{
	uint64_t size = mib << 20;
	long old;

	bench_one(SHMEM_4K, size);
	old = set_nr_hugepages(0);
	if (old < 0 || set_nr_hugepages(old + (long)(size >> 21)) < 0) {
		fail("bench: cannot reserve %" PRIu64 " huge pages", size >> 21);
		return 1;
	}
	bench_one(HUGETLB_2M, size);
	set_nr_hugepages(old);
	/* 1G pages only come from the kernel command line (hugepagesz=1G) */
	if (access("/sys/kernel/mm/hugepages/hugepages-1048576kB", F_OK) == 0)
		bench_one(HUGETLB_1G, 1ULL << 30);
	else
		printf("bench: hugetlb 1G: no 1G huge pages in this guest\n");
	return failed;
}
