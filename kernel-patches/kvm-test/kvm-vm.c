// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal KVM VM for the KVM owner test, see kvm-vm.h.  Written for this
 * test in the style of the KVM selftests, without their library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm-vm.h"

/*
 * The programs, flat 32-bit protected mode without paging: esi = first gpa,
 * ecx = pages, edx = seed.  PROG_FILL writes seed + i to page i, reads all
 * back, outs DONE_MAGIC to PORT_DONE and halts.  PROG_LOOP writes and reads
 * back each page, outs the pass count to PORT_PASS, and starts again.  A
 * wrong read outs its gpa to PORT_BAD and halts.  PROG_CHECK only reads back
 * what PROG_FILL wrote.
 */
asm(".pushsection .rodata\n"
    ".code32\n"
    "prog_fill:\n"
    "	mov %esi, %edi\n	mov %ecx, %ebx\n	mov %edx, %eax\n"
    "1:	mov %eax, (%edi)\n	add $4096, %edi\n	inc %eax\n"
    "	dec %ebx\n	jnz 1b\n"
    "	mov %esi, %edi\n	mov %ecx, %ebx\n	mov %edx, %eax\n"
    "2:	cmp %eax, (%edi)\n	jne 3f\n	add $4096, %edi\n	inc %eax\n"
    "	dec %ebx\n	jnz 2b\n"
    "	mov $0x600d, %eax\n	out %eax, $0x10\n	hlt\n"
    "3:	mov %edi, %eax\n	out %eax, $0x11\n	hlt\n"
    "prog_fill_end:\n"
    "prog_loop:\n"
    "	mov %edx, %ebp\n"
    "4:	mov %esi, %edi\n	mov %ecx, %ebx\n"
    "5:	mov %ebp, (%edi)\n	cmp %ebp, (%edi)\n	jne 6f\n"
    "	add $4096, %edi\n	dec %ebx\n	jnz 5b\n"
    "	inc %ebp\n	mov %ebp, %eax\n	out %eax, $0x12\n	jmp 4b\n"
    "6:	mov %edi, %eax\n	out %eax, $0x11\n	hlt\n"
    "prog_loop_end:\n"
    "prog_check:\n"
    "	mov %esi, %edi\n	mov %ecx, %ebx\n	mov %edx, %eax\n"
    "7:	cmp %eax, (%edi)\n	jne 8f\n	add $4096, %edi\n	inc %eax\n"
    "	dec %ebx\n	jnz 7b\n"
    "	mov $0x600d, %eax\n	out %eax, $0x10\n	hlt\n"
    "8:	mov %edi, %eax\n	out %eax, $0x11\n	hlt\n"
    "prog_check_end:\n"
    ".code64\n"
    ".popsection\n");
extern const unsigned char prog_fill[], prog_fill_end[], prog_loop[], prog_loop_end[],
	prog_check[], prog_check_end[];

static const uint64_t prog_offset[] = {
	[PROG_FILL] = 0, [PROG_LOOP] = 0x400, [PROG_CHECK] = 0x800,
};

/* Shared memory for the memslot, 2M aligned (1G from 1G up) so that huge
 * private mappings are allowed (KVM wants the host address aligned like the
 * gpa). */
static int vm_alloc_shared(struct vm *vm, uint64_t size)
{
	size_t align = size >= (1ULL << 30) ? 1ULL << 30 : 2ULL << 20;
	unsigned char *p;

	vm->shared_map_size = size + align;
	p = mmap(NULL, vm->shared_map_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	vm->shared_map = p;
	vm->shared = (unsigned char *)(((uintptr_t)p + align - 1) & ~(align - 1));
	memcpy(vm->shared + VM_CODE_GPA, prog_fill, prog_fill_end - prog_fill);
	memcpy(vm->shared + VM_CODE_GPA + prog_offset[PROG_LOOP], prog_loop,
	       prog_loop_end - prog_loop);
	memcpy(vm->shared + VM_CODE_GPA + prog_offset[PROG_CHECK], prog_check,
	       prog_check_end - prog_check);
	return 0;
}

static int vm_create_vcpu(struct vm *vm)
{
	struct kvm_segment cs = {
		.base = 0, .limit = 0xffffffff, .selector = 8, .type = 11,
		.present = 1, .s = 1, .db = 1, .g = 1,
	};
	struct kvm_segment ds = cs;
	struct kvm_sregs s;

	vm->vcpu = ioctl(vm->fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu < 0)
		return -errno;
	vm->run_size = ioctl(vm->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return -errno;
	}
	if (ioctl(vm->vcpu, KVM_GET_SREGS, &s) < 0)
		return -errno;
	ds.type = 3;
	ds.selector = 0x10;
	s.cs = cs;
	s.ds = s.es = s.fs = s.gs = s.ss = ds;
	s.cr0 |= 1;	/* protected mode, no paging: gva == gpa */
	return ioctl(vm->vcpu, KVM_SET_SREGS, &s) < 0 ? -errno : 0;
}

int vm_set_slot(struct vm *vm, int slot, uint64_t gpa, uint64_t size, int memfd,
		uint64_t offset)
{
	struct kvm_userspace_memory_region2 r = {
		.slot = slot, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = gpa,
		.memory_size = size, .userspace_addr = (uintptr_t)(vm->shared + gpa),
		.guest_memfd = memfd, .guest_memfd_offset = offset,
	};

	return ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION2, &r) < 0 ? -errno : 0;
}

