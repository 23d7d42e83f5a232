// SPDX-License-Identifier: GPL-2.0
/*
 * The KVM owner test's memfds from privmemd: leases of a seal_guest pool
 * (shmem or hugetlb), revoked with "privmemctl release ID" as an
 * administrator would.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <privmem/privmem.h>
#include "kvm-lease.h"

static privmem *pm;
static const char *pools[2], *privmemctl;

int lease_setup(int argc, char **argv)
{
	int r;

	if (argc != 5 || strcmp(argv[1], "--privmemd")) {
		fprintf(stderr, "usage: %s --privmemd SHMEM_POOL HUGETLB_POOL PRIVMEMCTL\n", argv[0]);
		return -1;
	}
	pools[0] = argv[2];
	pools[1] = argv[3];
	privmemctl = argv[4];
	r = privmem_connect(&pm, NULL);
	if (r < 0) {
		fail("connect to privmemd: %s", strerror(-r));
		return -1;
	}
	privmem_set_timeout(pm, 30000);
	return 0;
}

int lease_get(struct lease *l, int huge)
{
	privmem_lease *pl;
	int r;

	memset(l, 0, sizeof(*l));
	l->size = LEASE_SIZE;
	l->huge = huge;
	l->kind = "lease";
	r = privmem_acquire(pm, pools[huge], l->size, NULL, &l->fd, &pl);
	if (r < 0) {
		fail("acquire %llu bytes of pool %s: %s (%s: %s)", LEASE_SIZE, pools[huge],
		     strerror(-r), privmem_last_error_name(pm) ?: "-",
		     privmem_last_error_message(pm) ?: "-");
		l->fd = -1;
		return -1;
	}
	snprintf(l->name, sizeof(l->name), "%s", privmem_lease_id(pl));
	l->priv = pl;
	return 0;
}

static int lease_gone(struct lease *l)
{
	for (int i = 0; i < 300; i++) {
		privmem_lease *pl;

		if (privmem_get_lease(pm, l->name, &pl) < 0)
			return 0;
		privmem_lease_free(pl);
		usleep(100000);
	}
	fail("lease %s still there 30 s after its release", l->name);
	return -1;
}

int lease_revoke(struct lease *l)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execl(privmemctl, privmemctl, "release", l->name, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
		fail("%s release %s failed", privmemctl, l->name);
		return -1;
	}
	return lease_gone(l);
}

void lease_put(struct lease *l)
{
	if (l->fd >= 0)
		close(l->fd);
	l->fd = -1;
	privmem_lease_free(l->priv);
	l->priv = NULL;
}
