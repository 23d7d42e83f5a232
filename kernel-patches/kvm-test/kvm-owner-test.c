// SPDX-License-Identifier: GPL-2.0
/*
 * KVM as the owner of a guest-sealed memfd (patches 0010-0013): a real
 * KVM_X86_SW_PROTECTED_VM whose private memory is a guest-sealed memfd.
 *
 *   kvm-owner-test                  memfds of its own (shmem, hugetlbfs 2M)
 *   kvm-owner-test --privmemd SHMEM_POOL HUGETLB_POOL PRIVMEMCTL
 *                                   leases of privmemd's seal_guest pools,
 *                                   revoked with "PRIVMEMCTL release ID"
 *                                   (built with -DWITH_PRIVMEM)
 *   kvm-owner-test --bench MIB      what invalidating MIB MiB of KVM-mapped
 *                                   memory costs (kvm-bench.c)
 *
 * For each backing: the host cannot mmap, read or write the memfd; a vCPU
 * writes and reads back a pattern in every page of its private memory (the
 * host's shared view stays untouched) at the level of the backing (4K or
 * 2M, from the VM's pages_* statistics); converted to shared and back to
 * private, the guest sees the shared memory, then its pattern again; while
 * KVM owns the memfd no other owner can register, nor another VM bind it.  (a) The VM is destroyed first: its registration is
 * gone (a test owner can take the memfd) and the revocation reaches that
 * owner only.  (b) The memory is revoked while the vCPU runs over it: the
 * vCPU's next access exits with KVM_EXIT_MEMORY_FAULT for a private gpa.
 * Two memslots on one memfd: a revocation zaps both, and the VM owns the
 * memfd until the last of them is deleted.  First of all, KVM must say it
 * takes guest-sealed memfds: KVM_CAP_GUEST_SEALED_MEMFD 1 on a
 * software-protected VM, 0 on a default VM.
 * Prints ok:/FAIL: lines; exits 1 on any failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/falloc.h>

#include "kvm-vm.h"
#include "kvm-lease.h"
#include "test_memfd_guest_uapi.h"

int failed;

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void check_sealed(struct lease *l)
{
	int mapped, rd, wr;
	char buf[8] = "";

	mapped = mmap(NULL, l->size, PROT_READ, MAP_SHARED, l->fd, 0) != MAP_FAILED || errno != EPERM;
	rd = pread(l->fd, buf, sizeof(buf), 0) >= 0 || errno != EPERM;
	wr = pwrite(l->fd, buf, sizeof(buf), 0) >= 0 || errno != EPERM;
	if (mapped || rd || wr)
		fail("%s: the host could %s%s%sthe memfd (want EPERM)", l->name,
		     mapped ? "mmap " : "", rd ? "read " : "", wr ? "write " : "");
	else
		ok("%s: the host cannot mmap, read or write the memfd (EPERM)", l->name);
}

static int vm_up(struct vm *vm, struct lease *l)
{
	const char *what;
	int r = vm_create(vm, l->fd, VM_MEM_SIZE, &what);

	if (r < 0) {
		fail("%s: %s: %s", l->name, what, strerror(-r));
		return r;
	}
	r = vm_set_private(vm, VM_PRIV_GPA, VM_PRIV_SIZE);
	if (r < 0)
		fail("%s: KVM_SET_MEMORY_ATTRIBUTES private: %s", l->name, strerror(-r));
	return r;
}

/* A test owner (lib/test_memfd_guest.c) trying to register: EBUSY while KVM
 * owns the memfd.  -1 if the kernel has no test owner. */
static int test_owner_register(int *owner, int memfd)
{
	*owner = open("/dev/memfd_guest_test", O_RDWR | O_CLOEXEC);
	if (*owner < 0)
		return -1;
	return ioctl(*owner, MEMFD_GUEST_TEST_REGISTER, memfd) < 0 ? -errno : 0;
}

