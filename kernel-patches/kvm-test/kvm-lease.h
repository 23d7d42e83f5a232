/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where the KVM owner test gets its guest-sealed memfds: memfds of its own
 * (kvm-lease-memfd.c) or leases of privmemd (kvm-lease-privmemd.c).
 */
#ifndef KVM_LEASE_H
#define KVM_LEASE_H

#include <stdint.h>
#include <stdio.h>

extern int failed;
double now(void);

#define ok(...) do { printf("ok: " __VA_ARGS__); putchar('\n'); fflush(stdout); } while (0)
#define fail(...) do { printf("FAIL: " __VA_ARGS__); putchar('\n'); fflush(stdout); \
		       failed = 1; } while (0)

#define LEASE_SIZE	(4ULL << 20)

struct lease {
	int fd;
	uint64_t size;
	int huge;		/* hugetlbfs 2M pages, else shmem */
	const char *kind;	/* "memfd" or "lease" */
	char name[160];
	void *priv;
};

/* kvm-bench.c: the --bench mode. */
int kvm_bench(uint64_t mib);

/* Parses the command line; -1 and a message on bad usage. */
int lease_setup(int argc, char **argv);
/* A populated guest-sealed memfd of LEASE_SIZE bytes; -1 (FAIL printed). */
int lease_get(struct lease *l, int huge);
/* Takes all its memory back (a hole punch); returns once it is gone. */
int lease_revoke(struct lease *l);
void lease_put(struct lease *l);

#endif
