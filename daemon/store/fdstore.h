/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The service manager's fd store: every memfd and owner pidfd privmemd holds is kept there too,
 * under a name, so that a restart or a crash of privmemd loses nothing. */
#pragma once

#include <stdbool.h>

/* Names are a kind letter and a slot number in base 36: "l1", "o2f", "r10". systemd hands every
 * stored fd's name back in one environment variable, LISTEN_FDNAMES, and execve() takes no string
 * longer than 128 KiB: with the earlier "lease.<16 hex digits>" names a restart failed with E2BIG
 * once about 5,700 fds were stored. A memfd's lease or pool is read from the memfd's own name
 * (/proc/self/fd), a pidfd's process from the pidfd; the slot only has to be unique. */
#define FDSTORE_KIND_READY 'r'          /* a ready memfd */
#define FDSTORE_KIND_LEASE 'l'          /* a lent memfd */
#define FDSTORE_KIND_OWNER 'o'          /* the pidfd of a process that owns leases */
#define FDSTORE_SLOTS_MAX (36U * 36U * 36U - 1U)        /* three base-36 digits */
/* How many stored fds LISTEN_FDNAMES can name: 128 KiB less "LISTEN_FDNAMES=" and room for the
 * sockets' names, at most five bytes ("k" + 3 digits + ':') per fd. */
#define FDSTORE_NAMES_MAX ((131072U - 16U - 256U) / 5U)

/* The names earlier versions used; still recovered, then stored again under a short name. */
#define FDSTORE_LEGACY_READY_PREFIX "ready."   /* ready.POOL.ID */
#define FDSTORE_LEGACY_LEASE_PREFIX "lease."   /* lease.ID */
#define FDSTORE_LEGACY_OWNER_PREFIX "owner."   /* owner.ID (one per lease) */

/* Whether there is a service manager to store fds with ($NOTIFY_SOCKET). */
bool fdstore_enabled(void);
/* Stores a copy of fd (the caller keeps fd) under a new slot of kind, written to *slot; -ENFILE when
 * every slot is taken. */
int fdstore_push_slot(int fd, char kind, unsigned *slot);
/* Takes the fd of that kind and slot out of the store and frees the slot; nothing when *slot is 0. */
int fdstore_remove_slot(char kind, unsigned *slot);
/* A short name: its kind and slot, which is claimed (a recovered fd keeps its name). -EINVAL: not
 * one; -EEXIST: claimed already (another fd of that name came first). */
int fdstore_claim_name(const char *name, char *ret_kind, unsigned *ret_slot);
/* Takes every fd of that exact name out of the store (legacy names, names of unknown fds). */
int fdstore_remove_name(const char *name);