static int run_fill(struct vm *vm, struct lease *l)
{
	int64_t v;
	int r;

	if (vm_start(vm, PROG_FILL, 0x5a000000) < 0)
		return -1;
	alarm(60);	/* a vCPU that makes no exit: KVM_RUN gets EINTR */
	r = vm_run(vm);
	alarm(0);
	if (r == -EINTR) {
		struct kvm_regs regs;

		ioctl(vm->vcpu, KVM_GET_REGS, &regs);
		fail("%s: the guest made no exit in 60 s: rip %#llx edi %#llx ebx %#llx", l->name,
		     regs.rip, regs.rdi, regs.rbx);
		printf("vcpu: exits %ld pf_taken %ld pf_fixed %ld pf_emulate %ld pf_spurious %ld pf_fast %ld pf_mmio_spte_created %ld io_exits %ld; vm: pages_4k %ld\n",
		       (long)vm_stat(vm, "vcpu:exits"), (long)vm_stat(vm, "vcpu:pf_taken"),
		       (long)vm_stat(vm, "vcpu:pf_fixed"), (long)vm_stat(vm, "vcpu:pf_emulate"),
		       (long)vm_stat(vm, "vcpu:pf_spurious"), (long)vm_stat(vm, "vcpu:pf_fast"),
		       (long)vm_stat(vm, "vcpu:pf_mmio_spte_created"), (long)vm_stat(vm, "vcpu:io_exits"),
		       (long)vm_stat(vm, "pages_4k"));
		return -1;
	}
	v = vm_io_out(vm, PORT_DONE);
	if (r < 0 || v != DONE_MAGIC) {
		fail("%s: the guest did not fill its private memory: KVM_RUN %s, exit %u, bad gpa %#" PRIx64,
		     l->name, r < 0 ? strerror(-r) : "ok", vm->run->exit_reason,
		     (uint64_t)vm_io_out(vm, PORT_BAD));
		return -1;
	}
	r = vm_run(vm);
	if (r != KVM_EXIT_HLT) {
		fail("%s: the guest did not halt after its fill: %d", l->name, r);
		return -1;
	}
	for (uint64_t i = 0; i < VM_PRIV_SIZE; i++) {
		if (vm->shared[VM_PRIV_GPA + i]) {
			fail("%s: the guest's private writes reached the shared memory", l->name);
			return -1;
		}
	}
	return 0;
}

/* Runs PROG_CHECK: the data of its PORT_DONE or PORT_BAD exit, or -1. */
static int64_t run_check(struct vm *vm, int64_t *bad)
{
	int r;

	*bad = -1;
	if (vm_start(vm, PROG_CHECK, 0x5a000000) < 0)
		return -1;
	alarm(60);
	r = vm_run(vm);
	alarm(0);
	if (r != KVM_EXIT_IO)
		return -1;
	*bad = vm_io_out(vm, PORT_BAD);
	r = vm_io_out(vm, PORT_DONE);
	return vm_run(vm) == KVM_EXIT_HLT ? r : -1;
}

/* Private -> shared: the guest sees the (zero) shared memory; shared ->
 * private: it sees what it wrote, kept in the memfd. */
static void test_conversions(struct vm *vm, struct lease *l)
{
	int64_t done, bad;
	int r = vm_set_shared(vm, VM_PRIV_GPA, VM_PRIV_SIZE);

	if (r < 0) {
		fail("%s: KVM_SET_MEMORY_ATTRIBUTES shared: %s", l->name, strerror(-r));
		return;
	}
	done = run_check(vm, &bad);
	if (done >= 0 || bad != (int64_t)VM_PRIV_GPA) {
		fail("%s: converted to shared, the guest did not see the shared memory (done %" PRId64 ", bad %#" PRIx64 ")",
		     l->name, done, (uint64_t)bad);
		return;
	}
	r = vm_set_private(vm, VM_PRIV_GPA, VM_PRIV_SIZE);
	if (r < 0) {
		fail("%s: KVM_SET_MEMORY_ATTRIBUTES private again: %s", l->name, strerror(-r));
		return;
	}
	done = run_check(vm, &bad);
	if (done != DONE_MAGIC)
		fail("%s: private again, the guest did not read back its pattern (bad %#" PRIx64 ")",
		     l->name, (uint64_t)bad);
	else
		ok("%s: private -> shared -> private: the guest saw the shared memory, then its own pattern again",
		   l->name);
}

/* The level KVM mapped the private range at: 2M backings at 2M, else 4K. */
static void check_level(struct vm *vm, struct lease *l)
{
	int64_t p4k = vm_stat(vm, "pages_4k"), p2m = vm_stat(vm, "pages_2m");

	printf("%s: KVM maps pages_4k %" PRId64 " pages_2m %" PRId64 "\n", l->name, p4k, p2m);
	if (l->huge ? p2m >= 1 : (p2m == 0 && p4k >= (int64_t)(VM_PRIV_SIZE / 4096)))
		ok("%s: KVM mapped the private memory at %s", l->name, l->huge ? "2M" : "4K");
	else
		fail("%s: KVM mapped at the wrong level (want %s)", l->name, l->huge ? "2M" : "4K");
}

