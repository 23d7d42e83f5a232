/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A build: one new memfd being populated by the workers, chunk by chunk, then sealed. */
#pragma once

#include "core/pool.h"

/* A worker still in one job this long after its timeout is in a system call that does not return:
 * a populate's deadline is checked between calls that take milliseconds, and a helper is polled. */
#define STUCK_GRACE_USEC (5ULL * 1000 * 1000)

/* Starts a memfd of the class's size; urgent when a caller waits for it. */
int build_start(SizeClass *c, bool urgent);
/* Moves the first background build of the class ahead of other background work. */
void size_class_promote_build(SizeClass *c);
/* Frees builds whose jobs will never complete (the workers are stopped). */
void size_class_free_builds(SizeClass *c);
void build_free(Build *b);
/* How long one chunk of pc's memfds may populate: populate_timeout=, or a default from its size. */
uint64_t build_chunk_timeout_usec(const PoolConfig *pc, uint64_t chunk_bytes);
/* The pool's worker threads stuck in one system call now (a chunk or a lease's punch found stuck
 * and not back yet), and when the oldest of them started it (now_usec(); UINT64_MAX when none). */
unsigned pool_stuck_workers(const Pool *p, uint64_t *ret_oldest_started_usec);
