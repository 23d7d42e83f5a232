// SPDX-License-Identifier: GPL-2.0
/* The KVM owner test's memfds when it runs without privmemd: its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "kvm-lease.h"

#ifndef F_SEAL_GUEST
#define F_SEAL_GUEST 0x0040
#endif
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26)
#endif

int lease_setup(int argc, char **argv)
{
	if (argc == 1)
		return 0;
	fprintf(stderr, "usage: %s (this build has no privmemd mode)\n", argv[0]);
	return -1;
}

int lease_get(struct lease *l, int huge)
{
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;

	memset(l, 0, sizeof(*l));
	l->size = LEASE_SIZE;
	l->huge = huge;
	l->kind = "memfd";
	snprintf(l->name, sizeof(l->name), "%s memfd", huge ? "hugetlb 2M" : "shmem");
	l->fd = memfd_create("kvm-owner-test", flags | (huge ? MFD_HUGETLB | MFD_HUGE_2MB : 0));
	if (l->fd < 0) {
		fail("%s: memfd_create: %s", l->name, strerror(errno));
		return -1;
	}
	if (fcntl(l->fd, F_ADD_SEALS, F_SEAL_GUEST) < 0) {
		fail("%s: F_ADD_SEALS F_SEAL_GUEST: %s", l->name, strerror(errno));
		goto err;
	}
	if (ftruncate(l->fd, l->size) < 0 || fallocate(l->fd, 0, 0, l->size) < 0) {
		fail("%s: ftruncate or fallocate %llu bytes: %s", l->name,
		     (unsigned long long)l->size, strerror(errno));
		goto err;
	}
	return 0;
err:
	close(l->fd);
	l->fd = -1;
	return -1;
}

int lease_revoke(struct lease *l)
{
	if (fallocate(l->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, l->size) < 0) {
		fail("%s: punch: %s", l->name, strerror(errno));
		return -1;
	}
	return 0;
}

void lease_put(struct lease *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
}