/* One VM at a time: a second one binding the memfd gets EBUSY. */
static void check_second_vm(struct lease *l)
{
	const char *what;
	struct vm vm2;
	int r = vm_create(&vm2, l->fd, VM_MEM_SIZE, &what);

	if (r == -EBUSY)
		ok("%s: a second VM binding the memfd gets EBUSY", l->name);
	else
		fail("%s: a second VM binding the memfd: %s (want EBUSY)", l->name,
		     r ? strerror(-r) : "succeeded");
	vm_destroy(&vm2);
}

/* Guest runs, then (a): destroy the VM first, revoke afterwards. */
static void test_run_then_destroy(struct lease *l)
{
	struct memfd_guest_test_stats st;
	struct vm vm;
	int owner, r;

	check_sealed(l);
	if (vm_up(&vm, l) < 0)
		goto out;
	r = test_owner_register(&owner, l->fd);
	if (r == -EBUSY)
		ok("%s: KVM owns the memfd: another owner gets EBUSY", l->name);
	else if (r != -1)
		fail("%s: a test owner registering while KVM owns the memfd: %s", l->name,
		     r ? strerror(-r) : "succeeded");
	if (owner >= 0)
		close(owner);
	check_second_vm(l);
	if (run_fill(&vm, l) < 0)
		goto out;
	ok("kvm: guest ran on a guest-sealed %s (%s): wrote and read back %llu pages of private memory",
	   l->kind, l->name, VM_PRIV_SIZE / 4096);
	check_level(&vm, l);
	test_conversions(&vm, l);

	vm_destroy(&vm);
	r = test_owner_register(&owner, l->fd);
	if (r == -1) {
		lease_revoke(l);
		goto out;
	}
	if (r) {
		fail("%s: (a) after the VM was destroyed a test owner cannot register: %s",
		     l->name, strerror(-r));
		close(owner);
		goto out;
	}
	ok("%s: (a) the destroyed VM no longer owns the memfd", l->name);
	if (lease_revoke(l) < 0 || ioctl(owner, MEMFD_GUEST_TEST_STATS, &st) < 0) {
		fail("%s: (a) revoke or test owner stats failed", l->name);
	} else if (st.begin == 1 && st.end == 1 && st.late == 0 && st.nr_ranges == 1 &&
		   st.ranges[0].start == 0 && st.ranges[0].end == l->size / 4096) {
		ok("%s: (a) the revocation after the VM was gone went to the memfd's next owner only, [0, %" PRIu64 ") pages",
		   l->name, l->size / 4096);
	} else {
		fail("%s: (a) test owner told begin %llu end %llu ranges %llu", l->name,
		     (unsigned long long)st.begin, (unsigned long long)st.end,
		     (unsigned long long)st.nr_ranges);
	}
	close(owner);
out:
	vm_destroy(&vm);
}

struct runner {
	struct vm *vm;
	volatile int passes, stop, done;
	int r;
	double t_exit;
};

static void *vcpu_loop(void *arg)
{
	struct runner *rn = arg;

	while (!rn->stop) {
		rn->r = vm_run(rn->vm);
		if (rn->r != KVM_EXIT_IO || vm_io_out(rn->vm, PORT_PASS) < 0)
			break;
		rn->passes++;
	}
	rn->t_exit = now();
	rn->done = 1;
	return NULL;
}

static int wait_for(volatile int *v, int want, double seconds)
{
	double end = now() + seconds;

	while (*v < want && now() < end)
		usleep(1000);
	return *v >= want ? 0 : -1;
}

