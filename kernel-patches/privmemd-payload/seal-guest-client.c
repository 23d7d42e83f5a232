// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Runs in the patched test guest against a privmemd with a seal_guest=yes
 * pool (see run): a client borrows a memfd through libprivmem, cannot map or
 * read it, and hands it to the test owner (/dev/memfd_guest_test, the module
 * of patch 0009) as KVM would; when the client exits privmemd punches the
 * lease and the owner must be told [0, size).  A second owner that
 * unregistered before its client exited must be told nothing.
 *
 * The owners are files of /dev/memfd_guest_test opened by this parent, so
 * they outlive the client children that register them.
 *
 * Usage: seal-guest-client POOL SIZE
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <privmem/privmem.h>
#include "test_memfd_guest_uapi.h"

#define PAGE 4096ULL

static const char *pool;
static uint64_t size;
static int failed;

#define ok(...) do { printf("ok: " __VA_ARGS__); putchar('\n'); fflush(stdout); } while (0)
#define fail(...) do { printf("FAIL: " __VA_ARGS__); putchar('\n'); fflush(stdout); failed = 1; } while (0)

/* The child: acquire, check the seal, register the owner (unregister it again
 * if asked), send the lease id to the parent, exit: privmemd sees its owner
 * gone. */
static int client(int owner, int unregister, int out)
{
	privmem *p;
	privmem_lease *l;
	int memfd, r, bad = 0;
	char buf[16];

	r = privmem_connect(&p, NULL);
	if (r < 0) {
		fail("connect to privmemd: %s", strerror(-r));
		return 1;
	}
	privmem_set_timeout(p, 30000);
	r = privmem_acquire(p, pool, size, NULL, &memfd, &l);
	if (r < 0) {
		fail("acquire %" PRIu64 " bytes of pool %s: %s (%s: %s)", size, pool,
		     strerror(-r), privmem_last_error_name(p) ?: "-",
		     privmem_last_error_message(p) ?: "-");
		return 1;
	}
	if (mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0) != MAP_FAILED) {
		fail("lease %s: mmap of the guest-sealed memfd succeeded", privmem_lease_id(l));
		bad = 1;
	} else if (errno != EPERM) {
		fail("lease %s: mmap failed with %s, want EPERM", privmem_lease_id(l), strerror(errno));
		bad = 1;
	}
	if (pread(memfd, buf, sizeof(buf), 0) >= 0) {
		fail("lease %s: read of the guest-sealed memfd succeeded", privmem_lease_id(l));
		bad = 1;
	} else if (errno != EPERM) {
		fail("lease %s: read failed with %s, want EPERM", privmem_lease_id(l), strerror(errno));
		bad = 1;
	}
	if (!bad)
		ok("lease %s (pid %d): mmap and read of its memfd fail with EPERM",
		   privmem_lease_id(l), (int)getpid());
	if (ioctl(owner, MEMFD_GUEST_TEST_REGISTER, memfd) < 0) {
		fail("lease %s: owner register: %s", privmem_lease_id(l), strerror(errno));
		return 1;
	}
	ok("lease %s: test owner registered on its memfd", privmem_lease_id(l));
	if (unregister) {
		if (ioctl(owner, MEMFD_GUEST_TEST_UNREGISTER) < 0) {
			fail("lease %s: owner unregister: %s", privmem_lease_id(l), strerror(errno));
			return 1;
		}
		ok("lease %s: test owner unregistered before the client exits", privmem_lease_id(l));
	}
	if (write(out, privmem_lease_id(l), strlen(privmem_lease_id(l)) + 1) < 0)
		return 1;
	/* exit without releasing: privmemd must notice the owner is gone */
	return bad;
}

