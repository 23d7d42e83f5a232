/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal KVM VM for the KVM owner test (kvm-owner-test.c): a
 * KVM_X86_SW_PROTECTED_VM with one memslot whose private memory is a
 * guest-sealed memfd, and one vCPU in flat 32-bit protected mode running
 * small programs from the memslot's shared memory.
 */
#ifndef KVM_VM_H
#define KVM_VM_H

#include <stdint.h>
#include <linux/kvm.h>

#ifndef KVM_X86_DEFAULT_VM
#define KVM_X86_DEFAULT_VM 0
#endif
#ifndef KVM_X86_SW_PROTECTED_VM
#define KVM_X86_SW_PROTECTED_VM 1
#endif
/* Patch 0013: whether a VM may bind a guest-sealed memfd. */
#ifndef KVM_CAP_GUEST_SEALED_MEMFD
#define KVM_CAP_GUEST_SEALED_MEMFD 239
#endif

#define VM_MEM_SIZE	(4ULL << 20)	/* the memslot: gpa [0, 4M) */
#define VM_CODE_GPA	0x1000ULL	/* the programs, in shared memory */
#define VM_PRIV_GPA	(2ULL << 20)	/* private: gpa [2M, 4M) */
#define VM_PRIV_SIZE	(2ULL << 20)
#define VM_TWO_LO	(1ULL << 20)	/* vm_create_split(): private [1M, 4M) */

/* Ports the programs write to (32-bit OUT). */
#define PORT_DONE	0x10	/* fill and verify passed: data 0x600d */
#define PORT_BAD	0x11	/* data: the gpa that read back wrong */
#define PORT_PASS	0x12	/* loop: data is the number of passes */
#define DONE_MAGIC	0x600d

struct vm {
	int kvm, fd, vcpu;
	struct kvm_run *run;
	int run_size;
	unsigned char *shared;	/* the memslot's shared memory */
	unsigned char *shared_map;
	size_t shared_map_size;
};

enum program { PROG_FILL, PROG_LOOP, PROG_CHECK };

/* Creates the VM and binds memfd [0, size) as the private memory of a
 * memslot at gpa 0 (size: VM_MEM_SIZE for the programs); -errno of the
 * first step that failed, *what names it. */
int vm_create(struct vm *vm, int memfd, uint64_t size, const char **what);
/* The same with two memslots on the one memfd, crosswise: slot 0 is gpa
 * [0, size/2) on memfd [size/2, size), slot 1 gpa [size/2, size) on memfd
 * [0, size/2). */
int vm_create_split(struct vm *vm, int memfd, uint64_t size, const char **what);
/* (Re)sets memslot @slot: gpa [gpa, gpa + size) on memfd [offset, ...);
 * size 0 deletes it. */
int vm_set_slot(struct vm *vm, int slot, uint64_t gpa, uint64_t size, int memfd,
		uint64_t offset);
/* Maps gpa [0, size) ahead of any access (KVM_PRE_FAULT_MEMORY). */
int vm_prefault(struct vm *vm, uint64_t size);
/* Makes [gpa, gpa + size) private, or shared again. */
int vm_set_private(struct vm *vm, uint64_t gpa, uint64_t size);
int vm_set_shared(struct vm *vm, uint64_t gpa, uint64_t size);
/* Points the vCPU at a program: it writes and reads back a pattern in every
 * page of the private range (PROG_FILL once, PROG_LOOP forever), or only
 * reads PROG_FILL's pattern back (PROG_CHECK). */
int vm_start(struct vm *vm, enum program prog, uint32_t seed);
/* The same on pages [gpa, gpa + pages * 4K) instead of the private range. */
int vm_start_range(struct vm *vm, enum program prog, uint64_t gpa, uint64_t pages,
		   uint32_t seed);
/* KVM_RUN once: >= 0 the exit reason, or -errno (the exit is in vm->run). */
int vm_run(struct vm *vm);
/* The data of a 32-bit KVM_EXIT_IO out to port, or -1 for another exit. */
int64_t vm_io_out(const struct vm *vm, unsigned int port);
/* A VM statistic (e.g. "pages_2m"), or -errno. */
int64_t vm_stat(const struct vm *vm, const char *name);
/* Closes everything: the VM goes once its last file is gone. */
void vm_destroy(struct vm *vm);

#endif