/* (b): revoke the memory while the vCPU loops over it. */
static void test_revoke_while_running(struct lease *l)
{
	struct runner rn = { 0 };
	struct kvm_run *k;
	pthread_t t;
	double t0;
	struct vm vm;

	if (vm_up(&vm, l) < 0 || vm_start(&vm, PROG_LOOP, 1) < 0)
		goto out;
	rn.vm = &vm;
	if (pthread_create(&t, NULL, vcpu_loop, &rn)) {
		fail("%s: pthread_create", l->name);
		goto out;
	}
	if (wait_for(&rn.passes, 3, 30) < 0)
		fail("%s: (b) the guest did not loop over its private memory", l->name);
	t0 = now();
	if (!rn.done && lease_revoke(l) == 0)
		printf("%s: revoked after %d guest passes in %.1f ms\n", l->name, rn.passes,
		       (now() - t0) * 1e3);
	if (wait_for(&rn.done, 1, 30) < 0) {
		rn.stop = 1;
		fail("%s: (b) the vCPU kept running on revoked memory", l->name);
		/* SIGALRM has no SA_RESTART: a KVM_RUN that never exits gets EINTR */
		while (!rn.done) {
			pthread_kill(t, SIGALRM);
			usleep(100000);
		}
	}
	pthread_join(t, NULL);
	k = vm.run;
	if (rn.r == -EFAULT && k->exit_reason == KVM_EXIT_MEMORY_FAULT &&
	    (k->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE) &&
	    k->memory_fault.gpa >= VM_PRIV_GPA && k->memory_fault.gpa < VM_PRIV_GPA + VM_PRIV_SIZE)
		ok("kvm: invalidation reached KVM while the guest ran (%s %s): KVM_EXIT_MEMORY_FAULT private gpa %#llx, %.1f ms after the revocation started",
		   l->kind, l->name, (unsigned long long)k->memory_fault.gpa, (rn.t_exit - t0) * 1e3);
	else
		fail("%s: (b) want KVM_EXIT_MEMORY_FAULT for a private gpa, got KVM_RUN %s exit %u (bad gpa %#" PRIx64 ")",
		     l->name, rn.r < 0 ? strerror(-rn.r) : "ok", k->exit_reason,
		     (uint64_t)vm_io_out(&vm, PORT_BAD));
out:
	vm_destroy(&vm);
}

/* Runs PROG_CHECK on [gpa, end): 1 if it exits with KVM_EXIT_MEMORY_FAULT
 * for a private gpa in that range, else 0. */
static int check_faults(struct vm *vm, uint64_t gpa, uint64_t end, uint64_t *at)
{
	struct kvm_run *k = vm->run;
	int r;

	if (vm_start_range(vm, PROG_CHECK, gpa, (end - gpa) / 4096,
			   0x5a000000 + (gpa - VM_TWO_LO) / 4096) < 0)
		return 0;
	alarm(60);
	r = vm_run(vm);
	alarm(0);
	*at = k->memory_fault.gpa;
	return r == -EFAULT && k->exit_reason == KVM_EXIT_MEMORY_FAULT &&
	       (k->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE) &&
	       *at >= gpa && *at < end;
}

/* Owned while a memslot is bound: EBUSY for a test owner, or success. */
static int owned_by_kvm(struct lease *l)
{
	int owner, r = test_owner_register(&owner, l->fd);

	if (owner >= 0)
		close(owner);
	return r == -EBUSY ? 1 : r == 0 ? 0 : -1;
}

/*
 * Two memslots of one VM on one memfd, crosswise (vm_create_split), private
 * gpa [1M, 4M): a revocation zaps both; the VM owns the memfd until its last
 * memslot is deleted, not until it is destroyed.
 */
static void test_two_slots(struct lease *l)
{
	const uint64_t half = VM_MEM_SIZE / 2;
	uint64_t at0 = 0, at1 = 0;
	const char *what = "";
	struct vm vm;
	int r;

	r = vm_create_split(&vm, l->fd, VM_MEM_SIZE, &what);
	if (!r)
		r = vm_set_private(&vm, VM_TWO_LO, VM_MEM_SIZE - VM_TWO_LO);
	if (!r)
		r = vm_start_range(&vm, PROG_FILL, VM_TWO_LO, (VM_MEM_SIZE - VM_TWO_LO) / 4096,
				   0x5a000000);
	if (r < 0 || vm_run(&vm) != KVM_EXIT_IO || vm_io_out(&vm, PORT_DONE) != DONE_MAGIC ||
	    vm_run(&vm) != KVM_EXIT_HLT) {
		fail("%s: two memslots: the guest did not fill both (%s%s%s)", l->name, what,
		     r < 0 ? ": " : "", r < 0 ? strerror(-r) : "");
		goto out;
	}
	if (lease_revoke(l) < 0)
		goto out;
	if (check_faults(&vm, VM_TWO_LO, half, &at0) && check_faults(&vm, half, VM_MEM_SIZE, &at1))
		ok("%s: two memslots on one memfd: the revocation zapped both (faults at gpa %#llx and %#llx)",
		   l->name, (unsigned long long)at0, (unsigned long long)at1);
	else
		fail("%s: two memslots on one memfd: a memslot kept a mapping of revoked memory", l->name);

	if (vm_set_slot(&vm, 1, half, 0, l->fd, 0) < 0 || owned_by_kvm(l) != 1) {
		fail("%s: with one of its two memslots deleted the VM no longer owns the memfd", l->name);
		goto out;
	}
	if (vm_set_slot(&vm, 0, 0, 0, l->fd, 0) < 0 || owned_by_kvm(l) != 0)
		fail("%s: with both memslots deleted the VM still owns the memfd", l->name);
	else
		ok("%s: the VM owned the memfd until its last memslot was deleted", l->name);
out:
	vm_destroy(&vm);
}