static int __vm_create(struct vm *vm, int memfd, uint64_t size, int split, const char **what)
{
	int e;

	memset(vm, 0, sizeof(*vm));
	vm->kvm = vm->fd = vm->vcpu = -1;
	*what = "open /dev/kvm";
	vm->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm < 0)
		return -errno;
	*what = "KVM_CREATE_VM(KVM_X86_SW_PROTECTED_VM)";
	vm->fd = ioctl(vm->kvm, KVM_CREATE_VM, KVM_X86_SW_PROTECTED_VM);
	if (vm->fd < 0)
		return -errno;
	*what = "mmap of the shared memory";
	e = vm_alloc_shared(vm, size);
	if (e < 0)
		return e;
	*what = "KVM_SET_USER_MEMORY_REGION2 with the memfd as guest_memfd";
	if (!split)
		e = vm_set_slot(vm, 0, 0, size, memfd, 0);
	else if (!(e = vm_set_slot(vm, 0, 0, size / 2, memfd, size / 2)))
		e = vm_set_slot(vm, 1, size / 2, size / 2, memfd, 0);
	if (e < 0)
		return e;
	*what = "KVM_CREATE_VCPU";
	return vm_create_vcpu(vm);
}

int vm_create(struct vm *vm, int memfd, uint64_t size, const char **what)
{
	return __vm_create(vm, memfd, size, 0, what);
}

int vm_create_split(struct vm *vm, int memfd, uint64_t size, const char **what)
{
	return __vm_create(vm, memfd, size, 1, what);
}

static int vm_set_attributes(struct vm *vm, uint64_t gpa, uint64_t size, uint64_t attr)
{
	struct kvm_memory_attributes a = { .address = gpa, .size = size, .attributes = attr };

	return ioctl(vm->fd, KVM_SET_MEMORY_ATTRIBUTES, &a) < 0 ? -errno : 0;
}

int vm_set_private(struct vm *vm, uint64_t gpa, uint64_t size)
{
	return vm_set_attributes(vm, gpa, size, KVM_MEMORY_ATTRIBUTE_PRIVATE);
}

int vm_set_shared(struct vm *vm, uint64_t gpa, uint64_t size)
{
	return vm_set_attributes(vm, gpa, size, 0);
}

int vm_prefault(struct vm *vm, uint64_t size)
{
	struct kvm_pre_fault_memory pf = { .gpa = 0, .size = size };

	while (pf.size) {
		if (ioctl(vm->vcpu, KVM_PRE_FAULT_MEMORY, &pf) < 0 &&
		    errno != EINTR && errno != EAGAIN)
			return -errno;
	}
	return 0;
}

int vm_start_range(struct vm *vm, enum program prog, uint64_t gpa, uint64_t pages,
		   uint32_t seed)
{
	struct kvm_regs regs = {
		.rip = VM_CODE_GPA + prog_offset[prog],
		.rflags = 2, .rsi = gpa, .rcx = pages, .rdx = seed,
	};

	return ioctl(vm->vcpu, KVM_SET_REGS, &regs) < 0 ? -errno : 0;
}

int vm_start(struct vm *vm, enum program prog, uint32_t seed)
{
	return vm_start_range(vm, prog, VM_PRIV_GPA, VM_PRIV_SIZE / 4096, seed);
}

int vm_run(struct vm *vm)
{
	if (ioctl(vm->vcpu, KVM_RUN, 0) < 0)
		return -errno;
	return vm->run->exit_reason;
}

int64_t vm_io_out(const struct vm *vm, unsigned int port)
{
	const struct kvm_run *k = vm->run;

	if (k->exit_reason != KVM_EXIT_IO || k->io.direction != KVM_EXIT_IO_OUT ||
	    k->io.port != port || k->io.size != 4)
		return -1;
	return *(const uint32_t *)((const char *)k + k->io.data_offset);
}

/* Binary stats (KVM_GET_STATS_FD): a header, descriptors, then the data. */
int64_t vm_stat(const struct vm *vm, const char *name)
{
	struct kvm_stats_header h;
	size_t dsize;
	int64_t ret = -ENOENT;
	char *descs;
	int fd;

	/* "vcpu:NAME": a statistic of the vCPU */
	if (!strncmp(name, "vcpu:", 5))
		fd = ioctl(vm->vcpu, KVM_GET_STATS_FD, NULL), name += 5;
	else
		fd = ioctl(vm->fd, KVM_GET_STATS_FD, NULL);
	if (fd < 0)
		return -errno;
	if (pread(fd, &h, sizeof(h), 0) != sizeof(h)) {
		close(fd);
		return -EIO;
	}
	dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	descs = calloc(h.num_desc, dsize);
	if (descs && pread(fd, descs, h.num_desc * dsize, h.desc_offset) ==
	    (ssize_t)(h.num_desc * dsize)) {
		for (unsigned int i = 0; i < h.num_desc; i++) {
			struct kvm_stats_desc *d = (void *)(descs + i * dsize);
			uint64_t v;

			if (strcmp(d->name, name))
				continue;
			if (pread(fd, &v, sizeof(v), h.data_offset + d->offset) == sizeof(v))
				ret = (int64_t)v;
			break;
		}
	}
	free(descs);
	close(fd);
	return ret;
}

void vm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->vcpu >= 0)
		close(vm->vcpu);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->kvm >= 0)
		close(vm->kvm);
	if (vm->shared_map)
		munmap(vm->shared_map, vm->shared_map_size);
	memset(vm, 0, sizeof(*vm));
	vm->kvm = vm->fd = vm->vcpu = -1;
}