/* Runs a client child, returns its lease id (static) once it has exited. */
static const char *run_client(int owner, int unregister)
{
	static char id[256];
	int fds[2], st;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) < 0)
		return NULL;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		_exit(client(owner, unregister, fds[1]));
	}
	close(fds[1]);
	n = read(fds[0], id, sizeof(id) - 1);
	close(fds[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		failed = 1;
	if (n <= 0)
		return NULL;
	id[n] = 0;
	return id;
}

/* Waits until privmemd has punched and dropped the lease. */
static int wait_lease_gone(privmem *p, const char *id)
{
	for (int i = 0; i < 300; i++) {
		privmem_lease *l;
		int r = privmem_get_lease(p, id, &l);

		if (r < 0) {
			ok("lease %s gone from privmemd after its client exited (%.1f s; %s)",
			   id, i / 10.0, privmem_last_error_name(p) ?: strerror(-r));
			return 0;
		}
		privmem_lease_free(l);
		usleep(100000);
	}
	fail("lease %s still there 30 s after its client exited", id);
	return -1;
}

static void print_stats(const char *who, const struct memfd_guest_test_stats *st)
{
	printf("%s: begin %llu end %llu late %llu busy %llu ranges %llu:", who,
	       (unsigned long long)st->begin, (unsigned long long)st->end,
	       (unsigned long long)st->late, (unsigned long long)st->busy,
	       (unsigned long long)st->nr_ranges);
	for (unsigned int i = 0; i < st->nr_ranges && i < MEMFD_GUEST_TEST_MAX_RANGES; i++)
		printf(" [%llu, %llu)", (unsigned long long)st->ranges[i].start,
		       (unsigned long long)st->ranges[i].end);
	printf(" (pages)\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct memfd_guest_test_stats st;
	uint64_t inval0 = 0, inval1 = 0;
	privmem_metrics *m;
	const char *id;
	privmem *p;
	int a, b, r;

	if (argc != 3) {
		fprintf(stderr, "usage: %s POOL SIZE\n", argv[0]);
		return 2;
	}
	pool = argv[1];
	size = strtoull(argv[2], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);

	a = open("/dev/memfd_guest_test", O_RDWR | O_CLOEXEC);
	b = open("/dev/memfd_guest_test", O_RDWR | O_CLOEXEC);
	if (a < 0 || b < 0) {
		fail("open /dev/memfd_guest_test: %s", strerror(errno));
		return 1;
	}
	r = privmem_connect(&p, NULL);
	if (r < 0) {
		fail("connect to privmemd: %s", strerror(-r));
		return 1;
	}
	privmem_set_timeout(p, 10000);
	if (privmem_get_metrics(p, &m) >= 0) {
		inval0 = privmem_metrics_invalidations(m);
		privmem_metrics_free(m);
	}

	/* 1: a registered owner is told the whole file goes away */
	id = run_client(a, 0);
	if (!id) {
		fail("first client gave no lease");
		return 1;
	}
	wait_lease_gone(p, id);
	if (ioctl(a, MEMFD_GUEST_TEST_STATS, &st) < 0) {
		fail("owner A stats: %s", strerror(errno));
		return 1;
	}
	print_stats("owner A (registered)", &st);
	if (st.begin == 1 && st.end == 1 && st.late == 0 && st.busy == 0 &&
	    st.nr_ranges == 1 && st.ranges[0].start == 0 && st.ranges[0].end == size / PAGE)
		ok("owner A was told [0, %llu) pages = [0, %" PRIu64 ") bytes, once, begin and end",
		   size / PAGE, size);
	else
		fail("owner A: want one begin/end of [0, %llu) pages", size / PAGE);

	/* 2: an owner that unregistered is told nothing */
	id = run_client(b, 1);
	if (!id) {
		fail("second client gave no lease");
		return 1;
	}
	wait_lease_gone(p, id);
	if (ioctl(b, MEMFD_GUEST_TEST_STATS, &st) < 0) {
		fail("owner B stats: %s", strerror(errno));
		return 1;
	}
	print_stats("owner B (unregistered)", &st);
	if (st.begin == 0 && st.end == 0 && st.late == 0 && st.nr_ranges == 0)
		ok("owner B, unregistered before its client exited, was told nothing");
	else
		fail("owner B: an invalidation reached an unregistered owner");

	/* privmemd did invalidate both leases (its punch, not something else) */
	if (privmem_get_metrics(p, &m) >= 0) {
		inval1 = privmem_metrics_invalidations(m);
		privmem_metrics_free(m);
	}
	if (inval1 - inval0 == 2)
		ok("privmemd counted 2 invalidations (%" PRIu64 " -> %" PRIu64 ")", inval0, inval1);
	else
		fail("privmemd counted %" PRIu64 " invalidations, want 2", inval1 - inval0);
	/* owner A still holds its registration: stats again, nothing late */
	if (ioctl(a, MEMFD_GUEST_TEST_STATS, &st) == 0 && (st.begin != 1 || st.late))
		fail("owner A got more callbacks later");
	privmem_disconnect(p);
	close(a);
	close(b);
	return failed;
}