/* KVM_CHECK_EXTENSION @cap on a new VM of @type: its answer, or -errno. */
static int vm_type_check_cap(int kvm, unsigned long type, long cap)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, type), r;

	if (vm < 0)
		return -errno;
	r = ioctl(vm, KVM_CHECK_EXTENSION, cap);
	if (r < 0)
		r = -errno;
	close(vm);
	return r;
}

/* Whether this KVM's VMs take guest-sealed memfds, as a VMM asks it: a
 * software-protected VM must say 1, a default VM 0 (and /dev/kvm 1, as some
 * VM type may). */
static int check_cap(int kvm)
{
	int sys = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GUEST_SEALED_MEMFD);
	int def = vm_type_check_cap(kvm, KVM_X86_DEFAULT_VM, KVM_CAP_GUEST_SEALED_MEMFD);
	int sw = vm_type_check_cap(kvm, KVM_X86_SW_PROTECTED_VM, KVM_CAP_GUEST_SEALED_MEMFD);

	if (sw != 1) {
		fail("kvm: KVM_CAP_GUEST_SEALED_MEMFD (%d) is %d on a KVM_X86_SW_PROTECTED_VM, want 1: this kernel's KVM cannot bind a guest-sealed memfd",
		     KVM_CAP_GUEST_SEALED_MEMFD, sw);
		return -1;
	}
	if (def != 0 || sys != 1) {
		fail("kvm: KVM_CAP_GUEST_SEALED_MEMFD is %d on a default VM (want 0), %d on /dev/kvm (want 1)",
		     def, sys);
		return -1;
	}
	ok("kvm: KVM_CAP_GUEST_SEALED_MEMFD (%d): 1 on a KVM_X86_SW_PROTECTED_VM, 0 on a default VM, 1 on /dev/kvm",
	   KVM_CAP_GUEST_SEALED_MEMFD);
	return 0;
}

/* KVM itself, so that a failure below is about the memfd, and its
 * capability before any memfd is bound. */
static int check_kvm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), types, r;

	if (kvm < 0) {
		fail("kvm: open /dev/kvm: %s", strerror(errno));
		return -1;
	}
	types = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_VM_TYPES);
	if (types < 0 || !(types & (1 << KVM_X86_SW_PROTECTED_VM))) {
		fail("kvm: /dev/kvm has no KVM_X86_SW_PROTECTED_VM (VM types %#x)", types);
		close(kvm);
		return -1;
	}
	ok("kvm: /dev/kvm runs KVM_X86_SW_PROTECTED_VM (VM types %#x)", types);
	r = check_cap(kvm);
	close(kvm);
	return r;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct lease l;
	int huge;

	setvbuf(stdout, NULL, _IOLBF, 0);
	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART: interrupts KVM_RUN */
	if (argc == 3 && !strcmp(argv[1], "--bench"))
		return check_kvm() < 0 ? 2 : kvm_bench(strtoull(argv[2], NULL, 0));
	if (lease_setup(argc, argv) < 0 || check_kvm() < 0)
		return 2;
	for (huge = 0; huge <= 1; huge++) {
		if (lease_get(&l, huge) < 0)
			continue;
		test_run_then_destroy(&l);
		lease_put(&l);
		if (lease_get(&l, huge) < 0)
			continue;
		test_revoke_while_running(&l);
		lease_put(&l);
		if (lease_get(&l, huge) < 0)
			continue;
		test_two_slots(&l);
		lease_put(&l);
	}
	printf("%s\n", failed ? "FAIL: kvm owner test" : "ok: kvm owner test passed");
	return failed ? 1 : 0;
}
