/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a lease is, beyond its fds, written to the runtime directory so a restart finds it again. */
#pragma once

#include "core/lease.h"

/* Writes dir/ID.json atomically (a temporary file renamed over it). */
int lease_file_write(const char *dir, const Lease *l);
int lease_file_remove(const char *dir, const char *id);
/* Every *.json in dir; a file that cannot be read is logged and removed, one of a newer format
 * than this privmemd reads is logged, left in place and given as a record with only its id (and
 * foreign set). Keys it does not know are ignored. */
int lease_file_read_all(const char *dir, LeaseRecord **ret, size_t *ret_n);
void lease_records_free(LeaseRecord *r, size_t n);
